// Selection paths against an R implementation of the same SAS rules (data/make_logistic_fixtures.R:
// entry by add1(test="Rao") score p-value, removal by the largest Wald p-value), plus the rules
// that are checkable by hand: hierarchy, INCLUDE, max steps.
#include "model/stepwise.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "csv_fixture.hpp"
#include "model/design.hpp"
#include "model/weights.hpp"

namespace dmde::model {
namespace {

struct Problem {
  Design d;
  Eigen::VectorXd y, w;
};

Problem load(const std::string& file, const std::string& effects, const std::vector<ClassSpec>& classes = {}) {
  const auto cols = test::read_csv_columns(file);
  Eigen::MatrixXd raw(cols.begin()->second.size(), static_cast<Eigen::Index>(cols.size()));
  std::vector<RawVar> vars;
  Eigen::Index j = 0;
  for (const auto& [name, v] : cols) {
    raw.col(j++) = v;
    vars.push_back({name, false, {}});
  }
  Problem p{build_design(raw, vars, parse_effects(effects), classes), cols.at("y"), {}};
  p.w = effective_weights(cols.at("w"), p.y.size(), WeightMode::Normalized);
  return p;
}

std::vector<std::string> path_of(const SelectionResult& r) {
  std::vector<std::string> out;
  for (const auto& s : r.steps) out.push_back((s.entered ? "+" : "-") + s.name);
  return out;
}

std::vector<std::string> expected_path(const std::string& file) {
  std::ifstream in(test::fixture_path(file));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

const std::vector<ClassSpec> kClasses{{"c1", Coding::Reference, ""}, {"c2", Coding::Reference, ""}};

TEST(Stepwise, PathMatchesRImplementationOfSasRules) {
  const Problem p = load("stepwise.csv", "x1 x2 c1 c2 z1 z2 z3", kClasses);
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w);
  EXPECT_EQ(path_of(r), expected_path("stepwise_path.csv"));
  EXPECT_FALSE(r.cycle);
  EXPECT_TRUE(r.fit.converged());
  // c2 (3 df) entered as one block.
  for (const auto& s : r.steps)
    if (s.name == "c2") {
      EXPECT_EQ(s.test.df, 3);
    }
}

TEST(Stepwise, EntryThenRemovalMatchesR) {
  const Problem p = load("removal.csv", "a b c");
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w);
  EXPECT_EQ(path_of(r), expected_path("removal_path.csv"));
  EXPECT_EQ(r.selected, (std::vector<int>{0, 2, 3}));  // Intercept, b, c
  EXPECT_FALSE(r.steps.back().entered);
  EXPECT_GT(r.steps.back().test.p_value, 0.05);
}

TEST(Stepwise, BackwardMatchesR) {
  const Problem p = load("stepwise.csv", "x1 x2 c1 c2 z1 z2 z3", kClasses);
  SelectionOptions o;
  o.method = Selection::Backward;
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w, o);
  EXPECT_EQ(path_of(r), expected_path("backward_path.csv"));
}

TEST(Stepwise, ForwardNeverRemoves) {
  const Problem p = load("removal.csv", "a b c");
  SelectionOptions o;
  o.method = Selection::Forward;
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w, o);
  EXPECT_EQ(path_of(r), (std::vector<std::string>{"+a", "+b", "+c"}));
}

TEST(Stepwise, IncludeAndMaxSteps) {
  const Problem p = load("stepwise.csv", "x1 x2 c1 c2 z1 z2 z3", kClasses);
  SelectionOptions o;
  o.include = {p.d.find_effect("z2")};  // pure noise, forced in
  o.max_steps = 2;
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w, o);
  EXPECT_EQ(path_of(r), (std::vector<std::string>{"+x1", "+x2"}));
  EXPECT_NE(std::find(r.selected.begin(), r.selected.end(), p.d.find_effect("z2")), r.selected.end());
  EXPECT_EQ(r.stop_reason, "maximum number of steps reached");
}

TEST(Stepwise, InteractionWaitsForItsMainEffects) {
  // The data hold a real x1*x2 effect; listed first, it must still enter after x1 and x2.
  const Problem p = load("stepwise.csv", "x1*x2 x1 x2", {});
  const SelectionResult r = select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w);
  const auto path = path_of(r);
  ASSERT_EQ(path.size(), 3u);
  EXPECT_EQ(path[2], "+x1*x2");
  SelectionOptions o;
  o.hierarchy = false;
  EXPECT_EQ(path_of(select_effects(p.d.X, p.d.block, p.d.effects, p.y, p.w, o)).front(), "+x1");
}

}  // namespace
}  // namespace dmde::model
