// Portable form of code_numeric_bytes (the compiler vectorizes it: fixed cut counts unroll into
// branch-free compare chains) and the run-time choice of the AVX-512 form.
#include "worker/score_coding.hpp"

#include <cmath>
#include <limits>

namespace dmde::worker {

// score_coding_avx512.cpp
bool cpu_codes_avx512();
void code_numeric_bytes_avx512(const float* raw, std::size_t n, const float* cuts, int m, float lo, float hi,
                               std::uint8_t missing, std::uint8_t* codes, NumericTally& t, CutRule rule);
bool code_levels_bytes_avx512(const std::int16_t* lv, std::size_t n, int L, const std::uint8_t* cls,
                              std::uint8_t* codes, std::int64_t* counts);

namespace {

template <int M, CutRule R>
void code_bytes(const float* raw, std::size_t n, const float* cuts, float lo, float hi, std::uint8_t missing,
                std::uint8_t* codes, NumericTally& t) {
  const float inf = std::numeric_limits<float>::infinity();
  // 32-bit lanes so that the compiler vectorizes; counters flushed every 4096 rows.
  constexpr std::size_t kRun = 4096;
  for (std::size_t i0 = 0; i0 < n; i0 += kRun) {
    const std::size_t i1 = i0 + kRun < n ? i0 + kRun : n;
    int coded_n = 0, nan_n = 0, inf_n = 0, oor = 0;
    int above[M > 0 ? M : 1] = {};
    for (std::size_t i = i0; i < i1; ++i) {
      const float x = raw[i];
      const int nan = static_cast<int>(x != x), isinf = static_cast<int>(std::fabs(x) == inf);
      const int ok = R == CutRule::Interim ? 1 - nan - isinf : 1 - nan;
      int k = 0;
      for (int j = 0; j < M; ++j) {
        const int g = static_cast<int>(R == CutRule::Interim ? x > cuts[j] : x >= cuts[j]) & ok;
        k += g;
        above[j] += g;
      }
      codes[i] = static_cast<std::uint8_t>(missing + ok * (k - missing));
      coded_n += ok, nan_n += nan, inf_n += isinf;
      oor += ok & static_cast<int>((x < lo) | (x > hi));
    }
    t.coded += coded_n, t.nan += nan_n, t.inf += inf_n, t.out_of_range += oor;
    for (int j = 0; j < M; ++j) t.above[static_cast<std::size_t>(j)] += above[j];
  }
}

}  // namespace

float float_at_or_above(double c) {
  float f = static_cast<float>(c);
  if (static_cast<double>(f) < c) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

float float_at_or_below(double c) {
  float f = static_cast<float>(c);
  if (static_cast<double>(f) > c) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

bool coding_uses_avx512() {
  static const bool yes = cpu_codes_avx512();
  return yes;
}

void code_numeric_bytes(const float* raw, std::size_t n, const float* cuts, int m, float lo, float hi,
                        std::uint8_t missing, std::uint8_t* codes, NumericTally& t, CutRule rule, bool simd) {
  if (simd && coding_uses_avx512()) return code_numeric_bytes_avx512(raw, n, cuts, m, lo, hi, missing, codes, t, rule);
  with_cut_count(m, rule, [&](auto M, auto R) { code_bytes<M(), R()>(raw, n, cuts, lo, hi, missing, codes, t); });
}

bool code_levels_bytes(const std::int16_t* lv, std::size_t n, int L, const std::uint8_t* cls, std::uint8_t* codes,
                       std::int64_t* counts, bool simd) {
  if (L < 0 || L > kMaxByteLevels) return false;
  if (simd && L < 32 && coding_uses_avx512()) return code_levels_bytes_avx512(lv, n, L, cls, codes, counts);
  // Four interleaved sub-histograms: a single one stalls on store-to-load forwarding when the same
  // level repeats. A code outside the levels is clamped (memory safety) and reported.
  std::uint32_t h[4][kMaxByteLevels + 1] = {};
  const auto top = static_cast<unsigned>(L);
  unsigned bad = 0;
  std::size_t i = 0;
  const auto one = [&](std::size_t r, int lane) {
    const unsigned j = static_cast<unsigned>(lv[r] + 1);
    bad |= static_cast<unsigned>(j > top);
    const unsigned e = j > top ? top : j;
    codes[r] = cls[e];
    ++h[lane][e];
  };
  for (; i + 4 <= n; i += 4) one(i, 0), one(i + 1, 1), one(i + 2, 2), one(i + 3, 3);
  for (; i < n; ++i) one(i, 0);
  for (int j = 0; j <= L; ++j) counts[j] += std::int64_t{h[0][j]} + h[1][j] + h[2][j] + h[3][j];
  return bad == 0;
}

}  // namespace dmde::worker
