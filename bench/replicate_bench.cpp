// Cost of one bootstrap replicate on one rank: the SAS-style stepwise (model::select_effects) on a
// synthetic learning table of the default size (14,087 rows) with C candidate class effects of 4
// levels (3 design columns each), 12 of them carrying signal, weighted by bootstrap multiplicities.
// docs/scaling.md projects retrain times from this per-replicate cost (replicates are independent,
// so a retrain is replicates x this / ranks, plus start-up and gathers).
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "model/stepwise.hpp"

namespace {

struct Problem {
  Eigen::MatrixXd X;
  std::vector<Eigen::Index> block;
  std::vector<std::string> names;
  Eigen::VectorXd y, w;
};

Problem make_problem(int n, int candidates, unsigned seed) {
  const int levels = 4, signal = 12;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> level(0, levels - 1);
  std::normal_distribution<double> noise(0.0, 1.0);
  Problem p;
  p.X = Eigen::MatrixXd::Zero(n, 1 + candidates * (levels - 1));
  p.X.col(0).setOnes();
  p.block = {0, 1};
  p.names = {"Intercept"};
  Eigen::VectorXd eta = Eigen::VectorXd::Constant(n, -2.3);  // ~10% events, as the chosen target
  for (int c = 0; c < candidates; ++c) {
    const Eigen::Index col0 = 1 + static_cast<Eigen::Index>(c) * (levels - 1);
    for (int i = 0; i < n; ++i) {
      const int l = level(rng);
      if (l > 0) p.X(i, col0 + l - 1) = 1.0;
      if (c < signal) eta(i) += 0.25 * l;
    }
    p.block.push_back(col0 + levels - 1);
    char name[16];  // not "v" + std::to_string(c): GCC 12 -Wrestrict false positive
    std::snprintf(name, sizeof name, "v%d", c);
    p.names.emplace_back(name);
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  p.y.resize(n);
  for (int i = 0; i < n; ++i) p.y(i) = u(rng) < 1.0 / (1.0 + std::exp(-eta(i))) ? 1.0 : 0.0;
  // A bootstrap replicate: multiplicities of n draws with replacement (frequency weights).
  p.w = Eigen::VectorXd::Zero(n);
  std::uniform_int_distribution<int> row(0, n - 1);
  for (int i = 0; i < n; ++i) p.w(row(rng)) += 1.0;
  return p;
}

void BM_BootstrapReplicateStepwise(benchmark::State& state) {
  const auto p = make_problem(14087, static_cast<int>(state.range(0)), 20190201u);
  int selected = 0;
  for (auto _ : state) {
    auto r = dmde::model::select_effects(p.X, p.block, p.names, p.y, p.w);
    selected = static_cast<int>(r.selected.size());
    benchmark::DoNotOptimize(r.fit.beta.data());
  }
  state.counters["candidates"] = static_cast<double>(state.range(0));
  state.counters["selected"] = selected;
  state.counters["replicates_per_s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                          benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BootstrapReplicateStepwise)->Arg(100)->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
