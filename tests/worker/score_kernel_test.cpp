// The scoring kernel against the scorecard's own linear_predictor/contributions: identical eta
// (same additions in the same order), top-3 reasons by a plain sort (ties: lower index first), for
// every code width, row counts that leave a tail after the vector groups, and fewer than 3 terms.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

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

template <class C>
void check(const model::Scorecard& sc, std::size_t n) {
  std::mt19937 rng(static_cast<unsigned>(n));
  Eigen::MatrixXi codes(static_cast<Eigen::Index>(n), 2);
  for (std::size_t i = 0; i < n; ++i)
    codes(static_cast<Eigen::Index>(i), 0) = static_cast<int>(rng() % 3), codes(static_cast<Eigen::Index>(i), 1) = static_cast<int>(rng() % 4);
  std::vector<C> narrow(2 * n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < 2; ++k)
      narrow[k * n + i] = static_cast<C>(codes(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)));
  std::vector<double> eta(n);
  std::array<std::vector<std::int16_t>, 3> reason;
  std::array<std::vector<double>, 3> contrib;
  for (std::size_t r = 0; r < 3; ++r) reason[r].assign(n, 99), contrib[r].assign(n, 99.0);
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
    check<std::uint16_t>(sc, n);
    check<int>(sc, n);
  }
}

TEST(ScoreKernel, FewerTermsThanReasons) {
  const auto sc = card(false);
  check<std::uint8_t>(sc, 21);
  check<int>(sc, 21);
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
