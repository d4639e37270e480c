#pragma once
// The model fitted inside each bootstrap replicate: SAS-style stepwise logistic regression over
// CLASS variables (reference coding, reference = last level as SAS REF=LAST), with per-row
// weights so a replicate is just (bootstrap multiplicities x normalized survey weights) — no copy
// of the data. Entry by the block score chi-square of each candidate (all candidates at once:
// one GEMM per step), removal by the Wald chi-square of each effect, one effect (all its
// dummies) at a time; stop when nothing enters or leaves, on a cycle, or after max_steps.
//
// The selection itself is the statistical core's model::select_effects (SAS STEPWISE, one score
// GEMM per step); this file adapts class-coded prepared tables to it and provides the small
// fits/tests the other train stages need (final refit, interaction score tests, CV fits).
#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

#include "core/table.hpp"
#include "model/hypothesis.hpp"

namespace dmde::worker {

/// Candidate class variables of a prepared table, expanded once into dummy columns.
struct ClassData {
  std::vector<std::string> names;   ///< candidate variables
  std::vector<std::vector<std::string>> levels;  ///< level names per variable
  std::vector<int> n_levels;        ///< classes per variable (codes 0..L-1)
  Eigen::MatrixXi codes;            ///< n x p class codes
  Eigen::VectorXd y;                ///< 0/1 target
  Eigen::VectorXd w;                ///< survey weights normalized to sum to n (SAS WEIGHT / NORMALIZE)
  /// n x (1+q): column 0 = intercept, then the reference-coded dummies of all candidates (the
  /// full candidate design model::select_effects works on; Z() is the dummies alone).
  Eigen::MatrixXd X;
  /// Inputs of each variable: {j} for a prepared variable, {a, b} for an interaction added by
  /// add_interaction (cell code = code_a + L_a * code_b, as model::ScoreTerm indexes cells).
  std::vector<std::vector<int>> parents;
  Eigen::MatrixXd extra;            ///< n x 3: fraud, financial_impact, overpayment_amount (NaN when absent)
  std::vector<Eigen::Index> block;  ///< variable j owns Z columns [block[j], block[j+1])

  Eigen::Index rows() const { return y.size(); }
  auto Z() const { return X.rightCols(X.cols() - 1); }
  int vars() const { return static_cast<int>(names.size()); }
};

/// Builds ClassData from a prepared table: `target` is an outcome column (0/1), `vars` the
/// candidate variables (empty = every categorical variable). Throws InputError for a numeric or
/// missing-valued candidate, a non-0/1 target, or non-positive weights.
ClassData make_class_data(const Table& t, const std::string& target, const std::vector<std::string>& vars = {});

/// Appends the interaction a*b of two prepared variables as a new cell-coded variable (its
/// dummies span the main effects too; in a model holding a and b the redundant ones are aliased,
/// leaving the (L_a-1)(L_b-1) interaction df). Returns its index.
int add_interaction(ClassData& d, int a, int b);
/// The cell codes and dummies of a*b without adding it (for testing many pairs).
Eigen::MatrixXd interaction_dummies(const ClassData& d, int a, int b);

/// Controls of the stepwise (SAS names).
struct StepwiseOptions {
  double slentry = 0.05;  ///< SLENTRY: score p-value to enter
  double slstay = 0.05;   ///< SLSTAY: Wald p-value to stay
  int max_steps = -1;     ///< entry + removal steps (SAS MAXSTEP; -1 = 2 x number of candidates)
  int max_iter = 25;      ///< MAXITER of each fit
  double gconv = 1e-8;    ///< GCONV of each fit
  std::function<void()> between_steps;  ///< model::SelectionOptions::between_steps (not serialized)

  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & slentry & slstay & max_steps & max_iter & gconv;
  }
};

/// A fitted model on a subset of the candidate effects (+ optional pairwise interactions).
struct ClassFit {
  std::vector<int> effects;     ///< candidate variable indices in the model, ascending
  Eigen::VectorXd beta;         ///< intercept, then the dummies of each effect in `effects` order
  Eigen::MatrixXd cov;          ///< inverse information (0 rows/cols for aliased dummies)
  double neg2ll = 0;
  int iterations = 0;
  bool converged = false;
  int steps = 0;                ///< stepwise steps taken (0 for a plain fit)
};

/// Class codes (model::ClassCodes, 0 = the reference level) of the intercept, `effects` (in that
/// order) and the cells of each pair (a, b) (cell code_a + L_a * code_b, last cell = reference, as
/// interaction_dummies): the input of the class-code kernels. No effects when a class has more than
/// 255 levels (the caller falls back to dense designs).
model::ClassCodes class_codes(const ClassData& d, const std::vector<int>& effects,
                              const std::vector<std::pair<int, int>>& pairs = {});

/// Fits the logistic model with the given effects under row weights `w` (Newton-Raphson).
ClassFit fit_effects(const ClassData& d, const std::vector<int>& effects, Eigen::Ref<const Eigen::VectorXd> w,
                     const StepwiseOptions& opt = {});
/// Stepwise selection under row weights `w` (size n, >= 0).
ClassFit stepwise_select(const ClassData& d, Eigen::Ref<const Eigen::VectorXd> w, const StepwiseOptions& opt = {});
/// Linear predictor of every row under `fit`.
Eigen::VectorXd linear_predictor(const ClassData& d, const ClassFit& fit);

/// Block score chi-squares of adding each candidate not in `fit` (others get NaN): the entry
/// statistics of one stepwise step. `df` receives the rank of each block's information.
Eigen::VectorXd score_chisq(const ClassData& d, const ClassFit& fit, Eigen::Ref<const Eigen::VectorXd> w,
                            std::vector<int>* df = nullptr);

/// Score chi-square (and df) of adding the block of columns Zb to `fit`.
double score_block(const ClassData& d, const ClassFit& fit, Eigen::Ref<const Eigen::VectorXd> w,
                   const Eigen::MatrixXd& Zb, int* df);
/// Wald chi-square (and df) of each effect of `fit` (SAS Type 3 for reference coding).
std::vector<std::pair<double, int>> wald_effects(const ClassData& d, const ClassFit& fit);

/// P(chi2(df) > x).
double chisq_p(double x, int df);

/// Weighted ROC AUC (= c statistic, ties count 1/2) of `score` for 0/1 `y` over rows with w > 0.
/// NaN when one class has no weight.
double weighted_auc(Eigen::Ref<const Eigen::VectorXd> score, Eigen::Ref<const Eigen::VectorXd> y,
                    Eigen::Ref<const Eigen::VectorXd> w);

}  // namespace dmde::worker
