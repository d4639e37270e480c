#include "model/metrics.hpp"

#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace dmde::model {
namespace {

using Eigen::Index;
using Eigen::VectorXd;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Checks the common arguments and returns the weights to use (ones when `w` is empty).
VectorXd checked_weights(const Eigen::Ref<const VectorXd>& score, const Eigen::Ref<const VectorXd>& y,
                         const Eigen::Ref<const VectorXd>& w) {
  const Index n = score.size();
  if (y.size() != n) throw std::invalid_argument("metrics: score and outcome lengths differ");
  if (w.size() != 0 && w.size() != n) throw std::invalid_argument("metrics: weight and score lengths differ");
  for (Index i = 0; i < n; ++i) {
    if (!std::isfinite(score[i])) throw std::invalid_argument("metrics: scores must be finite");
    if (y[i] != 0.0 && y[i] != 1.0) throw std::invalid_argument("metrics: outcomes must be 0 or 1");
    if (w.size() != 0 && (!std::isfinite(w[i]) || w[i] < 0.0))
      throw std::invalid_argument("metrics: weights must be finite and >= 0");
  }
  return w.size() == 0 ? VectorXd(VectorXd::Ones(n)) : VectorXd(w);
}

// One run of equal scores (in the order of a sort): weighted events and non-events.
struct Run {
  double key, events, nonevents;
};

// Runs of equal keys along `order`.
std::vector<Run> runs(const std::vector<Index>& order, const VectorXd& key, const Eigen::Ref<const VectorXd>& y,
                      const VectorXd& w) {
  std::vector<Run> out;
  for (Index i : order) {
    if (out.empty() || key[i] != out.back().key) out.push_back({key[i], 0.0, 0.0});
    (y[i] == 1.0 ? out.back().events : out.back().nonevents) += w[i];
  }
  return out;
}

}  // namespace

std::vector<Index> order_decreasing(Eigen::Ref<const VectorXd> score) {
  std::vector<Index> order(static_cast<size_t>(score.size()));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return score[a] > score[b]; });
  return order;
}

Association association(Eigen::Ref<const VectorXd> score, Eigen::Ref<const VectorXd> y,
                        Eigen::Ref<const VectorXd> w, const AssociationOptions& opt) {
  if (!(opt.bin_width >= 0.0) || !std::isfinite(opt.bin_width))
    throw std::invalid_argument("association: bin width must be finite and >= 0");
  const VectorXd wt = checked_weights(score, y, w);
  VectorXd key = score;
  if (opt.bin_width > 0.0) key = (score.array() / opt.bin_width).floor().matrix();
  // Walking runs of equal keys by increasing score, each event is concordant with every lower
  // non-event and discordant with every lower event's opposite: O(n log n) for the sort.
  const std::vector<Run> rs = runs(order_decreasing(key), key, y, wt);
  Association a;
  double events_above = 0, nonevents_above = 0;
  for (const Run& r : rs) {  // decreasing keys: "above" = higher score
    a.concordant += r.nonevents * events_above;
    a.discordant += r.events * nonevents_above;
    a.tied += r.events * r.nonevents;
    events_above += r.events;
    nonevents_above += r.nonevents;
  }
  a.events = events_above;
  a.n = events_above + nonevents_above;
  a.pairs = events_above * nonevents_above;
  if (!(a.pairs > 0.0)) throw std::invalid_argument("association: needs at least one event and one non-event");
  a.percent_concordant = 100.0 * a.concordant / a.pairs;
  a.percent_discordant = 100.0 * a.discordant / a.pairs;
  a.percent_tied = 100.0 * a.tied / a.pairs;
  a.somers_d = (a.concordant - a.discordant) / a.pairs;
  a.gamma = (a.concordant + a.discordant) > 0 ? (a.concordant - a.discordant) / (a.concordant + a.discordant) : kNaN;
  a.tau_a = (a.concordant - a.discordant) / (0.5 * a.n * (a.n - 1.0));
  a.c = (a.concordant + 0.5 * a.tied) / a.pairs;
  return a;
}

