#pragma once
// Bootstrap selection (technical note section 6): replicate r resamples the learning table with
// a Philox4x32-10 stream keyed by (seed, r) — never by rank — runs the stepwise on the
// resample (integer multiplicities x survey weights, no data copy), and scores the out-of-bag
// rows. Results are therefore bit-identical whichever rank computes a replicate.
#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "worker/bootstrap_model.hpp"

namespace dmde::worker {

/// Independent random streams derived from one seed (the third counter word).
enum class Stream : std::uint32_t { Resample = 0, Folds = 1, MetricsCI = 2, Optimism = 3 };

/// Uniform integer in [0, m) from draw `i` of stream (seed, r, s): Philox counter {i_lo, i_hi, r, s}.
std::uint64_t philox_below(std::uint64_t seed, std::uint64_t r, Stream s, std::uint64_t i, std::uint64_t m);

/// Row multiplicities of replicate r: n draws with replacement, or, when `stratify`, n_k draws
/// within each target class k (so every replicate keeps the target rate).
Eigen::VectorXd replicate_counts(std::uint64_t seed, std::int64_t r, Eigen::Ref<const Eigen::VectorXd> y,
                                 bool stratify, Stream stream = Stream::Resample);

/// What one replicate produces (travels between ranks and into the checkpoint).
struct ReplicateResult {
  std::int64_t replicate = -1;
  std::vector<int> selected;  ///< candidate indices, ascending
  std::vector<double> coef;   ///< intercept then the dummies of each selected effect, in order
  double oob_auc = 0;         ///< weighted ROC AUC on rows not drawn (NaN if one class is absent)
  int steps = 0;
  bool converged = false;

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & replicate & selected & coef & oob_auc & steps & converged;
  }
  bool operator==(const ReplicateResult&) const = default;
};

/// Runs replicate r: counts, stepwise on w = counts x d.w, OOB AUC under d.w.
ReplicateResult run_replicate(const ClassData& d, std::uint64_t seed, std::int64_t r, bool stratify,
                              const StepwiseOptions& opt);

/// Per-variable summary over replicates.
struct SelectionSummary {
  std::vector<int> count;             ///< replicates selecting each candidate
  std::vector<double> frequency;      ///< count / replicates
  /// Sign stability: over the replicates selecting the variable, the mean over its dummies of
  /// max(share positive, share negative); 1 = the effect never changes sign.
  std::vector<double> sign_stability;
  std::vector<int> kept;              ///< candidates with frequency >= threshold, ascending
  double mean_oob_auc = 0;            ///< over replicates with a finite OOB AUC
};

/// Summarizes results (any order; they are taken in replicate order) with keep `threshold`.
SelectionSummary summarize(const ClassData& d, const std::vector<ReplicateResult>& results, double threshold);

}  // namespace dmde::worker
