#include "core/table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/serialize.hpp"

using namespace dmde;

namespace {
Table small_table() {
  Table t;
  t.schema.kind = "learning";
  t.schema.vars = {{"age", VarKind::Numeric, "family", 0, {}},
                   {"tenure", VarKind::Categorical, "housing", 0, {"owner", "tenant", "free"}},
                   {"rsa_12m", VarKind::Numeric, "benefits", 12, {}}};
  t.schema.outcomes = standard_outcomes();
  t.schema.meta["seed"] = "42";
  t.id = {10, 11, 12, 13};
  t.caf = {591, 331, 591, 973};
  t.weight = Eigen::Vector4d(1.5, 2.0, 0.5, 3.25);
  t.X.resize(4, 3);
  const double nan = std::nan("");
  t.X << 34, 0, 120.5, nan, 1, 0, 51, nan, 33.25, 19, 2, nan;
  t.outcomes = Eigen::MatrixXd::Zero(4, 5);
  t.outcomes(1, 0) = 750.0;
  t.outcomes(1, 1) = 7;
  t.outcomes(1, 2) = 1;
  return t;
}
std::string tmp(const char* name) { return (std::filesystem::temp_directory_path() / name).string(); }
}  // namespace

TEST(Table, RoundTripKeepsValuesMissingAndMetadata) {
  const auto path = tmp("dmde_table_rt.h5");
  auto t = small_table();
  write_table(path, t);
  auto r = read_table(path);
  EXPECT_EQ(r.id, t.id);
  EXPECT_EQ(r.caf, t.caf);
  EXPECT_EQ(r.weight, t.weight);
  EXPECT_EQ(r.outcomes, t.outcomes);
  ASSERT_EQ(r.schema.vars.size(), 3u);
  EXPECT_EQ(r.schema.vars[1].levels, (std::vector<std::string>{"owner", "tenant", "free"}));
  EXPECT_EQ(r.schema.vars[2].window, 12);
  EXPECT_EQ(r.schema.vars[0].theme, "family");
  ASSERT_EQ(r.schema.meta.size(), 1u);  // provenance round-trips through meta_* root attributes
  EXPECT_EQ(r.schema.meta.at("seed"), "42");
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      if (std::isnan(t.X(i, j))) EXPECT_TRUE(std::isnan(r.X(i, j)));
      else EXPECT_EQ(r.X(i, j), t.X(i, j));
    }
  auto only = read_table(path, {"rsa_12m"});
  EXPECT_EQ(only.X.cols(), 1);
  EXPECT_EQ(only.X(0, 0), 120.5);
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  std::remove(path.c_str());
}

TEST(Table, ClearErrorsForBadFiles) {
  EXPECT_THROW(read_table(tmp("dmde_no_such_file.h5")), H5Error);
  const auto junk = tmp("dmde_junk.h5");
  { std::FILE* f = std::fopen(junk.c_str(), "w"); std::fputs("not hdf5", f); std::fclose(f); }
  EXPECT_THROW(read_table(junk), H5Error);
  const auto path = tmp("dmde_table_missing.h5");
  write_table(path, small_table());
  try {
    read_table(path, {"nope"});
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'nope'"), std::string::npos);
  }
  std::remove(path.c_str());
  std::remove(junk.c_str());
}

TEST(Table, DuplicateIdsRefusedAndNothingWritten) {
  const auto path = tmp("dmde_dup.h5");
  auto t = small_table();
  t.id[3] = 10;
  EXPECT_THROW(write_table(path, t), InputError);
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST(Serialize, EigenAndSchemaRoundTripExactly) {
  Eigen::MatrixXd m(2, 3);
  m << 1, std::nan(""), 3, -0.0, 1e-300, INFINITY;
  Eigen::MatrixXd back;
  from_bytes(to_bytes(m), back);
  ASSERT_EQ(back.rows(), 2);
  EXPECT_EQ(std::memcmp(back.data(), m.data(), sizeof(double) * 6), 0);
  VarInfo v{"x", VarKind::Categorical, "family", 6, {"a", "b"}}, w;
  from_bytes(to_bytes(v), w);
  EXPECT_EQ(w.levels, v.levels);
  EXPECT_EQ(w.window, 6);
  EXPECT_THROW(from_bytes(std::string("garbage"), w), Error);
}

TEST(Table, RawReadsEqualHdf5ReadsWithinAChunkOnly) {
  // float32 values and int16 level codes, 3 rows per chunk: a pread of the chunk's bytes must give
  // what HDF5 gives; a range crossing a chunk, the wrong element type and float64 columns are refused.
  const auto path = tmp("dmde_table_raw.h5");
  auto t = small_table();
  t.id = {10, 11, 12, 13, 14, 15, 16};
  t.caf = {1, 1, 1, 1, 2, 2, 2};
  t.weight = Eigen::VectorXd::Ones(7);
  t.outcomes = Eigen::MatrixXd::Zero(7, 5);
  t.X.resize(7, 3);
  const double nan = std::nan("");
  t.X << 34, 0, 120.5, nan, 1, 0, 51, nan, 33.25, 19, 2, nan, 7.5, 1, -3, 61, nan, 1e30, 0.1, 2, 4;
  WriteOptions opt;
  opt.numeric_float32 = true;
  opt.chunk_rows = 3;
  write_table(path, t, opt);
  TableReader r(path);
  r.open_raw({"age", "tenure", "rsa_12m"});
  EXPECT_EQ(r.raw_columns(), 3u);
  for (const char* v : {"age", "rsa_12m"})
    for (std::int64_t off : {0, 3, 4, 6}) {
      const std::int64_t cnt = std::min<std::int64_t>(3 - off % 3, 7 - off);
      std::vector<float> raw(static_cast<std::size_t>(cnt), -1.f), ref(raw.size());
      ASSERT_TRUE(r.read_raw_var(v, off, cnt, raw.data())) << v << " at " << off;
      r.read_var(v, off, cnt, ref.data());
      EXPECT_EQ(std::memcmp(raw.data(), ref.data(), raw.size() * sizeof(float)), 0) << v << " at " << off;
    }
  std::vector<std::int16_t> codes(3, 42);
  ASSERT_TRUE(r.read_raw_codes("tenure", 3, 3, codes.data()));
  EXPECT_EQ(codes, (std::vector<std::int16_t>{2, 1, -1}));  // rows 3..5: free, tenant, missing
  std::vector<float> two(4);
  EXPECT_TRUE(r.has_raw("age", false, 3, 3));
  EXPECT_TRUE(r.has_raw("tenure", true, 6, 1));
  EXPECT_FALSE(r.has_raw("age", false, 2, 2));     // two chunks
  EXPECT_FALSE(r.has_raw("tenure", false, 0, 1));  // codes, not float32
  EXPECT_FALSE(r.has_raw("age", true, 0, 1));
  EXPECT_FALSE(r.read_raw_var("age", 2, 2, two.data()));     // rows 2 and 3: two chunks
  EXPECT_FALSE(r.read_raw_codes("age", 0, 2, codes.data()));  // a float32 column is not codes
  EXPECT_FALSE(r.read_raw_var("tenure", 0, 2, two.data()));
  write_table(tmp("dmde_table_raw64.h5"), t);  // float64 numerics: not served raw
  TableReader r64(tmp("dmde_table_raw64.h5"));
  r64.open_raw({"age", "tenure"});
  EXPECT_EQ(r64.raw_columns(), 1u);  // tenure only
  EXPECT_FALSE(r64.read_raw_var("age", 0, 1, two.data()));
  for (const auto& p : {path, tmp("dmde_table_raw64.h5")}) std::remove(p.c_str());
}
