#include "model/monitoring.hpp"

#include <cmath>
#include <stdexcept>

namespace dmde::model {

const std::vector<std::string>& monitor_indicators() {
  static const std::vector<std::string> v = {"gross_overpayment", "net_overpayment", "underpayment",
                                             "overpayment_or_underpayment", "in_target"};
  return v;
}

namespace {

// Indicator k of control i.
bool indicator(const ControlOutcomes& c, std::size_t k, Eigen::Index i) {
  switch (k) {
    case 0: return c.gross[i] > 0;
    case 1: return c.net[i] > 0;
    case 2: return c.under[i] > 0;
    case 3: return c.gross[i] > 0 || c.under[i] > 0;
    default: return c.in_target[i] == 1.0;
  }
}

// group: -1 all, 0 control, 1 test.
MonitorRow row(const ControlOutcomes& c, const std::vector<char>& mask, int group) {
  MonitorRow r;
  const std::size_t k = monitor_indicators().size();
  r.count.assign(k, 0.0), r.percent.assign(k, 0.0);
  double sum = 0, sum_sq = 0;
  for (Eigen::Index i = 0; i < c.gross.size(); ++i) {
    if (!mask.empty() && !mask[static_cast<std::size_t>(i)]) continue;
    if (group >= 0 && c.test[i] != static_cast<double>(group)) continue;
    r.n += 1;
    sum += c.gross[i], sum_sq += c.gross[i] * c.gross[i];
    for (std::size_t j = 0; j < k; ++j) r.count[j] += indicator(c, j, i);
  }
  r.total_gross = sum;
  const double nan = std::nan("");
  r.mean_gross_per_control = r.n > 0 ? sum / r.n : nan;
  r.mean_gross_per_overpayment = r.count[0] > 0 ? sum / r.count[0] : nan;
  // Two-pass-free variance is fine here: amounts are euros, n at most millions.
  r.var_gross = r.n > 1 ? (sum_sq - sum * sum / r.n) / (r.n - 1) : nan;
  if (r.var_gross < 0) r.var_gross = 0;
  for (std::size_t j = 0; j < k; ++j) r.percent[j] = r.n > 0 ? 100.0 * r.count[j] / r.n : nan;
  return r;
}

}  // namespace

MonitorTable monitor_table(const ControlOutcomes& c, const std::vector<char>& mask, double level) {
  const Eigen::Index n = c.gross.size();
  if (c.net.size() != n || c.under.size() != n || c.in_target.size() != n || c.test.size() != n)
    throw std::invalid_argument("monitor_table: control outcome columns differ in length");
  if (!mask.empty() && static_cast<Eigen::Index>(mask.size()) != n)
    throw std::invalid_argument("monitor_table: mask length differs");
  for (Eigen::Index i = 0; i < n; ++i)
    if (!(c.gross[i] >= 0) || !(c.net[i] >= 0) || !(c.under[i] >= 0))
      throw std::invalid_argument("monitor_table: amounts must be >= 0");
  MonitorTable t;
  t.all = row(c, mask, -1);
  t.control = row(c, mask, 0);
  t.test = row(c, mask, 1);
  if (t.control.n >= 2 && t.test.n >= 2) {
    t.has_comparison = true;
    for (std::size_t j = 0; j < monitor_indicators().size(); ++j)
      t.diff.push_back(two_proportions(t.test.count[j], t.test.n, t.control.count[j], t.control.n, level));
    t.diff_mean_gross = welch(t.test.mean_gross_per_control, t.test.var_gross, t.test.n,
                              t.control.mean_gross_per_control, t.control.var_gross, t.control.n, level);
  }
  return t;
}

}  // namespace dmde::model
