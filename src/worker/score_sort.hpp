#pragma once
// Per-Caf ordering for ranks: the rows of a Caf by descending probability, stably, with a LSD radix
// sort. Internal to score*.cpp; header-only so that its test sees exactly what scoring runs.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace dmde::worker {

/// A sort record: the key and the row it came from.
struct SortKey {
  std::uint64_t k;
  std::uint32_t row;
};

/// Stable LSD radix sort of the `n` records at `src` on their member `k`, kPasses digits of 11
/// bits from the lowest, ping-ponging with `dst`; a digit equal in every record costs no pass.
/// Returns the buffer that holds the result (`src` or `dst`).
template <class Rec, int kPasses>
Rec* lsd_radix(Rec* src, Rec* dst, std::size_t n) {
  constexpr int kBits = 11;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::array<std::uint32_t, kBuckets>> hist(kPasses);
  for (auto& h : hist) h.fill(0);
  for (std::size_t i = 0; i < n; ++i)  // every pass's histogram in one read
    for (int q = 0; q < kPasses; ++q) ++hist[static_cast<std::size_t>(q)][(src[i].k >> (q * kBits)) & (kBuckets - 1)];
  for (int q = 0; q < kPasses; ++q) {
    auto& h = hist[static_cast<std::size_t>(q)];
    if (std::find(h.begin(), h.end(), static_cast<std::uint32_t>(n)) != h.end()) continue;  // one digit everywhere
    std::uint32_t acc = 0;
    for (auto& c : h) {
      const std::uint32_t v = c;
      c = acc;
      acc += v;
    }
    const int shift = q * kBits;
    for (std::size_t i = 0; i < n; ++i) dst[h[(src[i].k >> shift) & (kBuckets - 1)]++] = src[i];
    std::swap(src, dst);
  }
  return src;
}

/// A 32-bit sort record: the top half of a key and the row it came from.
struct SortKey32 {
  std::uint32_t k;
  std::uint32_t at;
};

/// A probability's bits as a key that ascends as p descends (p >= +0: the bits order like p).
inline std::uint64_t descending_key(double p) {
  std::uint64_t bits;
  std::memcpy(&bits, &p, sizeof bits);
  return ~bits;
}

/// Rows 0 .. n-1 of `p` in ascending descending_key order (p descending), rows with equal keys in
/// row order (a stable sort). Records {top half of the key, row}: a stable LSD radix sort of these
/// 8-byte records (three passes at most, constant digits skipped), then each run of equal top
/// halves sorted stably on whole keys (runs are short: probabilities that agree on their top 32
/// bits are rare). Below a few thousand rows std::stable_sort is cheaper. Returns the n records in
/// order, in `a` or `tmp` (scratch, resized).
template <class Vec>  // std::vector<SortKey32> with any allocator
const SortKey32* rows_by_probability(const double* p, std::size_t n, Vec& a, Vec& tmp) {
  a.resize(n);
  for (std::size_t i = 0; i < n; ++i) a[i] = {static_cast<std::uint32_t>(descending_key(p[i]) >> 32), static_cast<std::uint32_t>(i)};
  const auto whole = [p](const SortKey32& x, const SortKey32& y) { return descending_key(p[x.at]) < descending_key(p[y.at]); };
  if (n < 2048) {
    std::stable_sort(a.begin(), a.end(), whole);
    return a.data();
  }
  tmp.resize(n);
  SortKey32* s = lsd_radix<SortKey32, 3>(a.data(), tmp.data(), n);
  for (std::size_t i = 0; i < n;) {  // equal top halves: whole keys decide, stably
    std::size_t e = i + 1;
    while (e < n && s[e].k == s[i].k) ++e;
    if (e - i > 1) std::stable_sort(s + i, s + e, whole);
    i = e;
  }
  return s;
}

}  // namespace dmde::worker
