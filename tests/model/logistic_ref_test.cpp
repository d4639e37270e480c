// Estimates, standard errors, -2logL and score tests against R glm(family=binomial) on
// datasets::infert, datasets::mtcars and a weighted synthetic table with every interaction kind
// (reference values: data/make_logistic_fixtures.R), to 1e-6 relative.
#include <gtest/gtest.h>

#include <cmath>

#include "csv_fixture.hpp"
#include "model/design.hpp"
#include "model/hypothesis.hpp"
#include "model/logistic.hpp"
#include "model/weights.hpp"

namespace dmde::model {
namespace {

constexpr double kRel = 1e-6;

struct Data {
  Eigen::MatrixXd raw;
  std::vector<RawVar> vars;
  std::map<std::string, Eigen::VectorXd> cols;
};

Data load(const std::string& file, const std::map<std::string, std::vector<std::string>>& levels) {
  Data d;
  d.cols = test::read_csv_columns(file);
  d.raw.resize(d.cols.begin()->second.size(), static_cast<Eigen::Index>(d.cols.size()));
  Eigen::Index j = 0;
  for (const auto& [name, v] : d.cols) {
    d.raw.col(j++) = v;
    RawVar rv{name, levels.count(name) > 0, {}};
    if (rv.categorical) rv.levels = levels.at(name);
    d.vars.push_back(rv);
  }
  return d;
}

void expect_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, kRel * std::abs(want)) << what;
}

void expect_matches(const Design& d, const LogisticFit& f, const std::map<std::string, double>& ref,
                    const std::string& prefix = "") {
  ASSERT_TRUE(f.converged()) << to_string(f.status);
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    const std::string key = d.col_effect[static_cast<std::size_t>(j)] + "|" + d.col_level[static_cast<std::size_t>(j)];
    ASSERT_TRUE(ref.count(prefix + "beta:" + key)) << "no reference for " << key;
    expect_rel(f.beta[j], ref.at(prefix + "beta:" + key), "beta " + key);
    expect_rel(std::sqrt(f.cov(j, j)), ref.at(prefix + "se:" + key), "se " + key);
  }
  expect_rel(f.neg2ll, ref.at(prefix + "neg2ll"), "-2logL");
  expect_rel(f.neg2ll_null, ref.at(prefix + "neg2ll_null"), "-2logL intercept only");
}

const std::map<std::string, std::vector<std::string>> kInfertLevels{{"education", {"0-5yrs", "6-11yrs", "12+yrs"}}};

TEST(LogisticReference, InfertReferenceCodingMatchesGlm) {
  const Data data = load("infert.csv", kInfertLevels);
  const Design d = build_design(data.raw, data.vars, parse_effects("education age parity induced spontaneous"),
                                {{"education", Coding::Reference, ""}});
  ASSERT_EQ(d.cols(), 7);
  EXPECT_EQ(d.col_level[1], "0-5yrs");  // last level is the reference, as in SAS
  const LogisticFit f = fit_logistic(d.X, data.cols.at("case"), Eigen::VectorXd());
  expect_matches(d, f, test::read_reference("infert_ref.csv"));
  EXPECT_TRUE(f.aliased.empty());
  EXPECT_NEAR(f.aic, f.neg2ll + 14, 1e-9);
  EXPECT_NEAR(f.sc, f.neg2ll + 7 * std::log(248.0), 1e-9);
}

TEST(LogisticReference, InfertEffectCodingMatchesGlmContrSum) {
  const Data data = load("infert.csv", kInfertLevels);
  const Design d = build_design(data.raw, data.vars, parse_effects("education age parity induced spontaneous"),
                                {{"education", Coding::Effect, ""}});
  const LogisticFit f = fit_logistic(d.X, data.cols.at("case"), Eigen::VectorXd());
  expect_matches(d, f, test::read_reference("infert_ref.csv"), "effect_");
}

