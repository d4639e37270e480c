// Edge cases of design building and fitting that are checkable by hand: effect parsing, coding,
// missing rows, aliased columns, separation, invalid arguments, chi-square tails.
#include "model/logistic.hpp"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>

#include "model/design.hpp"
#include "model/hypothesis.hpp"

namespace dmde::model {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Design, ParsesEffects) {
  const auto e = parse_effects("a b, c*d");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[2].name(), "c*d");
  EXPECT_THROW(parse_effects("a a"), std::invalid_argument);
  EXPECT_THROW(parse_effects("a*b*c"), std::invalid_argument);
  EXPECT_THROW(parse_effects("a*"), std::invalid_argument);
  EXPECT_THROW(parse_effects("a*a"), std::invalid_argument);
}

TEST(Design, CodingsMissingRowsAndInteractionLabels) {
  // columns: g (codes 0..2, levels u v w), x numeric
  Eigen::MatrixXd raw(5, 2);
  raw << 0, 1.0, 1, 2.0, 2, 3.0, kNaN, 4.0, 1, kNaN;
  const std::vector<RawVar> vars{{"g", true, {"u", "v", "w"}}, {"x", false, {}}};
  const Design r = build_design(raw, vars, parse_effects("g x g*x"), {{"g", Coding::Reference, ""}});
  EXPECT_EQ(r.n_missing, 2);
  EXPECT_EQ(r.rows, (std::vector<Eigen::Index>{0, 1, 2}));
  ASSERT_EQ(r.cols(), 1 + 2 + 1 + 2);
  EXPECT_EQ(r.col_level[1], "u");
  EXPECT_EQ(r.col_level[2], "v");
  EXPECT_EQ(r.effects, (std::vector<std::string>{"Intercept", "g", "x", "g*x"}));
  EXPECT_EQ(r.block, (std::vector<Eigen::Index>{0, 1, 3, 4, 6}));
  // Row 2 is level w, the reference: all zeros; g*x = dummy times x.
  EXPECT_EQ(r.X.row(2).segment(1, 2).sum(), 0);
  EXPECT_EQ(r.X(1, 5), 2.0);
  const Design e = build_design(raw, vars, parse_effects("g"), {{"g", Coding::Effect, "u"}});
  EXPECT_EQ(e.col_level[1], "v");  // u chosen as reference
  EXPECT_EQ(e.X(0, 1), -1);
  EXPECT_EQ(e.X(0, 2), -1);
  EXPECT_THROW(build_design(raw, vars, parse_effects("g"), {{"g", Coding::Effect, "zz"}}), std::invalid_argument);
  EXPECT_THROW(build_design(raw, vars, parse_effects("g"), {}), std::invalid_argument);
  EXPECT_THROW(build_design(raw, vars, parse_effects("nope"), {}), std::invalid_argument);
}

Eigen::MatrixXd toy_design(Eigen::Index n, unsigned seed) {
  Eigen::MatrixXd X(n, 3);
  std::srand(seed);
  X.col(0).setOnes();
  X.col(1).setRandom();
  X.col(2).setRandom();
  return X;
}

Eigen::VectorXd toy_response(const Eigen::MatrixXd& X) {
  Eigen::VectorXd y(X.rows());
  for (Eigen::Index i = 0; i < X.rows(); ++i) y[i] = (X(i, 1) + 0.7 * X(i, 2) + 0.3 * std::sin(17.0 * i)) > 0;
  return y;
}

