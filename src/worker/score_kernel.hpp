#pragma once
// The per-row scoring kernel: linear predictor and top-3 reason codes of a block of rows from
// their class codes. Internal to score*.cpp (its own file so that a test can pin it against the
// scorecard's own linear_predictor/contributions).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/scorecard.hpp"

namespace dmde::worker {

/// One scorecard term resolved for the kernel: contribution beta[c0 + l0 * c1] (c1 = 0 for a main
/// effect), relative to `ref` for reasons.
struct KernelTerm {
  const double* beta = nullptr;
  double ref = 0;
  double index = 0;               ///< the term's index (reasons are carried as doubles in the kernel)
  int in0 = 0, in1 = -1, l0 = 0;  ///< input indices (in1 < 0: main effect) and classes of in0
};

/// The card's terms in kernel form (pointers into `card`, which must outlive them).
std::vector<KernelTerm> kernel_terms(const model::Scorecard& card);

/// For rows i < n with codes of input k at codes[k * stride + i]: eta[i] = intercept + the terms'
/// contributions added in term order; reason[r][i] / contrib[r][i] = index and contribution
/// (beta - ref) of the term with the (r+1)-th largest contribution (a strictly larger one displaces:
/// lower index first on ties; -1 and 0 when there are fewer terms). Codes come as narrow as the
/// class counts allow (1, 2 or 4 bytes): the scorer's codes of a chunk then stay in cache.
void score_rows(const std::vector<KernelTerm>& terms, double intercept, const std::uint8_t* codes, std::size_t stride,
                std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,
                const std::array<double*, 3>& contrib);
void score_rows(const std::vector<KernelTerm>& terms, double intercept, const std::uint16_t* codes, std::size_t stride,
                std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,
                const std::array<double*, 3>& contrib);
void score_rows(const std::vector<KernelTerm>& terms, double intercept, const int* codes, std::size_t stride,
                std::size_t n, double* eta, const std::array<std::int16_t*, 3>& reason,
                const std::array<double*, 3>& contrib);

/// The card's terms in kernel form plus reason ranks: every (term, cell) contribution gets a 16-bit
/// rank, unique over the card and ordered like (contribution ascending, higher term index first), so
/// that a row's top 3 reasons are its 3 largest ranks (exactly the rule above: strictly larger
/// displaces, lower index first on ties) and are kept with 16-lane integer max/min instead of
/// double compares and blends. Rank 0 means "no term" (-1, contribution 0).
struct KernelPlan {
  std::vector<KernelTerm> terms;
  double intercept = 0;
  /// False when ranks do not apply (non-finite contributions, or more than 65535 cells): score_rows
  /// then runs the compare-and-blend kernel.
  bool ranked = false;
  std::vector<std::uint32_t> rank_at;   ///< per term: where its cells' ranks start in cell_rank
  std::vector<std::uint16_t> cell_rank;  ///< rank of each (term, cell)
  std::vector<std::int16_t> rank_term;   ///< rank -> term index (rank 0: -1)
  std::vector<double> rank_contrib;      ///< rank -> contribution beta - ref (rank 0: 0)
  /// Per term, the low then high bytes of its first 16 cells' ranks (byte-shuffle tables), and
  /// whether the term can use them (a main effect of at most 16 classes).
  std::vector<std::array<std::uint8_t, 32>> shuffle;
  std::vector<char> small;
  /// Run the AVX-512 form (32 rows at a time: a main effect's 16-cell table by one two-register
  /// permute per 8 rows, ranks by one 16-bit permute per 32 rows) when the CPU has AVX-512 F/BW.
  /// Same results bit for bit; false forces the AVX2 form (tests).
  bool avx512 = false;
  /// Per term (avx512 and small): its first 16 contributions (doubles) then its first 32 ranks (u16).
  std::vector<std::array<double, 24>> table16;
  /// Per term (avx512): where its cells are in table64/rank64 when it is not small and has at most
  /// 64 cells (interactions of a few classes each), -1 otherwise (gathers). Such a term gets its
  /// contributions by two-register permutes and a blend per 16 cells, and its ranks by one 16-bit
  /// two-register permute per 32 rows.
  std::vector<int> medium;
  std::vector<std::array<double, 64>> table64;
  std::vector<std::array<std::uint16_t, 64>> rank64;
  std::vector<char> wide64;  ///< per table64 entry: more than 32 cells
};

/// Builds the plan (pointers into `card`, which must outlive it).
KernelPlan kernel_plan(const model::Scorecard& card);

/// Same results as score_rows(plan.terms, plan.intercept, ...) above, bit for bit; with 1-byte codes
/// and plan.ranked, 16 rows at a time (32 with AVX-512) with the reasons as ranks.
void score_rows(const KernelPlan& plan, const std::uint8_t* codes, std::size_t stride, std::size_t n, double* eta,
                const std::array<std::int16_t*, 3>& reason, const std::array<double*, 3>& contrib);

/// cc[c] += number of the n one-byte codes equal to c, for c < K (n < 8160: counters in bytes).
/// One compare per 32 codes and class: cheaper than a histogram for the few classes of an input.
void count_codes(const std::uint8_t* codes, std::size_t n, std::size_t K, std::int64_t* cc);

}  // namespace dmde::worker
