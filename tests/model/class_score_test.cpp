// The class-code score kernel (stepwise on class dummies) against the dense score_tests, which
// logistic_ref_test pins to R's add1(test = "Rao").
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "model/hypothesis.hpp"
#include "model/logistic.hpp"
#include "model/stepwise.hpp"

namespace dmde::model {
namespace {

struct ClassProblem {
  Eigen::MatrixXd X;  // intercept + reference-coded dummies of each class
  std::vector<Eigen::Index> block{0, 1};
  Eigen::VectorXd y, w;
};

ClassProblem make(int n, const std::vector<int>& levels, unsigned seed) {
  std::mt19937_64 rng(seed);
  ClassProblem p;
  Eigen::Index q = 1;
  for (int K : levels) q += K - 1;
  p.X = Eigen::MatrixXd::Zero(n, q);
  p.X.col(0).setOnes();
  Eigen::VectorXd eta = Eigen::VectorXd::Constant(n, -1.5);
  Eigen::Index c0 = 1;
  for (std::size_t e = 0; e < levels.size(); ++e) {
    std::uniform_int_distribution<int> lev(0, levels[e] - 1);
    for (int i = 0; i < n; ++i) {
      const int l = lev(rng);
      if (l > 0) p.X(i, c0 + l - 1) = 1;
      if (e < 2) eta[i] += 0.4 * l;
    }
    c0 += levels[e] - 1;
    p.block.push_back(c0);
  }
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int> cnt(0, 2);
  p.y.resize(n);
  p.w.resize(n);
  for (int i = 0; i < n; ++i) {
    p.y[i] = u(rng) < 1 / (1 + std::exp(-eta[i])) ? 1 : 0;
    p.w[i] = cnt(rng) * (0.5 + u(rng));  // bootstrap counts x survey weights, some 0
  }
  return p;
}

TEST(ClassScore, CodesOnlyForDummyBlocks) {
  const auto p = make(50, {3, 2}, 1);
  const auto z = ClassCodes::from_dummies(p.X, p.block);
  ASSERT_EQ(z.effects(), 3);
  EXPECT_EQ(z.levels, (std::vector<int>{2, 3, 2}));
  Eigen::MatrixXd X = p.X;
  X(0, 1) = 0.5;  // not 0/1
  EXPECT_EQ(ClassCodes::from_dummies(X, p.block).effects(), 0);
  X = p.X;
  X(0, 1) = X(0, 2) = 1;  // two levels at once
  EXPECT_EQ(ClassCodes::from_dummies(X, p.block).effects(), 0);
}

TEST(ClassScore, MatchesDenseScoreTests) {
  const auto p = make(800, {3, 4, 2, 5, 3, 4}, 7);
  const auto z = ClassCodes::from_dummies(p.X, p.block);
  ASSERT_EQ(z.effects(), 7);
  const std::vector<int> model{0, 1, 3};  // intercept, classes 0 and 2
  std::vector<Eigen::Index> cols;
  for (int e : model)
    for (auto c = p.block[static_cast<std::size_t>(e)]; c < p.block[static_cast<std::size_t>(e) + 1]; ++c)
      cols.push_back(c);
  const Eigen::MatrixXd Xm = p.X(Eigen::all, cols);
  const LogisticFit f = fit_logistic(Xm, p.y, p.w);
  ASSERT_TRUE(f.converged());
  const std::vector<bool> active{false, false, true, false, true, true, true};
  const auto dense = score_tests(Xm, f.cov, f.mu, p.y, p.w, p.X, p.block, active);
  const auto coded = score_tests(z, model, f.cov, f.mu, p.y, p.w, active);
  ASSERT_EQ(coded.size(), dense.size());
  for (std::size_t b = 0; b < dense.size(); ++b) {
    EXPECT_EQ(coded[b].df, dense[b].df) << b;
    EXPECT_NEAR(coded[b].chisq, dense[b].chisq, 1e-9 * (1 + dense[b].chisq)) << b;
    EXPECT_NEAR(coded[b].p_value, dense[b].p_value, 1e-9) << b;
  }
  EXPECT_GT(dense[2].chisq, 0);
  EXPECT_EQ(coded[1].df, 0);  // in the model: not tested
  // A candidate already in the model (collinear) has df 0, as in the dense kernel.
  const auto again = score_tests(z, model, f.cov, f.mu, p.y, p.w);
  EXPECT_EQ(again[1].df, 0);
  EXPECT_THROW(score_tests(z, {0, 9}, f.cov, f.mu, p.y, p.w), std::invalid_argument);
}

// Many classes: several candidate and model groups of the packed kernel, a class with more levels
// than one group holds, and weights with and without zeros (the two row paths).
TEST(ClassScore, MatchesDenseWithManyGroups) {
  std::vector<int> levels;
  for (int j = 0; j < 40; ++j) levels.push_back(2 + (j * 7) % 5);
  levels[5] = 20;
  levels[17] = 40;
  auto p = make(1500, levels, 3);
  const auto z = ClassCodes::from_dummies(p.X, p.block);
  ASSERT_EQ(z.effects(), 41);
  std::vector<int> model{0};
  for (int e = 1; e <= 40; e += 3) model.push_back(e);  // 14 classes, several model groups
  model.push_back(18);                                   // the 40-level class
  std::sort(model.begin(), model.end());
  std::vector<Eigen::Index> cols;
  for (int e : model)
    for (auto c = p.block[static_cast<std::size_t>(e)]; c < p.block[static_cast<std::size_t>(e) + 1]; ++c)
      cols.push_back(c);
  const Eigen::MatrixXd Xm = p.X(Eigen::all, cols);
  for (bool zeros : {true, false}) {
    if (!zeros) p.w = p.w.array() + 0.25;
    const LogisticFit f = fit_logistic(Xm, p.y, p.w);
    ASSERT_TRUE(f.converged());
    std::vector<bool> active(41, true);
    for (int e : model) active[static_cast<std::size_t>(e)] = false;
    const auto dense = score_tests(Xm, f.cov, f.mu, p.y, p.w, p.X, p.block, active);
    const auto coded = score_tests(z, model, f.cov, f.mu, p.y, p.w, active);
    int tested = 0;
    for (std::size_t b = 0; b < dense.size(); ++b) {
      EXPECT_EQ(coded[b].df, dense[b].df) << b;
      EXPECT_NEAR(coded[b].chisq, dense[b].chisq, 1e-9 * (1 + dense[b].chisq)) << b;
      tested += coded[b].df > 0;
    }
    EXPECT_EQ(tested, 41 - static_cast<int>(model.size()));
    EXPECT_EQ(coded[6].df, 19);  // the 20-level candidate, alone in its group
  }
}

TEST(ClassScore, CrossProductMatchesDense) {
  std::vector<int> levels;
  for (int j = 0; j < 30; ++j) levels.push_back(2 + (j * 5) % 4);
  levels[3] = 33;  // more levels than one packed group holds
  const auto p = make(900, levels, 5);
  const auto z = ClassCodes::from_dummies(p.X, p.block);
  std::vector<int> model{0};
  for (int e = 2; e <= 30; e += 2) model.push_back(e);
  model.insert(model.begin() + 2, 4);  // effect 4 = the 33-level class
  std::sort(model.begin(), model.end());
  model.erase(std::unique(model.begin(), model.end()), model.end());
  std::vector<Eigen::Index> cols;
  for (int e : model)
    for (auto c = p.block[static_cast<std::size_t>(e)]; c < p.block[static_cast<std::size_t>(e) + 1]; ++c)
      cols.push_back(c);
  const Eigen::MatrixXd Xm = p.X(Eigen::all, cols);
  const Eigen::MatrixXd dense = weighted_crossprod(Xm, p.w);  // p.w has zeros: rows skipped
  const Eigen::MatrixXd coded = weighted_crossprod(z, model, p.w);
  ASSERT_EQ(coded.rows(), dense.rows());
  EXPECT_LT((coded - dense).cwiseAbs().maxCoeff(), 1e-12 * dense.cwiseAbs().maxCoeff());
  EXPECT_GT(dense(0, 0), 0);
  EXPECT_THROW(weighted_crossprod(z, {3, 1}, p.w), std::invalid_argument);
  // The same fit through either information.
  const LogisticFit a = fit_logistic(Xm, p.y, p.w);
  const LogisticFit b = fit_logistic(Xm, p.y, p.w, {}, [&](const Eigen::VectorXd& v) {
    return weighted_crossprod(z, model, v);
  });
  ASSERT_TRUE(a.converged() && b.converged());
  EXPECT_LT((a.beta - b.beta).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_NEAR(a.neg2ll, b.neg2ll, 1e-9 * a.neg2ll);
}

TEST(ClassScore, StepwiseOnClassesSelectsTheSignal) {
  const auto p = make(3000, {3, 4, 2, 5, 3, 4}, 11);
  std::vector<std::string> names{"Intercept", "a", "b", "c", "d", "e", "f"};
  const auto r = select_effects(p.X, p.block, names, p.y, p.w);
  ASSERT_FALSE(r.steps.empty());
  EXPECT_TRUE(std::find(r.selected.begin(), r.selected.end(), 1) != r.selected.end());
  EXPECT_TRUE(std::find(r.selected.begin(), r.selected.end(), 2) != r.selected.end());
  // Entry chi-square of the first step = the dense score test on the intercept-only model.
  const Eigen::MatrixXd X0 = p.X.leftCols(1);
  const LogisticFit f0 = fit_logistic(X0, p.y, p.w);
  const auto t = score_tests(X0, f0.cov, f0.mu, p.y, p.w, p.X, p.block);
  EXPECT_NEAR(r.steps[0].test.chisq, t[static_cast<std::size_t>(r.steps[0].effect)].chisq,
              1e-8 * t[static_cast<std::size_t>(r.steps[0].effect)].chisq);
}

}  // namespace
}  // namespace dmde::model
