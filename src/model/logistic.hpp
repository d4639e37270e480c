#pragma once
// Weighted binary logistic regression by Newton-Raphson (= IRLS for the canonical link), with
// SAS PROC LOGISTIC's conventions: convergence on the relative gradient (GCONV=1e-8), step
// halving when the likelihood does not improve, quasi-complete / complete separation detected
// and reported, linearly dependent (aliased) columns reported and fixed at 0 like SAS does.
//
// Weights are taken as given: pass model::effective_weights(w, n, mode) so the choice between
// normalized and frequency weights is explicit at the call site.
#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

namespace dmde::model {

/// Outcome of a fit.
enum class FitStatus {
  Converged,                ///< relative gradient criterion met
  NotConverged,             ///< iteration limit reached (estimates are the last iterate)
  QuasiCompleteSeparation,  ///< some observations fitted with probability 0/1: MLE may not exist
  CompleteSeparation,       ///< every observation fitted exactly: the MLE does not exist
};
/// SAS-like wording for output ("Convergence criterion (GCONV=1E-8) satisfied.", ...).
std::string to_string(FitStatus s);

/// Controls of fit_logistic.
struct LogisticOptions {
  /// Starting estimates (size p; aliased entries ignored); empty = the intercept-only MLE. Stepwise
  /// refits start from the previous model's estimates: fewer Newton iterations, same optimum.
  Eigen::VectorXd start;
  int max_iter = 25;      ///< SAS MAXITER
  double gconv = 1e-8;    ///< SAS GCONV: g' I^-1 g / (|log L| + 1e-6)
  int max_halvings = 10;  ///< step halvings per iteration before giving up the step
  double singular_tol =
      1e-10;                   ///< column j is aliased when its residual in the weighted design is below tol * its norm
  double separation_eta = 15;  ///< non-converged fit: |x'b| beyond this on a correctly classified row flags separation
  /// Dense designs: a Newton step whose previous criterion exceeds this forms X'VX in single
  /// precision (an approximate Newton step: same optimum, estimates equal to a pure double fit
  /// to ~1e-11). The final derivatives (convergence check, covariance) are always double.
  /// 0 = double throughout.
  double coarse_crit = 1e-9;
  /// Threads forming dense X'VX (column panels; bit-identical for any count). Replicates run one
  /// fit per rank and keep 1; a single `dmde fit` uses the cores of its node.
  int threads = 1;

  /// Boost serialization; Eigen members need core/serialize.hpp included first (template body).
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & start & max_iter & gconv & max_halvings & singular_tol & separation_eta & coarse_crit & threads;
  }
};

/// Fitted logistic model.
struct LogisticFit {
  Eigen::VectorXd beta;               ///< p; aliased columns hold 0
  Eigen::MatrixXd cov;                ///< p x p inverse information; aliased rows/columns hold 0
  std::vector<Eigen::Index> aliased;  ///< columns linearly dependent on earlier ones
  Eigen::VectorXd mu;                 ///< fitted probabilities, n
  double neg2ll = 0;                  ///< -2 log L of the model
  double neg2ll_null = 0;             ///< -2 log L of the intercept-only model (NaN without an intercept)
  double aic = 0, sc = 0;             ///< -2logL + 2k, -2logL + k log(sum w); k = non-aliased parameters
  double aic_null = 0, sc_null = 0;
  double sum_w = 0;  ///< sum of weights (the n of SC)
  int iterations = 0;
  FitStatus status = FitStatus::NotConverged;
  bool has_intercept = false;  ///< column 0 is all ones

  bool converged() const { return status == FitStatus::Converged; }
  /// Number of estimated (non-aliased) parameters.
  Eigen::Index rank() const { return beta.size() - static_cast<Eigen::Index>(aliased.size()); }

  /// Boost serialization; Eigen members need core/serialize.hpp included first (template body).
  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & beta & cov & aliased & mu & neg2ll & neg2ll_null & aic & sc & aic_null & sc_null & sum_w & iterations &
        status & has_intercept;
  }
};

/// Fits P(y=1) = 1/(1+exp(-X b)) maximising sum w_i log L_i. `y` in [0,1] (0/1 responses),
/// `w` >= 0 of size n (empty = all ones). Throws std::invalid_argument on size mismatch,
/// y outside [0,1], negative or non-finite weights. Non-convergence is reported in `status`.
LogisticFit fit_logistic(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w, const LogisticOptions& opt = {});

/// Computes X' diag(v) X (p x p, all of X's columns) for fit_logistic when the design has a
/// structure that makes it cheaper than a dense rank update (class codes: see hypothesis.hpp).
using CrossProduct = std::function<Eigen::MatrixXd(const Eigen::VectorXd& v)>;
/// fit_logistic with the information X'VX from `xvx` (same results up to the order of sums), and
/// optionally X'WX (the rank check and first Hessian) already computed: stepwise refits of one
/// replicate share the weights, so their X'WX are sub-blocks of one matrix.
LogisticFit fit_logistic(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w, const LogisticOptions& opt, const CrossProduct& xvx,
                         const Eigen::MatrixXd* xwx = nullptr);

/// Columns of X (in order) that are linear combinations of earlier columns under weights w.
std::vector<Eigen::Index> aliased_columns(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> w,
                                          double tol = 1e-10);

/// X' diag(v) X (lower and upper filled), computed as a symmetric rank update of sqrt(v) X: no n x n matrix.
Eigen::MatrixXd weighted_crossprod(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> v);

}  // namespace dmde::model
