// Two-proportion and Welch comparisons against R (tests/model/data/compare_reference.R).
#include "model/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>

using dmde::model::two_proportions;
using dmde::model::welch;

TEST(Compare, TwoProportionsMatchesRPropTest) {
  const auto c = two_proportions(184, 306, 430, 764);
  EXPECT_NEAR(c.diff, 0.0384799644115936, 1e-12);
  EXPECT_NEAR(c.statistic, 1.15018403777255, 1e-10);
  EXPECT_NEAR(c.p_value, 0.250068079191093, 1e-10);
  EXPECT_NEAR(c.lower, -0.0266873593615031, 1e-10);
  EXPECT_NEAR(c.upper, 0.10364728818469, 1e-10);
  EXPECT_THROW(two_proportions(5, 4, 1, 2), std::invalid_argument);
  EXPECT_THROW(two_proportions(1, 0, 1, 2), std::invalid_argument);
}

TEST(Compare, WelchMatchesRTTest) {
  const auto c = welch(1074, 1165804.44444444444, 10, 342.5, 196021.428571428571, 8);
  EXPECT_NEAR(c.statistic, 1.94749700357959, 1e-10);
  EXPECT_NEAR(c.df, 12.4723972242127, 1e-9);
  EXPECT_NEAR(c.p_value, 0.0743428662963998, 1e-10);
  EXPECT_NEAR(c.lower, -83.4599795473977, 1e-7);
  EXPECT_NEAR(c.upper, 1546.4599795474, 1e-7);
  EXPECT_THROW(welch(1, 1, 1, 1, 1, 5), std::invalid_argument);
}

TEST(Compare, NoVarianceGivesNaNTest) {
  const auto c = two_proportions(0, 10, 0, 20);
  EXPECT_DOUBLE_EQ(c.diff, 0.0);
  EXPECT_TRUE(std::isnan(c.p_value));
}