TEST(Logistic, AliasedColumnIsReportedAndFixedAtZero) {
  Eigen::MatrixXd X = toy_design(200, 1);
  Eigen::VectorXd y(200);
  for (Eigen::Index i = 0; i < 200; ++i) y[i] = std::sin(3.0 * i) + X(i, 1) > 0.2;
  Eigen::MatrixXd Xa(200, 4);
  Xa << X, X.col(1) - 2 * X.col(2);
  const LogisticFit full = fit_logistic(Xa, y, Eigen::VectorXd());
  const LogisticFit ref = fit_logistic(X, y, Eigen::VectorXd());
  EXPECT_EQ(full.aliased, (std::vector<Eigen::Index>{3}));
  EXPECT_EQ(full.rank(), 3);
  EXPECT_EQ(full.beta[3], 0.0);
  EXPECT_EQ(full.cov(3, 3), 0.0);
  EXPECT_NEAR((full.beta.head(3) - ref.beta).norm(), 0, 1e-10);
  EXPECT_NEAR(full.neg2ll, ref.neg2ll, 1e-9);
  EXPECT_NEAR(full.aic, ref.aic, 1e-9);  // aliased columns are not counted
  EXPECT_EQ(wald_test(full, {3}).df, 0);
}

TEST(Logistic, CompleteSeparationIsReported) {
  const Eigen::MatrixXd X = toy_design(100, 2);
  Eigen::VectorXd y = (X.col(1).array() > 0).cast<double>();
  const LogisticFit f = fit_logistic(X, y, Eigen::VectorXd());
  EXPECT_EQ(f.status, FitStatus::CompleteSeparation);
  EXPECT_FALSE(f.converged());
}

TEST(Logistic, QuasiCompleteSeparationIsReported) {
  // x2 > 0.5 implies y = 1; below it, y is mixed.
  Eigen::MatrixXd X = toy_design(300, 3);
  Eigen::VectorXd y(300);
  for (Eigen::Index i = 0; i < 300; ++i) y[i] = X(i, 2) > 0.5 ? 1.0 : (std::sin(5.0 * i) > 0.3);
  X.col(2) = (X.col(2).array() > 0.5).cast<double>();
  const LogisticFit f = fit_logistic(X, y, Eigen::VectorXd());
  EXPECT_EQ(f.status, FitStatus::QuasiCompleteSeparation);
}

TEST(Logistic, ConvergesWithFewIterationsAndRejectsBadInput) {
  const Eigen::MatrixXd X = toy_design(500, 4);
  const Eigen::VectorXd y = toy_response(X);
  const LogisticFit f = fit_logistic(X, y, Eigen::VectorXd());
  EXPECT_TRUE(f.converged());
  EXPECT_LE(f.iterations, 12);
  // Gradient at the estimate is ~0.
  EXPECT_LT((X.transpose() * (y - f.mu)).norm(), 1e-8);
  EXPECT_THROW(fit_logistic(X, y.head(10), Eigen::VectorXd()), std::invalid_argument);
  EXPECT_THROW(fit_logistic(X, Eigen::VectorXd::Zero(500), Eigen::VectorXd()), std::invalid_argument);
  EXPECT_THROW(fit_logistic(X, y, -Eigen::VectorXd::Ones(500)), std::invalid_argument);
  EXPECT_THROW(fit_logistic(X, 2 * y, Eigen::VectorXd()), std::invalid_argument);
}

