// Synthetic generator: statistics against the published figures of the technical note and
// domain.md (target rate 10.9%, AUC 0.80, target definitions c1/c2/c7, Caf sizes), window
// blocks, structural missingness, and bit-identical rows whatever the split.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "worker/generator.hpp"
#include "worker/generator_internal.hpp"

using namespace dmde::worker;

namespace {

constexpr std::uint64_t kSeed = 20190201;

int col(const Generator& g, const std::string& name) {
  const auto& c = g.catalogue();
  for (std::size_t j = 0; j < c.size(); ++j)
    if (c[j].info.name == name) return static_cast<int>(j);
  ADD_FAILURE() << "no variable " << name;
  return 0;
}

double weighted_rate(const Eigen::VectorXd& w, const Eigen::ArrayXd& x) { return (w.array() * x).sum() / w.sum(); }

// Plain rank AUC, independent of the library's: average rank of events (Mann-Whitney).
double mw_auc(const Eigen::VectorXd& s, const Eigen::VectorXd& y) {
  std::vector<std::pair<double, double>> v;
  for (Eigen::Index i = 0; i < s.size(); ++i) v.emplace_back(s[i], y[i]);
  std::sort(v.begin(), v.end());
  double rank_sum = 0, n1 = 0;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t e = i;
    while (e < v.size() && v[e].first == v[i].first) ++e;
    const double avg = 0.5 * static_cast<double>(i + 1 + e);
    for (std::size_t k = i; k < e; ++k)
      if (v[k].second > 0.5) { rank_sum += avg; n1 += 1; }
    i = e;
  }
  const double n0 = static_cast<double>(v.size()) - n1;
  return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

double corr(const Eigen::VectorXf& a, const Eigen::VectorXf& b) {
  const Eigen::ArrayXd x = a.cast<double>().array() - a.cast<double>().mean();
  const Eigen::ArrayXd y = b.cast<double>().array() - b.cast<double>().mean();
  return (x * y).sum() / std::sqrt((x * x).sum() * (y * y).sum());
}

}  // namespace

TEST(GeneratorCafs, SizesFollowThePublishedShape) {
  const auto& cafs = caf_catalogue();
  ASSERT_EQ(cafs.size(), 101u);
  std::set<int> codes;
  std::vector<std::int64_t> sizes;
  std::int64_t total = 0;
  for (const auto& c : cafs) {
    codes.insert(c.code);
    sizes.push_back(c.size);
    total += c.size;
    if (c.code == 59) { EXPECT_EQ(c.size, 620000); }
    if (c.code == 33) { EXPECT_EQ(c.size, 316000); }
    if (c.code == 973) { EXPECT_EQ(c.size, 57500); }
  }
  EXPECT_EQ(codes.size(), 101u);
  EXPECT_EQ(total, 13'800'000);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_GE(sizes.front(), 12000);
  EXPECT_LE(sizes.front(), 22000);
  EXPECT_GE(sizes[50], 90000);
  EXPECT_LE(sizes[50], 110000);
  EXPECT_GT(static_cast<double>(sizes.back()) / static_cast<double>(sizes.front()), 25.0);
}

TEST(GeneratorCatalogue, PrefixStableNamesUniqueTruthInside) {
  const auto full = build_catalogue(kSeed, kMaxVars);
  const auto small = build_catalogue(kSeed, 100);
  ASSERT_EQ(full.size(), 4360u);
  std::set<std::string> names;
  int noise = 0;
  for (const auto& g : full) {
    names.insert(g.info.name);
    noise += g.info.theme == "noise";
  }
  EXPECT_EQ(names.size(), full.size());
  EXPECT_GT(noise, 100);
  for (std::size_t j = 0; j < small.size(); ++j) EXPECT_EQ(small[j].info.name, full[j].info.name);
  const Generator g(kSeed, Domain::Learning, 100, core_var_count());
  for (const auto& v : g.truth().variables()) {
    bool found = false;
    for (const auto& c : g.catalogue()) found = found || c.info.name == v;
    EXPECT_TRUE(found) << v;
  }
  EXPECT_GE(g.truth().effects.size(), 35u);
}

