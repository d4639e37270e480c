// `prepare` on the default synthetic learning table (14,087 x 1,700, seed 20190201, generated in
// memory on one rank, ~10 s): the hidden truth's main effects survive data management, every
// window block (same quantity over 3/6/12/18 months) ends with exactly one representative, and
// noise is screened out. One TEST so the table and the preparation are made once per process.
//
// "Survives" (the exact criterion): a true main-effect variable V is kept, or V is dropped as
// correlated with its cluster's representative R (kept by construction) where R carries V's
// information: R is in V's window block, or their association (|r| or Cramer's V) is at least
// 1 - cluster_threshold (e.g. isole_parent is a level of type_menage: association 1).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "worker/generator.hpp"
#include "worker/prepare.hpp"

using namespace dmde;

namespace {

Table generated_learning_table(const worker::Generator& g) {
  Table t;
  const auto& cat = g.catalogue();
  std::vector<int> cols;
  for (std::size_t j = 0; j < cat.size(); ++j) {
    cols.push_back(static_cast<int>(j));
    t.schema.vars.push_back(cat[j].info);
  }
  Eigen::MatrixXf X;
  g.fill(0, g.rows(), cols, X);
  t.X = X.cast<double>();
  g.fill_keys(0, g.rows(), t.id, t.caf, t.weight);
  g.fill_outcomes(0, g.rows(), t.outcomes);
  t.schema.outcomes = worker::Generator::outcome_names();
  t.schema.n_rows = g.rows();
  return t;
}

}  // namespace

TEST(PrepareSynthetic, TrueEffectsSurviveBlocksReducedNoiseDropped) {
  const worker::Generator g(20190201, worker::Domain::Learning, 14087, 1700);
  const Table t = generated_learning_table(g);
  const model::PrepOptions opt;
  Comm self(MPI_COMM_SELF);
  const auto res = worker::prepare(self, t, "target_c4", opt);

  std::map<std::string, const worker::VarReport*> row;
  for (const auto& r : res.report) row[r.name] = &r;
  std::map<std::string, int> block;
  for (const auto& v : g.catalogue()) block[v.info.name] = v.block;

  // 1. Main effects of the truth (interactions' second variables are not main effects).
  std::set<std::string> mains;
  for (const auto& e : g.truth().effects)
    if (e.var2.empty()) mains.insert(e.var);
  ASSERT_GE(mains.size(), 29u);
  int kept_main = 0;
  for (const auto& v : mains) {
    const auto& r = *row.at(v);
    if (r.kept) {
      ++kept_main;
      continue;
    }
    ASSERT_EQ(r.reason.rfind("correlated with representative", 0), 0u) << v << " dropped: " << r.reason;
    const auto& rep = *row.at(r.representative);
    EXPECT_TRUE(rep.kept) << v;
    const bool same_block = block.at(v) >= 0 && block.at(v) == block.at(r.representative);
    EXPECT_TRUE(same_block || r.association >= 1.0 - opt.cluster_threshold)
        << v << " represented by " << r.representative << " (association " << r.association << ")";
  }
  EXPECT_GE(kept_main, 20);

  // 2. Window blocks: the screened candidates of a block all fall in one cluster (one representative).
  std::map<int, std::set<int>> clusters_of_block;
  for (const auto& v : g.catalogue()) {
    const auto& r = *row.at(v.info.name);
    if (v.block >= 0 && r.cluster >= 0) clusters_of_block[v.block].insert(r.cluster);
  }
  EXPECT_GE(clusters_of_block.size(), 150u);  // most blocks carry a target signal
  std::set<int> block_clusters;
  for (const auto& [b, cl] : clusters_of_block) {
    EXPECT_EQ(cl.size(), 1u) << "window block " << b << " split";
    block_clusters.insert(cl.begin(), cl.end());
  }
  // ... and distinct quantities are not lumped together (a few derived pairs such as mt_af / nb_enf may be).
  EXPECT_GE(block_clusters.size(), clusters_of_block.size() * 9 / 10);

  // 3. Noise: at most 2% of the pure-noise variables survive; a few hundred candidates in all.
  int noise = 0, noise_kept = 0, kept = 0;
  for (const auto& r : res.report) {
    kept += r.kept;
    if (r.theme == "noise") ++noise, noise_kept += r.kept;
  }
  EXPECT_GE(noise, 100);
  EXPECT_LE(noise_kept, noise / 50);
  EXPECT_GE(kept, 150);
  EXPECT_LE(kept, 500);
}
