#include "worker/import.hpp"

#include <gtest/gtest.h>
#include <readstat.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/error.hpp"

using namespace dmde;
using namespace dmde::worker;

namespace {
std::string write_tmp(const std::string& name, const std::string& text) {
  const auto p = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(p, std::ios::binary) << text;
  return p;
}
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(ImportCsv, TypesColumnsFrenchDialect) {
  const auto p = write_tmp("imp1.csv",
                           "id;caf;poids;cible;age;statut;fraud\n"
                           "1;591;1,5;0;34,5;A;0\n2;331;2;1;NA;\"B;x\";1\n3;591;1;0;51;;0\n");
  auto t = build_table(read_csv(p, {0, true}), {"id", "cible", "poids", "caf", {}, {}, {}, true});
  ASSERT_EQ(t.rows(), 3);
  EXPECT_EQ(t.caf, (std::vector<std::int32_t>{591, 331, 591}));
  EXPECT_DOUBLE_EQ(t.weight[0], 1.5);
  EXPECT_EQ(t.schema.outcomes, (std::vector<std::string>{"cible", "fraud"}));  // fraud is a standard outcome
  EXPECT_DOUBLE_EQ(t.outcome("cible")[1], 1.0);
  ASSERT_EQ(t.schema.vars.size(), 2u);
  EXPECT_DOUBLE_EQ(t.column("age")[0], 34.5);
  EXPECT_TRUE(std::isnan(t.column("age")[1]));
  EXPECT_EQ(t.schema.vars[1].levels, (std::vector<std::string>{"A", "B;x"}));  // quoted delimiter kept
  EXPECT_TRUE(std::isnan(t.column("statut")[2]));
}

TEST(ImportCsv, ErrorsNameFileLineAndColumn) {
  auto ragged = write_tmp("imp_r.csv", "id,x\n1,2\n2\n");
  EXPECT_EQ(error_of([&] { read_csv(ragged); }), "'" + ragged + "' line 3: expected 2 fields, found 1");
  auto empty = write_tmp("imp_e.csv", "");
  EXPECT_NE(error_of([&] { read_csv(empty); }).find("is empty"), std::string::npos);
  auto header_only = write_tmp("imp_h.csv", "id,x\n");
  EXPECT_NE(error_of([&] { read_csv(header_only); }).find("no data rows"), std::string::npos);
  auto dup = write_tmp("imp_d.csv", "id,x\n7,1\n8,2\n7,3\n");
  const auto msg = error_of([&] { build_table(read_csv(dup), {"id"}); });
  EXPECT_EQ(msg, "'" + dup + "' line 4, column 'id': duplicate dossier id (first seen at line 2)");
  auto bad = write_tmp("imp_b.csv", "id,x,w\n1,2,1\n2,abc,1\n");
  EXPECT_EQ(error_of([&] { build_table(read_csv(bad), {"id", "", "", "", {}, {}, {"x"}}); }),
            "'" + bad + "' line 3, column 'x': value is not a number");
  EXPECT_EQ(error_of([&] { build_table(read_csv(bad), {"id", "", "nope"}); }),
            "'" + bad + "': weight column 'nope' not found");
  auto two = write_tmp("imp_t.csv", "id,y\n1,0\n2,2\n");
  EXPECT_EQ(error_of([&] { build_table(read_csv(two), {"id", "y"}); }),
            "'" + two + "' line 3, column 'y': target must be 0 or 1");
  // Without forcing, a column with text is categorical, not an error.
  auto t = build_table(read_csv(bad), {"id"});
  EXPECT_EQ(t.schema.vars[0].kind, VarKind::Categorical);
}

namespace {
ssize_t write_bytes(const void* data, size_t len, void* ctx) {
  return static_cast<ssize_t>(std::fwrite(data, 1, len, static_cast<std::FILE*>(ctx)));
}
}  // namespace

TEST(ImportSas, ReadsSas7bdatWrittenByReadStat) {
  const auto p = (std::filesystem::temp_directory_path() / "imp.sas7bdat").string();
  std::FILE* f = std::fopen(p.c_str(), "wb");
  readstat_writer_t* w = readstat_writer_init();
  readstat_set_data_writer(w, write_bytes);
  auto* vid = readstat_add_variable(w, "ID", READSTAT_TYPE_DOUBLE, 0);
  auto* vx = readstat_add_variable(w, "MT_RSA", READSTAT_TYPE_DOUBLE, 0);
  auto* vs = readstat_add_variable(w, "SITFAM", READSTAT_TYPE_STRING, 8);
  ASSERT_EQ(readstat_begin_writing_sas7bdat(w, f, 3), READSTAT_OK);
  const double xs[3] = {512.25, 0, -1};
  const char* ss[3] = {"ISOLE", "COUPLE", "ISOLE"};
  for (int i = 0; i < 3; ++i) {
    readstat_begin_row(w);
    readstat_insert_double_value(w, vid, 100 + i);
    if (i == 2) readstat_insert_missing_value(w, vx);
    else readstat_insert_double_value(w, vx, xs[i]);
    readstat_insert_string_value(w, vs, ss[i]);
    readstat_end_row(w);
  }
  readstat_end_writing(w);
  readstat_writer_free(w);
  std::fclose(f);
  auto t = build_table(read_sas7bdat(p), {"ID"});
  EXPECT_EQ(t.id, (std::vector<std::int64_t>{100, 101, 102}));
  EXPECT_DOUBLE_EQ(t.column("MT_RSA")[0], 512.25);
  EXPECT_TRUE(std::isnan(t.column("MT_RSA")[2]));
  EXPECT_EQ(t.schema.vars[1].levels, (std::vector<std::string>{"COUPLE", "ISOLE"}));
  EXPECT_DOUBLE_EQ(t.column("SITFAM")[0], 1.0);
  auto junk = write_tmp("junk.sas7bdat", "this is not SAS");
  EXPECT_NE(error_of([&] { read_sas7bdat(junk); }).find("cannot be read as SAS7BDAT"), std::string::npos);
}