TEST(Generator, RowsIdenticalWhateverTheSplit) {
  const Generator g(kSeed, Domain::Population, 5000, 300);
  std::vector<int> cols(300);
  for (int j = 0; j < 300; ++j) cols[static_cast<std::size_t>(j)] = j;
  Eigen::MatrixXf whole, a, b;
  g.fill(1000, 2000, cols, whole);
  g.fill(1000, 1377, cols, a);
  g.fill(1377, 2000, cols, b);
  ASSERT_EQ(a.rows() + b.rows(), whole.rows());
  for (int j = 0; j < 300; ++j) {
    EXPECT_EQ(std::memcmp(whole.col(j).data(), a.col(j).data(), sizeof(float) * 377), 0) << j;
    EXPECT_EQ(std::memcmp(whole.col(j).data() + 377, b.col(j).data(), sizeof(float) * 623), 0) << j;
  }
  // A different seed gives different values.
  const Generator h(kSeed + 1, Domain::Population, 5000, 300);
  Eigen::MatrixXf other;
  h.fill(1000, 2000, cols, other);
  EXPECT_NE(std::memcmp(whole.data(), other.data(), sizeof(float) * 1000), 0);
}

TEST(Generator, LearningTableTargetRateAucAndOutcomes) {
  const Generator g(kSeed, Domain::Learning, 14087, 1700);
  const auto& t = g.truth();
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd w;
  Eigen::MatrixXd o;
  g.fill_keys(0, g.rows(), id, caf, w);
  g.fill_outcomes(0, g.rows(), o);
  // Survey weights: inverse inclusion probabilities, summing to about the population size.
  EXPECT_NEAR(w.sum(), 13.8e6, 0.2e6);
  EXPECT_EQ(std::set<std::int32_t>(caf.begin(), caf.end()).size(), 101u);
  const Eigen::ArrayXd y = o.col(5).array();
  EXPECT_NEAR(weighted_rate(w, y), 0.109, 0.01);
  // target_c4 is the cible 4 definition applied to the outcome columns.
  const Eigen::ArrayXd amount = o.col(0).array(), months = o.col(1).array();
  EXPECT_TRUE((((amount > 600) && (months > 6)).cast<double>() == y).all());
  EXPECT_TRUE(((o.col(4) - o.col(0) - o.col(3)).array().abs() < 1e-9).all());
  // True-model AUC on the table.
  const auto vars = t.variables();
  std::vector<int> cols;
  for (const auto& v : vars) cols.push_back(col(g, v));
  Eigen::MatrixXf X;
  g.fill(0, g.rows(), cols, X);
  EXPECT_NEAR(mw_auc(t.eta(X, vars), o.col(5)), 0.80, 0.02);
  EXPECT_NEAR(rank_auc(t.eta(X, vars), o.col(5)), mw_auc(t.eta(X, vars), o.col(5)), 1e-12);
}

TEST(Generator, OutcomesGiveTheNoteTargetRates) {
  // A large population-like draw for tight rates (the note's weighted percentages).
  const Generator g(kSeed, Domain::Population, 60000, 100);
  Eigen::MatrixXd o;
  g.fill_outcomes(0, g.rows(), o);
  const Eigen::ArrayXd a = o.col(0).array(), m = o.col(1).array(), fraud = o.col(2).array();
  const Eigen::ArrayXd monthly = (m > 0).select(a / m.max(1.0), 0.0);
  EXPECT_NEAR(fraud.mean(), 0.050, 0.03);                                          // c1
  EXPECT_NEAR(((a > 200) && (m > 3)).cast<double>().mean(), 0.156, 0.03);           // c2
  EXPECT_NEAR(((a > 400) && (m > 5)).cast<double>().mean(), 0.129, 0.03);           // c3
  EXPECT_NEAR(((a > 1500) && (m > 6)).cast<double>().mean(), 0.077, 0.03);          // c6
  EXPECT_NEAR((monthly > 10).cast<double>().mean(), 0.235, 0.03);                   // c7
  EXPECT_NEAR((monthly > 200).cast<double>().mean(), 0.074, 0.03);                  // c11
  const Eigen::ArrayXd c4 = ((a > 600) && (m > 6)).cast<double>();
  EXPECT_GT((fraud * c4).sum() / fraud.sum(), 0.95);  // ~98% of frauds inside cible 4
  EXPECT_NEAR((o.col(3).array() > 0).cast<double>().mean(), 0.20, 0.02);
}

