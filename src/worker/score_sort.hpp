#pragma once
// Per-Caf ordering for ranks: a stable LSD radix sort of (64-bit key, row) records. Internal to
// score*.cpp; header-only so that its test sees exactly what scoring runs.
#include <algorithm>
#include <array>
#include <cstdint>
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

/// Sorts `a` by ascending key, stably (equal keys keep their order), using `tmp` as scratch (resized).
/// Six passes of 11-bit digits at most; a digit equal in every record costs no pass (probability
/// keys share their top bits). Below a few thousand records std::stable_sort is cheaper.
inline void radix_sort_keys(std::vector<SortKey>& a, std::vector<SortKey>& tmp) {
  const std::size_t n = a.size();
  if (n < 2048) {
    std::stable_sort(a.begin(), a.end(), [](const SortKey& x, const SortKey& y) { return x.k < y.k; });
    return;
  }
  tmp.resize(n);
  const SortKey* out = lsd_radix<SortKey, 6>(a.data(), tmp.data(), n);
  if (out != a.data()) a.swap(tmp);
}

/// A 32-bit sort record: the top half of a key and the index of its SortKey.
struct SortKey32 {
  std::uint32_t k;
  std::uint32_t at;
};

/// Same result as radix_sort_keys (ascending key, stable), cheaper for long arrays: a stable LSD
/// radix sort of 8-byte records on the keys' top 32 bits (three passes at most, constant digits
/// skipped), then each run of equal top halves sorted stably on the whole key (runs are short:
/// probabilities that agree on their top 32 bits are rare). `tmp`, `p` and `ptmp` are scratch.
inline void sort_keys_by_prefix(std::vector<SortKey>& a, std::vector<SortKey>& tmp, std::vector<SortKey32>& p,
                                std::vector<SortKey32>& ptmp) {
  const std::size_t n = a.size();
  if (n < 2048) {
    std::stable_sort(a.begin(), a.end(), [](const SortKey& x, const SortKey& y) { return x.k < y.k; });
    return;
  }
  p.resize(n);
  ptmp.resize(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {static_cast<std::uint32_t>(a[i].k >> 32), static_cast<std::uint32_t>(i)};
  const SortKey32* src = lsd_radix<SortKey32, 3>(p.data(), ptmp.data(), n);
  tmp.resize(n);
  for (std::size_t i = 0; i < n; ++i) tmp[i] = a[src[i].at];
  for (std::size_t i = 0; i < n;) {  // equal top halves: whole keys decide, stably
    std::size_t e = i + 1;
    while (e < n && src[e].k == src[i].k) ++e;
    if (e - i > 1)
      std::stable_sort(tmp.begin() + static_cast<std::ptrdiff_t>(i), tmp.begin() + static_cast<std::ptrdiff_t>(e),
                       [](const SortKey& x, const SortKey& y) { return x.k < y.k; });
    i = e;
  }
  a.swap(tmp);
}

}  // namespace dmde::worker
