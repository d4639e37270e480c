#pragma once
// A fitted logistic model on class variables, reduced to what scoring needs: an intercept and,
// per effect, a table of contributions indexed by class codes (main effects: one input; class x
// class interactions: two). The linear predictor of a dossier is intercept + sum of its terms'
// contributions; reason codes are the terms' contributions relative to a reference profile.
#include <Eigen/Core>
#include <string>
#include <vector>

namespace dmde::model {

/// One additive term: contribution = beta[c0 + n_levels[0] * c1] for input codes (c0, c1).
struct ScoreTerm {
  std::string effect;         ///< effect name as in the fit ("nb_enf_19plus", "a*b")
  std::vector<int> inputs;    ///< indices into Scorecard::inputs (1 or 2)
  std::vector<int> n_levels;  ///< number of classes of each input
  Eigen::VectorXd beta;       ///< contributions, size = product of n_levels (reference classes hold 0)
  double reference = 0.0;     ///< contribution of the reference profile (weighted mean over training)

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & effect & inputs & n_levels & beta & reference;
  }
};

/// The additive model. Codes are prepared class codes 0..K-1 (never missing: the preprocessing
/// spec maps missing and unseen values to a class).
struct Scorecard {
  double intercept = 0.0;
  std::vector<std::string> inputs;  ///< prepared variable names, in the column order of `codes`
  std::vector<ScoreTerm> terms;

  /// Checks shapes (inputs in range, beta sizes); throws std::invalid_argument.
  void validate() const;
  /// intercept + sum of reference contributions: the linear predictor of the reference profile.
  double baseline() const;
  /// Linear predictor of each row of `codes` (n x inputs.size()); a code out of range throws
  /// std::out_of_range (the spec must have mapped it).
  Eigen::VectorXd linear_predictor(Eigen::Ref<const Eigen::MatrixXi> codes) const;
  /// Contribution of each term relative to its reference (n x terms.size()); each row sums with
  /// baseline() to the linear predictor.
  Eigen::MatrixXd contributions(Eigen::Ref<const Eigen::MatrixXi> codes) const;
  /// Sets each term's reference to the weighted mean of its contributions over `codes`.
  void set_reference(Eigen::Ref<const Eigen::MatrixXi> codes, Eigen::Ref<const Eigen::VectorXd> w);

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & intercept & inputs & terms;
  }
};

/// Logistic function, safe for large |eta|.
double inv_logit(double eta);

}  // namespace dmde::model
