// `dmde audit` end to end on a hand-made table and scores file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/h5.hpp"
#include "core/table.hpp"
#include "core/atomic.hpp"
#include "run_dmde.hpp"

using dmde::test::run_dmde;
using dmde::test::tmp_path;

namespace {

// Six dossiers; single_parent 0/1 (numeric), age (numeric), outcome y.
void write_inputs(const std::string& table, const std::string& scores, bool with_flag) {
  dmde::Table t;
  t.schema.kind = "learning";
  t.schema.n_rows = 6;
  t.schema.outcomes = {"y"};
  t.id = {1, 2, 3, 4, 5, 6};
  t.caf = {10, 10, 10, 20, 20, 20};
  t.weight = Eigen::VectorXd::Ones(6);
  t.outcomes = (Eigen::MatrixXd(6, 1) << 0, 1, 0, 1, 0, 0).finished();
  t.schema.vars = {dmde::VarInfo{"single_parent", dmde::VarKind::Numeric, "family", 0, {}},
                   dmde::VarInfo{"age", dmde::VarKind::Numeric, "family", 0, {}}};
  t.X.resize(6, 2);
  t.X << 0, 20, 0, 30, 0, 40, 1, 50, 1, 60, NAN, 70;
  dmde::write_table(table, t);
  auto f = dmde::h5::File::create(scores);
  const std::int64_t ids[] = {1, 2, 3, 4, 5, 6};
  const std::int32_t cafs[] = {10, 10, 10, 20, 20, 20};
  const double p[] = {0.1, 0.2, 0.3, 0.9, 0.8, 0.4}, fl[] = {0, 0, 0, 1, 1, 0};
  f.create_dataset<std::int64_t>("id", 6).write(ids, 0, 6);
  f.create_dataset<std::int32_t>("caf", 6).write(cafs, 0, 6);
  auto g = f.create_group("score");
  g.create_dataset<double>("probability", 6).write(p, 0, 6);
  if (with_flag) g.create_dataset<double>("flag_top", 6).write(fl, 0, 6);
}
}  // namespace

TEST(AuditCli, HandComputedGroupsWithOutcomes) {
  const auto table = tmp_path("aud.h5"), scores = tmp_path("aud-scores.h5"), csv = tmp_path("aud.csv");
  write_inputs(table, scores, true);
  const auto r = run_dmde(2, "audit --table " + table + " --scores " + scores +
                                 " --group single_parent --group age --band age:35,55 --outcome y --csv " + csv);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("33.33% of dossiers flagged"), std::string::npos) << r.output;
  const auto t = dmde::read_file(csv);
  // single_parent = 1: 2 of 6 dossiers, both flagged: ratio 3; TPR 1 (one event), FPR 1.
  EXPECT_NE(t.find("single_parent,\"1\",2.0000,0.333333,2.0000,1.000000,1.000000,3.000000,0.850000,0.500000,"
                   "1.700000,1.000000,1.000000"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("single_parent,\"(missing)\",1.0000"), std::string::npos) << t;
  EXPECT_NE(t.find("age,\"[35, 55)\",2.0000"), std::string::npos) << t;
  EXPECT_NE(t.find("caf,\"020\",3.0000,0.500000,2.0000"), std::string::npos) << t;
  std::remove(table.c_str()), std::remove(scores.c_str()), std::remove(csv.c_str());
}

TEST(AuditCli, FlagsTopShareWhenScoresHaveNoFlagAndRejectsMisalignment) {
  const auto table = tmp_path("aud2.h5"), scores = tmp_path("aud2-scores.h5");
  write_inputs(table, scores, false);
  const auto r = run_dmde(1, "audit --table " + table + " --scores " + scores + " --top 0.5");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("50.00% of dossiers flagged"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'mt_rsa_m0' is not in the table: skipped"), std::string::npos) << r.output;
  const auto bad = run_dmde(1, "audit --table " + table + " --scores " + scores + " --group nope");
  EXPECT_EQ(bad.code, 2) << bad.output;
  EXPECT_NE(bad.output.find("'nope' is not in the table"), std::string::npos) << bad.output;
  std::remove(table.c_str()), std::remove(scores.c_str());
}
