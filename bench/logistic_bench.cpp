// Logistic kernels at the learning-table scale (14,087 rows): one weighted fit with ~150
// columns, the batched score tests of one stepwise step over 300 candidates, and one whole
// stepwise selection over 300 candidates. bench/peers/glm_vs_dmde.sh compares with R.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "model/design.hpp"
#include "model/hypothesis.hpp"
#include "model/logistic.hpp"
#include "model/stepwise.hpp"
#include "model/weights.hpp"

namespace {

using namespace dmde::model;

struct Problem {
  Eigen::MatrixXd X;  // intercept + p columns
  Eigen::VectorXd y, w;
};

// Deterministic synthetic learning table: p standard normal columns, the first `k_true` carry
// signal, survey weights in [1, 50] normalized to sum to n.
Problem make(Eigen::Index n, Eigen::Index p, Eigen::Index k_true, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::uniform_real_distribution<double> u(0, 1);
  Problem pr;
  pr.X.resize(n, p + 1);
  pr.X.col(0).setOnes();
  for (Eigen::Index j = 1; j <= p; ++j)
    for (Eigen::Index i = 0; i < n; ++i) pr.X(i, j) = z(rng);
  pr.y.resize(n);
  Eigen::VectorXd raw_w(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double eta = -1.0;
    for (Eigen::Index j = 1; j <= k_true; ++j) eta += 0.25 * pr.X(i, j);
    pr.y[i] = u(rng) < 1 / (1 + std::exp(-eta));
    raw_w[i] = 1 + 49 * u(rng);
  }
  pr.w = effective_weights(raw_w, n, WeightMode::Normalized);
  return pr;
}

void BM_WeightedFit(benchmark::State& state) {
  const auto p = make(14087, state.range(0), 20, 1);
  LogisticOptions opt;
  opt.threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    auto f = fit_logistic(p.X, p.y, p.w, opt);
    benchmark::DoNotOptimize(f.beta.data());
  }
  state.SetLabel("14087 rows");
}
BENCHMARK(BM_WeightedFit)->Args({150, 1})->Args({150, 2})->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ScoreTests300(benchmark::State& state) {
  const auto p = make(14087, 300, 20, 2);
  const Eigen::MatrixXd Xcur = p.X.leftCols(21);  // a model with 20 effects in
  const auto f = fit_logistic(Xcur, p.y, p.w);
  std::vector<Eigen::Index> block(301);
  for (Eigen::Index b = 0; b <= 300; ++b) block[static_cast<std::size_t>(b)] = b;
  const Eigen::MatrixXd Z = p.X.rightCols(300);
  for (auto _ : state) {
    auto t = score_tests(Xcur, f.cov, f.mu, p.y, p.w, Z, block);
    benchmark::DoNotOptimize(t.data());
  }
}
BENCHMARK(BM_ScoreTests300)->Unit(benchmark::kMillisecond);

void BM_Stepwise300(benchmark::State& state) {
  const auto p = make(14087, 300, 20, 3);
  std::vector<Eigen::Index> block(302);
  std::vector<std::string> names{"Intercept"};
  for (Eigen::Index b = 0; b <= 301; ++b) block[static_cast<std::size_t>(b)] = b;
  for (int j = 1; j <= 300; ++j) names.push_back(std::string("v").append(std::to_string(j)));
  SelectionOptions o;
  o.max_steps = static_cast<int>(state.range(0));
  std::size_t steps = 0;
  for (auto _ : state) {
    auto r = select_effects(p.X, block, names, p.y, p.w, o);
    steps = r.steps.size();
    benchmark::DoNotOptimize(r.fit.beta.data());
  }
  state.counters["steps"] = static_cast<double>(steps);
}
BENCHMARK(BM_Stepwise300)->Arg(-1)->Unit(benchmark::kMillisecond);

}  // namespace

namespace {

// Building the 14,087 x 150 design from raw table columns (what `dmde fit` does before fitting).
void BM_DesignBuild150(benchmark::State& state) {
  const auto p = make(14087, 150, 20, 4);
  std::vector<RawVar> vars;
  std::string effects;
  for (int j = 1; j <= 150; ++j) {
    vars.push_back({std::string("v").append(std::to_string(j)), false, {}});
    effects.append(vars.back().name).append(" ");
  }
  const Eigen::MatrixXd raw = p.X.rightCols(150);
  const auto eff = parse_effects(effects);
  for (auto _ : state) {
    auto d = build_design(raw, vars, eff, {});
    benchmark::DoNotOptimize(d.X.data());
  }
}
BENCHMARK(BM_DesignBuild150)->Unit(benchmark::kMillisecond);

}  // namespace
