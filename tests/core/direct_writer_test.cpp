// DirectWriter: rows written through it (whole blocks with O_DIRECT from its thread, the heads it
// hands back through H5Dwrite) read back exactly, for continued and broken runs, staging buffers
// smaller than a run, elements of 1, 2 and 8 bytes, a dataset too small to be aligned, and two
// writers whose pieces meet inside blocks (two ranks).
#include "core/direct_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/h5.hpp"

using namespace dmde;

namespace {

std::string scratch(const std::string& name) {  // on the build tree's disk: /tmp may refuse O_DIRECT
  return std::string(DMDE_BINARY_DIR) + "/dw_" + std::to_string(::getpid()) + "_" + name;
}

/// Writes rows [r0, r1) of `all` to dataset `d` through `w` (index k), heads through H5Dwrite.
template <class T>
void put(DirectWriter& w, int k, const h5::Dataset& d, const std::vector<T>& all, hsize_t r0, hsize_t r1) {
  for (const auto& [a, b] : w.write(k, r0, r1 - r0, all.data() + r0)) {
    ASSERT_GE(a, r0);
    ASSERT_LE(b, r1);
    d.write(all.data() + a, a, b - a);
  }
}

/// Same rows, or the first that differs.
template <class T>
void expect_rows(const std::vector<T>& got, const std::vector<T>& want, const char* name) {
  ASSERT_EQ(got.size(), want.size()) << name;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i]) {
      ADD_FAILURE() << name << ": row " << i << " reads " << +got[i] << ", wrote " << +want[i];
      return;
    }
}

}  // namespace

TEST(DirectWriter, RowsReadBackExactlyWhateverThePieces) {
  const auto path = scratch("pieces.h5");
  std::mt19937_64 g(3);
  std::vector<std::int64_t> a(10000);
  std::iota(a.begin(), a.end(), std::int64_t{-5000});
  std::vector<std::uint8_t> b(10007);
  for (auto& x : b) x = static_cast<std::uint8_t>(g());
  std::vector<double> c = {1.5, -2.25, 3.0};
  std::vector<std::int16_t> d(70001);
  for (auto& x : d) x = static_cast<std::int16_t>(g());
  std::uint64_t direct_bytes = 0;
  bool direct = false;
  {
    auto f = h5::File::create(path, nullptr, DirectWriter::kAlign);
    const auto da = f.create_dataset<std::int64_t>("a", a.size());
    const auto db = f.create_dataset<std::uint8_t>("b", b.size());
    const auto dc = f.create_dataset<double>("c", c.size());
    const auto dd = f.create_dataset<std::int16_t>("d", d.size());
    DirectWriter w(path, 8192, 2), w2(path, 8192, 2);  // tiny buffers: many submits and carries
    direct = w.direct();
    const int ka = w.add(da, 8), kb = w.add(db, 1), kc = w.add(dc, 8), kd = w.add(dd, 2);
    const int kd2 = w2.add(dd, 2);
    EXPECT_EQ(kc, -1) << "24 bytes: below the alignment threshold, never direct";
    if (direct) {
      EXPECT_TRUE(ka >= 0 && kb >= 0 && kd >= 0 && kd2 >= 0);
    }
    // a: a run continued across calls, then a gap filled later (a broken run: its head is ours).
    put(w, ka, da, a, 0, 1000);
    put(w, ka, da, a, 1000, 5003);
    put(w, ka, da, a, 5003, 5100);
    put(w, ka, da, a, 6000, 10000);
    put(w, ka, da, a, 5100, 6000);
    // b: one piece, then the rest (ends inside a block at the dataset's end: never padded).
    put(w, kb, db, b, 0, 4096 * 2 + 5);
    put(w, kb, db, b, 4096 * 2 + 5, b.size());
    put(w, kc, dc, c, 0, c.size());
    // d: pieces of random length alternating between two writers, as two ranks' Cafs.
    hsize_t at = 0;
    for (int piece = 0; at < d.size(); ++piece) {
      const hsize_t len = std::min<hsize_t>(d.size() - at, 1 + g() % 9000);
      if (piece % 2 == 0) put(w, kd, dd, d, at, at + len);
      else put(w2, kd2, dd, d, at, at + len);
      at += len;
    }
    w.finish();
    w2.finish();
    direct_bytes = w.bytes_written() + w2.bytes_written();
    f.close();
  }
  if (direct) {
    EXPECT_GT(direct_bytes, 100000u);
  } else {
    GTEST_LOG_(INFO) << "O_DIRECT refused here: every row went through HDF5";
  }
  const auto f = h5::File::open(path);
  expect_rows(f.dataset("a").read_all<std::int64_t>(), a, "a");
  expect_rows(f.dataset("b").read_all<std::uint8_t>(), b, "b");
  expect_rows(f.dataset("c").read_all<double>(), c, "c");
  expect_rows(f.dataset("d").read_all<std::int16_t>(), d, "d");
  std::filesystem::remove(path);
}

TEST(DirectWriter, RowsPastTheEndAreAnError) {
  const auto path = scratch("end.h5");
  {
    auto f = h5::File::create(path, nullptr, DirectWriter::kAlign);
    const auto da = f.create_dataset<std::int64_t>("a", 1000);
    DirectWriter w(path);
    const int k = w.add(da, 8);
    if (k < 0) GTEST_SKIP() << "O_DIRECT refused here";
    std::vector<std::int64_t> v(1001);
    EXPECT_THROW(w.write(k, 0, 1001, v.data()), Error);
    w.finish();
    f.close();
  }
  std::filesystem::remove(path);
}

TEST(DirectWriter, AbandonedWithWritesInFlightStopsCleanly) {
  // A failed run drops its writer with writes queued (the file is then removed): no wait for them,
  // no crash, and the thread gone.
  const auto path = scratch("abandon.h5");
  {
    auto f = h5::File::create(path, nullptr, DirectWriter::kAlign);
    const auto da = f.create_dataset<std::int64_t>("a", 1 << 20);
    std::vector<std::int64_t> v(1 << 20, 7);
    for (int round = 0; round < 3; ++round) {
      DirectWriter w(path, 8192, 64);
      const int k = w.add(da, 8);
      if (k < 0) GTEST_SKIP() << "O_DIRECT refused here";
      for (hsize_t r = 0; r < v.size(); r += 4096) {
        const auto left = w.write(k, r, 4096, v.data() + r);
        EXPECT_TRUE(left.empty());  // a continued run: no heads
      }
    }  // destroyed without finish()
    f.close();
  }
  std::filesystem::remove(path);
}
