#pragma once
// Internal to score*.cpp: inputs coded straight into 1-byte class codes, with the class counts
// found on the way. For a coded numeric value the code is the number of cuts below it, so with
// ascending cuts the count of class c is #(x above cut[c-1]) - #(x above cut[c]): counting each
// cut's compares gives every class count, and no second pass over the codes is needed.
// Categorical level codes go through a table, and each table entry's count is kept.
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace dmde::worker {

/// Cuts handled by code_numeric_bytes (the synthetic models have 1-4; quantile bins rarely exceed 15).
constexpr int kMaxByteCuts = 15;

/// How numeric values meet their cuts (worker/score_model.hpp, model/prep_spec.hpp):
/// Interim: code = #(cuts < x) for finite x; NaN and +/-inf -> the missing code.
/// Spec:    code = #(cuts <= x) for every x but NaN (+/-inf are values); NaN -> the missing code.
enum class CutRule { Interim, Spec };

/// Calls f(std::integral_constant<int, m>{}, std::integral_constant<CutRule, rule>{}) for 0 <= m
/// <= kMaxByteCuts (nothing otherwise): fixed cut counts unroll into branch-free compare chains.
template <class F>
void with_cut_count(int m, CutRule rule, F&& f) {
  const auto at = [&](auto M) {
    if (rule == CutRule::Spec) f(M, std::integral_constant<CutRule, CutRule::Spec>{});
    else f(M, std::integral_constant<CutRule, CutRule::Interim>{});
  };
  switch (m) {
#define DMDE_CUTS(M) \
  case M: return at(std::integral_constant<int, M>{});
    DMDE_CUTS(0) DMDE_CUTS(1) DMDE_CUTS(2) DMDE_CUTS(3) DMDE_CUTS(4) DMDE_CUTS(5) DMDE_CUTS(6) DMDE_CUTS(7)
    DMDE_CUTS(8) DMDE_CUTS(9) DMDE_CUTS(10) DMDE_CUTS(11) DMDE_CUTS(12) DMDE_CUTS(13) DMDE_CUTS(14) DMDE_CUTS(15)
#undef DMDE_CUTS
    default: break;
  }
}

/// Tallies of one code_numeric_bytes call.
struct NumericTally {
  std::int64_t coded = 0;         ///< values coded by their cuts (Interim: finite; Spec: not NaN)
  std::int64_t nan = 0;           ///< NaN (missing)
  std::int64_t inf = 0;           ///< +/-inf
  std::int64_t out_of_range = 0;  ///< coded and outside [lo, hi]
  std::array<std::int64_t, kMaxByteCuts> above{};  ///< above[j]: coded values above cuts[j] (Spec: or equal)
};

/// codes[i] = the code of raw[i] under `rule` against 0 <= m <= kMaxByteCuts ascending cuts, or
/// `missing`; adds to `t`. `simd` picks the AVX-512 form when the CPU has it (same results); false
/// forces the portable form (tests compare the two).
void code_numeric_bytes(const float* raw, std::size_t n, const float* cuts, int m, float lo, float hi,
                        std::uint8_t missing, std::uint8_t* codes, NumericTally& t, CutRule rule = CutRule::Interim,
                        bool simd = true);

/// Most levels (plus the missing entry) code_levels_bytes handles.
constexpr int kMaxByteLevels = 255;

/// Categorical level codes as stored (int16: 0 .. L-1, -1 = missing) into 1-byte class codes:
/// codes[i] = cls[lv[i] + 1] (cls[0]: the missing value's class), and counts[j] += the number of
/// values with lv + 1 == j, for 0 <= L <= kMaxByteLevels. Returns false when a code lies outside
/// [-1, L) (codes and counts then unspecified). `simd` as in code_numeric_bytes (AVX-512 up to 31
/// levels).
bool code_levels_bytes(const std::int16_t* lv, std::size_t n, int L, const std::uint8_t* cls, std::uint8_t* codes,
                       std::int64_t* counts, bool simd = true);

/// Whether the `simd` forms run AVX-512 on this CPU.
bool coding_uses_avx512();

/// The smallest float >= c and the largest float <= c: for a float x, x >= c exactly when
/// x >= float_at_or_above(c), and x > c when x > float_at_or_below(c) (double cuts, float values).
float float_at_or_above(double c);
float float_at_or_below(double c);

}  // namespace dmde::worker
