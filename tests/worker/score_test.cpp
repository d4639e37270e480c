// Scoring pieces on their own: the documented coding rules (missing, non-finite, out-of-range,
// unseen levels), PSI by hand, the Caf plan, model/spec checks and the model file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/serialize.hpp"  // first: Eigen members of artifacts
#include "core/atomic.hpp"
#include "core/error.hpp"
#include "core/h5.hpp"
#include "worker/artifact_io.hpp"
#include "worker/score.hpp"
#include "worker/score_model.hpp"

using namespace dmde;
using namespace dmde::worker;

namespace {

TableSchema pop_schema() {
  TableSchema s;
  s.kind = "population";
  s.vars = {{"x", VarKind::Numeric, "", 0, {}}, {"c", VarKind::Categorical, "", 0, {"b", "zz", "a"}}};
  return s;
}

InputCoding numeric_x() {
  InputCoding c;
  c.variable = "x";
  c.cuts = {1.0, 2.5};  // classes 0: x <= 1, 1: 1 < x <= 2.5, 2: x > 2.5, 3: missing
  c.lo = 0, c.hi = 10;
  c.n_classes = 4;
  c.missing_class = c.unseen_class = 3;
  return c;
}

InputCoding categorical_c() {
  InputCoding c;
  c.variable = "c";
  c.categorical = true;
  c.levels = {"a", "b", "c"};
  c.level_class = {0, 1, 1};
  c.n_classes = 3;
  c.missing_class = 2;
  c.unseen_class = 2;
  return c;
}

}  // namespace

TEST(ScoreCoding, NumericBinsMissingNonFiniteOutOfRange) {
  const auto s = pop_schema();
  const auto c = numeric_x();
  InputCoder coder(c, s, "P.h5");
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> raw = {0.5f, 1.0f, 1.5f, 2.5f, 3.0f, nan, inf, -inf, -4.0f, 11.0f};
  std::vector<int> codes(raw.size());
  CodingCounts n;
  coder.apply(raw.data(), static_cast<std::int64_t>(raw.size()), codes.data(), n);
  EXPECT_EQ(codes, (std::vector<int>{0, 0, 1, 1, 2, 3, 3, 3, 0, 2}));
  EXPECT_EQ(n.missing, 1);
  EXPECT_EQ(n.nonfinite, 2);
  EXPECT_EQ(n.out_of_range, 2);  // -4 and 11 fall in the open-ended extreme classes, counted
  EXPECT_EQ(n.unseen, 0);
  // The byte path (worker/score_coding.hpp): the same codes, the same counts, and the class counts.
  ASSERT_TRUE(coder.codes_bytes());
  std::vector<std::uint8_t> bytes(raw.size());
  std::vector<std::int64_t> classes(4, 100);  // added to, not overwritten
  CodingCounts nb;
  coder.apply_bytes(raw.data(), static_cast<std::int64_t>(raw.size()), bytes.data(), nb, classes.data());
  EXPECT_EQ(std::vector<int>(bytes.begin(), bytes.end()), codes);
  EXPECT_EQ(classes, (std::vector<std::int64_t>{103, 102, 102, 103}));  // {0.5, 1, -4}, {1.5, 2.5}, {3, 11}, {nan, +-inf}
  EXPECT_EQ(nb.missing, 1);
  EXPECT_EQ(nb.nonfinite, 2);
  EXPECT_EQ(nb.out_of_range, 2);
  EXPECT_EQ(nb.unseen, 0);
}

TEST(ScoreCoding, CategoricalMatchesLevelNamesAndCountsUnseen) {
  const auto s = pop_schema();  // population levels b, zz, a: codes differ from training a, b, c
  const auto c = categorical_c();
  InputCoder coder(c, s, "P.h5");
  const std::vector<float> raw = {0, 1, 2, std::numeric_limits<float>::quiet_NaN(), 2};
  std::vector<int> codes(raw.size());
  CodingCounts n;
  coder.apply(raw.data(), 5, codes.data(), n);
  EXPECT_EQ(codes, (std::vector<int>{1, 2, 0, 2, 0}));  // b -> 1, zz unseen -> 2, a -> 0, missing -> 2
  EXPECT_EQ(n.unseen, 1);
  EXPECT_EQ(n.missing, 1);
}

TEST(ScoreCoding, MissingVariableAndWrongKindAreClearErrors) {
  const auto s = pop_schema();
  auto c = numeric_x();
  c.variable = "absent";
  EXPECT_THROW(InputCoder(c, s, "P.h5"), InputError);
  c = numeric_x();
  c.variable = "c";  // categorical in the file, numeric in the model
  try {
    InputCoder bad(c, s, "P.h5");
    FAIL() << "kind mismatch accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("categorical in 'P.h5'"), std::string::npos) << e.what();
  }
}

