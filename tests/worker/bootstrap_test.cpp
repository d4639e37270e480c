#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "synth.hpp"
#include "worker/bootstrap.hpp"

namespace {

using namespace dmde::worker;

/// tests/worker/data/stepwise_small.csv as a prepared table (codes a: 3 levels, b: 2, c: 4).
dmde::Table small_table() {
  std::ifstream in(std::string(DMDE_SOURCE_DIR) + "/tests/worker/data/stepwise_small.csv");
  std::string line;
  std::getline(in, line);
  dmde::Table t;
  t.schema.outcomes = {"y"};
  for (auto [name, L] : {std::pair{"a", 3}, {"b", 2}, {"c", 4}}) {
    dmde::VarInfo v{name, dmde::VarKind::Categorical};
    for (int l = 0; l < L; ++l) v.levels.push_back(std::to_string(l));
    t.schema.vars.push_back(v);
  }
  std::vector<std::array<double, 5>> rows;
  while (std::getline(in, line)) {
    std::array<double, 5> r{};
    std::stringstream ss(line);
    std::string cell;
    for (auto& x : r) {
      std::getline(ss, cell, ',');
      x = std::stod(cell);
    }
    rows.push_back(r);
  }
  const auto n = static_cast<Eigen::Index>(rows.size());
  t.X.resize(n, 3);
  t.outcomes.resize(n, 1);
  t.weight.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    const auto& r = rows[static_cast<std::size_t>(i)];
    t.X.row(i) << r[0], r[1], r[2];
    t.outcomes(i, 0) = r[3];
    t.weight[i] = r[4];
    t.id.push_back(i);
    t.caf.push_back(1);
  }
  t.schema.n_rows = n;
  return t;
}

// Reference: tests/worker/data/make_stepwise_ref.R (R glm, REF=LAST, normalized weights).
TEST(BootstrapModel, FitMatchesRGlm) {
  const auto d = make_class_data(small_table(), "y");
  const Eigen::VectorXd w = d.w;
  const auto f = fit_effects(d, {0, 1}, w);
  ASSERT_TRUE(f.converged);
  const double coef[] = {-0.612589653822341, 0.681792117005817, -0.489501625012687, 0.291093216887774};
  const double se[] = {0.200767362766384, 0.238850996467759, 0.274803033704668, 0.208990426861726};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(f.beta[k], coef[k], 1e-6);
    EXPECT_NEAR(std::sqrt(f.cov(k, k)), se[k], 1e-6);
  }
  EXPECT_NEAR(f.neg2ll, 521.499297213915, 1e-6);
  std::vector<int> df;
  const auto chi = score_chisq(d, f, w, &df);
  EXPECT_NEAR(chi[2], 11.5603167196817, 1e-6);
  EXPECT_EQ(df[2], 3);
  EXPECT_TRUE(std::isnan(chi[0]));
}

TEST(BootstrapModel, WeightedAucByHand) {
  // scores 1,2,2,3; y 0,1,0,1; w 1,2,1,1: pairs W1*W0 = 3*2 = 6; concordant: (2:y1 w2 > 1:y0 w1) = 2,
  // (3:y1 w1 > both y0: w1+w1) = 2; tie (2,y1,w2) with (2,y0,w1) = 2 -> (4 + 0.5*2)/6.
  EXPECT_DOUBLE_EQ(weighted_auc(Eigen::Vector4d(1, 2, 2, 3), Eigen::Vector4d(0, 1, 0, 1), Eigen::Vector4d(1, 2, 1, 1)),
                   5.0 / 6.0);
  EXPECT_TRUE(std::isnan(weighted_auc(Eigen::Vector2d(1, 2), Eigen::Vector2d(1, 1), Eigen::Vector2d(1, 1))));
}

TEST(Bootstrap, CountsAreDeterministicAndStratified) {
  Eigen::VectorXd y(1000);
  for (int i = 0; i < 1000; ++i) y[i] = i % 9 == 0;
  const auto c1 = replicate_counts(42, 7, y, false), c2 = replicate_counts(42, 7, y, false);
  EXPECT_EQ(c1, c2);
  EXPECT_EQ(c1.sum(), 1000);
  EXPECT_NE(c1, replicate_counts(42, 8, y, false));
  EXPECT_NE(c1, replicate_counts(43, 7, y, false));
  const auto s = replicate_counts(42, 7, y, true);
  EXPECT_EQ(s.sum(), 1000);
  EXPECT_EQ(s.dot(y), y.sum());  // target rate preserved exactly
  // About 1/e of rows are out of bag.
  const double oob = (c1.array() == 0).cast<double>().sum() / 1000.0;
  EXPECT_NEAR(oob, std::exp(-1.0), 0.05);
}

TEST(Bootstrap, RecoversKnownTruth) {
  const auto t = dmde::test::synthetic_table(4000, 25, 5, 3);
  const auto d = make_class_data(t, "target");
  std::vector<ReplicateResult> res;
  StepwiseOptions opt;
  opt.slentry = opt.slstay = 0.01;
  for (int r = 0; r < 30; ++r) res.push_back(run_replicate(d, 11, r, true, opt));
  const auto s = summarize(d, res, 0.5);
  int true_kept = 0, noise_kept = 0;
  for (int j : s.kept) (j < 5 ? true_kept : noise_kept)++;
  EXPECT_EQ(true_kept, 5);   // >= 95% of true main effects
  EXPECT_LE(noise_kept, 1);  // <= 5% of 20 noise variables
  for (int j = 0; j < 5; ++j) EXPECT_GT(s.sign_stability[static_cast<std::size_t>(j)], 0.9);
  EXPECT_GT(s.mean_oob_auc, 0.6);
  // Same replicate, same result (the property the 1/2/3-rank identity rests on).
  EXPECT_EQ(run_replicate(d, 11, 5, true, opt), res[5]);
}

}  // namespace
