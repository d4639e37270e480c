#include "model/fairness.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "model/metrics.hpp"

namespace dmde::model {
namespace {
const double kNaN = std::nan("");

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

std::vector<GroupAudit> audit_groups(Eigen::Ref<const Eigen::VectorXd> group, const std::vector<std::string>& levels,
                                     Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> flag,
                                     Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w) {
  const Eigen::Index n = score.size();
  if (group.size() != n || flag.size() != n || (y.size() && y.size() != n) || (w.size() && w.size() != n))
    throw std::invalid_argument("audit_groups: input lengths differ");
  const auto L = static_cast<Eigen::Index>(levels.size());
  // Per level (+1 for missing): n, flagged, score sum, events, flagged events, flagged non-events.
  Eigen::MatrixXd acc = Eigen::MatrixXd::Zero(L + 1, 6);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double wi = w.size() ? w[i] : 1.0;
    if (!std::isfinite(wi) || wi < 0) throw std::invalid_argument("audit_groups: weights must be finite and >= 0");
    if (!std::isfinite(score[i])) throw std::invalid_argument("audit_groups: scores must be finite");
    if (flag[i] != 0.0 && flag[i] != 1.0) throw std::invalid_argument("audit_groups: flags must be 0 or 1");
    Eigen::Index g = L;
    if (!std::isnan(group[i])) {
      g = static_cast<Eigen::Index>(group[i]);
      if (g < 0 || g >= L || static_cast<double>(g) != group[i])
        throw std::invalid_argument("audit_groups: group code out of range");
    }
    const double yi = y.size() ? y[i] : 0.0;
    if (y.size() && yi != 0.0 && yi != 1.0) throw std::invalid_argument("audit_groups: outcomes must be 0 or 1");
    acc(g, 0) += wi, acc(g, 1) += wi * flag[i], acc(g, 2) += wi * score[i];
    acc(g, 3) += wi * yi, acc(g, 4) += wi * yi * flag[i], acc(g, 5) += wi * (1 - yi) * flag[i];
  }
  const double total = acc.col(0).sum(), flagged_total = acc.col(1).sum();
  std::vector<GroupAudit> out;
  for (Eigen::Index g = 0; g <= L; ++g) {
    if (g == L && acc(g, 0) == 0) break;
    GroupAudit a;
    a.level = g < L ? levels[static_cast<std::size_t>(g)] : "(missing)";
    a.n = acc(g, 0);
    a.population_share = total > 0 ? a.n / total : kNaN;
    a.flagged = acc(g, 1);
    a.flag_rate = a.n > 0 ? a.flagged / a.n : kNaN;
    a.flagged_share = flagged_total > 0 ? a.flagged / flagged_total : kNaN;
    a.ratio = a.population_share > 0 ? a.flagged_share / a.population_share : kNaN;
    a.mean_score = a.n > 0 ? acc(g, 2) / a.n : kNaN;
    if (y.size() && a.n > 0) {
      const double ev = acc(g, 3), nev = a.n - ev;
      a.observed_rate = ev / a.n;
      a.calibration = ev > 0 ? a.mean_score / a.observed_rate : kNaN;
      a.tpr = ev > 0 ? acc(g, 4) / ev : kNaN;
      a.fpr = nev > 0 ? acc(g, 5) / nev : kNaN;
    } else {
      a.observed_rate = a.calibration = a.tpr = a.fpr = kNaN;
    }
    out.push_back(a);
  }
  return out;
}

Eigen::VectorXd flag_top_k(Eigen::Ref<const Eigen::VectorXd> score, double k, Eigen::Ref<const Eigen::VectorXd> w) {
  if (!(k > 0 && k <= 1)) throw std::invalid_argument("flag_top_k: k must be in (0, 1]");
  const Eigen::Index n = score.size();
  if (w.size() && w.size() != n) throw std::invalid_argument("flag_top_k: weight length differs");
  const double total = w.size() ? w.sum() : static_cast<double>(n);
  Eigen::VectorXd f = Eigen::VectorXd::Zero(n);
  double before = 0;
  for (Eigen::Index i : order_decreasing(score)) {
    if (before >= k * total) break;
    f[i] = 1;
    before += w.size() ? w[i] : 1.0;
  }
  return f;
}

Eigen::VectorXd band(Eigen::Ref<const Eigen::VectorXd> x, const std::vector<double>& breaks,
                     std::vector<std::string>& levels) {
  if (breaks.empty() || !std::is_sorted(breaks.begin(), breaks.end()) ||
      std::adjacent_find(breaks.begin(), breaks.end()) != breaks.end())
    throw std::invalid_argument("band: breaks must be non-empty and strictly increasing");
  auto num = [](double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  };
  levels.clear();
  std::ostringstream first;
  first << "< " << num(breaks.front());
  levels.push_back(first.str());
  for (std::size_t j = 0; j + 1 < breaks.size(); ++j) {
    std::ostringstream o;
    o << "[" << num(breaks[j]) << ", " << num(breaks[j + 1]) << ")";
    levels.push_back(o.str());
  }
  std::ostringstream last;
  last << ">= " << num(breaks.back());
  levels.push_back(last.str());
  Eigen::VectorXd c(x.size());
  for (Eigen::Index i = 0; i < x.size(); ++i)
    c[i] = std::isnan(x[i]) ? kNaN
                            : static_cast<double>(std::upper_bound(breaks.begin(), breaks.end(), x[i]) - breaks.begin());
  return c;
}

std::vector<std::string> sensitive_effects(const std::vector<std::string>& effects,
                                           const std::vector<std::string>& patterns,
                                           const std::vector<std::string>& vars,
                                           const std::vector<std::string>& themes) {
  std::vector<std::string> out;
  for (const auto& e : effects) {
    std::ostringstream reasons;
    bool any = false;
    std::stringstream ss(e);
    std::string v;
    while (std::getline(ss, v, '*')) {
      const auto it = std::find(vars.begin(), vars.end(), v);
      const std::string theme =
          (it != vars.end() && static_cast<std::size_t>(it - vars.begin()) < themes.size()) ? themes[static_cast<std::size_t>(it - vars.begin())] : "";
      for (const auto& p : patterns) {
        const bool by_name = lower(v).find(lower(p)) != std::string::npos;
        const bool by_theme = !theme.empty() && lower(theme) == lower(p);
        if (!by_name && !by_theme) continue;
        reasons << (any ? "; " : "") << v << (by_name ? " matches '" : " has theme '") << p << "'";
        any = true;
      }
    }
    if (any) out.push_back(e + ": " + reasons.str());
  }
  return out;
}

}  // namespace dmde::model