RocCurve roc_curve(Eigen::Ref<const VectorXd> score, Eigen::Ref<const VectorXd> y, Eigen::Ref<const VectorXd> w) {
  const VectorXd wt = checked_weights(score, y, w);
  const VectorXd key = score;
  const std::vector<Run> rs = runs(order_decreasing(key), key, y, wt);
  double e = 0, ne = 0;
  for (const Run& r : rs) e += r.events, ne += r.nonevents;
  if (!(e > 0.0) || !(ne > 0.0)) throw std::invalid_argument("roc_curve: needs events and non-events");
  const auto m = static_cast<Index>(rs.size()) + 1;
  RocCurve c;
  c.threshold.resize(m), c.fpr.resize(m), c.tpr.resize(m);
  c.threshold[0] = std::numeric_limits<double>::infinity();
  c.fpr[0] = c.tpr[0] = 0.0;
  double tp = 0, fp = 0;
  for (Index i = 1; i < m; ++i) {
    const Run& r = rs[static_cast<size_t>(i - 1)];
    tp += r.events, fp += r.nonevents;
    c.threshold[i] = r.key;
    c.tpr[i] = tp / e;
    c.fpr[i] = fp / ne;
    c.auc += (c.fpr[i] - c.fpr[i - 1]) * 0.5 * (c.tpr[i] + c.tpr[i - 1]);
  }
  return c;
}

GainsCurve gains_curve(Eigen::Ref<const VectorXd> score, Eigen::Ref<const VectorXd> y, Eigen::Ref<const VectorXd> w) {
  const VectorXd wt = checked_weights(score, y, w);
  const VectorXd key = score;
  const std::vector<Run> rs = runs(order_decreasing(key), key, y, wt);
  double e = 0, total = 0;
  for (const Run& r : rs) e += r.events, total += r.events + r.nonevents;
  if (!(e > 0.0) || !(total - e > 0.0)) throw std::invalid_argument("gains_curve: needs events and non-events");
  const auto m = static_cast<Index>(rs.size()) + 1;
  GainsCurve g;
  g.share_targeted.resize(m), g.share_captured.resize(m), g.lift.resize(m);
  g.share_targeted[0] = g.share_captured[0] = 0.0;
  g.lift[0] = kNaN;
  double cum_w = 0, cum_e = 0;
  for (Index i = 1; i < m; ++i) {
    const Run& r = rs[static_cast<size_t>(i - 1)];
    cum_w += r.events + r.nonevents, cum_e += r.events;
    g.share_targeted[i] = cum_w / total;
    g.share_captured[i] = cum_e / e;
    g.lift[i] = g.share_targeted[i] > 0 ? g.share_captured[i] / g.share_targeted[i] : kNaN;
    g.area += (g.share_targeted[i] - g.share_targeted[i - 1]) * 0.5 * (g.share_captured[i] + g.share_captured[i - 1]);
  }
  g.base_rate = e / total;
  g.area_normalized = (g.area - 0.5) / (0.5 - 0.5 * g.base_rate);
  return g;
}

