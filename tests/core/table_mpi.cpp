// Parallel writer/reader: a table written by 1, 2 or 3 ranks reads back identical, and the
// ordered reduction gives the same bits at any rank count.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/comm.hpp"
#include "core/table.hpp"
#include "worker/partition.hpp"

using namespace dmde;

TEST(TableMpi, ParallelWriteReadsBackIdentical) {
  Comm comm;
  // Buffered H5Dwrite; then direct I/O with chunks that are whole 4 KiB blocks for float32 and
  // int64 (O_DIRECT, edge chunk padded) but not for int16 (left to H5Dwrite).
  struct Case {
    bool direct;
    std::int64_t rows;
    hsize_t chunk;
  };
  for (const Case& cs : {Case{false, 1001, 128}, Case{true, 5001, 1024}}) {
    TableSchema s;
    s.kind = "population";
    s.n_rows = cs.rows;
    s.vars = {{"x", VarKind::Numeric, "income", 3, {}}, {"c", VarKind::Categorical, "family", 0, {"a", "b", "c"}}};
    // One file per rank count: ctest may run the np1/np2/np3 suites concurrently.
    const std::string path =
        (std::filesystem::temp_directory_path() / ("dmde_par_np" + std::to_string(comm.size()) + ".h5")).string();
    {
      WriteOptions opt;
      opt.numeric_float32 = true;
      opt.chunk_rows = cs.chunk;
      opt.direct_io = cs.direct;
      TableWriter w(comm, path, s, opt);
      const auto rg = worker::block_range(s.n_rows, comm.rank(), comm.size());
      // Two blocks per rank, of uneven size, to exercise offsets.
      for (auto [b, e] : {std::pair{rg.begin, rg.begin + rg.size() / 3}, std::pair{rg.begin + rg.size() / 3, rg.end}}) {
        const auto n = e - b;
        std::vector<std::int64_t> id(static_cast<std::size_t>(n));
        std::vector<std::int32_t> caf(static_cast<std::size_t>(n));
        Eigen::MatrixXf X(n, 2);
        for (std::int64_t i = 0; i < n; ++i) {
          id[static_cast<std::size_t>(i)] = 1000000 + b + i;
          caf[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((b + i) % 101);
          X(i, 0) = (b + i) % 7 == 0 ? NAN : 0.5f * static_cast<float>(b + i);
          X(i, 1) = (b + i) % 5 == 0 ? NAN : static_cast<float>((b + i) % 3);
        }
        w.write_rows(b, id, caf, Eigen::VectorXd::Ones(n), Eigen::MatrixXd(n, 0), X);
      }
      EXPECT_FALSE(std::filesystem::exists(path));  // not visible before commit
      w.commit();
    }
    comm.barrier();
    if (comm.is_root()) {
      auto t = read_table(path);
      ASSERT_EQ(t.rows(), cs.rows);
      for (Eigen::Index i = 0; i < cs.rows; ++i) {
        EXPECT_EQ(t.id[static_cast<std::size_t>(i)], 1000000 + i);
        EXPECT_EQ(t.caf[static_cast<std::size_t>(i)], i % 101);
        if (i % 7 == 0) EXPECT_TRUE(std::isnan(t.X(i, 0)));
        else EXPECT_EQ(t.X(i, 0), 0.5 * static_cast<double>(i));
        if (i % 5 == 0) EXPECT_TRUE(std::isnan(t.X(i, 1)));
        else EXPECT_EQ(t.X(i, 1), static_cast<double>(i % 3));
      }
    }
    // Parallel reader: each rank reads its own block.
    TableReader r(path, &comm);
    const auto rg = worker::block_range(cs.rows, comm.rank(), comm.size());
    std::vector<float> x(static_cast<std::size_t>(rg.size()));
    r.read_var("x", rg.begin, rg.size(), x.data());
    if (rg.size() > 1 && (rg.begin + 1) % 7 != 0) { EXPECT_EQ(x[1], 0.5f * static_cast<float>(rg.begin + 1)); }
    comm.barrier();
    if (comm.is_root()) std::filesystem::remove(path);
  }
}

TEST(CommMpi, OrderedSumIsBitIdenticalAcrossRankCounts) {
  Comm comm;
  // Values summed in global index order on every rank count: each rank sums its block in order,
  // then rank-order sums of block partials. The reference is computed the same way with blocks
  // of one rank... so we compare against the fixed result for the 1-rank partition instead.
  std::vector<double> vals(3);
  vals[0] = comm.rank() + 0.1;
  vals[1] = 1e16 * (comm.rank() % 2 ? -1 : 1);
  vals[2] = 1.0 / (comm.rank() + 3);
  comm.allreduce_sum_ordered(vals);
  double e0 = 0, e1 = 0, e2 = 0;
  for (int r = 0; r < comm.size(); ++r) {
    e0 += r + 0.1;
    e1 += 1e16 * (r % 2 ? -1 : 1);
    e2 += 1.0 / (r + 3);
  }
  EXPECT_EQ(vals[0], e0);
  EXPECT_EQ(vals[1], e1);
  EXPECT_EQ(vals[2], e2);
  auto all = comm.allgather(std::string(static_cast<std::size_t>(comm.rank() + 1), 'x'));
  ASSERT_EQ(static_cast<int>(all.size()), comm.size());
  for (int r = 0; r < comm.size(); ++r) EXPECT_EQ(all[static_cast<std::size_t>(r)].size(), static_cast<std::size_t>(r + 1));
  EXPECT_EQ(comm.exscan_sum(2), 2 * comm.rank());
}
