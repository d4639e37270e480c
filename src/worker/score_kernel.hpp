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

/// cc[c] += number of the n one-byte codes equal to c, for c < K (n < 8160: counters in bytes).
/// One compare per 32 codes and class: cheaper than a histogram for the few classes of an input.
void count_codes(const std::uint8_t* codes, std::size_t n, std::size_t K, std::int64_t* cc);

}  // namespace dmde::worker
