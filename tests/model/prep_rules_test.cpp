// Screening statistics, supervised merging, numeric discretization and level grouping on small
// hand-made tables with known answers (R values from data/prep_reference.R).
#include <gtest/gtest.h>

#include <cmath>

#include "model/prep_rules.hpp"

using namespace dmde::model;

namespace {
Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double d : v) x[i++] = d;
  return x;
}
const double NaN = std::nan("");
}  // namespace

TEST(PrepRules, TargetLinkMatchesR) {
  Eigen::VectorXi code(8);
  code << 0, 0, 0, 1, 1, 1, 2, 2;
  const auto y = vec({1, 0, 0, 1, 1, 0, 0, 0});
  const auto w = vec({1, 2, 1, 1, 0.5, 2, 1, 1});
  const auto t = target_link(code, 3, y, w);
  EXPECT_NEAR(t.chi2, 1.21173469387755, 1e-12);
  EXPECT_EQ(t.df, 2);
  EXPECT_NEAR(t.pvalue, 0.545600996001407, 1e-12);
  EXPECT_NEAR(t.iv, 0.265723671295037, 1e-12);
  // An empty class does not count in the degrees of freedom.
  EXPECT_EQ(target_link(code, 4, y, w).df, 2);
  code[0] = 5;
  EXPECT_THROW(target_link(code, 3, y, w), std::invalid_argument);
}

TEST(PrepRules, VariationStats) {
  const auto x = vec({1, 1, 2, NaN, NaN, NaN});
  const auto w = vec({1, 1, 1, 1, 1, 5});
  const auto s = variation_stats(x, w);
  EXPECT_DOUBLE_EQ(s.observed_share, 0.3);
  EXPECT_DOUBLE_EQ(s.mode_share, 0.7);  // missing is the commonest "value"
  EXPECT_EQ(s.distinct, 2);
}

TEST(PrepRules, Chi2PairByHand) {
  // 2x2 table events/non-events: (10, 90) vs (30, 70): N (ad - bc)^2 / (r1 r2 c1 c2).
  const double expect = 200.0 * std::pow(10.0 * 70 - 90.0 * 30, 2) / (100.0 * 100 * 40 * 160);
  EXPECT_NEAR(chi2_pair({100, 10}, {100, 30}), expect, 1e-12);
  EXPECT_EQ(chi2_pair({100, 0}, {50, 0}), 0.0);
}

TEST(PrepRules, MergeLightBinWithMoreSimilarNeighbour) {
  MergeRule r{10, 5.0, 1.0, false};  // merge_pvalue 1: no significance merging
  EXPECT_EQ(merge_bins({{10, 1}, {1, 0.1}, {10, 5}}, r), (std::vector<int>{0, 0, 1}));
  EXPECT_EQ(merge_bins({{10, 5}, {1, 0.5}, {10, 1}}, r), (std::vector<int>{0, 0, 1}));
}

TEST(PrepRules, MergeToMaxClassesAndBySignificance) {
  const std::vector<Bin> b{{100, 10}, {100, 11}, {100, 50}, {100, 52}};
  EXPECT_EQ(merge_bins(b, {2, 0.0, 1.0, false}), (std::vector<int>{0, 0, 1, 1}));
  EXPECT_EQ(merge_bins(b, {10, 0.0, 1.0, false}), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(merge_bins(b, {10, 0.0, 0.05, false}), (std::vector<int>{0, 0, 1, 1}));
}

TEST(PrepRules, MergeMonotone) {
  const std::vector<Bin> b{{100, 10}, {100, 30}, {100, 20}, {100, 40}};
  EXPECT_EQ(merge_bins(b, {10, 0.0, 1.0, true}), (std::vector<int>{0, 1, 1, 2}));
  EXPECT_EQ(merge_bins(b, {10, 0.0, 1.0, false}), (std::vector<int>{0, 1, 2, 3}));
}

namespace {
// x = 1..100, target = x > 50, plus `nmiss` missing values with target 1.
void step_data(int nmiss, Eigen::VectorXd& x, Eigen::VectorXd& y, Eigen::VectorXd& w) {
  const int n = 100 + nmiss;
  x.resize(n), y.resize(n);
  w = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < 100; ++i) x[i] = i + 1, y[i] = i + 1 > 50;
  for (int i = 100; i < n; ++i) x[i] = NaN, y[i] = 1;
}
}  // namespace

