// Group audit figures on a hand-computed case.
#include "model/fairness.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace dmde::model;

TEST(Fairness, HandComputedGroups) {
  // Six dossiers, two groups; the top 2 (scores 0.9, 0.8) are flagged, both in group 1.
  const Eigen::VectorXd g = (Eigen::VectorXd(6) << 0, 0, 0, 1, 1, NAN).finished();
  const Eigen::VectorXd s = (Eigen::VectorXd(6) << 0.1, 0.2, 0.3, 0.9, 0.8, 0.4).finished();
  const Eigen::VectorXd y = (Eigen::VectorXd(6) << 0, 1, 0, 1, 0, 0).finished();
  const Eigen::VectorXd f = flag_top_k(s, 2.0 / 6);
  EXPECT_EQ(f.sum(), 2);
  EXPECT_EQ(f[3], 1);
  EXPECT_EQ(f[4], 1);
  const auto a = audit_groups(g, {"no", "yes"}, s, f, y);
  ASSERT_EQ(a.size(), 3u);  // no, yes, (missing)
  EXPECT_EQ(a[2].level, "(missing)");
  EXPECT_DOUBLE_EQ(a[1].population_share, 2.0 / 6);
  EXPECT_DOUBLE_EQ(a[1].flagged_share, 1.0);
  EXPECT_DOUBLE_EQ(a[1].ratio, 3.0);
  EXPECT_DOUBLE_EQ(a[0].ratio, 0.0);
  EXPECT_DOUBLE_EQ(a[0].mean_score, 0.2);
  EXPECT_DOUBLE_EQ(a[0].observed_rate, 1.0 / 3);
  EXPECT_DOUBLE_EQ(a[0].calibration, 0.6);
  EXPECT_DOUBLE_EQ(a[1].tpr, 1.0);
  EXPECT_DOUBLE_EQ(a[1].fpr, 1.0);
  EXPECT_DOUBLE_EQ(a[0].tpr, 0.0);
  // Weighted: group "no" weighs 2 per dossier.
  const Eigen::VectorXd w = (Eigen::VectorXd(6) << 2, 2, 2, 1, 1, 1).finished();
  const auto b = audit_groups(g, {"no", "yes"}, s, f, Eigen::VectorXd(), w);
  EXPECT_DOUBLE_EQ(b[0].population_share, 6.0 / 9);
  EXPECT_TRUE(std::isnan(b[0].tpr));
  EXPECT_THROW(audit_groups(g, {"no"}, s, f), std::invalid_argument);  // code 1 out of range
}

TEST(Fairness, BandsAndSensitiveEffects) {
  std::vector<std::string> levels;
  const Eigen::VectorXd x = (Eigen::VectorXd(4) << 18, 25, 40, NAN).finished();
  const auto c = band(x, {25, 35}, levels);
  EXPECT_EQ(levels, (std::vector<std::string>{"< 25", "[25, 35)", ">= 35"}));
  EXPECT_EQ(c[0], 0);
  EXPECT_EQ(c[1], 1);
  EXPECT_EQ(c[2], 2);
  EXPECT_TRUE(std::isnan(c[3]));
  const auto s = sensitive_effects({"nb_enf", "single_parent*rsa_12m", "loyer"}, {"single_parent", "family"},
                                   {"nb_enf", "loyer"}, {"family", "housing"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0], "nb_enf: nb_enf has theme 'family'");
  EXPECT_EQ(s[1], "single_parent*rsa_12m: single_parent matches 'single_parent'");
}