TEST(ScoreDrift, PsiByHand) {
  // (0.3-0.5)ln(0.3/0.5) + (0.7-0.5)ln(0.7/0.5) = 0.2*(ln(5/3) + ln(7/5)) = 0.169461...
  EXPECT_NEAR(psi({0.5, 0.5}, {0.3, 0.7}), 0.2 * (std::log(5.0 / 3.0) + std::log(1.4)), 1e-15);
  EXPECT_DOUBLE_EQ(psi({0.5, 0.5}, {0.5, 0.5}), 0.0);
  // A class absent tonight is floored at 1e-4, not infinite.
  EXPECT_NEAR(psi({0.5, 0.5}, {1.0, 0.0}), (1.0 - 0.5) * std::log(2.0) + (1e-4 - 0.5) * std::log(1e-4 / 0.5), 1e-12);
  EXPECT_EQ(psi_level(0.05), 0);
  EXPECT_EQ(psi_level(0.1), 1);
  EXPECT_EQ(psi_level(0.3), 2);
}

TEST(ScorePlan, GroupedAndInterleavedCafs) {
  const auto g = make_plan({{7, 0, 40}, {3, 40, 50}, {9, 50, 51}}, 51, 2);
  EXPECT_TRUE(g.grouped);
  EXPECT_EQ(g.cafs, (std::vector<std::int32_t>{3, 7, 9}));
  EXPECT_EQ(g.caf_rows, (std::vector<std::int64_t>{10, 40, 1}));
  EXPECT_EQ(g.owner, (std::vector<int>{1, 0, 1}));  // 40 -> rank 0, 10 and 1 -> rank 1 (LPT and contiguous agree)
  EXPECT_EQ(g.cafs_of(1), (std::vector<std::size_t>{0, 2}));
  // Equal Cafs: contiguous shares (as balanced as LPT, one run per rank) rather than LPT's round robin.
  EXPECT_EQ(make_plan({{1, 0, 10}, {2, 10, 20}, {3, 20, 30}, {4, 30, 40}, {5, 40, 50}, {6, 50, 60}}, 60, 3).owner,
            (std::vector<int>{0, 0, 1, 1, 2, 2}));
  // 30, 40, 30 on 2 ranks: contiguous shares would be 70/30, LPT's 40/60 wins.
  EXPECT_EQ(make_plan({{1, 0, 30}, {2, 30, 70}, {3, 70, 100}}, 100, 2).owner, (std::vector<int>{1, 0, 1}));
  // Twelve Cafs of 4, one of 6, eleven of 4 and one of 2: contiguous shares 48/52 (the 6 straddles
  // the middle, within 5% of LPT), then the 2 handed from rank 1 to rank 0: 50/50.
  {
    std::vector<Segment> runs;
    std::int64_t at = 0;
    for (int k = 0; k < 25; ++k) {
      const std::int64_t len = k == 12 ? 6 : k == 24 ? 2 : 4;
      runs.push_back({k, at, at + len});
      at += len;
    }
    const auto b = make_plan(runs, at, 2);
    std::vector<std::int64_t> load(2);
    for (std::size_t c = 0; c < b.cafs.size(); ++c) load[static_cast<std::size_t>(b.owner[c])] += b.caf_rows[c];
    EXPECT_EQ(load, (std::vector<std::int64_t>{50, 50}));
    EXPECT_EQ(b.owner[24], 0);  // the Caf of 2
    EXPECT_EQ(b.owner[12], 1);
    EXPECT_EQ(b.owner[0], 0);
  }
  // A rank's Cafs come in file order (consecutive Cafs share the chunks read for them).
  EXPECT_EQ(make_plan({{9, 0, 1}, {3, 1, 41}, {7, 41, 51}}, 51, 1).cafs_of(0), (std::vector<std::size_t>{2, 0, 1}));
  const auto i = make_plan({{1, 0, 2}, {2, 2, 3}, {1, 3, 5}}, 5, 3);
  EXPECT_FALSE(i.grouped);
  ASSERT_EQ(i.caf_segments[0].size(), 2u);
  EXPECT_EQ(i.caf_segments[0][1].begin, 3);
  EXPECT_EQ(i.caf_rows[0], 4);
  EXPECT_THROW(make_plan({{1, 0, 2}}, 3, 1), Error);  // runs must cover the file
}