TEST(PrepRules, BinNumericFindsTheStep) {
  Eigen::VectorXd x, y, w;
  step_data(10, x, y, w);
  const auto t = bin_numeric("v", x, y, w, PrepOptions{});
  t.validate();
  EXPECT_EQ(t.cuts, (std::vector<double>{51}));
  EXPECT_EQ(t.labels, (std::vector<std::string>{"]-inf;51[", "[51;+inf[", "missing"}));
  EXPECT_EQ(t.missing_class, 2);
  EXPECT_EQ(t.code(50.99), 0);
  EXPECT_EQ(t.code(51), 1);
  EXPECT_EQ(t.code(-1e9), 0);
  EXPECT_EQ(t.code(1e9), 1);
  EXPECT_EQ(t.code(NaN), 2);
  Eigen::VectorXi out(3);
  const auto n = t.apply(vec({0.5, 20, 101}), out);
  EXPECT_EQ(n.out_of_range, 2);
  EXPECT_EQ(out, Eigen::Vector3i(0, 0, 1));
}

TEST(PrepRules, BinNumericSmallMissingJoinsMostSimilarClass) {
  Eigen::VectorXd x, y, w;
  step_data(2, x, y, w);  // 2/102 < 5%: too small for its own class
  const auto t = bin_numeric("v", x, y, w, PrepOptions{});
  EXPECT_EQ(t.n_classes(), 2);
  EXPECT_EQ(t.missing_class, 1);
  EXPECT_EQ(t.labels[1], "[51;+inf[+missing");
  // Without missing in training, a missing value at scoring goes to the largest class, counted.
  step_data(0, x, y, w);
  w[0] = 2;  // class 0 is the largest
  const auto u = bin_numeric("v", x, y, w, PrepOptions{});
  EXPECT_EQ(u.missing_class, -1);
  EXPECT_EQ(u.fallback_class, 0);
  Eigen::VectorXi out(1);
  EXPECT_EQ(u.apply(vec({NaN}), out).unseen_missing, 1);
  EXPECT_EQ(out[0], 0);
}

TEST(PrepRules, BinNumericMaxClassesAndMinWeight) {
  // Rate rises over 10 steps of 100 rows: at most 3 classes, each >= 20% of the weight.
  const int n = 1000;
  Eigen::VectorXd x(n), y(n), w = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < n; ++i) x[i] = i, y[i] = (i % 100) < (i / 100) * 10;
  PrepOptions o;
  o.max_classes = 3;
  o.min_class_share = 0.2;
  const auto t = bin_numeric("v", x, y, w, o);
  ASSERT_EQ(t.n_classes(), 3);
  Eigen::VectorXi c(n);
  t.apply(x, c);
  for (int k = 0; k < 3; ++k) EXPECT_GE((c.array() == k).count(), 200);
}

TEST(PrepRules, GroupLevelsPoolsRareAndMergesSimilarRates) {
  // A: 100 rows 10 events; B: 100 rows 50 events; C: 100 rows 11 events; D: 1 row, 1 event (rare); E never seen.
  const std::vector<std::string> levels{"A", "B", "C", "D", "E"};
  Eigen::VectorXd x(301), y = Eigen::VectorXd::Zero(301), w = Eigen::VectorXd::Ones(301);
  for (int i = 0; i < 100; ++i) x[i] = 0, y[i] = i < 10;
  for (int i = 100; i < 200; ++i) x[i] = 1, y[i] = i < 150;
  for (int i = 200; i < 300; ++i) x[i] = 2, y[i] = i < 211;
  x[300] = 3, y[300] = 1;
  const auto t = group_levels("v", x, levels, y, w, PrepOptions{});
  t.validate();
  EXPECT_EQ(t.labels, (std::vector<std::string>{"A+C", "B+other"}));
  EXPECT_EQ(t.level_class, (std::vector<int>{0, 1, 0, 1, -1}));
  EXPECT_EQ(t.other_class, 1);
  EXPECT_EQ(t.code(4), 1);   // level never seen: the "other" class
  EXPECT_EQ(t.code(17), 1);  // code out of range: same rule
  EXPECT_EQ(t.code(NaN), 0);  // missing never seen: the largest class
  Eigen::VectorXi out(3);
  const auto n = t.apply(vec({4, NaN, 1}), out);
  EXPECT_EQ(n.unknown_level, 1);
  EXPECT_EQ(n.unseen_missing, 1);
  EXPECT_EQ(out, Eigen::Vector3i(1, 0, 1));
  // Without rare levels, an unknown level falls back to the largest class.
  const auto u = group_levels("v", x.head(300), levels, y.head(300), w.head(300), PrepOptions{});
  EXPECT_EQ(u.other_class, -1);
  EXPECT_EQ(u.code(3), u.fallback_class);
  EXPECT_EQ(u.fallback_class, 0);
}

