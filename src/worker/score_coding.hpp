#pragma once
// Internal to score*.cpp: numeric inputs coded straight into 1-byte class codes, with the class
// counts found on the way. For a finite x the code is the number of cuts below it (x > cut), so
// with ascending cuts the count of class c is #(x > cut[c-1]) - #(x > cut[c]): counting each
// cut's compares gives every class count, and no second pass over the codes is needed.
#include <array>
#include <cstddef>
#include <cstdint>

namespace dmde::worker {

/// Cuts handled by code_numeric_bytes (the synthetic models have 1-4; quantile bins rarely exceed 15).
constexpr int kMaxByteCuts = 15;

/// Tallies of one code_numeric_bytes call.
struct NumericTally {
  std::int64_t finite = 0;        ///< finite values (coded by their cuts)
  std::int64_t nan = 0;           ///< NaN (missing)
  std::int64_t out_of_range = 0;  ///< finite and outside [lo, hi]
  std::array<std::int64_t, kMaxByteCuts> above{};  ///< above[j]: finite values > cuts[j]
};

/// codes[i] = #{j : raw[i] > cuts[j]} for finite raw[i], else `missing` (NaN and +/-inf), for
/// 0 <= m <= kMaxByteCuts ascending cuts; adds to `t`. `simd` picks the AVX-512 form when the CPU
/// has it (same results); false forces the portable form (tests compare the two).
void code_numeric_bytes(const float* raw, std::size_t n, const float* cuts, int m, float lo, float hi,
                        std::uint8_t missing, std::uint8_t* codes, NumericTally& t, bool simd = true);

/// Most levels (plus the missing entry) code_levels_bytes handles.
constexpr int kMaxByteLevels = 255;

/// Categorical level codes as stored (int16: 0 .. L-1, -1 = missing) into 1-byte class codes:
/// codes[i] = cls[lv[i] + 1] (cls[0]: the missing value's class), and counts[j] += the number of
/// values with lv + 1 == j, for 0 <= L <= kMaxByteLevels. Returns false when a code lies outside
/// [-1, L) (codes and counts then unspecified). `simd` as in code_numeric_bytes (AVX-512 up to 31
/// levels).
bool code_levels_bytes(const std::int16_t* lv, std::size_t n, int L, const std::uint8_t* cls, std::uint8_t* codes,
                       std::int64_t* counts, bool simd = true);

/// Whether code_numeric_bytes(simd = true) runs the AVX-512 form on this CPU.
bool coding_uses_avx512();

}  // namespace dmde::worker