TEST(LogisticReference, InfertScoreTestsForAddingEffectsMatchAdd1Rao) {
  const Data data = load("infert.csv", kInfertLevels);
  const auto ref = test::read_reference("infert_ref.csv");
  const Design base = build_design(data.raw, data.vars, parse_effects("age parity"), {});
  const Design cand = build_design(data.raw, data.vars, parse_effects("education induced spontaneous"),
                                   {{"education", Coding::Reference, ""}}, false);
  const Eigen::VectorXd& y = data.cols.at("case");
  const Eigen::VectorXd w = Eigen::VectorXd::Ones(y.size());
  const LogisticFit f = fit_logistic(base.X, y, w);
  const auto t = score_tests(base.X, f.cov, f.mu, y, w, cand.X, cand.block);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].df, 2);  // education: a 2-df block
  for (std::size_t b = 0; b < 3; ++b) {
    expect_rel(t[b].chisq, ref.at("score:" + cand.effects[b]), "score " + cand.effects[b]);
    expect_rel(t[b].p_value, ref.at("score_p:" + cand.effects[b]), "score p " + cand.effects[b]);
  }
  // Only the active block is computed.
  const auto one = score_tests(base.X, f.cov, f.mu, y, w, cand.X, cand.block, {false, false, true});
  EXPECT_EQ(one[0].df, 0);
  EXPECT_DOUBLE_EQ(one[2].chisq, t[2].chisq);
}

TEST(LogisticReference, MtcarsMatchesGlm) {
  const Data data = load("mtcars.csv", {});
  const Design d = build_design(data.raw, data.vars, parse_effects("hp wt"), {});
  const LogisticFit f = fit_logistic(d.X, data.cols.at("am"), Eigen::VectorXd());
  expect_matches(d, f, test::read_reference("mtcars_ref.csv"));
}

TEST(LogisticReference, WeightedSyntheticWithInteractionsMatchesGlm) {
  const Data data = load("synthetic.csv", {{"c1", {"a", "b", "c"}}, {"c2", {"p", "q", "r", "s"}}});
  const Design d = build_design(data.raw, data.vars, parse_effects("x1 x2 c1 c2 x1*x2 x1*c1 c1*c2"),
                                {{"c1", Coding::Reference, ""}, {"c2", Coding::Reference, ""}});
  ASSERT_EQ(d.cols(), 1 + 2 + 2 + 3 + 1 + 2 + 6);
  const Eigen::VectorXd w = effective_weights(data.cols.at("w"), d.X.rows(), WeightMode::Normalized);
  const LogisticFit f = fit_logistic(d.X, data.cols.at("y"), w);
  expect_matches(d, f, test::read_reference("synthetic_ref.csv"));
}

TEST(LogisticReference, FrequencyWeightsScaleChiSquaresByMeanWeight) {
  const Data data = load("synthetic.csv", {{"c1", {"a", "b", "c"}}, {"c2", {"p", "q", "r", "s"}}});
  const Design d = build_design(data.raw, data.vars, parse_effects("x1 x2 c1"), {{"c1", Coding::Reference, ""}});
  const Eigen::VectorXd& raw_w = data.cols.at("w");
  const auto n = d.X.rows();
  const LogisticFit fn = fit_logistic(d.X, data.cols.at("y"), effective_weights(raw_w, n, WeightMode::Normalized));
  const LogisticFit ff = fit_logistic(d.X, data.cols.at("y"), effective_weights(raw_w, n, WeightMode::Frequency));
  const double mean_w = raw_w.mean();
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    EXPECT_NEAR(ff.beta[j], fn.beta[j], 1e-9 * (1 + std::abs(fn.beta[j])));
    expect_rel(wald_test(ff, {j}).chisq, mean_w * wald_test(fn, {j}).chisq, "frequency Wald");
  }
  EXPECT_NEAR(wald_test(fn, {3, 4}).df, 2, 0);
}

}  // namespace
}  // namespace dmde::model
