// The ranked scoring kernel in AVX-512 (F, BW), chosen at run time (the build targets AVX2): 32 rows
// at a time. A main effect of at most 16 classes adds its contribution to 8 rows with one
// two-register permute of its 16 doubles, and gets 32 reason ranks with one 16-bit permute; a term
// of at most 64 cells (interactions of a few classes) with a few permutes and blends; other terms
// gather. Same additions in the same order and the same ranks as the AVX2 and scalar forms,
// so the results are identical bit for bit.
#include <cstring>

#include "worker/score_kernel.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DMDE_AVX512 1
#endif

namespace dmde::worker {

#ifdef DMDE_AVX512

bool cpu_has_avx512() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"); }

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) std::size_t score_rows_avx512(
    const KernelPlan& plan, const std::uint8_t* codes, std::size_t stride, std::size_t n, double* eta,
    const std::array<std::int16_t*, 3>& reason, const std::array<double*, 3>& contrib) {
  const auto& terms = plan.terms;
  const std::size_t nt = terms.size();
  alignas(64) std::uint16_t top[3][32];
  std::size_t i = 0;
  const __m512i mask16 = _mm512_set1_epi32(0xffff);
  for (; i + 32 <= n; i += 32) {
    __m512d e[4];
    for (auto& x : e) x = _mm512_set1_pd(plan.intercept);
    __m512i v0 = _mm512_setzero_si512(), v1 = v0, v2 = v0;
    for (std::size_t j = 0; j < nt; ++j) {
      const auto& t = terms[j];
      const std::uint8_t* c0 = codes + static_cast<std::size_t>(t.in0) * stride + i;
      __m512i r;
      if (plan.small[j]) {
        const double* tab = plan.table16[j].data();
        const __m512d lo = _mm512_loadu_pd(tab), hi = _mm512_loadu_pd(tab + 8);
        for (int g = 0; g < 4; ++g) {
          const __m512i idx = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c0 + 8 * g)));
          e[g] = _mm512_add_pd(e[g], _mm512_permutex2var_pd(lo, idx, hi));
        }
        const __m512i ranks = _mm512_loadu_si512(tab + 16);
        r = _mm512_permutexvar_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c0))), ranks);
      } else if (plan.medium[j] >= 0) {
        // 32 cells as u16 (c0 + l0 * c1 < 64), then per 8 rows: 16-cell permutes blended by the
        // cell's bit 4 (and bit 5 beyond 32 cells).
        const auto m = static_cast<std::size_t>(plan.medium[j]);
        const double* tb = plan.table64[m].data();
        __m512i cell = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c0)));
        if (t.in1 >= 0) {
          const std::uint8_t* c1 = codes + static_cast<std::size_t>(t.in1) * stride + i;
          cell = _mm512_add_epi16(cell, _mm512_mullo_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c1))),
                                                           _mm512_set1_epi16(static_cast<short>(t.l0))));
        }
        const bool wide = plan.wide64[m] != 0;
        const __m512i bit4 = _mm512_set1_epi64(16), bit5 = _mm512_set1_epi64(32);
        for (int g = 0; g < 4; ++g) {
          const __m512i idx = _mm512_cvtepu16_epi64(_mm512_extracti32x4_epi32(cell, g));
          const __m512d a = _mm512_permutex2var_pd(_mm512_loadu_pd(tb), idx, _mm512_loadu_pd(tb + 8));
          const __m512d b = _mm512_permutex2var_pd(_mm512_loadu_pd(tb + 16), idx, _mm512_loadu_pd(tb + 24));
          __m512d v = _mm512_mask_blend_pd(_mm512_test_epi64_mask(idx, bit4), a, b);
          if (wide) {
            const __m512d c = _mm512_permutex2var_pd(_mm512_loadu_pd(tb + 32), idx, _mm512_loadu_pd(tb + 40));
            const __m512d d = _mm512_permutex2var_pd(_mm512_loadu_pd(tb + 48), idx, _mm512_loadu_pd(tb + 56));
            v = _mm512_mask_blend_pd(_mm512_test_epi64_mask(idx, bit5), v, _mm512_mask_blend_pd(_mm512_test_epi64_mask(idx, bit4), c, d));
          }
          e[g] = _mm512_add_pd(e[g], v);
        }
        const std::uint16_t* rk = plan.rank64[m].data();
        r = _mm512_permutex2var_epi16(_mm512_loadu_si512(rk), cell, _mm512_loadu_si512(rk + 32));
      } else {
        const std::uint8_t* c1 = t.in1 >= 0 ? codes + static_cast<std::size_t>(t.in1) * stride + i : nullptr;
        const __m512i l0 = _mm512_set1_epi32(t.l0);
        const int* cr = reinterpret_cast<const int*>(plan.cell_rank.data() + plan.rank_at[j]);
        __m256i half[2];
        for (int h = 0; h < 2; ++h) {  // 16 rows: cells, 2 x 8 contributions, 16 ranks
          __m512i cell = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c0 + 16 * h)));
          if (c1)
            cell = _mm512_add_epi32(
                cell, _mm512_mullo_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c1 + 16 * h))), l0));
          e[2 * h] = _mm512_add_pd(e[2 * h], _mm512_i32gather_pd(_mm512_castsi512_si256(cell), t.beta, 8));
          e[2 * h + 1] = _mm512_add_pd(e[2 * h + 1], _mm512_i32gather_pd(_mm512_extracti64x4_epi64(cell, 1), t.beta, 8));
          // Ranks are u16: read 32 bits at each (the table has a padding entry), keep the low half.
          half[h] = _mm512_cvtepi32_epi16(_mm512_and_si512(_mm512_i32gather_epi32(cell, cr, 2), mask16));
        }
        r = _mm512_inserti64x4(_mm512_castsi256_si512(half[0]), half[1], 1);
      }
      // Ranks are distinct within a row: insert r into the sorted top 3 (v0 > v1 > v2).
      const __m512i m0 = _mm512_max_epu16(v0, r), r1 = _mm512_min_epu16(v0, r);
      const __m512i m1 = _mm512_max_epu16(v1, r1), r2 = _mm512_min_epu16(v1, r1);
      v0 = m0, v1 = m1, v2 = _mm512_max_epu16(v2, r2);
    }
    for (int g = 0; g < 4; ++g) _mm512_storeu_pd(eta + i + 8 * static_cast<std::size_t>(g), e[g]);
    _mm512_store_si512(top[0], v0);
    _mm512_store_si512(top[1], v1);
    _mm512_store_si512(top[2], v2);
    for (std::size_t s = 0; s < 3; ++s)
      for (std::size_t q = 0; q < 32; ++q) {
        reason[s][i + q] = plan.rank_term[top[s][q]];
        contrib[s][i + q] = plan.rank_contrib[top[s][q]];
      }
  }
  return i;
}

#else

bool cpu_has_avx512() { return false; }
std::size_t score_rows_avx512(const KernelPlan&, const std::uint8_t*, std::size_t, std::size_t, double*,
                              const std::array<std::int16_t*, 3>&, const std::array<double*, 3>&) {
  return 0;
}

#endif

}  // namespace dmde::worker