TEST(ScoreModelFile, SpecMustMatchCardAndFileRoundTrips) {
  ScoreModel m;
  m.card.inputs = {"px", "pc"};
  m.coding = {numeric_x(), categorical_c()};
  model::ScoreTerm t;
  t.effect = "px*pc";
  t.inputs = {0, 1};
  t.n_levels = {4, 3};
  t.beta = Eigen::VectorXd::LinSpaced(12, 0.0, 1.1);
  m.card.terms.push_back(t);
  EXPECT_NO_THROW(m.validate("m"));
  auto bad = m;
  bad.card.terms[0].n_levels = {4, 4};
  bad.card.terms[0].beta = Eigen::VectorXd::Zero(16);
  EXPECT_THROW(bad.validate("m"), InputError);  // effect expects 4 classes, spec gives 3
  bad = m;
  bad.coding.pop_back();
  EXPECT_THROW(bad.validate("m"), InputError);

  const auto dir = std::filesystem::temp_directory_path();
  const std::string path = (dir / "dmde_score_model_test.dmde").string();
  save_score_model(path, m);
  const auto back = load_score_model(path);
  EXPECT_EQ(back.fingerprint(), m.fingerprint());
  EXPECT_EQ(back.card.terms[0].beta, m.card.terms[0].beta);
  const std::string foreign = (dir / "dmde_score_model_foreign.dmde").string();
  write_file_atomic(foreign, "not a model at all");
  EXPECT_THROW(load_score_model(foreign), InputError);
  write_file_atomic(foreign, read_file(path).substr(0, 40));  // truncated
  EXPECT_THROW(load_score_model(foreign), InputError);
  std::filesystem::remove(path);
  std::filesystem::remove(foreign);
}

TEST(ScoreArtifact, TrainArtifactWithoutSpecScoresPreparedCodes) {
  namespace fs = std::filesystem;
  model::ModelArtifact a;
  a.target = "target4";
  a.card.intercept = -2.25;
  a.card.inputs = {"single_parent", "rent_changes"};
  Eigen::VectorXd b(6);
  b << 0.1, 0.2, 0.3, -0.4, 0.5, 0.0;
  a.card.terms = {{"single_parent", {0}, {2}, Eigen::Vector2d(0.0, 0.7), 0.35},
                  {"single_parent*rent_changes", {0, 1}, {2, 3}, b, 0.05}};
  const auto dir = fs::temp_directory_path();
  const std::string model = (dir / "dmde_score_art.dmde").string(), pop = (dir / "dmde_score_art_pop.h5").string(),
                    out = (dir / "dmde_score_art_out.h5").string();
  save_artifact(model, a);
  Table t;
  t.schema.kind = "population";  // raw population first: refused (raw codes are not classes)
  t.schema.vars = {{"single_parent", VarKind::Categorical, "", 0, {"0", "1"}},
                   {"rent_changes", VarKind::Categorical, "", 0, {"0", "1", "2"}}};
  t.X.resize(6, 2);
  t.X << 0, 0, 1, 0, 0, 1, 1, 1, 0, 2, 1, 2;
  t.id = {1, 2, 3, 4, 5, 6};
  t.caf = {1, 1, 1, 2, 2, 2};
  t.weight = Eigen::VectorXd::Ones(6);
  t.outcomes.resize(6, 0);
  write_table(pop, t);
  const auto m = load_score_model(model);
  ASSERT_TRUE(m.coding[1].by_code);
  Comm self(MPI_COMM_SELF);
  EXPECT_THROW(score_population(self, m, pop, out, {}), InputError);
  EXPECT_FALSE(fs::exists(out));
  t.schema.kind = "prepared";
  write_table(pop, t);
  score_population(self, m, pop, out, {});
  const auto eta = h5::File::open(out).group("score").dataset("eta").read_all<double>();
  const Eigen::VectorXd direct = a.card.linear_predictor(t.X.cast<int>());
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(eta[static_cast<std::size_t>(i)], direct[i]);
  EXPECT_DOUBLE_EQ(eta[5], -2.25 + 0.7 + 0.0);  // single_parent=1, rent_changes=2: beta[1 + 2*2]
  fs::remove(out);
  // A missing prepared code cannot be guessed: clear error, no output.
  t.X(2, 1) = std::nan("");
  write_table(pop, t);
  EXPECT_THROW(score_population(self, m, pop, out, {}), InputError);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out + ".partial"));
  // An artifact with a prep spec waits for the PrepSpec adapter.
  a.prep_spec = "spec";
  save_artifact(model, a);
  EXPECT_THROW(load_score_model(model), InputError);
  for (const auto& p : {model, pop}) fs::remove(p);
}

