// `dmde targets` end to end on a hand-made learning table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "core/error.hpp"
#include "core/h5.hpp"
#include "core/table.hpp"
#include "core/atomic.hpp"
#include "run_dmde.hpp"

using dmde::test::run_dmde;
using dmde::test::tmp_path;

namespace {

// Six dossiers (the model test's hand case): c4 holds for rows 0 and 2.
dmde::Table six_rows() {
  dmde::Table t;
  t.schema.kind = "learning";
  t.schema.n_rows = 6;
  t.schema.outcomes = {"overpayment_amount", "overpayment_months", "fraud", "underpayment_amount", "financial_impact"};
  t.id = {11, 12, 13, 14, 15, 16};
  t.caf = {1, 1, 2, 2, 3, 3};
  t.weight = (Eigen::VectorXd(6) << 1, 1, 2, 1, 3, 1).finished();
  t.outcomes.resize(6, 5);
  t.outcomes << 700, 7, 1, 0, 700, 700, 6, 0, 0, 700, 2000, 12, 0, 50, 2050, 0, 0, 0, 300, 300, 100, 1, 1, 0, 100,
      50, 3, 0, 0, 0;
  t.schema.vars = {dmde::VarInfo{"x", dmde::VarKind::Numeric, "income", 0, {}}};
  t.X = Eigen::MatrixXd::Zero(6, 1);
  return t;
}
}  // namespace

TEST(TargetsCli, WritesTableCsvAndChosenColumnWithRule) {
  const auto in = tmp_path("learn.h5"), out = tmp_path("learn-t.h5"), csv = tmp_path("targets.csv");
  dmde::write_table(in, six_rows());
  const auto r = run_dmde(2, "targets -i " + in + " -o " + out + " --csv " + csv);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("c4"), std::string::npos);
  const std::string table = dmde::read_file(csv);
  // c4: 2 of 6 dossiers; fraud amount share 700 / (700 + 2*2000) = 14.8936%; all fraud amount
  // is 700*1 + 100*3 = 1000, of which 700 inside: 70%.
  EXPECT_NE(table.find("c4,\"overpayment > 600 EUR, > 6 months (chosen)\",2,33.3333,14.8936,70.0000,33.3333,1600.00"), std::string::npos)
      << table;
  const auto t = dmde::read_table(out);
  const auto c4 = t.outcome("target_c4");
  EXPECT_EQ(c4[0], 1);
  EXPECT_EQ(c4[1], 0);
  EXPECT_EQ(c4[2], 1);
  // read_table does not load metadata back (yet): read the root attribute directly.
  EXPECT_EQ(dmde::h5::File::open(out).attr_string("meta_target"), "target_c4");
  EXPECT_THROW(t.outcome("target_c1"), dmde::InputError);  // only the chosen one without --all
  const auto rule = dmde::h5::File::open(out).group("outcomes").dataset("target_c4").attr_string("rule");
  EXPECT_EQ(rule.rfind("c4: overpayment_amount > 600 and overpayment_months > 6", 0), 0u) << rule;
  std::remove(in.c_str()), std::remove(out.c_str()), std::remove(csv.c_str());
}

TEST(TargetsCli, RuleFileErrorsNameTheLine) {
  const auto in = tmp_path("learn2.h5"), rules = tmp_path("rules.txt");
  dmde::write_table(in, six_rows());
  std::ofstream(rules) << "# my rules\nbig: overpayment_amount > 1000\n\nbad: fraud = 1\n";
  const auto r = run_dmde(1, "targets -i " + in + " --rules " + rules);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(rules + ":4:"), std::string::npos) << r.output;
  std::ofstream(rules) << "big: overpayment_amount > 1000 | big ones\n";
  const auto ok = run_dmde(1, "targets -i " + in + " --rules " + rules + " --choose big");
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("big ones"), std::string::npos);
  std::remove(in.c_str()), std::remove(rules.c_str());
}

TEST(TargetsCli, SyntheticLearningTableReproducesTheNoteOrderOfMagnitude) {
  // Note section 3: cible 4 = 10.9% of observations, cible 1 (fraud) = 5.0%, cible 2 = 15.6%.
  const auto learn = tmp_path("synth.h5"), csv = tmp_path("synth-targets.csv");
  const auto g = run_dmde(2, "generate learning --rows 6000 --vars 200 --seed 11 -o " + learn);
  ASSERT_EQ(g.code, 0) << g.output;
  const auto r = run_dmde(1, "targets -i " + learn + " --csv " + csv);
  ASSERT_EQ(r.code, 0) << r.output;
  std::map<std::string, double> pct;
  std::stringstream ss(dmde::read_file(csv));
  std::string line;
  std::getline(ss, line);
  while (std::getline(ss, line)) {
    // target,"label",count,percent,...: the label is quoted (it has commas) or plain.
    const auto name = line.substr(0, line.find(','));
    auto rest = line.substr(line.find(',') + 1);
    rest = rest[0] == '"' ? rest.substr(rest.find('"', 1) + 2) : rest.substr(rest.find(',') + 1);
    rest = rest.substr(rest.find(',') + 1);  // skip count
    pct[name] = std::stod(rest.substr(0, rest.find(',')));
  }
  ASSERT_EQ(pct.size(), 11u);
  EXPECT_NEAR(pct["c4"], 10.9, 3.0);
  EXPECT_NEAR(pct["c1"], 5.0, 2.5);
  EXPECT_GT(pct["c2"], pct["c4"]);  // looser definitions hold more dossiers
  EXPECT_GT(pct["c4"], pct["c6"]);
  std::remove(learn.c_str()), std::remove(csv.c_str());
  std::remove((learn + ".truth.json").c_str());
}
