// The ranked scoring kernel in AVX-512 (F, BW), chosen at run time (the build targets AVX2): 32 rows
// at a time. A main effect of at most 16 classes adds its contribution to 8 rows with one
// two-register permute of its 16 doubles, and gets 32 reason ranks with one 16-bit permute; other
// terms gather. Same additions in the same order and the same ranks as the AVX2 and scalar forms,
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
