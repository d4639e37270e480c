// The per-Caf radix sort against std::stable_sort: same order, ties in input order, for keys that
// share their top bits (probabilities), keys with many ties, and sizes on both sides of the cutover.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "worker/score_sort.hpp"

using dmde::worker::radix_sort_keys;
using dmde::worker::sort_keys_by_prefix;
using dmde::worker::SortKey;
using dmde::worker::SortKey32;

namespace {

std::vector<SortKey> reference(std::vector<SortKey> a) {
  std::stable_sort(a.begin(), a.end(), [](const SortKey& x, const SortKey& y) { return x.k < y.k; });
  return a;
}

void expect_same(const std::vector<SortKey>& got, const std::vector<SortKey>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].k, want[i].k) << "at " << i;
    ASSERT_EQ(got[i].row, want[i].row) << "at " << i;
  }
}

}  // namespace

TEST(ScoreSort, ProbabilityKeysWithTiesMatchStableSort) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t n : {0u, 1u, 100u, 2047u, 2048u, 50000u}) {
    std::vector<SortKey> a(n);
    for (std::size_t i = 0; i < n; ++i) {
      // a tenth of the values repeat from a small set: ties must keep row order
      const double p = i % 10 == 0 ? 0.25 * static_cast<double>(rng() % 4) : u(rng);
      std::uint64_t bits;
      std::memcpy(&bits, &p, sizeof bits);
      a[i] = {~bits, static_cast<std::uint32_t>(i)};
    }
    const auto want = reference(a);
    std::vector<SortKey> b = a, tmp;
    radix_sort_keys(a, tmp);
    expect_same(a, want);
    std::vector<SortKey32> p, ptmp;
    sort_keys_by_prefix(b, tmp, p, ptmp);
    expect_same(b, want);
  }
}

TEST(ScoreSort, PrefixSortResolvesKeysThatShareTheirTopHalf) {
  std::mt19937_64 rng(11);
  for (std::size_t n : {3000u, 40000u}) {
    std::vector<SortKey> a(n);
    for (std::size_t i = 0; i < n; ++i)  // eight top halves only: long runs decided by the low bits, with ties
      a[i] = {(rng() % 8) << 32 | (rng() % 64), static_cast<std::uint32_t>(i)};
    const auto want = reference(a);
    std::vector<SortKey> tmp;
    std::vector<SortKey32> p, ptmp;
    sort_keys_by_prefix(a, tmp, p, ptmp);
    expect_same(a, want);
  }
}

TEST(ScoreSort, FullWidthAndConstantKeys) {
  std::mt19937_64 rng(11);
  std::vector<SortKey> a(10000), c(10000);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = {rng(), static_cast<std::uint32_t>(i)};  // every digit varies, top bits included
    c[i] = {42, static_cast<std::uint32_t>(a.size() - i)};  // every pass skipped: order kept
  }
  const auto want = reference(a);
  const auto want_c = c;
  std::vector<SortKey> a2 = a, c2 = c, tmp;
  radix_sort_keys(a, tmp);
  expect_same(a, want);
  radix_sort_keys(c, tmp);
  expect_same(c, want_c);
  std::vector<SortKey32> p, ptmp;
  sort_keys_by_prefix(a2, tmp, p, ptmp);
  expect_same(a2, want);
  sort_keys_by_prefix(c2, tmp, p, ptmp);  // one long run of equal keys: order kept
  expect_same(c2, want_c);
}
