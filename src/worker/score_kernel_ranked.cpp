// The ranked scoring kernel: 16 rows at a time, eta in four registers of four doubles (same
// additions in the same order as the scalar path), and the top 3 reasons as 16-bit ranks in three
// registers of 16 lanes updated by a max/min network (5 integer ops per term for 16 rows where the
// compare-and-blend kernel needs 13 double ops per 4 rows). A main effect of at most 16 classes
// gets its 16 ranks by two byte shuffles of the codes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "worker/score_kernel.hpp"

#ifdef __AVX2__
#include <immintrin.h>
#endif

namespace dmde::worker {

// score_kernel_avx512.cpp
bool cpu_has_avx512();
std::size_t score_rows_avx512(const KernelPlan& plan, const std::uint8_t* codes, std::size_t stride, std::size_t n,
                              double* eta, const std::array<std::int16_t*, 3>& reason, const std::array<double*, 3>& contrib);

KernelPlan kernel_plan(const model::Scorecard& card) {
  KernelPlan p;
  p.terms = kernel_terms(card);
  p.intercept = card.intercept;
  struct Cell {
    double c;
    int term;
    std::uint32_t at;
  };
  std::vector<Cell> cells;
  bool finite = true;
  for (std::size_t j = 0; j < card.terms.size(); ++j) {
    const auto& t = card.terms[j];
    p.rank_at.push_back(static_cast<std::uint32_t>(cells.size()));
    for (Eigen::Index l = 0; l < t.beta.size(); ++l) {
      const double c = t.beta[l] - t.reference;  // the kernel's contribution, bit for bit
      finite = finite && std::isfinite(c) && std::isfinite(t.beta[l]);
      cells.push_back({c, static_cast<int>(j), static_cast<std::uint32_t>(cells.size())});
    }
  }
  if (!finite || cells.size() > 65535 || card.terms.size() > 32767) return p;  // compare-and-blend kernel
  std::vector<std::uint32_t> order(cells.size());
  std::iota(order.begin(), order.end(), 0u);
  // Ascending contribution; on equal contributions the lower term index ranks higher (it was there
  // first and an equal one does not displace it). Cells of one term never meet in a row.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto &x = cells[a], &y = cells[b];
    if (x.c != y.c) return x.c < y.c;
    return x.term != y.term ? x.term > y.term : x.at < y.at;
  });
  p.cell_rank.resize(cells.size());
  p.rank_term.assign(cells.size() + 1, -1);
  p.rank_contrib.assign(cells.size() + 1, 0.0);
  for (std::size_t r = 0; r < order.size(); ++r) {
    const auto& x = cells[order[r]];
    p.cell_rank[x.at] = static_cast<std::uint16_t>(r + 1);
    p.rank_term[r + 1] = static_cast<std::int16_t>(x.term);
    p.rank_contrib[r + 1] = x.c;
  }
  for (std::size_t j = 0; j < card.terms.size(); ++j) {
    std::array<std::uint8_t, 32> s{};
    const auto& t = card.terms[j];
    const bool small = t.inputs.size() == 1 && t.beta.size() <= 16;
    for (Eigen::Index l = 0; small && l < t.beta.size(); ++l) {
      const std::uint16_t r = p.cell_rank[p.rank_at[j] + static_cast<std::size_t>(l)];
      s[static_cast<std::size_t>(l)] = static_cast<std::uint8_t>(r & 0xff);
      s[16 + static_cast<std::size_t>(l)] = static_cast<std::uint8_t>(r >> 8);
    }
    p.shuffle.push_back(s);
    p.small.push_back(small ? 1 : 0);
    std::array<double, 24> tab{};  // 16 doubles then 32 u16 ranks (64 bytes)
    std::array<std::uint16_t, 32> rk{};
    for (Eigen::Index l = 0; small && l < t.beta.size(); ++l) {
      tab[static_cast<std::size_t>(l)] = t.beta[l];
      rk[static_cast<std::size_t>(l)] = p.cell_rank[p.rank_at[j] + static_cast<std::size_t>(l)];
    }
    std::memcpy(tab.data() + 16, rk.data(), sizeof rk);
    p.table16.push_back(tab);
    const auto n_cells = static_cast<std::size_t>(t.beta.size());
    p.medium.push_back(!small && n_cells <= 64 ? static_cast<int>(p.table64.size()) : -1);
    if (p.medium.back() >= 0) {
      std::array<double, 64> b{};
      std::array<std::uint16_t, 64> r{};
      for (std::size_t l = 0; l < n_cells; ++l) b[l] = t.beta[static_cast<Eigen::Index>(l)], r[l] = p.cell_rank[p.rank_at[j] + l];
      p.table64.push_back(b);
      p.rank64.push_back(r);
      p.wide64.push_back(n_cells > 32 ? 1 : 0);
    }
  }
  p.cell_rank.push_back(0);  // padding: the AVX-512 form reads ranks as 32-bit words
  p.avx512 = cpu_has_avx512();
  p.ranked = true;
  return p;
}

