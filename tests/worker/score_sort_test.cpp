// The per-Caf rank order (rows_by_probability) against std::stable_sort of the rows by descending
// probability: same order, ties in row order, for probabilities with repeats, probabilities that
// share their top 32 bits, constant ones, and sizes on both sides of the radix cutover.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "worker/score_sort.hpp"

using dmde::worker::rows_by_probability;
using dmde::worker::SortKey32;

namespace {

// Rows by p descending, equal p (same bits) in row order: the order ranks are given in.
std::vector<std::uint32_t> reference(const std::vector<double>& p) {
  std::vector<std::uint32_t> r(p.size());
  std::iota(r.begin(), r.end(), 0u);
  std::stable_sort(r.begin(), r.end(), [&](std::uint32_t a, std::uint32_t b) { return p[a] > p[b]; });
  return r;
}

void expect_order(const std::vector<double>& p) {
  std::vector<SortKey32> a, tmp;
  const SortKey32* got = rows_by_probability(p.data(), p.size(), a, tmp);
  const auto want = reference(p);
  for (std::size_t i = 0; i < p.size(); ++i) ASSERT_EQ(got[i].at, want[i]) << "at " << i << " of " << p.size();
}

}  // namespace

TEST(ScoreSort, ProbabilitiesWithTiesInRowOrder) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::size_t n : {0u, 1u, 100u, 2047u, 2048u, 50000u}) {
    std::vector<double> p(n);
    // a tenth of the values repeat from a small set (0 included): ties must keep row order
    for (std::size_t i = 0; i < n; ++i) p[i] = i % 10 == 0 ? 0.25 * static_cast<double>(rng() % 4) : u(rng);
    expect_order(p);
  }
}

TEST(ScoreSort, ProbabilitiesSharingTheirTopHalfAreOrderedByTheirLowBits) {
  std::mt19937_64 rng(11);
  for (std::size_t n : {3000u, 40000u}) {
    std::vector<double> p(n);
    for (auto& x : p) {  // eight bases, each moved up by 0..63 ulps: long runs decided by the low bits, with ties
      x = 0.1 + 0.1 * static_cast<double>(rng() % 8);
      for (auto k = rng() % 64; k > 0; --k) x = std::nextafter(x, 1.0);
    }
    expect_order(p);
  }
}

TEST(ScoreSort, ConstantAndTinyProbabilities) {
  std::mt19937_64 rng(5);
  expect_order(std::vector<double>(10000, 0.3));  // every pass skipped: row order kept
  std::vector<double> p(10000);
  for (auto& x : p) x = std::ldexp(static_cast<double>(rng() % 1000), -static_cast<int>(rng() % 900));  // every digit varies
  expect_order(p);
}
