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
