// The score tests of one stepwise step inside a bootstrap replicate, at the learning table's scale
// (14,087 rows, 300 class candidates of 2-4 levels = ~900 dummy columns, 20 effects in the model),
// against a plain GEMM of the step's dominant shape (q x n by n x p) on the same machine: the
// "fraction of the machine's matrix-multiply speed" of issue 5. Counter GFLOP/s = 2 n q p / time.
#include <benchmark/benchmark.h>

#include <Eigen/Core>

#include "model/hypothesis.hpp"
#include "model/logistic.hpp"
#include "worker/bootstrap.hpp"

namespace {

struct Step {
  Eigen::MatrixXd X, Z;
  Eigen::VectorXd y, w;
  std::vector<Eigen::Index> block;
  dmde::model::LogisticFit fit;
  dmde::model::ClassCodes codes;  // [X | Z] as class codes
  std::vector<int> model;         // X's effects in codes: the intercept and the first `in` classes
};

const Step& step() {
  static const Step s = [] {
    const Eigen::Index n = 14087;
    const int vars = 300, in = 20;
    Step st;
    std::vector<int> L(vars);
    Eigen::Index q = 0, p = 1;
    for (int j = 0; j < vars; ++j) {
      L[static_cast<std::size_t>(j)] = 2 + j % 3;
      (j < in ? p : q) += L[static_cast<std::size_t>(j)] - 1;
    }
    st.X = Eigen::MatrixXd::Zero(n, p);
    st.Z = Eigen::MatrixXd::Zero(n, q);
    st.X.col(0).setOnes();
    st.y.resize(n);
    Eigen::Index cx = 1, cz = 0;
    st.block.push_back(0);
    for (int j = 0; j < vars; ++j) {
      const int l = L[static_cast<std::size_t>(j)];
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto c = static_cast<Eigen::Index>(dmde::worker::philox_below(5, static_cast<std::uint64_t>(j), dmde::worker::Stream::Folds, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(l)));
        if (c < l - 1) (j < in ? st.X(i, cx + c) : st.Z(i, cz + c)) = 1;
      }
      if (j < in) cx += l - 1;
      else st.block.push_back(cz += l - 1);
    }
    for (Eigen::Index i = 0; i < n; ++i)
      st.y[i] = dmde::worker::philox_below(6, 0, dmde::worker::Stream::Folds, static_cast<std::uint64_t>(i), 100) < 11;
    // Bootstrap weights: multiplicities x normalized survey weights.
    st.w = dmde::worker::replicate_counts(7, 0, st.y, true);
    st.fit = dmde::model::fit_logistic(st.X, st.y, st.w);
    Eigen::MatrixXd XZ(n, st.X.cols() + st.Z.cols());
    XZ << st.X, st.Z;
    std::vector<Eigen::Index> all{0, 1};
    for (int j = 0; j < in; ++j) all.push_back(all.back() + L[static_cast<std::size_t>(j)] - 1);
    for (std::size_t b = 1; b < st.block.size(); ++b) all.push_back(st.X.cols() + st.block[b]);
    st.codes = dmde::model::ClassCodes::from_dummies(XZ, all);
    for (int e = 0; e <= in; ++e) st.model.push_back(e);
    return st;
  }();
  return s;
}

void BM_TrainScoreStep(benchmark::State& state) {
  const auto& s = step();
  for (auto _ : state) {
    auto t = dmde::model::score_tests(s.X, s.fit.cov, s.fit.mu, s.y, s.w, s.Z, s.block);
    benchmark::DoNotOptimize(t.data());
  }
  const double flops = 2.0 * static_cast<double>(s.X.rows() * s.X.cols() * s.Z.cols());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["candidates_cols"] = static_cast<double>(s.Z.cols());
}
BENCHMARK(BM_TrainScoreStep)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same step with the class-code kernel stepwise uses on discretized candidates (exact, same
// statistics): GFLOP/s counts the dense GEMM's flops, i.e. the speed a GEMM would need to match it.
void BM_TrainScoreStepClassCodes(benchmark::State& state) {
  const auto& s = step();
  for (auto _ : state) {
    auto t = dmde::model::score_tests(s.codes, s.model, s.fit.cov, s.fit.mu, s.y, s.w);
    benchmark::DoNotOptimize(t.data());
  }
  const double flops = 2.0 * static_cast<double>(s.X.rows() * s.X.cols() * s.Z.cols());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_TrainScoreStepClassCodes)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_TrainGemmPeer(benchmark::State& state) {
  const auto& s = step();
  Eigen::MatrixXd out(s.Z.cols(), s.X.cols());
  for (auto _ : state) {
    out.noalias() = s.Z.transpose() * s.X;
    benchmark::DoNotOptimize(out.data());
  }
  const double flops = 2.0 * static_cast<double>(s.X.rows() * s.X.cols() * s.Z.cols());
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_TrainGemmPeer)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
