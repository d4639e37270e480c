// `dmde prepare` end to end under mpirun: the prepared table equals the spec applied to the
// training table, the spec is stored in the HDF5 file and beside it, outputs are identical at 1
// and 3 ranks, and a bad target fails cleanly without output.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "../worker/prep_synth.hpp"
#include "core/atomic.hpp"
#include "core/h5.hpp"
#include "core/serialize.hpp"
#include "worker/prepare.hpp"
#include "run_dmde.hpp"

using namespace dmde;
namespace fs = std::filesystem;

namespace {

using dmde::test::run_dmde;

class PrepareCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("dmde_prepare_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write_table((dir_ / "learn.h5").string(), prep_synth::make_table(2500, 5));
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string at(const std::string& f) { return (dir_ / f).string(); }
  static inline fs::path dir_;
};

}  // namespace

TEST_F(PrepareCli, PreparedTableIsTheSpecAppliedAndRankCountDoesNotMatter) {
  auto r1 = run_dmde(1, "prepare --table " + at("learn.h5") + " --target target -o " + at("p1.h5"));
  ASSERT_EQ(r1.code, 0) << r1.output;
  EXPECT_NE(r1.output.find("kept variable"), std::string::npos);
  auto r3 = run_dmde(3, "prepare --table " + at("learn.h5") + " --target target -o " + at("p3.h5"));
  ASSERT_EQ(r3.code, 0) << r3.output;
  for (const char* f : {"p1.spec", "p1.report.csv", "p1.report.json"}) EXPECT_TRUE(fs::exists(at(f))) << f;
  EXPECT_EQ(read_file(at("p1.spec")), read_file(at("p3.spec")));
  EXPECT_EQ(read_file(at("p1.report.csv")), read_file(at("p3.report.csv")));

  model::PrepSpec spec;
  from_bytes(read_file(at("p1.spec")), spec);
  EXPECT_EQ(spec.target, "target");
  ASSERT_GE(spec.vars.size(), 3u);
  // The copy inside the HDF5 file is the same bytes.
  {
    auto f = h5::File::open(at("p1.h5"));
    const auto bytes = f.dataset("prep_spec").read_all<std::uint8_t>();
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), read_file(at("p1.spec")));
  }
  const Table learn = read_table(at("learn.h5"));
  const Table prepared = read_table(at("p1.h5"));
  const Table expect = worker::apply_spec(spec, learn);
  EXPECT_EQ(prepared.schema.kind, "prepared");
  EXPECT_EQ(prepared.id, learn.id);
  EXPECT_EQ(prepared.caf, learn.caf);
  EXPECT_TRUE((prepared.weight.array() == learn.weight.array()).all());
  EXPECT_EQ(prepared.schema.outcomes, learn.schema.outcomes);
  ASSERT_EQ(prepared.X.cols(), expect.X.cols());
  EXPECT_TRUE((prepared.X.array() == expect.X.array()).all());
  for (std::size_t c = 0; c < spec.vars.size(); ++c) {
    EXPECT_EQ(prepared.schema.vars[c].kind, VarKind::Categorical);
    EXPECT_EQ(prepared.schema.vars[c].levels, spec.vars[c].labels);
  }
}

TEST_F(PrepareCli, UnknownTargetFailsWithoutOutput) {
  auto r = run_dmde(2, "prepare --table " + at("learn.h5") + " --target nope -o " + at("bad.h5"));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("target 'nope' is not an outcome"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(at("bad.h5")));
  EXPECT_FALSE(fs::exists(at("bad.spec")));
}
