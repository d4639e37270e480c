// The `dmde` executable under mpirun: exit codes, one-line errors, clean aborts, no partial outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "run_dmde.hpp"

namespace {

using dmde::test::run_dmde;

std::string tmp(const std::string& name) { return dmde::test::tmp_path(name); }  // unique per process

}  // namespace

TEST(Cli, DoctorWritesCollectivelyAtThreeRanks) {
  auto r = run_dmde(3, "doctor --dir " + std::filesystem::temp_directory_path().string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ranks: 3"), std::string::npos);
  EXPECT_NE(r.output.find("write/read-back"), std::string::npos);
}

TEST(Cli, OneRankFailureAbortsTheWholeJob) {
  // Rank 1 throws while ranks 0 and 2 enter a collective: the job must end (ctest's timeout would
  // catch a hang), non-zero, with the failing rank named in the log line.
  auto r = run_dmde(3, "doctor --fail-on-rank 1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("[dmde r1/3"), std::string::npos);
  EXPECT_NE(r.output.find("error: simulated failure on rank 1"), std::string::npos);
}

TEST(Cli, BadParametersExitTwoWithOneLineOnRankZero) {
  auto r = run_dmde(2, "doctor --dir /nonexistent-dir");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("[dmde r0/2"), std::string::npos);
  EXPECT_EQ(r.output.find("[dmde r1/2"), std::string::npos);  // only rank 0 reports a shared error
  EXPECT_NE(r.output.find("error: --dir '/nonexistent-dir' is not a directory"), std::string::npos);
}

TEST(Cli, FailedImportLeavesNoOutput) {
  const auto csv = tmp("cli_dup.csv"), out = tmp("cli_dup.h5");
  std::ofstream(csv) << "id,x\n1,2\n1,3\n";
  std::filesystem::remove(out);
  auto r = run_dmde(2, "import --csv " + csv + " --id id -o " + out);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("line 3, column 'id': duplicate dossier id"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

// A population larger than the free disk space is refused before anything is written.
TEST(Cli, PopulationLargerThanTheDiskIsRefused) {
  const auto out = tmp("cli_huge_pop.h5");
  std::filesystem::remove(out);
  auto r = run_dmde(2, "generate population --rows 1000000000000 --vars 100 -o " + out);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("GB free"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".partial"));
}

TEST(Cli, UnknownOptionIsAUsageError) {
  auto r = run_dmde(1, "import --no-such-option");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("Run with --help for more information"), std::string::npos);
}