HosmerLemeshow hosmer_lemeshow(Eigen::Ref<const VectorXd> prob, Eigen::Ref<const VectorXd> y,
                               Eigen::Ref<const VectorXd> w, int groups) {
  if (groups < 3) throw std::invalid_argument("hosmer_lemeshow: needs at least 3 groups");
  const VectorXd wt = checked_weights(prob, y, w);
  const Index n = prob.size();
  if (n < 2) throw std::invalid_argument("hosmer_lemeshow: needs at least 2 observations");
  for (Index i = 0; i < n; ++i)
    if (!(prob[i] > 0.0 && prob[i] < 1.0)) throw std::invalid_argument("hosmer_lemeshow: probabilities must be in (0,1)");
  std::vector<double> sorted(prob.data(), prob.data() + n);
  std::sort(sorted.begin(), sorted.end());
  // R quantile type 7, then unique breaks (R's cut would refuse duplicates).
  std::vector<double> breaks;
  for (int j = 0; j <= groups; ++j) {
    const double h = static_cast<double>(n - 1) * j / groups;
    const auto lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double q = sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
    if (breaks.empty() || q > breaks.back()) breaks.push_back(q);
  }
  const size_t ng = breaks.size() > 1 ? breaks.size() - 1 : 1;
  HosmerLemeshow hl;
  hl.group_n.assign(ng, 0.0), hl.observed_events.assign(ng, 0.0), hl.expected_events.assign(ng, 0.0);
  for (Index i = 0; i < n; ++i) {
    // Interval (b[g], b[g+1]], the first one closed on the left too.
    size_t g = static_cast<size_t>(std::lower_bound(breaks.begin() + 1, breaks.end(), prob[i]) - breaks.begin()) - 1;
    g = std::min(g, ng - 1);
    hl.group_n[g] += wt[i];
    hl.observed_events[g] += wt[i] * y[i];
    hl.expected_events[g] += wt[i] * prob[i];
  }
  int used = 0;
  for (size_t g = 0; g < ng; ++g) {
    if (!(hl.group_n[g] > 0.0)) continue;
    ++used;
    const double o1 = hl.observed_events[g], e1 = hl.expected_events[g];
    const double o0 = hl.group_n[g] - o1, e0 = hl.group_n[g] - e1;
    hl.chi_square += (o1 - e1) * (o1 - e1) / e1 + (o0 - e0) * (o0 - e0) / e0;
  }
  hl.df = used - 2;
  hl.p_value = hl.df >= 1 ? boost::math::gamma_q(0.5 * hl.df, 0.5 * hl.chi_square) : kNaN;
  return hl;
}

TopKTable top_k_table(Eigen::Ref<const VectorXd> score, double k, Eigen::Ref<const Eigen::MatrixXd> flags,
                      Eigen::Ref<const Eigen::MatrixXd> amounts, Eigen::Ref<const VectorXd> w) {
  const Index n = score.size();
  if (!(k > 0.0 && k <= 1.0)) throw std::invalid_argument("top_k_table: k must be in (0, 1]");
  if ((flags.cols() > 0 && flags.rows() != n) || (amounts.cols() > 0 && amounts.rows() != n))
    throw std::invalid_argument("top_k_table: flag/amount rows differ from the number of scores");
  const VectorXd wt = checked_weights(score, VectorXd::Zero(n), w);
  const double total = wt.sum();
  if (!(total > 0.0)) throw std::invalid_argument("top_k_table: total weight is zero");
  std::vector<char> top(static_cast<size_t>(n), 0);
  TopKTable t;
  t.k = k;
  double before = 0;
  for (Index i : order_decreasing(score)) {
    if (before >= k * total) break;
    top[static_cast<size_t>(i)] = 1;
    before += wt[i];
  }
  t.selected_n = before;
  t.selected_share = before / total;
  // Weighted mean of each column over the selection and over everything, NaN entries left out.
  auto means = [&](const Eigen::Ref<const Eigen::MatrixXd>& x, VectorXd& m_top, VectorXd& m_all, VectorXd* capture) {
    m_top.resize(x.cols()), m_all.resize(x.cols());
    if (capture) capture->resize(x.cols());
    for (Index j = 0; j < x.cols(); ++j) {
      double s_top = 0, w_top = 0, s_all = 0, w_all = 0;
      for (Index i = 0; i < n; ++i) {
        if (std::isnan(x(i, j))) continue;
        s_all += wt[i] * x(i, j), w_all += wt[i];
        if (top[static_cast<size_t>(i)]) s_top += wt[i] * x(i, j), w_top += wt[i];
      }
      m_top[j] = w_top > 0 ? s_top / w_top : kNaN;
      m_all[j] = w_all > 0 ? s_all / w_all : kNaN;
      if (capture) (*capture)[j] = s_all > 0 ? s_top / s_all : kNaN;
    }
  };
  means(flags, t.flag_share_top, t.flag_share_all, &t.flag_capture);
  means(amounts, t.mean_top, t.mean_all, nullptr);
  return t;
}

}  // namespace dmde::model
