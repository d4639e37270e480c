#include "worker/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/atomic.hpp"
#include "core/h5.hpp"
#include "core/serialize.hpp"
#include "model/metrics.hpp"
#include "worker/bootstrap.hpp"
#include "worker/work_queue.hpp"

namespace dmde::worker {
namespace {

std::string pack_doubles(const std::vector<double>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}
std::vector<double> unpack_doubles(const std::string& s) {
  std::vector<double> v(s.size() / sizeof(double));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(double));
  return v;
}

double percentile(std::vector<double> v, double q) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

const std::vector<std::string>& Metrics::names() {
  static const std::vector<std::string> n = {"auc",       "area_under_lift", "pct_concordant", "top_target",
                                             "top_fraud", "top_fi",          "top_overpayment", "top_mean_fi"};
  return n;
}
std::vector<double> Metrics::values() const {
  return {auc, area_under_lift, pct_concordant, top_target, top_fraud, top_fi, top_overpayment, top_mean_fi};
}
Metrics Metrics::from_values(const std::vector<double>& v) {
  return {v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
}

Metrics compute_metrics(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                        Eigen::Ref<const Eigen::VectorXd> w, Eigen::Ref<const Eigen::MatrixXd> extra,
                        double top_share) {
  Metrics m;
  const auto as = model::association(score, y, w);  // exact (no SAS probability binning)
  m.auc = as.c;
  m.pct_concordant = as.percent_concordant;
  m.area_under_lift = model::gains_curve(score, y, w).area_normalized;
  // Top table: flags target, fraud, with financial impact, with overpayment; amount financial impact.
  const Eigen::Index n = score.size();
  Eigen::MatrixXd flags(n, 4), amounts(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double nan = std::nan("");
    flags(i, 0) = y[i];
    flags(i, 1) = std::isnan(extra(i, 0)) ? nan : double(extra(i, 0) > 0);
    flags(i, 2) = std::isnan(extra(i, 1)) ? nan : double(extra(i, 1) != 0);
    flags(i, 3) = std::isnan(extra(i, 2)) ? nan : double(extra(i, 2) > 0);
    amounts(i, 0) = extra(i, 1);
  }
  const auto top = model::top_k_table(score, top_share, flags, amounts, w);
  m.top_target = top.flag_share_top[0];
  m.top_fraud = top.flag_share_top[1];
  m.top_fi = top.flag_share_top[2];
  m.top_overpayment = top.flag_share_top[3];
  m.top_mean_fi = top.mean_top[0];
  return m;
}

std::vector<int> fold_assignment(Eigen::Ref<const Eigen::VectorXd> y, int k, std::uint64_t seed, int rep) {
  const Eigen::Index n = y.size();
  std::vector<int> fold(static_cast<std::size_t>(n), 0);
  for (int cls = 0; cls < 2; ++cls) {
    std::vector<std::pair<std::uint64_t, Eigen::Index>> keyed;
    for (Eigen::Index i = 0; i < n; ++i)
      if ((y[i] > 0.5) == (cls == 1))
        keyed.emplace_back(philox_below(seed, static_cast<std::uint64_t>(rep), Stream::Folds, static_cast<std::uint64_t>(i),
                                        ~std::uint64_t{0}),
                           i);
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t r = 0; r < keyed.size(); ++r) fold[static_cast<std::size_t>(keyed[r].second)] = static_cast<int>(r % k);
  }
  return fold;
}

double cv_auc(const ClassData& d, const std::vector<int>& effects, const std::vector<int>& fold, int k,
              const StepwiseOptions& fit_opt) {
  Eigen::VectorXd pred(d.rows());
  for (int f = 0; f < k; ++f) {
    Eigen::VectorXd w = d.w;
    for (Eigen::Index i = 0; i < d.rows(); ++i)
      if (fold[static_cast<std::size_t>(i)] == f) w[i] = 0;
    const auto fit = fit_effects(d, effects, w, fit_opt);
    const Eigen::VectorXd eta = linear_predictor(d, fit);
    for (Eigen::Index i = 0; i < d.rows(); ++i)
      if (fold[static_cast<std::size_t>(i)] == f) pred[i] = eta[i];
  }
  return weighted_auc(pred, d.y, d.w);
}

ValidationReport validate_model(const Comm& comm, const ClassData& d, const std::vector<int>& effects,
                                const ValidationOptions& opt, const StepwiseOptions& fit_opt) {
  const int K = opt.folds, R = opt.repeats, B = opt.optimism_b;
  std::vector<std::vector<int>> folds;
  for (int r = 0; r < R; ++r) folds.push_back(fold_assignment(d.y, K, opt.seed, r));
  // Tasks: [0, R*K) one fold fit each (result: out-of-fold predictions); then B optimism samples.
  std::vector<std::int64_t> tasks(static_cast<std::size_t>(R * K + B));
  std::iota(tasks.begin(), tasks.end(), 0);
  auto compute = [&](std::int64_t t) {
    if (t < R * K) {
      const auto& fold = folds[static_cast<std::size_t>(t / K)];
      const int f = static_cast<int>(t % K);
      Eigen::VectorXd w = d.w;
      for (Eigen::Index i = 0; i < d.rows(); ++i)
        if (fold[static_cast<std::size_t>(i)] == f) w[i] = 0;
      const Eigen::VectorXd eta = linear_predictor(d, fit_effects(d, effects, w, fit_opt));
      std::vector<double> out;
      for (Eigen::Index i = 0; i < d.rows(); ++i)
        if (fold[static_cast<std::size_t>(i)] == f) out.push_back(eta[i]);
      return pack_doubles(out);
    }
    const Eigen::VectorXd counts = replicate_counts(opt.seed, t - R * K, d.y, true, Stream::Optimism);
    const Eigen::VectorXd wb = (counts.array() * d.w.array()).matrix();
    const Eigen::VectorXd eta = linear_predictor(d, fit_effects(d, effects, wb, fit_opt));
    return pack_doubles({weighted_auc(eta, d.y, wb), weighted_auc(eta, d.y, d.w)});
  };
  std::vector<Eigen::VectorXd> pooled(static_cast<std::size_t>(R), Eigen::VectorXd(d.rows()));
  std::vector<double> opt_diff(static_cast<std::size_t>(B), 0);
  Progress progress("validation fits", static_cast<std::int64_t>(tasks.size()), 0, comm.is_root() && opt.progress);
  auto commit = [&](std::int64_t t, const std::string& bytes) {
    const auto v = unpack_doubles(bytes);
    if (t < R * K) {
      const auto& fold = folds[static_cast<std::size_t>(t / K)];
      std::size_t k = 0;
      for (Eigen::Index i = 0; i < d.rows(); ++i)
        if (fold[static_cast<std::size_t>(i)] == t % K) pooled[static_cast<std::size_t>(t / K)][i] = v[k++];
    } else {
      opt_diff[static_cast<std::size_t>(t - R * K)] = v[0] - v[1];
    }
    progress.tick();
  };
  run_work_queue(comm, tasks, compute, commit, {opt.prefetch, -1});
  progress.finish();
  ValidationReport rep;
  std::string bytes;
  if (comm.is_root()) {
    std::vector<double> sum(Metrics::names().size(), 0);
    for (const auto& p : pooled) {
      rep.per_repeat.push_back(compute_metrics(p, d.y, d.w, d.extra, opt.top_share));
      const auto v = rep.per_repeat.back().values();
      for (std::size_t k = 0; k < v.size(); ++k) sum[k] += v[k] / R;
    }
    rep.mean = Metrics::from_values(sum);
    // Row bootstrap of repeat 0's pooled predictions: sampling uncertainty of the figures.
    std::vector<std::vector<double>> draws(Metrics::names().size());
    for (int b = 0; b < opt.ci_b; ++b) {
      const Eigen::VectorXd c = replicate_counts(opt.seed, b, d.y, true, Stream::MetricsCI);
      const auto v = compute_metrics(pooled[0], d.y, (c.array() * d.w.array()).matrix(), d.extra, opt.top_share).values();
      for (std::size_t k = 0; k < v.size(); ++k) draws[k].push_back(v[k]);
    }
    std::vector<double> lo, hi;
    for (const auto& dv : draws) {
      lo.push_back(percentile(dv, 0.025));
      hi.push_back(percentile(dv, 0.975));
    }
    rep.lo = Metrics::from_values(lo);
    rep.hi = Metrics::from_values(hi);
    rep.apparent_auc = weighted_auc(linear_predictor(d, fit_effects(d, effects, d.w, fit_opt)), d.y, d.w);
    rep.optimism_b = B;
    rep.optimism = B ? std::accumulate(opt_diff.begin(), opt_diff.end(), 0.0) / B : 0.0;
    rep.corrected_auc = rep.apparent_auc - rep.optimism;
    std::vector<double> flat;
    for (const auto& m : rep.per_repeat) for (double x : m.values()) flat.push_back(x);
    for (const auto* m : {&rep.mean, &rep.lo, &rep.hi}) for (double x : m->values()) flat.push_back(x);
    flat.push_back(rep.apparent_auc);
    flat.push_back(rep.optimism);
    flat.push_back(rep.corrected_auc);
    bytes = pack_doubles(flat);
  }
  comm.bcast(bytes);
  if (!comm.is_root()) {
    const auto flat = unpack_doubles(bytes);
    const std::size_t M = Metrics::names().size();
    auto at = [&](std::size_t k) { return Metrics::from_values(std::vector<double>(flat.begin() + static_cast<long>(k * M), flat.begin() + static_cast<long>((k + 1) * M))); };
    for (int r = 0; r < R; ++r) rep.per_repeat.push_back(at(static_cast<std::size_t>(r)));
    rep.mean = at(static_cast<std::size_t>(R));
    rep.lo = at(static_cast<std::size_t>(R) + 1);
    rep.hi = at(static_cast<std::size_t>(R) + 2);
    rep.apparent_auc = flat[flat.size() - 3];
    rep.optimism = flat[flat.size() - 2];
    rep.corrected_auc = flat.back();
    rep.optimism_b = B;
  }
  return rep;
}

void write_validation(const std::string& path, const ValidationReport& r, const ValidationOptions& opt,
                      const std::vector<std::string>& effects) {
  AtomicPath out(path);
  {
    auto f = h5::File::create(out.temp());
    f.set_attr("dmde_format", std::string("dmde-validation"));
    f.set_attr("validated", std::string("final model effect set, refitted per fold/sample (selection not repeated)"));
    f.set_attr("folds", static_cast<std::int64_t>(opt.folds));
    f.set_attr("repeats", static_cast<std::int64_t>(opt.repeats));
    f.set_attr("top_share", opt.top_share);
    f.set_attr("apparent_auc", r.apparent_auc);
    f.set_attr("optimism", r.optimism);
    f.set_attr("optimism_b", static_cast<std::int64_t>(r.optimism_b));
    f.set_attr("corrected_auc", r.corrected_auc);
    f.write_strings("effects", effects);
    f.write_strings("metrics", Metrics::names());
    for (const auto& [name, m] : {std::pair{"mean", &r.mean}, {"ci_low", &r.lo}, {"ci_high", &r.hi}}) {
      const auto v = m->values();
      f.create_dataset<double>(name, v.size()).write(v.data(), 0, v.size());
    }
    std::vector<double> per;
    for (const auto& m : r.per_repeat) for (double x : m.values()) per.push_back(x);
    if (!per.empty())
      f.create_dataset<double>("per_repeat", r.per_repeat.size(), Metrics::names().size()).write(per.data(), 0, r.per_repeat.size());
  }
  out.commit();
}

}  // namespace dmde::worker
