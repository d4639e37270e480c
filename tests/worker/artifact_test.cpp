#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "core/atomic.hpp"
#include "core/error.hpp"
#include "core/h5.hpp"
#include "worker/artifact_io.hpp"

namespace {

using dmde::model::ModelArtifact;
namespace fs = std::filesystem;

ModelArtifact sample() {
  ModelArtifact a;
  a.prep_spec = std::string("\x01\x02\x00spec", 7);
  a.target = "target4";
  a.card.intercept = -2.25;
  a.card.inputs = {"single_parent", "rent_changes"};
  dmde::model::ScoreTerm t1{"single_parent", {0}, {2}, Eigen::Vector2d(0.7, 0.0), 0.35};
  Eigen::VectorXd b(6);
  b << 0.1, 0.2, 0.3, -0.4, 0.5, 0.0;
  dmde::model::ScoreTerm t2{"single_parent*rent_changes", {0, 1}, {2, 3}, b, 0.05};
  a.card.terms = {t1, t2};
  a.fit.parameters = {{"Intercept", "", 1, -2.25, 0.1, 506.25, 1e-100}, {"single_parent", "1", 1, 0.7, 0.05, 196, 1e-40}};
  a.fit.effects = {{"single_parent", 1, 196, 1e-40}};
  a.fit.status = "Convergence criterion (GCONV=1E-8) satisfied.";
  a.fit.neg2ll = 1234.5;
  a.fit.auc = 0.8;
  a.fit.stats = {{"cv_auc", 0.79}};
  a.meta = {{"seed", "42"}, {"data_fingerprint", "fnv1a64:0123456789abcdef"}};
  return a;
}

fs::path tmp(const std::string& name) { return fs::temp_directory_path() / ("dmde_artifact_" + name); }

TEST(Artifact, RoundTripIsExact) {
  const auto a = sample();
  const auto p = tmp("rt.dmde").string();
  dmde::worker::save_artifact(p, a);
  const auto b = dmde::worker::load_artifact(p);
  EXPECT_EQ(b.prep_spec, a.prep_spec);
  EXPECT_EQ(b.target, "target4");
  EXPECT_EQ(b.card.intercept, -2.25);
  ASSERT_EQ(b.card.terms.size(), 2u);
  EXPECT_EQ(b.card.terms[1].beta, a.card.terms[1].beta);
  EXPECT_EQ(b.card.terms[1].n_levels, (std::vector<int>{2, 3}));
  EXPECT_EQ(b.card.terms[0].reference, 0.35);
  EXPECT_EQ(b.fit.parameters[1].estimate, 0.7);
  EXPECT_EQ(b.fit.stats.at("cv_auc"), 0.79);
  EXPECT_EQ(b.meta, a.meta);
  EXPECT_FALSE(fs::exists(p + ".partial"));
  fs::remove(p);
}

TEST(Artifact, BadFilesGiveClearErrors) {
  EXPECT_THROW(dmde::worker::load_artifact(tmp("missing.dmde").string()), dmde::InputError);
  const auto foreign = tmp("foreign.dmde").string();
  dmde::write_file_atomic(foreign, "this is a CSV file,not a model\n1,2,3\n");
  try {
    dmde::worker::load_artifact(foreign);
    FAIL();
  } catch (const dmde::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a dmde model artifact"), std::string::npos);
  }
  const auto p = tmp("corrupt.dmde").string();
  dmde::worker::save_artifact(p, sample());
  std::string bytes = dmde::read_file(p);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  dmde::write_file_atomic(p, flipped);
  try {
    dmde::worker::load_artifact(p);
    FAIL();
  } catch (const dmde::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos);
  }
  dmde::write_file_atomic(p, bytes.substr(0, bytes.size() - 5));
  EXPECT_THROW(dmde::worker::load_artifact(p), dmde::InputError);
  fs::remove(p);
  fs::remove(foreign);
}

TEST(Artifact, InconsistentScorecardIsRefused) {
  auto a = sample();
  a.card.terms[1].beta.resize(5);
  EXPECT_THROW(dmde::worker::save_artifact(tmp("bad.dmde").string(), a), std::invalid_argument);
}

TEST(Artifact, JsonAndHdf5Exports) {
  const auto a = sample();
  const auto j = nlohmann::json::parse(dmde::worker::artifact_to_json(a));
  EXPECT_EQ(j["target"], "target4");
  EXPECT_EQ(j["terms"][1]["beta"][3].get<double>(), -0.4);
  EXPECT_EQ(j["meta"]["seed"], "42");
  EXPECT_EQ(j["fit"]["parameters"][1]["estimate"].get<double>(), 0.7);

  const auto p = tmp("exp.dmde.h5").string();
  dmde::worker::export_artifact_h5(p, a);
  auto f = dmde::h5::File::open(p);
  EXPECT_EQ(f.attr_string("dmde_format"), "dmde-model");
  EXPECT_EQ(f.attr_double("intercept"), -2.25);
  EXPECT_EQ(f.attr_string("meta_seed"), "42");
  EXPECT_EQ(f.read_strings("inputs"), a.card.inputs);
  const auto beta = f.group("terms").group("1").dataset("beta").read_all<double>();
  ASSERT_EQ(beta.size(), 6u);
  EXPECT_EQ(beta[4], 0.5);
  EXPECT_EQ(f.group("parameters").read_strings("effect")[1], "single_parent");
  EXPECT_EQ(f.dataset("prep_spec").read_all<std::uint8_t>().size(), 7u);
  f.close();
  fs::remove(p);
}

TEST(Artifact, FingerprintSeesEveryValue) {
  dmde::Table t;
  t.schema.n_rows = 3;
  t.schema.vars = {{"a"}, {"b"}};
  t.id = {1, 2, 3};
  t.caf = {1, 1, 2};
  t.weight = Eigen::Vector3d(1, 2, 3);
  t.X = Eigen::MatrixXd::Zero(3, 2);
  const auto f0 = dmde::worker::table_fingerprint(t);
  EXPECT_EQ(f0.rfind("fnv1a64:", 0), 0u);
  EXPECT_EQ(f0, dmde::worker::table_fingerprint(t));
  t.X(2, 1) = 1;
  EXPECT_NE(f0, dmde::worker::table_fingerprint(t));
}

}  // namespace