TEST(Logistic, ThreadsAndSinglePrecisionStepsLeaveTheFitUnchanged) {
  // 130 columns: three column panels, so 2 and 3 threads really split the work; 5000 rows: three
  // row blocks. Weighted, with a real signal so that the fit takes several Newton steps.
  const Eigen::Index n = 5000, p = 130;
  std::srand(7);
  Eigen::MatrixXd X = Eigen::MatrixXd::Random(n, p);
  X.col(0).setOnes();
  Eigen::VectorXd y(n), w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double eta = -1 + X(i, 1) + 0.5 * X(i, 2) - 0.8 * X(i, 3) + 0.4 * std::sin(11.0 * i);
    y[i] = eta > 0;
    w[i] = 0.5 + (i % 7) / 3.0;
  }
  LogisticOptions one, two, three, exact;
  two.threads = 2;
  three.threads = 3;
  exact.coarse_crit = 0;  // double precision in every step
  const LogisticFit f1 = fit_logistic(X, y, w, one), f2 = fit_logistic(X, y, w, two),
                    f3 = fit_logistic(X, y, w, three), fd = fit_logistic(X, y, w, exact);
  ASSERT_TRUE(f1.converged());
  EXPECT_GE(f1.iterations, 3);
  // Same bits whatever the thread count: each entry of X'VX is formed by one thread.
  EXPECT_TRUE((f1.beta.array() == f2.beta.array()).all());
  EXPECT_TRUE((f1.beta.array() == f3.beta.array()).all());
  EXPECT_TRUE((f1.cov.array() == f3.cov.array()).all());
  EXPECT_EQ(f1.neg2ll, f2.neg2ll);
  // The single-precision early steps reach the optimum of the pure double fit.
  ASSERT_TRUE(fd.converged());
  EXPECT_LT(((f1.beta - fd.beta).array().abs() / fd.beta.array().abs().max(1e-3)).maxCoeff(), 1e-9);
  EXPECT_LT(((f1.cov - fd.cov).array().abs() / fd.cov.array().abs().max(1e-8)).maxCoeff(), 1e-9);
  // And the threaded cross-product is X' diag(w) X.
  const Eigen::MatrixXd direct = X.transpose() * w.asDiagonal() * X;
  EXPECT_LT((weighted_crossprod(X, w) - direct).cwiseAbs().maxCoeff(), 1e-9 * direct.cwiseAbs().maxCoeff());
}

TEST(Hypothesis, ChiSquareTailsAndGlobalTests) {
  EXPECT_NEAR(chisq_pvalue(3.841458820694124, 1), 0.05, 1e-12);
  EXPECT_NEAR(chisq_pvalue(5.991464547107979, 2), 0.05, 1e-12);
  EXPECT_GT(chisq_pvalue(1400, 1), 0);  // complement: no underflow to 0 before ~1e-308
  EXPECT_LT(chisq_pvalue(1400, 1), 1e-300);
  EXPECT_EQ(chisq_pvalue(3, 0), 1);
  const Eigen::MatrixXd X = toy_design(400, 5);
  const Eigen::VectorXd y = toy_response(X);
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(400);
  const LogisticFit f = fit_logistic(X, y, w);
  const GlobalTests g = global_tests(X, y, w, f);
  EXPECT_EQ(g.likelihood_ratio.df, 2);
  EXPECT_NEAR(g.likelihood_ratio.chisq, f.neg2ll_null - f.neg2ll, 1e-12);
  // Score of all slopes at the intercept-only model = n R^2-type statistic; check via the
  // explicit formula U' I^-1 U with centred X.
  const double ybar = y.mean();
  const Eigen::MatrixXd Xc = X.rightCols(2).rowwise() - X.rightCols(2).colwise().mean();
  const Eigen::VectorXd U = Xc.transpose() * (y.array() - ybar).matrix();
  const double s = U.dot((ybar * (1 - ybar) * Xc.transpose() * Xc).ldlt().solve(U));
  EXPECT_NEAR(g.score.chisq, s, 1e-9 * s);
  EXPECT_EQ(g.wald.df, 2);
}

}  // namespace
}  // namespace dmde::model

#include "core/serialize.hpp"
#include "model/stepwise.hpp"

namespace dmde::model {
namespace {

TEST(Logistic, FitAndSelectionResultsSerializeExactly) {
  const Eigen::MatrixXd X = toy_design(300, 6);
  const Eigen::VectorXd y = toy_response(X);
  SelectionResult r = select_effects(X, {0, 1, 2, 3}, {"Intercept", "a", "b"}, y, Eigen::VectorXd::Ones(300));
  SelectionResult back;
  from_bytes(to_bytes(r), back);
  EXPECT_EQ(back.fit.beta, r.fit.beta);
  EXPECT_EQ(back.fit.cov, r.fit.cov);
  EXPECT_EQ(back.selected, r.selected);
  ASSERT_EQ(back.steps.size(), r.steps.size());
  EXPECT_EQ(back.steps[0].name, r.steps[0].name);
  EXPECT_EQ(back.steps[0].test.chisq, r.steps[0].test.chisq);
  EXPECT_EQ(back.fit.status, r.fit.status);
}

}  // namespace
}  // namespace dmde::model
