// Target rules and the note's comparison table on hand-computed small inputs.
#include "model/targets.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace dmde::model;

namespace {
const std::vector<std::string> kNames = {"overpayment_amount", "overpayment_months", "fraud", "underpayment_amount",
                                         "financial_impact"};
// Six dossiers: amount, months, fraud, underpayment, impact.
Eigen::MatrixXd six() {
  Eigen::MatrixXd m(6, 5);
  m << 700, 7, 1, 0, 700,   // c4 yes, fraud
      700, 6, 0, 0, 700,    // months not > 6
      2000, 12, 0, 50, 2050,  // c4 yes
      0, 0, 0, 300, 300,    // no overpayment: monthly mean 0
      100, 1, 1, 0, 100,    // fraud, small: monthly mean 100
      NAN, 3, 0, 0, 0;      // unknown amount
  return m;
}
}  // namespace

TEST(TargetRule, ParsesAndPrints) {
  const auto r = parse_target_rule("c9: overpayment_amount / overpayment_months > 50 | mean monthly > 50");
  ASSERT_EQ(r.all_of.size(), 1u);
  EXPECT_EQ(r.all_of[0].denominator, "overpayment_months");
  EXPECT_EQ(r.all_of[0].op, ">");
  EXPECT_DOUBLE_EQ(r.all_of[0].value, 50);
  EXPECT_EQ(r.label, "mean monthly > 50");
  EXPECT_EQ(r.text(), "c9: overpayment_amount / overpayment_months > 50 | mean monthly > 50");
  const auto r2 = parse_target_rule(r.text());
  EXPECT_EQ(r2.text(), r.text());
  EXPECT_THROW(parse_target_rule("c1 fraud == 1"), std::invalid_argument);
  EXPECT_THROW(parse_target_rule("c1: fraud = 1"), std::invalid_argument);
  EXPECT_THROW(parse_target_rule("c1: fraud == x"), std::invalid_argument);
  EXPECT_THROW(parse_target_rule("c1: fraud == 1 and "), std::invalid_argument);
  EXPECT_EQ(note_target_rules().size(), 11u);
}

TEST(TargetRule, EvaluatesHandCases) {
  const auto rules = note_target_rules();
  const Eigen::VectorXd c4 = evaluate_target(rules[3], six(), kNames);
  EXPECT_EQ(c4[0], 1);
  EXPECT_EQ(c4[1], 0);
  EXPECT_EQ(c4[2], 1);
  EXPECT_EQ(c4[3], 0);
  EXPECT_EQ(c4[4], 0);
  EXPECT_TRUE(std::isnan(c4[5]));
  const Eigen::VectorXd c10 = evaluate_target(rules[9], six(), kNames);  // monthly mean > 100
  EXPECT_EQ(c10[0], 0);  // 100 is not > 100
  EXPECT_EQ(c10[2], 1);  // 166.7
  EXPECT_EQ(c10[3], 0);  // 0 months: monthly mean 0
  EXPECT_EQ(c10[4], 0);
  EXPECT_THROW(evaluate_target(parse_target_rule("x: nope > 1"), six(), kNames), std::invalid_argument);
}

TEST(TargetTable, HandComputed) {
  const Eigen::VectorXd w = (Eigen::VectorXd(6) << 1, 1, 2, 1, 3, 1).finished();
  const auto rows = compare_targets({note_target_rules()[0], note_target_rules()[3]}, six(), kNames, w);
  ASSERT_EQ(rows.size(), 2u);
  // c1 (fraud): rows 0 and 4; fraud amount total = 700*1 + 100*3 = 1000.
  EXPECT_EQ(rows[0].count, 2);
  EXPECT_NEAR(rows[0].percent, 100.0 * 2 / 6, 1e-12);
  EXPECT_NEAR(rows[0].fraud_share_amount, 100, 1e-12);
  EXPECT_NEAR(rows[0].fraud_capture_amount, 100, 1e-12);
  EXPECT_NEAR(rows[0].mean_financial_impact, (700 + 3 * 100) / 4.0, 1e-12);
  // c4: rows 0 and 2 (row 5 undefined): amount 700 + 2*2000 = 4700 of which fraud 700.
  EXPECT_EQ(rows[1].count, 2);
  EXPECT_NEAR(rows[1].percent, 100.0 * 2 / 5, 1e-12);
  EXPECT_NEAR(rows[1].fraud_share_amount, 100.0 * 700 / 4700, 1e-12);
  EXPECT_NEAR(rows[1].fraud_capture_amount, 70, 1e-12);
  EXPECT_NEAR(rows[1].fraud_share_count, 100.0 / 3, 1e-12);
  EXPECT_NEAR(rows[1].mean_financial_impact, (700 + 2 * 2050) / 3.0, 1e-12);
}
