// Generator row kernel without I/O: rows/s for a ~100-column population block (the columns a
// model scores) and for the full 1,700-column learning schema. Compare with bench/generate_bench.sh.
#include <benchmark/benchmark.h>

#include <numeric>

#include "worker/generator.hpp"

namespace {

void BM_GenerateKernel(benchmark::State& st) {
  const int cols_n = static_cast<int>(st.range(0));
  const dmde::worker::Generator g(20190201, dmde::worker::Domain::Population, 13'800'000, std::max(cols_n, 100));
  std::vector<int> cols(static_cast<std::size_t>(cols_n));
  std::iota(cols.begin(), cols.end(), 0);
  Eigen::MatrixXf X;
  const std::int64_t block = 65536;
  std::int64_t begin = 0;
  for (auto _ : st) {
    g.fill(begin, begin + block, cols, X);
    benchmark::DoNotOptimize(X.data());
    begin = (begin + block) % (13'800'000 - block);
  }
  st.SetItemsProcessed(st.iterations() * block);  // rows
  st.SetBytesProcessed(st.iterations() * block * cols_n * static_cast<std::int64_t>(sizeof(float)));
}
BENCHMARK(BM_GenerateKernel)->Arg(100)->Arg(1700)->Unit(benchmark::kMillisecond);

}  // namespace
