// Monitoring table on a hand-computed set of controls.
#include "model/monitoring.hpp"

#include <gtest/gtest.h>

using namespace dmde::model;

namespace {
ControlOutcomes five() {
  ControlOutcomes c;
  c.gross = (Eigen::VectorXd(5) << 1000, 0, 300, 0, 500).finished();
  c.net = (Eigen::VectorXd(5) << 1000, 0, 0, 0, 400).finished();
  c.under = (Eigen::VectorXd(5) << 0, 200, 400, 0, 100).finished();
  c.in_target = (Eigen::VectorXd(5) << 1, 0, 0, 1, 0).finished();
  c.test = (Eigen::VectorXd(5) << 1, 1, 0, 0, 0).finished();
  return c;
}
}  // namespace

TEST(Monitoring, HandComputedTable) {
  const auto t = monitor_table(five());
  EXPECT_EQ(t.all.n, 5);
  EXPECT_DOUBLE_EQ(t.all.total_gross, 1800);
  EXPECT_DOUBLE_EQ(t.all.mean_gross_per_control, 360);
  EXPECT_DOUBLE_EQ(t.all.mean_gross_per_overpayment, 600);
  // gross 3/5, net 2/5, under 3/5, either 4/5, target 2/5
  EXPECT_DOUBLE_EQ(t.all.percent[0], 60);
  EXPECT_DOUBLE_EQ(t.all.percent[1], 40);
  EXPECT_DOUBLE_EQ(t.all.percent[2], 60);
  EXPECT_DOUBLE_EQ(t.all.percent[3], 80);
  EXPECT_DOUBLE_EQ(t.all.percent[4], 40);
  EXPECT_EQ(t.test.n, 2);
  EXPECT_DOUBLE_EQ(t.test.percent[0], 50);
  EXPECT_DOUBLE_EQ(t.control.percent[0], 200.0 / 3);
  ASSERT_TRUE(t.has_comparison);
  EXPECT_DOUBLE_EQ(t.diff[0].diff, 0.5 - 2.0 / 3);
  EXPECT_DOUBLE_EQ(t.diff_mean_gross.diff, 500 - 800.0 / 3);
  // Sample variance of the test group's gross amounts {1000, 0}: 500000.
  EXPECT_DOUBLE_EQ(t.test.var_gross, 500000);
}

TEST(Monitoring, MaskAndValidation) {
  const auto t = monitor_table(five(), {1, 0, 1, 0, 0});
  EXPECT_EQ(t.all.n, 2);
  EXPECT_FALSE(t.has_comparison);  // one control per group
  auto bad = five();
  bad.gross[0] = -1;
  EXPECT_THROW(monitor_table(bad), std::invalid_argument);
  EXPECT_THROW(monitor_table(five(), {1, 0}), std::invalid_argument);
}
