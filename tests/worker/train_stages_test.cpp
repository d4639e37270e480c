#include <gtest/gtest.h>

#include <cmath>

#include "synth.hpp"
#include "worker/bootstrap.hpp"
#include "worker/final_model.hpp"
#include "worker/interactions.hpp"
#include "worker/validation.hpp"

namespace {

using namespace dmde::worker;

TEST(FinalModel, ScorecardReproducesTheFit) {
  auto d = make_class_data(dmde::test::synthetic_table(3000, 6, 3, 9, true), "target");
  const int ab = add_interaction(d, 0, 1);
  const std::vector<int> effects{0, 1, 2, ab};
  const auto a = build_final_model(d, effects, "target");
  const auto fit = fit_effects(d, effects, d.w);
  ASSERT_TRUE(fit.converged);
  // Scorecard over the prepared codes == the design's linear predictor.
  Eigen::MatrixXi codes(d.rows(), static_cast<Eigen::Index>(a.card.inputs.size()));
  for (std::size_t k = 0; k < a.card.inputs.size(); ++k)
    codes.col(static_cast<Eigen::Index>(k)) =
        d.codes.col(std::find(d.names.begin(), d.names.end(), a.card.inputs[k]) - d.names.begin());
  const Eigen::VectorXd eta = linear_predictor(d, fit);
  EXPECT_LT((a.card.linear_predictor(codes) - eta).cwiseAbs().maxCoeff(), 1e-10);
  // Reference coding: the last class of a main effect contributes 0; the interaction is a 2-input term.
  EXPECT_EQ(a.card.terms[0].beta[a.card.terms[0].beta.size() - 1], 0.0);
  ASSERT_EQ(a.card.terms.size(), 4u);
  EXPECT_EQ(a.card.terms[3].inputs.size(), 2u);
  EXPECT_EQ(a.card.terms[3].effect, "v00*v01");
  // Rows of the parameter table: intercept + every dummy; aliased interaction dummies have df 0.
  std::size_t dummies = 0;
  for (int e : effects) dummies += static_cast<std::size_t>(d.block[e + 1] - d.block[e]);
  EXPECT_EQ(a.fit.parameters.size(), 1 + dummies);
  int aliased = 0;
  for (const auto& p : a.fit.parameters) aliased += p.df == 0;
  EXPECT_EQ(aliased, (2 - 1) + (3 - 1));  // cells 2x3 - 1 = 5 columns; (2-1)(3-1) = 2 estimable
  EXPECT_EQ(a.fit.effects[3].df, 2);
  EXPECT_NEAR(a.fit.neg2ll, fit.neg2ll, 1e-9);
}

TEST(Interactions, FindsTheTrueInteractionOnly) {
  const auto d = make_class_data(dmde::test::synthetic_table(4000, 6, 3, 21, true), "target");
  dmde::Comm comm;
  InteractionOptions opt;
  opt.progress = false;
  const auto rep = search_interactions(comm, d, {0, 1, 2}, opt);
  ASSERT_EQ(rep.pairs.size(), 3u);
  EXPECT_EQ(rep.pairs[0].a, 0);
  EXPECT_EQ(rep.pairs[0].b, 1);
  EXPECT_EQ(rep.pairs[0].df, 2);
  EXPECT_TRUE(rep.pairs[0].significant);
  EXPECT_TRUE(rep.pairs[0].added);
  EXPECT_FALSE(rep.pairs[1].added);
  EXPECT_FALSE(rep.pairs[2].added);
  EXPECT_GT(rep.final_cv_auc, rep.base_cv_auc);
  for (const auto& p : rep.pairs) EXPECT_GE(p.p_holm, p.p);
}

// The chunked class-code kernel gives each pair the statistic of its dense score test.
TEST(Interactions, PairStatisticsEqualDenseScoreTests) {
  const auto d = make_class_data(dmde::test::synthetic_table(3000, 14, 4, 5, true), "target");
  dmde::Comm comm;
  InteractionOptions opt;
  opt.progress = false;
  std::vector<int> kept;
  for (int j = 0; j < 12; ++j) kept.push_back(j);  // 66 pairs: two kernel calls (64 + 2)
  const auto rep = search_interactions(comm, d, kept, opt);
  ASSERT_EQ(rep.pairs.size(), 66u);
  const ClassFit base = fit_effects(d, kept, d.w);
  int tested = 0;
  for (const auto& pt : rep.pairs) {
    int df = 0;
    const double chi = score_block(d, base, d.w, interaction_dummies(d, pt.a, pt.b), &df);
    EXPECT_EQ(pt.df, df) << pt.a << "*" << pt.b;
    EXPECT_NEAR(pt.chisq, chi, 1e-8 * (1 + chi)) << pt.a << "*" << pt.b;
    tested += df > 0;
  }
  EXPECT_EQ(tested, 66);
}

TEST(Validation, FoldsAreStratifiedAndRepeatable) {
  Eigen::VectorXd y(103);
  for (int i = 0; i < 103; ++i) y[i] = i % 7 == 0;
  const auto f = fold_assignment(y, 5, 3, 0);
  EXPECT_EQ(f, fold_assignment(y, 5, 3, 0));
  EXPECT_NE(f, fold_assignment(y, 5, 3, 1));
  int events[5] = {0}, rows[5] = {0};
  for (int i = 0; i < 103; ++i) {
    ++rows[f[static_cast<std::size_t>(i)]];
    events[f[static_cast<std::size_t>(i)]] += y[i] > 0;
  }
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(events[k], 15.0 / 5, 1.0);
    EXPECT_NEAR(rows[k], 103.0 / 5, 1.0);
  }
}

TEST(Validation, TopTableByHand) {
  // 20 rows, score = row; the top 10% are rows 18, 19: one target, one fraud, impacts 100 and 300.
  const int n = 20;
  Eigen::VectorXd s(n), y = Eigen::VectorXd::Zero(n), w = Eigen::VectorXd::Ones(n);
  Eigen::MatrixXd extra = Eigen::MatrixXd::Zero(n, 3);
  for (int i = 0; i < n; ++i) s[i] = i;
  y[19] = y[3] = 1;
  extra(18, 0) = 1;
  extra(18, 1) = 100;
  extra(19, 1) = 300;
  extra(19, 2) = 500;
  const auto m = compute_metrics(s, y, w, extra, 0.10);
  EXPECT_DOUBLE_EQ(m.top_target, 0.5);
  EXPECT_DOUBLE_EQ(m.top_fraud, 0.5);
  EXPECT_DOUBLE_EQ(m.top_fi, 1.0);
  EXPECT_DOUBLE_EQ(m.top_overpayment, 0.5);
  EXPECT_DOUBLE_EQ(m.top_mean_fi, 200.0);
  // Pairs: events at rows 3 and 19 vs 18 non-events: row 19 beats all 18, row 3 beats 3 (rows 0-2).
  EXPECT_DOUBLE_EQ(m.auc, (18.0 + 3.0) / 36.0);
  EXPECT_DOUBLE_EQ(m.area_under_lift, 2 * m.auc - 1);
}

}  // namespace