void score_rows(const KernelPlan& plan, const std::uint8_t* codes, std::size_t stride, std::size_t n, double* eta,
                const std::array<std::int16_t*, 3>& reason, const std::array<double*, 3>& contrib) {
  std::size_t i = 0;
  if (plan.ranked && plan.avx512) i = score_rows_avx512(plan, codes, stride, n, eta, reason, contrib);
#ifdef __AVX2__
  if (plan.ranked) {
    const auto& terms = plan.terms;
    const std::size_t nt = terms.size();
    alignas(32) std::uint16_t tmp[16];
    alignas(32) std::uint16_t top[3][16];
    for (; i + 16 <= n; i += 16) {
      __m256d e[4];
      for (auto& x : e) x = _mm256_set1_pd(plan.intercept);
      __m256i v0 = _mm256_setzero_si256(), v1 = v0, v2 = v0;
      for (std::size_t j = 0; j < nt; ++j) {
        const auto& t = terms[j];
        const std::uint8_t* c0 = codes + static_cast<std::size_t>(t.in0) * stride + i;
        const std::uint8_t* c1 = t.in1 >= 0 ? codes + static_cast<std::size_t>(t.in1) * stride + i : nullptr;
        // Four codes widened to 32 bits, then one gather of four contributions per group.
        __m128i cell[4];
        for (int g = 0; g < 4; ++g) {
          std::int32_t w;
          std::memcpy(&w, c0 + 4 * g, sizeof w);
          cell[g] = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(w));
          if (c1) {
            std::memcpy(&w, c1 + 4 * g, sizeof w);
            cell[g] = _mm_add_epi32(cell[g], _mm_mullo_epi32(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(w)), _mm_set1_epi32(t.l0)));
          }
          e[g] = _mm256_add_pd(e[g], _mm256_i32gather_pd(t.beta, cell[g], 8));
        }
        __m256i r;
        if (plan.small[j]) {
          const __m128i cv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(c0));
          const auto* sh = plan.shuffle[j].data();
          const __m128i lo = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sh)), cv);
          const __m128i hi = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sh + 16)), cv);
          r = _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
        } else {
          const std::uint16_t* cr = plan.cell_rank.data() + plan.rank_at[j];
          alignas(16) std::int32_t k[16];
          for (int g = 0; g < 4; ++g) _mm_store_si128(reinterpret_cast<__m128i*>(k + 4 * g), cell[g]);
          for (int q = 0; q < 16; ++q) tmp[q] = cr[k[q]];
          r = _mm256_load_si256(reinterpret_cast<const __m256i*>(tmp));
        }
        // Ranks are distinct within a row: insert r into the sorted top 3 (v0 > v1 > v2).
        const __m256i m0 = _mm256_max_epu16(v0, r), r1 = _mm256_min_epu16(v0, r);
        const __m256i m1 = _mm256_max_epu16(v1, r1), r2 = _mm256_min_epu16(v1, r1);
        v0 = m0, v1 = m1, v2 = _mm256_max_epu16(v2, r2);
      }
      for (int g = 0; g < 4; ++g) _mm256_storeu_pd(eta + i + 4 * static_cast<std::size_t>(g), e[g]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(top[0]), v0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(top[1]), v1);
      _mm256_store_si256(reinterpret_cast<__m256i*>(top[2]), v2);
      for (std::size_t s = 0; s < 3; ++s)
        for (std::size_t q = 0; q < 16; ++q) {
          reason[s][i + q] = plan.rank_term[top[s][q]];
          contrib[s][i + q] = plan.rank_contrib[top[s][q]];
        }
    }
  }
#endif
  if (i < n)
    score_rows(plan.terms, plan.intercept, codes + i, stride, n - i, eta + i,
               {reason[0] + i, reason[1] + i, reason[2] + i}, {contrib[0] + i, contrib[1] + i, contrib[2] + i});
}

}  // namespace dmde::worker
