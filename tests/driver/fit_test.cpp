// `dmde fit` end to end: a dmde table written from the R fixtures, the JSON report checked
// against R glm values (tests/model/data/make_logistic_fixtures.R) and the R stepwise path.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "../model/csv_fixture.hpp"
#include "core/table.hpp"
#include "run_dmde.hpp"

namespace {

std::string tmp(const std::string& name) { return dmde::test::tmp_path(name); }  // unique per process

int run_dmde(int np, const std::string& args, std::string* out_text = nullptr) {
  auto r = dmde::test::run_dmde(np, args);
  if (out_text) *out_text = r.output;
  return r.code;
}

// The stepwise fixture (x1 x2 c1 c2 z1 z2 z3, response y, weight w) as a dmde learning table;
// `alias` adds x12 = x1 + x2 (a column aliased with earlier ones).
std::string write_fixture_table(bool alias = false) {
  const std::string path = tmp(alias ? "dmde_fit_test_alias.h5" : "dmde_fit_test_stepwise.h5");
  auto cols = dmde::test::read_csv_columns("stepwise.csv");
  if (alias) cols["x12"] = cols.at("x1") + cols.at("x2");
  dmde::Table t;
  const auto n = cols.at("y").size();
  t.schema.kind = "learning";
  t.schema.n_rows = n;
  t.schema.outcomes = {"y"};
  std::vector<std::string> names{"x1", "x2", "c1", "c2", "z1", "z2", "z3"};
  if (alias) names.push_back("x12");
  t.X.resize(n, static_cast<Eigen::Index>(names.size()));
  for (std::size_t j = 0; j < names.size(); ++j) {
    dmde::VarInfo v;
    v.name = names[j];
    if (names[j] == "c1") v.kind = dmde::VarKind::Categorical, v.levels = {"a", "b", "c"};
    if (names[j] == "c2") v.kind = dmde::VarKind::Categorical, v.levels = {"p", "q", "r", "s"};
    t.schema.vars.push_back(v);
    t.X.col(static_cast<Eigen::Index>(j)) = cols.at(names[j]);
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    t.id.push_back(i + 1);
    t.caf.push_back(1);
  }
  t.weight = cols.at("w");
  t.outcomes = cols.at("y");
  dmde::write_table(path, t);
  return path;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

TEST(FitCommand, JsonMatchesGlmWithInteractions) {
  const std::string table = write_fixture_table(), json = tmp("dmde_fit_test_full.json");
  std::filesystem::remove(json);
  std::string text;
  ASSERT_EQ(run_dmde(2,
                     "fit --table " + table +
                         " --target y --effects 'x1 x2 c1 c2 x1*x2 x1*c1 c1*c2'"
                         " --class 'c1 c2' --json " +
                         json,
                     &text),
            0)
      << text;
  EXPECT_NE(text.find("Analysis of Maximum Likelihood Estimates"), std::string::npos);
  EXPECT_NE(text.find("normalized"), std::string::npos);
  const auto r = read_json(json);
  const auto ref = dmde::test::read_reference("synthetic_ref.csv");
  ASSERT_EQ(r["parameters"].size(), 17u);
  for (const auto& p : r["parameters"]) {
    const std::string key = p["effect"].get<std::string>() + "|" + p["level"].get<std::string>();
    const double b = ref.at("beta:" + key), se = ref.at("se:" + key);
    EXPECT_NEAR(p["estimate"].get<double>(), b, 1e-6 * std::abs(b)) << key;
    EXPECT_NEAR(p["std_error"].get<double>(), se, 1e-6 * se) << key;
  }
  EXPECT_NEAR(r["fit"]["neg2loglik"].get<double>(), ref.at("neg2ll"), 1e-6 * ref.at("neg2ll"));
  EXPECT_EQ(r["model"]["weights"], "normalized");
  EXPECT_EQ(r["convergence"]["status"], "converged");
  for (const char* k : {"aic", "sc"}) EXPECT_TRUE(r["fit"].contains(k));
  EXPECT_EQ(r["type3"].size(), 7u);
  ASSERT_TRUE(r.contains("association"));
  const auto& a = r["association"];
  EXPECT_NEAR(a["percent_concordant"].get<double>() + a["percent_discordant"].get<double>() +
                  a["percent_tied"].get<double>(), 100, 1e-9);
  EXPECT_NEAR(a["c"].get<double>(), 0.5 + a["somers_d"].get<double>() / 2, 1e-12);
  EXPECT_GT(a["c"].get<double>(), 0.6);
  // Three threads on one rank: the same report to the bit (each X'VX entry is formed by one thread).
  const std::string json3 = tmp("dmde_fit_test_threads.json");
  ASSERT_EQ(run_dmde(1,
                     "fit --table " + table +
                         " --target y --effects 'x1 x2 c1 c2 x1*x2 x1*c1 c1*c2' --class 'c1 c2' --threads 3 --json " +
                         json3,
                     &text),
            0)
      << text;
  const auto r3 = read_json(json3);
  EXPECT_EQ(r3["parameters"], r["parameters"]);
  EXPECT_EQ(r3["fit"], r["fit"]);
}

TEST(FitCommand, StepwiseStepsMatchR) {
  const std::string table = write_fixture_table(), json = tmp("dmde_fit_test_step.json");
  std::string text;
  ASSERT_EQ(run_dmde(1,
                     "fit --table " + table +
                         " --target y --effects 'x1 x2 c1 c2 z1 z2 z3' --class c1,c2"
                         " --selection stepwise --json " +
                         json,
                     &text),
            0)
      << text;
  const auto r = read_json(json);
  std::vector<std::string> path;
  for (const auto& s : r["selection"]["steps"]) {
    std::string step(1, s["action"] == "entered" ? '+' : '-');
    step.append(s["effect"].get<std::string>());
    path.push_back(step);
  }
  EXPECT_EQ(path, (std::vector<std::string>{"+x1", "+x2", "+c2", "+c1"}));
  EXPECT_EQ(r["type3"].size(), 4u);  // the final model only
}

// SAS prints an aliased parameter with DF 0, estimate 0 and missing statistics ("."), and the
// other estimates are those of the model without it.
TEST(FitCommand, AliasedParameterIsReportedAsSasDoes) {
  const std::string table = write_fixture_table(true), json = tmp("dmde_fit_test_alias.json"),
                    ref_json = tmp("dmde_fit_test_noalias.json");
  std::string text;
  ASSERT_EQ(run_dmde(1, "fit --table " + table + " --target y --effects 'x1 x2 x12' --json " + json, &text), 0) << text;
  ASSERT_EQ(run_dmde(1, "fit --table " + table + " --target y --effects 'x1 x2' --json " + ref_json), 0);
  const auto r = read_json(json), ref = read_json(ref_json);
  const auto& p = r["parameters"];
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[3]["effect"], "x12");
  EXPECT_EQ(p[3]["df"], 0);
  EXPECT_EQ(p[3]["estimate"], 0.0);
  EXPECT_TRUE(p[3]["std_error"].is_null());
  EXPECT_TRUE(p[3]["p_value"].is_null());
  EXPECT_EQ(p[3]["aliased"], true);
  for (int j = 0; j < 3; ++j)
    EXPECT_NEAR(p[j]["estimate"].get<double>(), ref["parameters"][j]["estimate"].get<double>(), 1e-10) << j;
  EXPECT_NE(text.find("x12"), std::string::npos);
}

TEST(FitCommand, UnknownEffectFailsCleanlyWithoutOutput) {
  const std::string table = write_fixture_table(), json = tmp("dmde_fit_test_bad.json");
  std::filesystem::remove(json);
  std::string text;
  EXPECT_EQ(run_dmde(2, "fit --table " + table + " --target y --effects 'x1 nope' --json " + json, &text), 2) << text;
  EXPECT_NE(text.find("nope"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(json));
  EXPECT_EQ(run_dmde(1, "fit --table " + table + " --target y --effects 'x1' --weights bogus", &text), 2) << text;
}

}  // namespace
