#include "model/scorecard.hpp"

#include <gtest/gtest.h>

using namespace dmde::model;

namespace {
Scorecard card() {
  Scorecard s;
  s.intercept = -2.0;
  s.inputs = {"a", "b"};
  ScoreTerm ta{"a", {0}, {3}, Eigen::Vector3d(0.5, -0.25, 0.0), 0.0};
  ScoreTerm tab{"a*b", {0, 1}, {3, 2}, Eigen::VectorXd::Zero(6), 0.0};
  tab.beta[0 + 3 * 1] = 1.0;  // a=0, b=1
  s.terms = {ta, tab};
  return s;
}
}  // namespace

TEST(Scorecard, LinearPredictorByHand) {
  auto s = card();
  s.validate();
  Eigen::MatrixXi codes(3, 2);
  codes << 0, 1, 1, 0, 2, 1;
  auto eta = s.linear_predictor(codes);
  EXPECT_DOUBLE_EQ(eta[0], -2.0 + 0.5 + 1.0);
  EXPECT_DOUBLE_EQ(eta[1], -2.0 - 0.25);
  EXPECT_DOUBLE_EQ(eta[2], -2.0);
  EXPECT_NEAR(inv_logit(eta[0]), 1.0 / (1.0 + std::exp(0.5)), 1e-15);
}

TEST(Scorecard, ContributionsSumWithBaselineToEta) {
  auto s = card();
  Eigen::MatrixXi codes(4, 2);
  codes << 0, 1, 1, 0, 2, 1, 0, 0;
  s.set_reference(codes, Eigen::Vector4d(1, 2, 1, 0));
  // Reference of term a: (0.5*1 - 0.25*2 + 0*1 + 0.5*0) / 4 = 0.
  EXPECT_DOUBLE_EQ(s.terms[0].reference, 0.0);
  EXPECT_DOUBLE_EQ(s.terms[1].reference, 0.25);
  auto c = s.contributions(codes);
  auto eta = s.linear_predictor(codes);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(c.row(i).sum() + s.baseline(), eta[i], 1e-14);
  codes(0, 0) = 3;
  EXPECT_THROW(s.linear_predictor(codes), std::out_of_range);
}
