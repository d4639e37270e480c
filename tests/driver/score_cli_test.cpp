// `dmde score` end to end under mpirun: a synthetic population and model (hidden score-fixture),
// identical output files at 1 and 3 ranks, at 1 and 2 threads, with or without the raw input reads
// and the direct writes, and bad input -> exit code 2, one clear line, no file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/h5.hpp"

#include "run_dmde.hpp"

namespace {

const auto run = dmde::test::run_dmde;

std::string tmp(const std::string& name) { return dmde::test::tmp_path(name); }  // unique per process

}  // namespace

TEST(ScoreCli, InputsReadRawGiveTheSameFile) {
  // `dmde generate` writes unfiltered chunks, so score reads the float32 and int16 inputs with pread.
  const auto pop = tmp("dmde_smap_pop.h5"), model = tmp("dmde_smap.dmde");
  const auto a = tmp("dmde_smap_a.h5"), b = tmp("dmde_smap_b.h5"), c = tmp("dmde_smap_c.h5");
  auto r = run(2, "generate population --rows 30000 --vars 72 -o " + pop);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(1, "score-fixture --population " + pop + " --inputs 20 -o " + model + " --json " + model + ".json");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(1, "--log-level debug score --model " + model + " --population " + pop + " -o " + a +
                 " --threads 2 --chunk-rows 4096");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto at = r.output.find(" of 20 inputs read raw");
  ASSERT_NE(at, std::string::npos) << r.output;
  const auto from = r.output.rfind(' ', at - 1) + 1;
  EXPECT_EQ(std::stoi(r.output.substr(from, at - from)), 20) << r.output;  // numeric and categorical
  // Results written with O_DIRECT where the file system takes it (not tmpfs).
  const int probe = ::open(tmp("dmde_smap_probe").c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0600);
  if (probe >= 0) {
    ::close(probe);
    EXPECT_NE(r.output.find("MB of results written with O_DIRECT"), std::string::npos) << r.output;
  }
  std::filesystem::remove(tmp("dmde_smap_probe"));
  r = run(1, "score --model " + model + " --population " + pop + " -o " + b + " --no-raw-read --no-direct-io --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(2, "score --model " + model + " --population " + pop + " -o " + c + " --threads 1 --chunk-rows 4096");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(std::system(("h5diff -q " + a + " " + b + " >/dev/null 2>&1").c_str()), 0) << "--no-raw-read --no-direct-io differs";
  EXPECT_EQ(std::system(("h5diff -q " + a + " " + c + " >/dev/null 2>&1").c_str()), 0) << "2 ranks differ";
  // A level code outside a categorical input's levels, in a copy of the file: coded from the
  // raw reads (1 rank, 2 threads; 2 ranks) and through HDF5 (--no-raw-read), a clear error and no file.
  std::string cat;
  const auto spec = nlohmann::json::parse(std::ifstream(model + ".json"));
  for (const auto& in : spec.at("inputs"))
    if (in["categorical"].get<bool>()) cat = in["variable"].get<std::string>();
  ASSERT_FALSE(cat.empty()) << "no categorical input in the fixture model";
  const auto badpop = tmp("dmde_smap_badpop.h5"), bad = tmp("dmde_smap_bad.h5");
  std::filesystem::copy_file(pop, badpop, std::filesystem::copy_options::overwrite_existing);
  {
    const auto f = dmde::h5::File::open(badpop, true);
    const std::int16_t wrong = 99;
    f.group("variables").dataset(cat).write(&wrong, 20001, 1);
  }
  for (const auto& how : {std::string("1 --threads 2"), std::string("2 --threads 1"), std::string("1 --no-raw-read")}) {
    r = run(how[0] - '0', "score --model " + model + " --population " + badpop + " -o " + bad + how.substr(1));
    EXPECT_EQ(r.code, 2) << how << ": " << r.output;
    EXPECT_NE(r.output.find("'" + cat + "' holds"), std::string::npos) << how << ": " << r.output;
    EXPECT_NE(r.output.find("outside its"), std::string::npos) << how << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(bad)) << how;
  }
  for (const auto& p : {pop, badpop, model, model + ".json", a, b, c}) std::filesystem::remove(p);
}

TEST(ScoreCli, SameFileAtOneAndThreeRanksAndBadInputLeavesNothing) {
  const auto pop = tmp("dmde_scli_pop.h5"), model = tmp("dmde_scli.dmde"), model2 = tmp("dmde_scli2.dmde");
  const auto o1 = tmp("dmde_scli_1.h5"), o3 = tmp("dmde_scli_3.h5"), bad = tmp("dmde_scli_bad.h5");
  auto r = run(2, "score-fixture --population " + pop + " --make-population 20000 --cafs 7 --vars 12 --inputs 12 -o " + model);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(1, "score --model " + model + " --population " + pop + " -o " + o1);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(3, "score --model " + model + " --population " + pop + " -o " + o3 + " --chunk-rows 1024 --collective");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("scored 20000 dossiers in 7 Cafs"), std::string::npos) << r.output;
  // Every dataset and attribute equal (no NaN in this run: every input has learning shares).
  const int diff = std::system(("h5diff -q " + o1 + " " + o3 + " >/dev/null 2>&1").c_str());
  EXPECT_EQ(diff, 0) << "outputs at 1 and 3 ranks differ";
  // One rank with one and with two threads (the pipelined mode), small blocks: the same file.
  const auto o1a = tmp("dmde_scli_1a.h5"), o1b = tmp("dmde_scli_1b.h5");
  r = run(1, "score --model " + model + " --population " + pop + " -o " + o1a + " --threads 1 --chunk-rows 1024");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(1, "score --model " + model + " --population " + pop + " -o " + o1b + " --threads 2 --chunk-rows 1024");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(std::system(("h5diff -q " + o1 + " " + o1a + " >/dev/null 2>&1").c_str()), 0) << "--threads 1 differs";
  EXPECT_EQ(std::system(("h5diff -q " + o1 + " " + o1b + " >/dev/null 2>&1").c_str()), 0) << "--threads 2 differs";
  r = run(1, "score --model " + model + " --population " + pop + " -o " + bad + " --threads 3");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--threads must be"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(bad));
  // A model over 13 variables of a 12-variable population: a missing variable.
  const auto pop13 = tmp("dmde_scli_pop13.h5");
  r = run(1, "score-fixture --population " + pop13 + " --make-population 500 --cafs 3 --vars 13 --inputs 13 -o " + model2);
  ASSERT_EQ(r.code, 0) << r.output;
  r = run(3, "score --model " + model2 + " --population " + pop + " -o " + bad);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("'v12'"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(bad));
  EXPECT_FALSE(std::filesystem::exists(bad + ".partial"));
  r = run(2, "score --model " + pop + " --population " + pop + " -o " + bad);  // not a model
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("not a dmde scoring model"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(bad));
  for (const auto& p : {pop, pop13, model, model2, o1, o3, o1a, o1b}) std::filesystem::remove(p);
}
