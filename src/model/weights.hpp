#pragma once
// Survey weights, as SAS PROC LOGISTIC treats them. Raw survey weights used as frequency weights
// inflate every test statistic by mean(w) (domain note: 78% of noise variables "significant"), so
// tests use weights normalized to sum to n (SAS WEIGHT ... / NORMALIZE) unless told otherwise.
#include <Eigen/Core>
#include <string>

namespace dmde::model {

/// How observation weights enter likelihoods and test statistics.
enum class WeightMode {
  Normalized,  ///< w * n / sum(w): sums to n (SAS WEIGHT / NORMALIZE); the default for tests.
  Frequency,   ///< raw weights as frequency counts (SAS FREQ-like): chi-squares scale with sum(w).
  None,        ///< every observation weighs 1.
};

/// "normalized", "frequency" or "none" (for output tables).
std::string to_string(WeightMode m);
/// Parses the names above; throws std::invalid_argument otherwise.
WeightMode weight_mode_from_string(const std::string& s);

/// The weights actually used: `w` transformed by `mode`. Negative or non-finite weights throw
/// std::invalid_argument; an empty `w` means all ones.
Eigen::VectorXd effective_weights(Eigen::Ref<const Eigen::VectorXd> w, Eigen::Index n, WeightMode mode);

}  // namespace dmde::model
