// The scoring kernel against the scorecard's own linear_predictor/contributions: identical eta
// (same additions in the same order), top-3 reasons by a plain sort (ties: lower index first), for
// every code width, row counts that leave a tail after the vector groups, and fewer than 3 terms.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <limits>
#include <random>
#include <type_traits>

#include "worker/score_kernel.hpp"

using namespace dmde;
using namespace dmde::worker;

namespace {

model::Scorecard card(bool three_terms) {
  model::Scorecard c;
  c.intercept = -2.25;
  c.inputs = {"a", "b"};
  auto term = [](std::string e, std::vector<int> in, std::vector<int> lv, Eigen::VectorXd beta, double ref) {
    model::ScoreTerm t;
    t.effect = std::move(e), t.inputs = std::move(in), t.n_levels = std::move(lv), t.beta = std::move(beta),
    t.reference = ref;
    return t;
  };
  c.terms.push_back(term("a", {0}, {3}, Eigen::Vector3d(0.0, 0.5, -0.25), 0.125));
  c.terms.push_back(term("b", {1}, {4}, Eigen::Vector4d(0.0, 0.375, 0.5, -1.0), 0.0));
  if (three_terms) {
    Eigen::VectorXd ab(12);
    ab << 0, 0, 0, 0, 0.25, 0.5, 0, 0.5, 0.625, 0, -0.75, 0.375;  // ties with the main effects on purpose
    c.terms.push_back(term("a*b", {0, 1}, {3, 4}, ab, 0.0));
  }
  c.validate();
  return c;
}

/// A card of `p` inputs and many terms: class counts 1..40 (above and below the 16 of the byte
/// shuffle), every fifth term an interaction, contributions on a coarse grid (many ties).
model::Scorecard big_card(std::size_t p, unsigned seed) {
  std::mt19937 rng(seed);
  model::Scorecard c;
  c.intercept = 0.5;
  std::vector<int> levels(p);
  for (std::size_t k = 0; k < p; ++k) c.inputs.push_back(std::string(1, 'x').append(std::to_string(k))), levels[k] = 1 + static_cast<int>(rng() % 40);
  for (std::size_t k = 0; k < p; ++k) {
    model::ScoreTerm t;
    t.effect = c.inputs[k];
    t.inputs = {static_cast<int>(k)};
    t.n_levels = {levels[k]};
    if (k % 5 == 4) t.inputs.push_back(static_cast<int>(k - 1)), t.n_levels.push_back(levels[k - 1]), t.effect.append("*x");
    int cells = 1;
    for (int l : t.n_levels) cells *= l;
    t.beta.resize(cells);
    for (int l = 0; l < cells; ++l) t.beta[l] = 0.125 * static_cast<double>(static_cast<int>(rng() % 17) - 8);
    t.reference = 0.25 * static_cast<double>(rng() % 3);
    c.terms.push_back(t);
  }
  c.validate();
  return c;
}

/// Random codes of the card's inputs: class counts from the terms.
Eigen::MatrixXi random_codes(const model::Scorecard& sc, std::size_t n) {
  std::vector<int> lv(sc.inputs.size(), 1);
  for (const auto& t : sc.terms)
    for (std::size_t k = 0; k < t.inputs.size(); ++k) lv[static_cast<std::size_t>(t.inputs[k])] = t.n_levels[k];
  std::mt19937 rng(static_cast<unsigned>(n));
  Eigen::MatrixXi codes(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(lv.size()));
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < lv.size(); ++k)
      codes(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = static_cast<int>(rng() % static_cast<unsigned>(lv[k]));
  return codes;
}

/// ranked: the KernelPlan entry point (1-byte codes only); avx2: with the AVX-512 form turned off.
template <class C>
void check(const model::Scorecard& sc, std::size_t n, bool ranked = false, bool avx2 = false) {
  const Eigen::MatrixXi codes = random_codes(sc, n);
  const auto p = static_cast<std::size_t>(codes.cols());
  std::vector<C> narrow(p * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < p; ++k)
      narrow[k * n + i] = static_cast<C>(codes(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)));
  std::vector<double> eta(n);
  std::array<std::vector<std::int16_t>, 3> reason;
  std::array<std::vector<double>, 3> contrib;
  for (std::size_t r = 0; r < 3; ++r) reason[r].assign(n, 99), contrib[r].assign(n, 99.0);
  if constexpr (std::is_same_v<C, std::uint8_t>) {
    if (ranked) {
      auto plan = kernel_plan(sc);
      if (avx2) plan.avx512 = false;
      score_rows(plan, narrow.data(), n, n, eta.data(), {reason[0].data(), reason[1].data(), reason[2].data()},
                 {contrib[0].data(), contrib[1].data(), contrib[2].data()});
    }
  }
  if (!ranked)
    score_rows(kernel_terms(sc), sc.intercept, narrow.data(), n, n, eta.data(),
               {reason[0].data(), reason[1].data(), reason[2].data()}, {contrib[0].data(), contrib[1].data(), contrib[2].data()});
  const Eigen::VectorXd want = sc.linear_predictor(codes);
  const Eigen::MatrixXd c = sc.contributions(codes);
  for (std::size_t i = 0; i < n; ++i) {
    const auto ii = static_cast<Eigen::Index>(i);
    ASSERT_EQ(eta[i], want[ii]) << "row " << i;
    std::vector<int> idx(sc.terms.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return c(ii, a) > c(ii, b); });
    for (std::size_t r = 0; r < 3; ++r) {
      if (r < idx.size()) {
        ASSERT_EQ(reason[r][i], idx[r]) << "row " << i << " reason " << r;
        ASSERT_EQ(contrib[r][i], c(ii, idx[r])) << "row " << i << " reason " << r;
      } else {
        ASSERT_EQ(reason[r][i], -1);
        ASSERT_EQ(contrib[r][i], 0.0);
      }
    }
  }
}

}  // namespace

