// `dmde train` run in-process on 1, 2 and 3 ranks: results identical to a serial computation of
// every replicate (so identical at any rank count), truth recovered on synthetic data, restart
// after a simulated kill bit-identical to an uninterrupted run.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/h5.hpp"
#include "core/table.hpp"
#include "driver/command.hpp"
#include "driver/train.hpp"
#include "synth.hpp"
#include "worker/artifact_io.hpp"
#include "worker/bootstrap.hpp"
#include "worker/score_model.hpp"

using namespace dmde;

namespace {

std::string dir(const Comm& comm) {
  const auto d = std::filesystem::temp_directory_path() / ("dmde_train_np" + std::to_string(comm.size()));
  if (comm.is_root()) {
    std::filesystem::remove_all(d);  // no stale outputs of an earlier run
    std::filesystem::create_directories(d);
  }
  comm.barrier();
  return d.string();
}

driver::TrainParams params(const std::string& d) {
  driver::TrainParams p;
  p.table = d + "/prepared.h5";
  p.output = d + "/model.dmde";
  p.target = "target";
  p.replicates = 16;
  p.seed = 7;
  p.slentry = p.slstay = 0.01;
  p.folds = 3;
  p.cv_repeats = 2;
  p.optimism_b = 4;
  p.ci_b = 20;
  p.progress = false;
  return p;
}

struct Boot {
  std::vector<double> auc, coef;
  std::vector<std::int32_t> sel;
  std::vector<std::int64_t> sel_off;
  std::vector<std::string> kept;
  std::vector<double> freq;
};
Boot read_boot(const std::string& path) {
  auto f = h5::File::open(path);
  auto g = f.group("replicates");
  return {g.dataset("oob_auc").read_all<double>(), g.dataset("coef").read_all<double>(),
          g.dataset("selected").read_all<std::int32_t>(), g.dataset("selected_offset").read_all<std::int64_t>(),
          f.read_strings("kept"), f.dataset("selection_frequency").read_all<double>()};
}

class TrainMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    d_ = dir(comm_);
    if (comm_.is_root()) write_table(d_ + "/prepared.h5", test::synthetic_table(2500, 14, 4, 5));
    comm_.barrier();
  }
  Comm comm_;
  std::string d_;
};

