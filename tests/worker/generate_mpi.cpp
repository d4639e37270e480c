// `dmde generate` at 1, 2 and 3 ranks: the written tables equal a serial in-process generation
// of the same rows, bit for bit (values, ids, Caf, weights, outcomes).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/comm.hpp"
#include "core/table.hpp"
#include "worker/generator.hpp"

using namespace dmde;

namespace {

std::string temp_path(const Comm& comm, const std::string& stem) {
  // One file per rank count: ctest may run the np1/np2/np3 suites concurrently.
  return (std::filesystem::temp_directory_path() / (stem + "_np" + std::to_string(comm.size()) + ".h5")).string();
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void check_against_serial(const std::string& path, const worker::GenerateSpec& spec) {
  const Table t = read_table(path);
  const worker::Generator g(spec.seed, spec.learning ? worker::Domain::Learning : worker::Domain::Population, spec.rows,
                            spec.vars);
  std::vector<int> cols;
  for (int j = 0; j < spec.vars; ++j) {
    const auto& name = g.catalogue()[static_cast<std::size_t>(j)].info.name;
    if (spec.selected.empty() || std::find(spec.selected.begin(), spec.selected.end(), name) != spec.selected.end())
      cols.push_back(j);
  }
  ASSERT_EQ(t.rows(), spec.rows);
  ASSERT_EQ(t.X.cols(), static_cast<Eigen::Index>(cols.size()));
  Eigen::MatrixXf X;
  g.fill(0, spec.rows, cols, X);
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd w;
  g.fill_keys(0, spec.rows, id, caf, w);
  EXPECT_EQ(t.id, id);
  EXPECT_EQ(t.caf, caf);
  EXPECT_TRUE((t.weight.array() == w.array()).all());
  std::int64_t diff = 0;
  for (Eigen::Index j = 0; j < X.cols(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i) diff += !same(t.X(i, j), static_cast<double>(X(i, j)));
  EXPECT_EQ(diff, 0);
  if (spec.learning) {
    Eigen::MatrixXd o;
    g.fill_outcomes(0, spec.rows, o);
    ASSERT_EQ(t.schema.outcomes, worker::Generator::outcome_names());
    EXPECT_TRUE((t.outcomes.array() == o.array()).all());
  } else {
    EXPECT_TRUE(t.schema.outcomes.empty());
  }
  // Provenance attributes (read_table does not load meta_* into the schema).
  const TableReader r(path);
  EXPECT_EQ(r.file().attr_string("meta_generator_seed"), std::to_string(spec.seed));
}

}  // namespace

TEST(GenerateMpi, LearningTableIdenticalToSerial) {
  Comm comm;
  worker::GenerateSpec spec;
  spec.learning = true;
  spec.output = temp_path(comm, "dmde_gen_learning");
  spec.rows = 1501;
  spec.vars = 150;
  spec.seed = 7;
  spec.chunk_rows = 256;  // several blocks per rank, one of them partial
  spec.block_chunks = 1;
  spec.threads = 3;       // several blocks in flight, written in order
  worker::write_generated(comm, spec);
  comm.barrier();
  if (comm.is_root()) {
    check_against_serial(spec.output, spec);
    std::filesystem::remove(spec.output);
  }
}

TEST(GenerateMpi, PopulationSelectedColumnsIdenticalToSerial) {
  Comm comm;
  worker::GenerateSpec spec;
  spec.learning = false;
  spec.output = temp_path(comm, "dmde_gen_population");
  spec.rows = 7003;
  spec.vars = 400;
  spec.seed = 20190201;
  spec.chunk_rows = 1000;
  spec.selected = {"type_menage", "mt_rsa_moy12m", "age_conjoint", "tx_chomage_com", "nb_chg_loyer_18m", "alea_0001"};
  worker::write_generated(comm, spec);
  comm.barrier();
  if (comm.is_root()) {
    check_against_serial(spec.output, spec);
    const auto s = read_schema(spec.output);
    EXPECT_EQ(s.kind, "population");
    ASSERT_EQ(s.vars.size(), 6u);
    EXPECT_EQ(s.vars[0].name, "type_menage");
    EXPECT_EQ(s.vars[0].levels.size(), 4u);
    std::filesystem::remove(spec.output);
  }
}

TEST(GenerateMpi, PopulationDirectIoIdenticalToSerial) {
  // Chunks of 2,048 rows are whole file-system blocks for every type (int16 4 KiB, float 8 KiB,
  // int64 16 KiB), so most pieces go through O_DIRECT, blocks of 4 chunks as one request per
  // column; the rank boundaries (inside chunks at 2 and 3 ranks) and the edge chunk (1089 rows) exercise the
  // pieces left to H5Dwrite and the padded last write.
  Comm comm;
  worker::GenerateSpec spec;
  spec.learning = false;
  spec.rows = 40001;
  spec.vars = 100;
  spec.seed = 11;
  spec.chunk_rows = 2048;
  spec.threads = 2;
  for (const bool direct : {true, false}) {
    spec.direct_io = direct;
    spec.output = temp_path(comm, direct ? "dmde_gen_direct" : "dmde_gen_buffered");
    worker::write_generated(comm, spec);
    comm.barrier();
    if (comm.is_root()) {
      check_against_serial(spec.output, spec);
      std::filesystem::remove(spec.output);
    }
  }
}