TEST(ScoreKernel, MatchesScorecardForEveryCodeWidth) {
  const auto sc = card(true);
  for (std::size_t n : {1u, 7u, 8u, 37u, 1000u}) {
    check<std::uint8_t>(sc, n);
    check<std::uint8_t>(sc, n, true);
    check<std::uint8_t>(sc, n, true, true);
    check<std::uint16_t>(sc, n);
    check<int>(sc, n);
  }
}

TEST(ScoreKernel, FewerTermsThanReasons) {
  const auto sc = card(false);
  check<std::uint8_t>(sc, 21);
  check<std::uint8_t>(sc, 21, true);
  check<std::uint8_t>(sc, 40, true, true);
  check<int>(sc, 21);
}

TEST(ScoreKernel, RankedReasonsMatchASortOnManyTiedTerms) {
  for (unsigned seed : {1u, 2u}) {
    const auto sc = big_card(60, seed);
    const auto plan = kernel_plan(sc);
    ASSERT_TRUE(plan.ranked);
    EXPECT_GT(std::count(plan.small.begin(), plan.small.end(), 1), 0);  // both ways of getting ranks
    EXPECT_GT(std::count(plan.small.begin(), plan.small.end(), 0), 0);
    // and both ways for the others (AVX-512): tables of up to 32 and 64 cells, and gathers
    int up_to_32 = 0, up_to_64 = 0, gathered = 0;
    for (std::size_t j = 0; j < sc.terms.size(); ++j) {
      const auto cells = sc.terms[j].beta.size();
      if (plan.small[j]) continue;
      if (plan.medium[j] >= 0) {
        (cells <= 32 ? up_to_32 : up_to_64) += 1;
      } else {
        gathered += 1;
        EXPECT_GT(cells, 64u);
      }
    }
    EXPECT_GT(up_to_32, 0);
    EXPECT_GT(up_to_64, 0);
    EXPECT_GT(gathered, 0);
    for (std::size_t n : {16u, 45u, 2000u}) {
      check<std::uint8_t>(sc, n, true);        // AVX-512 where the CPU has it
      check<std::uint8_t>(sc, n, true, true);  // AVX2
    }
  }
}

TEST(ScoreKernel, NonFiniteContributionFallsBackToCompares) {
  auto sc = big_card(60, 3);  // with 60 terms a -inf contribution is never in a row's top 3
  sc.terms[0].beta[0] = -std::numeric_limits<double>::infinity();
  EXPECT_FALSE(kernel_plan(sc).ranked);
  check<std::uint8_t>(sc, 40, true);
}

TEST(ScoreKernel, CountCodesMatchesAHistogram) {
  std::mt19937 rng(3);
  for (std::size_t n : {0u, 31u, 32u, 100u, 4096u}) {
    for (std::size_t K : {1u, 5u, 12u}) {
      std::vector<std::uint8_t> codes(n);
      for (auto& c : codes) c = static_cast<std::uint8_t>(rng() % K);
      std::vector<std::int64_t> want(K, 7), got(K, 7);  // counts are added to what is there
      for (auto c : codes) ++want[c];
      count_codes(codes.data(), n, K, got.data());
      EXPECT_EQ(got, want) << "n " << n << " K " << K;
    }
  }
}