TEST(ScoreArtifact, PrepSpecTransformsApplyExactlyAsInTraining) {
  namespace fs = std::filesystem;
  model::PrepSpec spec;
  model::VariableTransform x;
  x.source = "x", x.name = "x_c", x.cuts = {1.0, 2.5}, x.missing_class = 3, x.train_min = 0, x.train_max = 10;
  x.labels = {"]-inf;1[", "[1;2.5[", "[2.5;+inf[", "missing"};
  model::VariableTransform c;
  c.source = "c", c.name = "c_c", c.kind = model::PrepKind::Categorical, c.levels = {"a", "b", "c"};
  c.level_class = {0, 1, -1}, c.fallback_class = 1, c.labels = {"a", "b"};
  spec.vars = {c, x};  // spec order differs from the scorecard's inputs: found by name
  model::ModelArtifact a;
  a.target = "t";
  a.card.intercept = -1.0;
  a.card.inputs = {"x_c", "c_c"};
  a.card.terms = {{"x_c", {0}, {4}, Eigen::Vector4d(0.0, 0.5, 1.0, -0.25), 0.0},
                  {"c_c", {1}, {2}, Eigen::Vector2d(0.0, 2.0), 0.0}};
  a.prep_spec = to_bytes(spec);
  const auto dir = fs::temp_directory_path();
  const std::string model = (dir / "dmde_score_spec.dmde").string(), pop = (dir / "dmde_score_spec_pop.h5").string(),
                    out = (dir / "dmde_score_spec_out.h5").string();
  save_artifact(model, a);
  Table t;
  t.schema.kind = "population";
  t.schema.vars = {{"x", VarKind::Numeric, "", 0, {}}, {"c", VarKind::Categorical, "", 0, {"c", "b", "zz", "a"}}};
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  t.X.resize(6, 2);
  t.X << 0.5, 3, 1.0, 1, 2.5, 2, inf, 0, nan, 3, 12.0, nan;
  // By hand: x classes 0, 1 ([1;2.5[), 2, 2 (inf: out of range), 3 (missing), 2 (out of range);
  // c: "a" -> 0, "b" -> 1, "zz" unseen -> fallback 1, "c" (no class) -> 1, missing (none in training) -> 1.
  const double eta[6] = {-1.0 + 0.0 + 0.0, -1.0 + 0.5 + 2.0, -1.0 + 1.0 + 2.0, -1.0 + 1.0 + 2.0, -1.0 - 0.25 + 0.0,
                         -1.0 + 1.0 + 2.0};
  t.id = {1, 2, 3, 4, 5, 6};
  t.caf = {1, 1, 1, 1, 1, 1};
  t.weight = Eigen::VectorXd::Ones(6);
  t.outcomes.resize(6, 0);
  write_table(pop, t);
  const auto m = load_score_model(model);
  ASSERT_EQ(m.coding[0].variable, "x");
  Comm self(MPI_COMM_SELF);
  score_population(self, m, pop, out, {});
  auto f = h5::File::open(out);
  const auto got = f.group("score").dataset("eta").read_all<double>();
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(got[static_cast<std::size_t>(i)], eta[i]) << "row " << i;
  auto d = f.group("drift");
  EXPECT_EQ(d.dataset("n_out_of_range").read_all<std::int64_t>(), (std::vector<std::int64_t>{2, 0}));
  EXPECT_EQ(d.dataset("n_nonfinite").read_all<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
  EXPECT_EQ(d.dataset("n_unseen").read_all<std::int64_t>(), (std::vector<std::int64_t>{0, 3}));  // zz, c, missing
  EXPECT_EQ(d.dataset("n_missing").read_all<std::int64_t>(), (std::vector<std::int64_t>{1, 1}));
  // The population as its own learning table: shares by hand, and no drift against itself.
  auto ml = m;
  attach_learning_distribution(ml, pop);
  const std::vector<double> want = {1.0 / 6, 1.0 / 6, 3.0 / 6, 1.0 / 6};
  for (std::size_t k = 0; k < 4; ++k) EXPECT_NEAR(ml.coding[0].learn_share[k], want[k], 1e-15);
  EXPECT_EQ(ml.score_learn_share.size(), ml.score_cuts.size() + 1);
  score_population(self, ml, pop, out, {});
  auto f2 = h5::File::open(out);
  EXPECT_NEAR(f2.group("drift").dataset("psi").read_all<double>()[0], 0.0, 1e-15);
  EXPECT_NEAR(f2.group("drift").attr_double("score_psi"), 0.0, 1e-15);
  // A scorecard whose class count disagrees with the spec is refused.
  a.card.terms[1] = {"c_c", {1}, {3}, Eigen::Vector3d(0.0, 2.0, 1.0), 0.0};
  save_artifact(model, a);
  EXPECT_THROW(load_score_model(model), InputError);
  for (const auto& p : {model, pop, out}) fs::remove(p);
}
