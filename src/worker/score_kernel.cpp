// Row-vector scoring kernel: four rows at a time keep eta and their running top 3 (values and
// term indices) in registers across all terms; each term is one gather of four contributions.
// Same operations in the same order as the scalar path, so results are bit-identical.
#include "worker/score_kernel.hpp"

#include <limits>

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace dmde::worker {
namespace {

/// Rows [i0, n) one at a time (the tail of a block, or every row without AVX2).
template <class C>
void score_rows_scalar(const std::vector<KernelTerm>& terms, double intercept, const C* codes, std::size_t stride,
                       std::size_t i0, std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,
                       const std::array<double*, 3>& contrib) {
  const double ninf = -std::numeric_limits<double>::infinity();
  for (std::size_t i = i0; i < n; ++i) {
    double e = intercept;
    std::array<double, 3> v{ninf, ninf, ninf};
    std::array<int, 3> x{-1, -1, -1};
    for (std::size_t j = 0; j < terms.size(); ++j) {
      const auto& t = terms[j];
      int cell = static_cast<int>(codes[static_cast<std::size_t>(t.in0) * stride + i]);
      if (t.in1 >= 0) cell += t.l0 * static_cast<int>(codes[static_cast<std::size_t>(t.in1) * stride + i]);
      const double b = t.beta[cell];
      e += b;
      const double c = b - t.ref;
      const int jj = static_cast<int>(j);
      if (c > v[0]) v = {c, v[0], v[1]}, x = {jj, x[0], x[1]};
      else if (c > v[1]) v = {v[0], c, v[1]}, x = {x[0], jj, x[1]};
      else if (c > v[2]) v[2] = c, x[2] = jj;
    }
    eta[i] = e;
    for (std::size_t r = 0; r < 3; ++r) {
      reason[r][i] = static_cast<std::int16_t>(x[r]);
      contrib[r][i] = x[r] < 0 ? 0.0 : v[r];
    }
  }
}

}  // namespace

std::vector<KernelTerm> kernel_terms(const model::Scorecard& card) {
  std::vector<KernelTerm> out;
  for (const auto& t : card.terms) {
    KernelTerm k;
    k.beta = t.beta.data();
    k.ref = t.reference;
    k.index = static_cast<double>(out.size());
    k.in0 = t.inputs[0];
    if (t.inputs.size() == 2) k.in1 = t.inputs[1], k.l0 = t.n_levels[0];
    out.push_back(k);
  }
  return out;
}

namespace {

template <class C>
void score_rows_t(const std::vector<KernelTerm>& terms, double intercept, const C* codes, std::size_t stride,
                std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,
                const std::array<double*, 3>& contrib) {
  std::size_t i = 0;
#ifdef __AVX2__
  const __m256d ninf = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
  const __m256d none = _mm256_set1_pd(-1.0), zero = _mm256_setzero_pd();
  constexpr int G = 2;  // independent groups of four rows: their compare/blend chains overlap
  for (; i + 4 * G <= n; i += 4 * G) {
    __m256d e[G], v0[G], v1[G], v2[G], x0[G], x1[G], x2[G];
    for (int g = 0; g < G; ++g)
      e[g] = _mm256_set1_pd(intercept), v0[g] = v1[g] = v2[g] = ninf, x0[g] = x1[g] = x2[g] = none;
    for (std::size_t j = 0; j < terms.size(); ++j) {
      const auto& t = terms[j];
      const __m256d ref = _mm256_set1_pd(t.ref), jj = _mm256_set1_pd(t.index);
      for (int g = 0; g < G; ++g) {
        // Four scalar loads, not a gather: AMD Zen runs vgatherdpd far slower than three loads a cycle.
        const std::size_t r = i + 4 * static_cast<std::size_t>(g);
        const C* c0 = codes + static_cast<std::size_t>(t.in0) * stride + r;
        int k0 = c0[0], k1 = c0[1], k2 = c0[2], k3 = c0[3];
        if (t.in1 >= 0) {
          const C* c1 = codes + static_cast<std::size_t>(t.in1) * stride + r;
          k0 += t.l0 * c1[0], k1 += t.l0 * c1[1], k2 += t.l0 * c1[2], k3 += t.l0 * c1[3];
        }
        const __m256d b = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadh_pd(_mm_load_sd(t.beta + k0), t.beta + k1)),
                                               _mm_loadh_pd(_mm_load_sd(t.beta + k2), t.beta + k3), 1);
        e[g] = _mm256_add_pd(e[g], b);
        const __m256d c = _mm256_sub_pd(b, ref);
        const __m256d g0 = _mm256_cmp_pd(c, v0[g], _CMP_GT_OQ), g1 = _mm256_cmp_pd(c, v1[g], _CMP_GT_OQ),
                      g2 = _mm256_cmp_pd(c, v2[g], _CMP_GT_OQ);  // g0 => g1 => g2
        v2[g] = _mm256_blendv_pd(_mm256_blendv_pd(v2[g], c, g2), v1[g], g1);
        x2[g] = _mm256_blendv_pd(_mm256_blendv_pd(x2[g], jj, g2), x1[g], g1);
        v1[g] = _mm256_blendv_pd(_mm256_blendv_pd(v1[g], c, g1), v0[g], g0);
        x1[g] = _mm256_blendv_pd(_mm256_blendv_pd(x1[g], jj, g1), x0[g], g0);
        v0[g] = _mm256_blendv_pd(v0[g], c, g0);
        x0[g] = _mm256_blendv_pd(x0[g], jj, g0);
      }
    }
    for (int g = 0; g < G; ++g) {
      const std::size_t r0 = i + 4 * static_cast<std::size_t>(g);
      _mm256_storeu_pd(eta + r0, e[g]);
      const __m256d v[3] = {v0[g], v1[g], v2[g]}, x[3] = {x0[g], x1[g], x2[g]};
      for (std::size_t r = 0; r < 3; ++r) {
        const __m128i idx = _mm256_cvttpd_epi32(x[r]);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(reason[r] + r0), _mm_packs_epi32(idx, idx));
        _mm256_storeu_pd(contrib[r] + r0, _mm256_and_pd(v[r], _mm256_cmp_pd(x[r], zero, _CMP_GE_OQ)));  // none: +0
      }
    }
  }