TEST(PrepRules, OptionsValidate) {
  PrepOptions o;
  EXPECT_NO_THROW(o.validate());
  o.max_classes = 1;
  EXPECT_THROW(o.validate(), std::invalid_argument);
}

TEST(PrepRules, BonferroniMultipliersMatchR) {
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(true, 20, 6), 11628.0);  // choose(19, 5)
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(true, 20, 2), 19.0);
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(false, 5, 2), 15.0);  // Stirling S(5, 2)
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(false, 7, 3), 301.0);
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(false, 10, 4), 34105.0);
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(true, 20, 1), 1.0);  // nothing searched
  EXPECT_DOUBLE_EQ(bonferroni_multiplier(false, 3, 3), 1.0);
}

TEST(PrepRules, BestBinarySplitOnlyWhenSignificantAfterAdjustment) {
  // (100, 3) | (50, 10) (50, 10): the best split is before bin 1, chi2 14.198, p 1.645e-4 (R).
  const std::vector<Bin> b{{100, 3}, {50, 10}, {50, 10}};
  EXPECT_EQ(best_binary_split(b, 10.0, 0.05, 2.0), (std::vector<int>{0, 1, 1}));
  EXPECT_TRUE(best_binary_split(b, 10.0, 0.05, 1000.0).empty());  // 0.16 after adjustment
  EXPECT_TRUE(best_binary_split(b, 150.0, 0.05, 2.0).empty());    // no split leaves 150 on both sides
  EXPECT_TRUE(best_binary_split({{100, 10}}, 1.0, 0.05, 1.0).empty());
}

TEST(PrepRules, RareFlagWithSignalKeepsTwoClasses) {
  // A 1.5% flag (below min_class_share 2%, above rare_level_share 1%) with a clear contrast.
  const int n = 2000;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(n), y = Eigen::VectorXd::Zero(n), w = Eigen::VectorXd::Ones(n);
  for (int i = 0; i < n; ++i) {
    x[i] = i < 30 ? 1.0 : 0.0;
    y[i] = i < 30 ? (i % 2 == 0) : (i % 10 == 0);
  }
  BinningInfo info;
  const auto t = bin_numeric("flag", x, y, w, PrepOptions{}, nullptr, &info);
  ASSERT_EQ(t.n_classes(), 2);
  EXPECT_EQ(t.cuts, std::vector<double>{1.0});
  EXPECT_EQ(info.units, 2);
  EXPECT_EQ(info.groups, 2);
  EXPECT_DOUBLE_EQ(info.multiplier, 1.0);
  // Without a contrast the flag is merged away (one class).
  for (int i = 0; i < 30; ++i) y[i] = i % 10 == 0;
  EXPECT_EQ(bin_numeric("flag", x, y, w, PrepOptions{}).n_classes(), 1);
}

TEST(PrepRules, ObservedOrderIsTheValueThenIndexOrder) {
  // Negatives, -0 and +0 (equal), ties, NaN skipped, magnitudes across the exponent range.
  const auto x = vec({3.5, -1e300, 0.0, NaN, -0.0, 2.0, -2.5, 3.5, 1e-300, -0.0, 1e300, 2.0, -2.5});
  const std::vector<Eigen::Index> expect{1, 6, 12, 2, 4, 9, 8, 5, 11, 0, 7, 10};
  EXPECT_EQ(observed_order(x), expect);
  EXPECT_TRUE(observed_order(vec({NaN, NaN})).empty());
}
