// Association table, ROC, gains, Hosmer-Lemeshow and top-k table against hand computations, an
// O(n^2) brute force, and R (tests/model/data/metrics_hl_fixture.R).
#include "model/metrics.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

using dmde::model::association;
using dmde::model::AssociationOptions;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

VectorXd vec(std::initializer_list<double> v) {
  VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double x : v) out[i++] = x;
  return out;
}

// Brute-force weighted pair counts: {concordant, discordant, tied}.
std::array<double, 3> brute_pairs(const VectorXd& s, const VectorXd& y, const VectorXd& w) {
  std::array<double, 3> c{0, 0, 0};
  for (Eigen::Index i = 0; i < s.size(); ++i)
    for (Eigen::Index j = 0; j < s.size(); ++j) {
      if (y[i] != 1.0 || y[j] != 0.0) continue;
      const double ww = w[i] * w[j];
      if (s[i] > s[j]) c[0] += ww;
      else if (s[i] < s[j]) c[1] += ww;
      else c[2] += ww;
    }
  return c;
}

}  // namespace

TEST(Association, HandComputedTinyCase) {
  // Events at 0.9, 0.5, 0.2; non-events at 0.5, 0.1: C = 4, D = 1 (0.2 vs 0.5), T = 1 (0.5 vs 0.5).
  const VectorXd s = vec({0.9, 0.5, 0.2, 0.5, 0.1}), y = vec({1, 1, 1, 0, 0});
  const auto a = association(s, y);
  EXPECT_DOUBLE_EQ(a.pairs, 6);
  EXPECT_DOUBLE_EQ(a.concordant, 4);
  EXPECT_DOUBLE_EQ(a.discordant, 1);
  EXPECT_DOUBLE_EQ(a.tied, 1);
  EXPECT_DOUBLE_EQ(a.percent_concordant, 400.0 / 6);
  EXPECT_DOUBLE_EQ(a.somers_d, 0.5);
  EXPECT_DOUBLE_EQ(a.gamma, 0.6);
  EXPECT_DOUBLE_EQ(a.tau_a, 0.3);  // 3 / (0.5 * 5 * 4)
  EXPECT_DOUBLE_EQ(a.c, 0.75);
  // Weight 2 on the 0.9 event: pairs 4*2 = 8, C = 2*2 + 1 + 1 = 6, N = 6.
  const auto b = association(s, y, vec({2, 1, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(b.pairs, 8);
  EXPECT_DOUBLE_EQ(b.concordant, 6);
  EXPECT_DOUBLE_EQ(b.c, 6.5 / 8);
  EXPECT_DOUBLE_EQ(b.tau_a, 5.0 / 15);
}

TEST(Association, SasBinningTiesScoresInOneBin) {
  // 0.1001 and 0.1015 share the 0.002-wide bin [0.100, 0.102): tied under SAS binning only.
  const VectorXd s = vec({0.1015, 0.1001}), y = vec({1, 0});
  EXPECT_DOUBLE_EQ(association(s, y).c, 1.0);
  const auto a = association(s, y, VectorXd(), AssociationOptions::sas_binning());
  EXPECT_DOUBLE_EQ(a.tied, 1.0);
  EXPECT_DOUBLE_EQ(a.c, 0.5);
  EXPECT_TRUE(std::isnan(a.gamma));
}

TEST(Association, MatchesBruteForceWithTiesAndWeights) {
  std::mt19937_64 rng(42);
  for (int rep = 0; rep < 20; ++rep) {
    const Eigen::Index n = 5 + rep * 7;
    VectorXd s(n), y(n), w(n);
    std::uniform_int_distribution<int> level(0, 9);  // few distinct scores: many ties
    std::uniform_real_distribution<double> u(0.1, 3.0);
    for (Eigen::Index i = 0; i < n; ++i) {
      s[i] = level(rng) / 10.0;
      y[i] = (level(rng) + s[i] * 10 > 9) ? 1.0 : 0.0;
      w[i] = u(rng);
    }
    y[0] = 1, y[1] = 0;
    for (const bool weighted : {false, true}) {
      const VectorXd ww = weighted ? w : VectorXd(VectorXd::Ones(n));
      const auto bf = brute_pairs(s, y, ww);
      const auto a = weighted ? association(s, y, w) : association(s, y);
      EXPECT_NEAR(a.concordant, bf[0], 1e-9 * (1 + bf[0]));
      EXPECT_NEAR(a.discordant, bf[1], 1e-9 * (1 + bf[1]));
      EXPECT_NEAR(a.tied, bf[2], 1e-9 * (1 + bf[2]));
      EXPECT_NEAR(a.pairs, bf[0] + bf[1] + bf[2], 1e-9 * a.pairs);
      const double N = ww.sum();
      EXPECT_NEAR(a.tau_a, (bf[0] - bf[1]) / (0.5 * N * (N - 1)), 1e-12);
      // ROC trapezoid area and the normalized gains area agree with c exactly.
      const auto roc = weighted ? dmde::model::roc_curve(s, y, w) : dmde::model::roc_curve(s, y);
      EXPECT_NEAR(roc.auc, a.c, 1e-12);
      const auto g = weighted ? dmde::model::gains_curve(s, y, w) : dmde::model::gains_curve(s, y);
      EXPECT_NEAR(g.area, g.base_rate / 2 + (1 - g.base_rate) * a.c, 1e-12);
      EXPECT_NEAR(g.area_normalized, 2 * a.c - 1, 1e-12);
    }
  }
}

TEST(Association, RejectsBadInput) {
  EXPECT_THROW(association(vec({0.1, 0.2}), vec({1, 1})), std::invalid_argument);      // no pairs
  EXPECT_THROW(association(vec({0.1, 0.2}), vec({1, 2})), std::invalid_argument);      // y not 0/1
  EXPECT_THROW(association(vec({0.1, NAN}), vec({1, 0})), std::invalid_argument);      // NaN score
  EXPECT_THROW(association(vec({0.1, 0.2}), vec({1, 0}), vec({1, -1})), std::invalid_argument);
  EXPECT_THROW(association(vec({0.1, 0.2}), vec({1})), std::invalid_argument);
}

TEST(RocCurve, HandComputedPoints) {
  const VectorXd s = vec({0.9, 0.5, 0.2, 0.5, 0.1}), y = vec({1, 1, 1, 0, 0});
  const auto r = dmde::model::roc_curve(s, y);
  ASSERT_EQ(r.tpr.size(), 5);  // origin + 4 distinct scores
  EXPECT_DOUBLE_EQ(r.threshold[2], 0.5);
  EXPECT_DOUBLE_EQ(r.tpr[2], 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.fpr[2], 0.5);
  EXPECT_DOUBLE_EQ(r.tpr[4], 1.0);
  EXPECT_DOUBLE_EQ(r.fpr[4], 1.0);
  EXPECT_DOUBLE_EQ(r.auc, 0.75);
}

TEST(GainsCurve, NoteFiguresFitTheNormalizedArea) {
  // Perfect ranking: the normalized area is 1, the raw one 1 - p/2.
  const VectorXd s = vec({4, 3, 2, 1}), y = vec({1, 0, 0, 0});
  const auto g = dmde::model::gains_curve(s, y);
  EXPECT_DOUBLE_EQ(g.base_rate, 0.25);
  EXPECT_DOUBLE_EQ(g.area, 1 - 0.125);
  EXPECT_DOUBLE_EQ(g.area_normalized, 1.0);
  EXPECT_DOUBLE_EQ(g.lift[1], 4.0);
  // The note: AUC 0.80 with base rate 10.9% gives raw area 0.767 but reports 0.60 = 2 AUC - 1.
  const double p = 0.109, auc = 0.80, raw = p / 2 + (1 - p) * auc;
  EXPECT_NEAR(raw, 0.767, 5e-4);
  EXPECT_NEAR((raw - 0.5) / (0.5 - p / 2), 0.60, 1e-12);
}

TEST(HosmerLemeshow, MatchesRComputation) {
  std::ifstream data(std::string(DMDE_SOURCE_DIR) + "/tests/model/data/metrics_hl_data.csv");
  ASSERT_TRUE(data.good());
  std::string line;
  std::getline(data, line);
  std::vector<double> p, y, w;
  while (std::getline(data, line)) {
    std::stringstream ss(line);
    std::string a, b, c;
    std::getline(ss, a, ','), std::getline(ss, b, ','), std::getline(ss, c, ',');
    p.push_back(std::stod(a)), y.push_back(std::stod(b)), w.push_back(std::stod(c));
  }
  ASSERT_EQ(p.size(), 300u);
  const Eigen::Map<VectorXd> P(p.data(), 300), Y(y.data(), 300), W(w.data(), 300);
  std::ifstream exp(std::string(DMDE_SOURCE_DIR) + "/tests/model/data/metrics_hl_expected.csv");
  ASSERT_TRUE(exp.good());
  std::getline(exp, line);
  int cases = 0;
  while (std::getline(exp, line)) {
    std::stringstream ss(line);
    std::string name, chi, df, pv;
    std::getline(ss, name, ','), std::getline(ss, chi, ','), std::getline(ss, df, ','), std::getline(ss, pv, ',');
    const bool weighted = name.rfind("weighted", 0) == 0;
    const int g = std::stoi(df) + 2;
    const auto hl = weighted ? dmde::model::hosmer_lemeshow(P, Y, W, g) : dmde::model::hosmer_lemeshow(P, Y, VectorXd(), g);
    EXPECT_NEAR(hl.chi_square, std::stod(chi), 1e-8) << name;
    EXPECT_EQ(hl.df, std::stoi(df)) << name;
    EXPECT_NEAR(hl.p_value, std::stod(pv), 1e-9) << name;
    ++cases;
  }
  EXPECT_EQ(cases, 3);
}

TEST(TopKTable, HandComputed) {
  // Ten dossiers, scores 10..1; top 20% = the first two rows.
  VectorXd s(10);
  for (int i = 0; i < 10; ++i) s[i] = 10 - i;
  MatrixXd flags(10, 2), amounts(10, 1);
  flags.col(0) << 1, 0, 1, 0, 0, 0, 0, 0, 0, 1;  // target
  flags.col(1) << 1, 1, 0, 0, 0, 0, 0, 0, 0, 0;  // fraud
  amounts.col(0) << 1000, 3000, NAN, 0, 0, 0, 0, 0, 0, 600;
  const auto t = dmde::model::top_k_table(s, 0.2, flags, amounts);
  EXPECT_DOUBLE_EQ(t.selected_n, 2);
  EXPECT_DOUBLE_EQ(t.flag_share_top[0], 0.5);
  EXPECT_DOUBLE_EQ(t.flag_share_top[1], 1.0);
  EXPECT_DOUBLE_EQ(t.flag_share_all[0], 0.3);
  EXPECT_DOUBLE_EQ(t.flag_capture[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(t.flag_capture[1], 1.0);
  EXPECT_DOUBLE_EQ(t.mean_top[0], 2000);
  EXPECT_DOUBLE_EQ(t.mean_all[0], 4600.0 / 9);  // NaN left out
  // Weighted: the first row weighs 3 of 12 and alone fills the top 20% (2.4).
  VectorXd w = VectorXd::Ones(10);
  w[0] = 3;
  const auto tw = dmde::model::top_k_table(s, 0.2, flags, amounts, w);
  EXPECT_DOUBLE_EQ(tw.selected_n, 3);
  EXPECT_DOUBLE_EQ(tw.flag_share_top[0], 1.0);
  EXPECT_THROW(dmde::model::top_k_table(s, 0.0, flags, amounts), std::invalid_argument);
}
