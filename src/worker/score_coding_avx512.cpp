// code_numeric_bytes and code_levels_bytes in AVX-512 (F, BW, VL), chosen at run time (the build
// targets AVX2). Numeric: 16 values at a time, each cut one compare into a mask, a masked
// increment of the codes and a popcount of the mask for the class counts; codes narrowed to bytes
// on the store. Levels: 32 codes at a time through a 16-bit permute, one compare per table entry
// for the counts. Same codes and counts as the portable forms.
#include "worker/score_coding.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DMDE_AVX512 1
#endif

namespace dmde::worker {

#ifdef DMDE_AVX512

bool cpu_codes_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("popcnt");
}

namespace {

template <int M, CutRule R>
__attribute__((target("avx512f,avx512bw,avx512vl,popcnt"))) void code_bytes16(const float* raw, std::size_t n,
                                                                                const float* cuts, float lo, float hi,
                                                                                std::uint8_t missing,
                                                                                std::uint8_t* codes, NumericTally& t) {
  constexpr int kCmp = R == CutRule::Interim ? _CMP_GT_OQ : _CMP_GE_OQ;
  __m512 cut[M > 0 ? M : 1];
  for (int j = 0; j < M; ++j) cut[j] = _mm512_set1_ps(cuts[j]);
  const __m512 inf = _mm512_set1_ps(__builtin_inff()), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  const __m512i one = _mm512_set1_epi32(1), miss = _mm512_set1_epi32(missing);
  std::uint64_t coded_n = 0, nan_n = 0, inf_n = 0, oor = 0;
  std::uint64_t above[M > 0 ? M : 1] = {};
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 live = n - i >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    // A plain load for whole vectors: masked loads ran at half the speed here (on a file mapping).
    const __m512 x = live == 0xffff ? _mm512_loadu_ps(raw + i) : _mm512_maskz_loadu_ps(live, raw + i);
    const __mmask16 nan = _mm512_mask_cmp_ps_mask(live, x, x, _CMP_UNORD_Q);
    const __mmask16 isinf = _mm512_mask_cmp_ps_mask(live, _mm512_abs_ps(x), inf, _CMP_EQ_OQ);
    const __mmask16 ok = R == CutRule::Interim ? static_cast<__mmask16>(live & ~nan & ~isinf)
                                               : static_cast<__mmask16>(live & ~nan);
    __m512i k = _mm512_mask_mov_epi32(miss, ok, _mm512_setzero_si512());
    for (int j = 0; j < M; ++j) {
      const __mmask16 g = _mm512_mask_cmp_ps_mask(ok, x, cut[j], kCmp);
      k = _mm512_mask_add_epi32(k, g, k, one);
      above[j] += static_cast<std::uint64_t>(_mm_popcnt_u32(g));
    }
    // Narrowed in a register, then a plain store: the masked narrowing store is slow on some cores (Zen 4).
    if (live == 0xffff) _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + i), _mm512_cvtepi32_epi8(k));
    else _mm512_mask_cvtepi32_storeu_epi8(codes + i, live, k);
    coded_n += static_cast<std::uint64_t>(_mm_popcnt_u32(ok));
    nan_n += static_cast<std::uint64_t>(_mm_popcnt_u32(nan));
    inf_n += static_cast<std::uint64_t>(_mm_popcnt_u32(isinf));
    const __mmask16 out = _mm512_mask_cmp_ps_mask(ok, x, vlo, _CMP_LT_OQ) | _mm512_mask_cmp_ps_mask(ok, x, vhi, _CMP_GT_OQ);
    oor += static_cast<std::uint64_t>(_mm_popcnt_u32(out));
  }
  t.coded += static_cast<std::int64_t>(coded_n), t.nan += static_cast<std::int64_t>(nan_n);
  t.inf += static_cast<std::int64_t>(inf_n), t.out_of_range += static_cast<std::int64_t>(oor);
  for (int j = 0; j < M; ++j) t.above[static_cast<std::size_t>(j)] += static_cast<std::int64_t>(above[j]);
}

}  // namespace

void code_numeric_bytes_avx512(const float* raw, std::size_t n, const float* cuts, int m, float lo, float hi,
                               std::uint8_t missing, std::uint8_t* codes, NumericTally& t, CutRule rule) {
  with_cut_count(m, rule, [&](auto M, auto R) { code_bytes16<M(), R()>(raw, n, cuts, lo, hi, missing, codes, t); });
}

__attribute__((target("avx512f,avx512bw,avx512vl,popcnt"))) bool code_levels_bytes_avx512(const std::int16_t* lv, std::size_t n,
                                                                                  int L, const std::uint8_t* cls,
                                                                                  std::uint8_t* codes,
                                                                                  std::int64_t* counts) {
  // 32 codes a vector: the class is a 16-bit permute of the (at most 32-entry) table.
  alignas(64) std::int16_t tab[32] = {};
  for (int j = 0; j <= L; ++j) tab[j] = cls[j];
  const __m512i table = _mm512_load_si512(tab), one = _mm512_set1_epi16(1), top = _mm512_set1_epi16(static_cast<short>(L));
  std::uint64_t cnt[32] = {};
  __mmask32 bad = 0;
  for (std::size_t i = 0; i < n; i += 32) {
    const __mmask32 live = n - i >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((std::uint64_t{1} << (n - i)) - 1);
    const __m512i v = live == ~__mmask32{0} ? _mm512_loadu_si512(lv + i) : _mm512_maskz_loadu_epi16(live, lv + i);
    const __m512i j = _mm512_add_epi16(v, one);
    bad |= _mm512_mask_cmpgt_epu16_mask(live, j, top);  // -1 + 1 = 0 is fine; below -1 wraps to large
    const __m256i c8 = _mm512_cvtepi16_epi8(_mm512_permutexvar_epi16(j, table));
    if (live == ~__mmask32{0}) _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + i), c8);
    else _mm256_mask_storeu_epi8(codes + i, live, c8);
    for (int e = 0; e <= L; ++e)
      cnt[e] += static_cast<std::uint64_t>(_mm_popcnt_u32(_mm512_mask_cmpeq_epi16_mask(live, j, _mm512_set1_epi16(static_cast<short>(e)))));
  }
  for (int e = 0; e <= L; ++e) counts[e] += static_cast<std::int64_t>(cnt[e]);
  return bad == 0;
}

#else

bool cpu_codes_avx512() { return false; }
bool code_levels_bytes_avx512(const std::int16_t*, std::size_t, int, const std::uint8_t*, std::uint8_t*,
                              std::int64_t*) {
  return false;
}
void code_numeric_bytes_avx512(const float*, std::size_t, const float*, int, float, float, std::uint8_t,
                               std::uint8_t*, NumericTally&, CutRule) {}

#endif

}  // namespace dmde::worker
