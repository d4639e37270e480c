#include "worker/bootstrap.hpp"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>

namespace dmde::worker {

std::uint64_t philox_below(std::uint64_t seed, std::uint64_t r, Stream s, std::uint64_t i, std::uint64_t m) {
  using P = r123::Philox4x32;
  P rng;
  P::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  P::ctr_type ctr = {{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i >> 32),
                      static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(s)}};
  const auto out = rng(ctr, key);
  const std::uint64_t u = (static_cast<std::uint64_t>(out[0]) << 32) | out[1];
  // 64-bit multiply-high: bias below 2^-40 for m < 2^24, deterministic and branch-free.
  __extension__ using u128 = unsigned __int128;
  return static_cast<std::uint64_t>((static_cast<u128>(u) * m) >> 64);
}

Eigen::VectorXd replicate_counts(std::uint64_t seed, std::int64_t r, Eigen::Ref<const Eigen::VectorXd> y,
                                 bool stratify, Stream stream) {
  const Eigen::Index n = y.size();
  Eigen::VectorXd counts = Eigen::VectorXd::Zero(n);
  const auto rr = static_cast<std::uint64_t>(r);
  if (!stratify) {
    for (Eigen::Index i = 0; i < n; ++i)
      counts[static_cast<Eigen::Index>(philox_below(seed, rr, stream, static_cast<std::uint64_t>(i),
                                                    static_cast<std::uint64_t>(n)))] += 1;
    return counts;
  }
  std::vector<Eigen::Index> strata[2];
  for (Eigen::Index i = 0; i < n; ++i) strata[y[i] > 0.5 ? 1 : 0].push_back(i);
  std::uint64_t draw = 0;  // one counter sequence across strata
  for (const auto& s : strata)
    for (std::size_t k = 0; k < s.size(); ++k)
      counts[s[philox_below(seed, rr, stream, draw++, s.size())]] += 1;
  return counts;
}

ReplicateResult run_replicate(const ClassData& d, std::uint64_t seed, std::int64_t r, bool stratify,
                              const StepwiseOptions& opt) {
  const Eigen::VectorXd counts = replicate_counts(seed, r, d.y, stratify);
  const Eigen::VectorXd w = (counts.array() * d.w.array()).matrix();
  const ClassFit fit = stepwise_select(d, w, opt);
  ReplicateResult res;
  res.replicate = r;
  res.selected = fit.effects;
  res.coef.assign(fit.beta.data(), fit.beta.data() + fit.beta.size());
  res.steps = fit.steps;
  res.converged = fit.converged;
  const Eigen::VectorXd oob_w = (counts.array() == 0).select(d.w, 0.0);
  res.oob_auc = weighted_auc(linear_predictor(d, fit), d.y, oob_w);
  return res;
}

SelectionSummary summarize(const ClassData& d, const std::vector<ReplicateResult>& results, double threshold) {
  const int p = d.vars();
  SelectionSummary s;
  s.count.assign(static_cast<std::size_t>(p), 0);
  s.frequency.assign(static_cast<std::size_t>(p), 0);
  s.sign_stability.assign(static_cast<std::size_t>(p), std::nan(""));
  std::vector<const ReplicateResult*> ordered;
  for (const auto& r : results) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->replicate < b->replicate; });
  // Per dummy column of the candidate space: replicates where selected with a positive estimate.
  Eigen::VectorXd pos = Eigen::VectorXd::Zero(d.block.back());
  double auc_sum = 0;
  int auc_n = 0;
  for (const auto* r : ordered) {
    Eigen::Index c = 1;
    for (int e : r->selected) {
      ++s.count[static_cast<std::size_t>(e)];
      for (Eigen::Index k = d.block[e]; k < d.block[e + 1]; ++k, ++c)
        if (r->coef[static_cast<std::size_t>(c)] > 0) pos[k] += 1;
    }
    if (std::isfinite(r->oob_auc)) auc_sum += r->oob_auc, ++auc_n;
  }
  const double R = static_cast<double>(ordered.size());
  for (int j = 0; j < p; ++j) {
    const auto J = static_cast<std::size_t>(j);
    s.frequency[J] = R > 0 ? s.count[J] / R : 0;
    if (s.frequency[J] >= threshold && s.count[J] > 0) s.kept.push_back(j);
    const Eigen::Index k = d.block[j + 1] - d.block[j];
    if (s.count[J] == 0 || k == 0) continue;
    double st = 0;
    for (Eigen::Index a = d.block[j]; a < d.block[j + 1]; ++a) {
      const double sh = pos[a] / s.count[J];
      st += std::max(sh, 1 - sh);
    }
    s.sign_stability[J] = st / static_cast<double>(k);
  }
  s.mean_oob_auc = auc_n ? auc_sum / auc_n : std::nan("");
  return s;
}

}  // namespace dmde::worker