TEST(Generator, WindowBlocksCorrelatedStructuralMissingLocalConstant) {
  const Generator g(kSeed, Domain::Population, 20000, 1700);
  const std::vector<std::string> names{"mt_prest_tot_moy3m", "mt_prest_tot_moy18m", "mt_rsa_moy6m", "mt_rsa_moy12m",
                                       "type_menage", "age_conjoint", "tx_chomage_caf", "nb_fg_010_6m",
                                       "nb_fg_010_18m", "alea_0001", "age_resp"};
  std::vector<int> cols;
  for (const auto& n : names) cols.push_back(col(g, n));
  Eigen::MatrixXf X;
  g.fill(0, g.rows(), cols, X);
  EXPECT_GT(std::abs(corr(X.col(0), X.col(1))), 0.8);
  EXPECT_GT(std::abs(corr(X.col(2), X.col(3))), 0.8);
  EXPECT_GT(std::abs(corr(X.col(7), X.col(8))), 0.5);
  EXPECT_LT(std::abs(corr(X.col(9), X.col(10))), 0.05);  // noise is unrelated
  int singles = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const bool no_spouse = X(i, 4) < 2;
    singles += no_spouse;
    EXPECT_EQ(std::isnan(X(i, 5)), no_spouse);
  }
  EXPECT_NEAR(static_cast<double>(singles) / static_cast<double>(X.rows()), 0.54, 0.05);
  // Caf-level context is constant within a Caf (rows are ordered by Caf).
  std::vector<std::int64_t> id;
  std::vector<std::int32_t> caf;
  Eigen::VectorXd w;
  g.fill_keys(0, g.rows(), id, caf, w);
  for (std::size_t i = 1; i < caf.size(); ++i)
    if (caf[i] == caf[i - 1]) { ASSERT_EQ(X(static_cast<Eigen::Index>(i), 6), X(static_cast<Eigen::Index>(i - 1), 6)); }
  EXPECT_EQ(caf.front(), 1);
  EXPECT_EQ(caf.back(), 974);
}

TEST(GeneratorKernel, BatchedPhiloxMatchesRandom123AndFastMathIsAccurate) {
  using namespace dmde::worker::detail;
  const Draw d(kSeed, 1);
  Words w;
  philox_rows(d.key, (1ULL << 32) - 3, 37, 123, 9, w);  // crosses the high word of the row
  for (std::size_t i = 0; i < 37; ++i) {
    const auto r = d((1ULL << 32) - 3 + i, 123, 9);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(w.w[k][i], r[static_cast<std::size_t>(k)]) << i << " " << k;
  }
  for (float x : {1e-7f, 0.001f, 0.3f, 0.70710677f, 0.7071068f, 0.9999999f, 1.0f})
    EXPECT_NEAR(fast_log(x), std::log(static_cast<double>(x)), 2e-6 * std::max(1.0, std::abs(std::log(static_cast<double>(x))))) << x;
  for (float u = 0.0f; u < 1.0f; u += 0.0123f)
    EXPECT_NEAR(fast_cos2pi(u), std::cos(6.283185307179586 * u), 2e-6) << u;
  for (float x : {-80.0f, -20.0f, -1.0f, -1e-3f, 0.0f, 0.5f, 1.0f, 6.8f, 12.3f, 40.0f, 85.0f})
    EXPECT_NEAR(fast_exp(x) / std::exp(static_cast<double>(x)), 1.0, 3e-7) << x;
}

TEST(GeneratorKernel, VectorPhiloxAndNormalPairsMatchScalar) {
  using namespace dmde::worker::detail;
  const Draw d(kSeed, 0);
  // 16-, 8- and 1-wide paths (45 = 2 x 16 + 8 + 5), from an odd row.
  std::vector<std::uint32_t> w(4 * 45);
  philox_block(d.key, 1001, 45, 77, 3, w.data(), w.data() + 45, w.data() + 90, w.data() + 135);
  for (std::size_t i = 0; i < 45; ++i) {
    const auto r = d(1001 + i, 77, 3);
    for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(w[k * 45 + i], r[k]) << i << " " << k;
  }
  std::vector<float> z0(45), z1(45);
  normal_pairs_from(w.data(), w.data() + 45, 45, z0.data(), z1.data());
  for (std::size_t i = 0; i < 45; ++i) {
    const double r = std::sqrt(-2.0 * std::log(static_cast<double>(u01f(w[i]))));
    const double t = 6.283185307179586 * static_cast<double>(u01f(w[45 + i]));
    EXPECT_NEAR(z0[i], r * std::cos(t), 1e-5) << i;
    EXPECT_NEAR(z1[i], r * std::sin(t), 1e-5) << i;
  }
}