TEST_F(TrainMpi, WholeJobMatchesSerialReplicatesAndRecoversTruth) {
  auto p = params(d_);
  ASSERT_EQ(driver::run_train(comm_, p), 0);
  if (!comm_.is_root()) return;
  EXPECT_FALSE(std::filesystem::exists(p.output + ".bootstrap.h5.ckpt"));
  const auto b = read_boot(p.output + ".bootstrap.h5");
  // Serial recomputation of every replicate: the distributed result must be bit-identical.
  const auto t = read_table(p.table);
  const auto d = worker::make_class_data(t, "target");
  worker::StepwiseOptions sw;
  sw.slentry = sw.slstay = 0.01;
  ASSERT_EQ(b.auc.size(), 16u);
  std::size_t c = 0;
  for (int r = 0; r < 16; ++r) {
    const auto res = worker::run_replicate(d, 7, r, true, sw);
    EXPECT_EQ(std::memcmp(&res.oob_auc, &b.auc[static_cast<std::size_t>(r)], sizeof(double)), 0) << r;
    const std::vector<std::int32_t> sel(b.sel.begin() + b.sel_off[static_cast<std::size_t>(r)],
                                        b.sel.begin() + b.sel_off[static_cast<std::size_t>(r) + 1]);
    EXPECT_EQ(sel, std::vector<std::int32_t>(res.selected.begin(), res.selected.end())) << r;
    for (double x : res.coef) EXPECT_EQ(x, b.coef[c++]);
  }
  // Known truth: v00..v03 drive the target; v04..v13 are noise.
  EXPECT_EQ(b.kept, (std::vector<std::string>{"v00", "v01", "v02", "v03"}));
  // The artifact: loadable, scores like the fit, carries its metadata.
  const auto a = worker::load_artifact(p.output);
  EXPECT_EQ(a.target, "target");
  EXPECT_EQ(a.meta.at("seed"), "7");
  EXPECT_EQ(a.meta.at("data_fingerprint"), worker::table_fingerprint(t));
  EXPECT_GT(a.fit.stats.at("cv_auc"), 0.6);
  EXPECT_GT(a.fit.auc, a.fit.stats.at("cv_auc") - 0.02);
  EXPECT_TRUE(std::filesystem::exists(p.output + ".json"));
  EXPECT_TRUE(std::filesystem::exists(p.output + ".h5"));
  EXPECT_TRUE(std::filesystem::exists(p.output + ".validation.h5"));
  EXPECT_TRUE(std::filesystem::exists(p.output + ".interactions.h5"));
  // The learning side of drift travels in the artifact: each input's weighted class shares,
  // recomputed here from the table, and ten score bins.
  const auto m = worker::load_score_model(p.output);
  ASSERT_FALSE(m.coding.empty());
  for (std::size_t k = 0; k < m.coding.size(); ++k) {
    const Eigen::VectorXd x = t.column(m.card.inputs[k]);
    std::vector<double> share(static_cast<std::size_t>(m.coding[k].n_classes), 0.0);
    for (Eigen::Index i = 0; i < x.size(); ++i) share[static_cast<std::size_t>(x[i])] += t.weight[i] / t.weight.sum();
    ASSERT_EQ(m.coding[k].learn_share.size(), share.size()) << k;
    for (std::size_t l = 0; l < share.size(); ++l) EXPECT_NEAR(m.coding[k].learn_share[l], share[l], 1e-12) << k;
  }
  EXPECT_EQ(m.score_cuts.size(), 9u);
  EXPECT_TRUE(std::is_sorted(m.score_cuts.begin(), m.score_cuts.end()));
  double total = 0;
  for (double s : m.score_learn_share) {
    total += s;
    EXPECT_NEAR(s, 0.1, 0.02);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST_F(TrainMpi, ResumeAfterKillIsBitIdentical) {
  auto full = params(d_);
  full.output = d_ + "/full.dmde";
  full.stage = "bootstrap";
  ASSERT_EQ(driver::run_train(comm_, full), 0);

  auto cut = params(d_);
  cut.output = d_ + "/cut.dmde";
  cut.stage = "bootstrap";
  cut.stop_after = 5;
  ASSERT_EQ(driver::run_train(comm_, cut), 0);
  if (comm_.is_root()) {
    EXPECT_FALSE(std::filesystem::exists(cut.output + ".bootstrap.h5"));  // no partial output
    EXPECT_TRUE(std::filesystem::exists(cut.output + ".bootstrap.h5.ckpt"));
  }
  // A second interrupted run on top of the first: nothing lost or counted twice.
  cut.resume = true;
  cut.stop_after = 4;
  ASSERT_EQ(driver::run_train(comm_, cut), 0);
  cut.stop_after = -1;
  ASSERT_EQ(driver::run_train(comm_, cut), 0);
  if (!comm_.is_root()) return;
  const auto a = read_boot(full.output + ".bootstrap.h5"), b = read_boot(cut.output + ".bootstrap.h5");
  EXPECT_EQ(a.auc.size(), 16u);
  EXPECT_EQ(std::memcmp(a.auc.data(), b.auc.data(), a.auc.size() * sizeof(double)), 0);
  EXPECT_EQ(a.coef, b.coef);
  EXPECT_EQ(a.sel, b.sel);
  EXPECT_EQ(a.sel_off, b.sel_off);
  EXPECT_EQ(a.freq, b.freq);
  EXPECT_EQ(a.kept, b.kept);
}

TEST_F(TrainMpi, ResumeWithOtherParametersIsRefused) {
  auto p = params(d_);
  p.output = d_ + "/other.dmde";
  p.stage = "bootstrap";
  p.stop_after = 2;
  ASSERT_EQ(driver::run_train(comm_, p), 0);
  p.resume = true;
  p.stop_after = -1;
  p.seed = 8;  // a different job: its replicates would not be the same
  EXPECT_THROW(driver::run_train(comm_, p), driver::SharedInputError);
}

}  // namespace