#endif
  score_rows_scalar(terms, intercept, codes, stride, i, n, eta, reason, contrib);
}

}  // namespace

void count_codes(const std::uint8_t* codes, std::size_t n, std::size_t K, std::int64_t* cc) {
  for (std::size_t c = 0; c < K; ++c) {
    std::size_t i = 0;
    std::int64_t s = 0;
#ifdef __AVX2__
    const __m256i cv = _mm256_set1_epi8(static_cast<char>(c));
    __m256i acc = _mm256_setzero_si256();  // per-byte counts: at most 255 vectors before the sum
    for (; i + 32 <= n; i += 32)
      acc = _mm256_sub_epi8(acc, _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i)), cv));
    const __m256i sad = _mm256_sad_epu8(acc, _mm256_setzero_si256());
    s = _mm256_extract_epi64(sad, 0) + _mm256_extract_epi64(sad, 1) + _mm256_extract_epi64(sad, 2) +
        _mm256_extract_epi64(sad, 3);
#endif
    for (; i < n; ++i) s += codes[i] == c;
    cc[c] += s;
  }
}

#define DMDE_SCORE_ROWS(C)                                                                                       \
  void score_rows(const std::vector<KernelTerm>& terms, double intercept, const C* codes, std::size_t stride,        \
                  std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,                           \
                  const std::array<double*, 3>& contrib) {                                                          \
    score_rows_t(terms, intercept, codes, stride, n, eta, reason, contrib);                                        \
  }
DMDE_SCORE_ROWS(std::uint8_t)
DMDE_SCORE_ROWS(std::uint16_t)
DMDE_SCORE_ROWS(int)
#undef DMDE_SCORE_ROWS

}  // namespace dmde::worker
