#pragma once
// Chi-square tests of PROC LOGISTIC: Wald (per parameter, per effect with multi-df class
// blocks), likelihood ratio, and the score test of adding effects to a fitted model — the
// stepwise entry test. The score kernel tests every candidate block at once with matrix-matrix
// products, so one stepwise step over 300 candidates costs about one GEMM, not 300 refits.
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "model/logistic.hpp"

namespace dmde::model {

/// A chi-square statistic with its degrees of freedom and upper-tail p-value.
struct ChiSqTest {
  double chisq = 0;
  int df = 0;
  double p_value = 1;

  template <class Ar>
  void serialize(Ar& ar, unsigned /*version*/) {
    ar & chisq & df & p_value;
  }
};

/// P(Chi2(df) > x) via Boost.Math's complement (accurate for tiny p); df = 0 gives 1.
double chisq_pvalue(double x, int df);

/// Wald test of beta[cols] = 0 using fit.cov; aliased columns are left out (they lower df).
ChiSqTest wald_test(const LogisticFit& fit, const std::vector<Eigen::Index>& cols);
/// Wald chi-square of each parameter (df 1; aliased: df 0, p 1).
std::vector<ChiSqTest> wald_parameters(const LogisticFit& fit);
/// Likelihood-ratio test: -2logL(reduced) - -2logL(full) on df.
ChiSqTest lr_test(double neg2ll_reduced, double neg2ll_full, int df);

/// Score tests for adding blocks of candidate columns to a fitted model, all blocks at once.
///
/// The model: design X (n x p), fitted probabilities `mu`, inverse information `cov` (p x p, a
/// generalized inverse: LogisticFit::cov with zeros for aliased columns works), weights `w`
/// (the effective weights of the fit: bootstrap = integer frequencies x survey weights; rows
/// with weight 0 simply drop out, so a replicate needs no copy of the data). Candidates: Z
/// (n x q) with blocks [block[b], block[b+1]) (size B+1, increasing, block.back() <= q).
/// Only blocks with `active[b]` true are computed (empty = all); others get chisq 0, df 0, p 1.
///
/// For block b with U = Z_b' w (y - mu) and the efficient information
/// I = Z_b' V Z_b - Z_b' V X cov X' V Z_b (V = w mu (1-mu)), the statistic is U' I^+ U with df
/// the rank of I (a candidate collinear with the model gets df 0). Cost: one n x p x q GEMM plus
/// O(n q) for single-column blocks.
std::vector<ChiSqTest> score_tests(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::MatrixXd> cov,
                                   Eigen::Ref<const Eigen::VectorXd> mu, Eigen::Ref<const Eigen::VectorXd> y,
                                   Eigen::Ref<const Eigen::VectorXd> w, Eigen::Ref<const Eigen::MatrixXd> Z,
                                   const std::vector<Eigen::Index>& block, const std::vector<bool>& active = {});

/// A design whose every block is the reference-coded 0/1 dummies of one class variable (the
/// intercept, a column of ones, is a block too), kept as one small code per row and block.
struct ClassCodes {
  Eigen::Index rows = 0;
  std::vector<Eigen::Index> block;  ///< the design's block boundaries
  std::vector<int> levels;          ///< codes of block e run over 0..levels[e]-1 (0: all its columns 0)
  std::vector<std::uint8_t> code;   ///< rows x blocks, column-major (block e at e * rows): code l > 0 = a 1 in column l-1

  Eigen::Index effects() const { return static_cast<Eigen::Index>(levels.size()); }
  /// Codes of X's blocks; effects() == 0 when a block is not 0/1 with at most one 1 per row (or > 254 columns).
  static ClassCodes from_dummies(Eigen::Ref<const Eigen::MatrixXd> X, const std::vector<Eigen::Index>& block);
};

/// score_tests when the model design is the blocks `model` (increasing) of Z and every block is a
/// class: X'VZ is a weighted cross-tabulation of codes, O(n x |model| x |candidates|) instead of the
/// O(n p q) GEMM. `cov` is the model's inverse information over the model blocks' columns, in order.
/// Same results as score_tests(Z(:, model columns), cov, mu, y, w, Z, Z.block, active) up to the order of sums.
std::vector<ChiSqTest> score_tests(const ClassCodes& Z, const std::vector<int>& model,
                                   Eigen::Ref<const Eigen::MatrixXd> cov, Eigen::Ref<const Eigen::VectorXd> mu,
                                   Eigen::Ref<const Eigen::VectorXd> y, Eigen::Ref<const Eigen::VectorXd> w,
                                   const std::vector<bool>& active = {});

/// X' diag(v) X over the columns of the blocks `model` (increasing) of Z, in order: the
/// information of a class-only model, from v-weighted cross-tabulations of packed class codes
/// (one increment per row and pair of packed groups instead of a dense p x p rank update).
Eigen::MatrixXd weighted_crossprod(const ClassCodes& Z, const std::vector<int>& model,
                                   Eigen::Ref<const Eigen::VectorXd> v);

/// The three global tests of H0: all parameters but the intercept are 0 (SAS "Testing Global
/// Null Hypothesis: BETA=0"). X column 0 must be the intercept.
struct GlobalTests {
  ChiSqTest likelihood_ratio, score, wald;
};
GlobalTests global_tests(Eigen::Ref<const Eigen::MatrixXd> X, Eigen::Ref<const Eigen::VectorXd> y,
                         Eigen::Ref<const Eigen::VectorXd> w, const LogisticFit& fit);

}  // namespace dmde::model
