// `prepare` over 1, 2, 3 ranks gives bit-identical results to a one-rank run: same spec bytes,
// same report, same association matrix.
#include <gtest/gtest.h>

#include "core/serialize.hpp"
#include "prep_synth.hpp"
#include "worker/prepare.hpp"

using namespace dmde;

TEST(PrepareMpi, IdenticalAtAnyRankCount) {
  Comm world;
  const auto t = prep_synth::make_table(3000, 11);
  const auto all = worker::prepare(world, t, "target", model::PrepOptions{});
  Comm self(MPI_COMM_SELF);
  const auto one = worker::prepare(self, t, "target", model::PrepOptions{});
  EXPECT_EQ(to_bytes(all.spec), to_bytes(one.spec));
  EXPECT_EQ(worker::report_csv(all.report), worker::report_csv(one.report));
  ASSERT_EQ(all.association.rows(), one.association.rows());
  EXPECT_TRUE((all.association.array() == one.association.array()).all());
  EXPECT_GE(all.spec.vars.size(), 4u);
}

TEST(PrepareMpi, AssociationBlocksCoverEveryPair) {
  // 40 candidates: blocks of 16 -> 6 block pairs spread over the ranks; every pair filled once.
  Comm world;
  const int n = 200, m = 40;
  Eigen::MatrixXi codes(n, m);
  Eigen::MatrixXd raw(n, m);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j) codes(i, j) = (i * (j + 1)) % 3, raw(i, j) = (i * (j + 3)) % 17;
  std::vector<int> k(m, 3);
  std::vector<bool> numeric(m);
  for (int j = 0; j < m; ++j) numeric[static_cast<std::size_t>(j)] = j % 2 == 0;
  std::int64_t pairs = 0;
  const auto a = worker::association_matrix(world, codes, k, raw, numeric, Eigen::VectorXd::Ones(n), &pairs);
  Comm self(MPI_COMM_SELF);
  const auto b = worker::association_matrix(self, codes, k, raw, numeric, Eigen::VectorXd::Ones(n));
  EXPECT_EQ(pairs, m * (m - 1) / 2);
  EXPECT_TRUE((a.array() == b.array()).all());
  EXPECT_TRUE(a.isApprox(a.transpose()));
}
