// Coding one numeric input of a scoring block (4096 rows at a time, as `dmde score` does) into
// 1-byte class codes with the class counts: code_numeric_bytes in its AVX-512 and portable forms,
// against the int codes + narrowing copy + byte count it replaced. Inputs: 8 MB of float32 (beyond
// L2, as mapped population columns are), 3 % NaN, cuts at the quartiles.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "worker/score_coding.hpp"
#include "worker/score_kernel.hpp"

namespace {

struct CodingData {
  std::vector<float> x;
  std::vector<float> cuts;
  explicit CodingData(int m) : x(std::size_t{1} << 21) {
    std::mt19937_64 g(7);
    std::normal_distribution<float> z;
    std::uniform_real_distribution<float> u;
    for (auto& v : x) v = u(g) < 0.03f ? NAN : z(g);
    for (int j = 0; j < m; ++j) cuts.push_back(-1.5f + 3.0f * static_cast<float>(j + 1) / static_cast<float>(m + 1));
  }
};

void run(benchmark::State& st, bool simd) {
  const int m = static_cast<int>(st.range(0));
  CodingData d(m);
  std::vector<std::uint8_t> codes(d.x.size());
  dmde::worker::NumericTally t;
  for (auto _ : st) {
    for (std::size_t i = 0; i < d.x.size(); i += 4096)
      dmde::worker::code_numeric_bytes(d.x.data() + i, 4096, d.cuts.data(), m, -3.f, 3.f,
                                       static_cast<std::uint8_t>(m + 1), codes.data() + i, t,
                                       dmde::worker::CutRule::Interim, simd);
    benchmark::DoNotOptimize(codes.data());
  }
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(d.x.size()));
}

void BM_CodeBytesAvx512(benchmark::State& st) {
  if (!dmde::worker::coding_uses_avx512()) st.SkipWithError("no AVX-512 on this CPU");
  run(st, true);
}
void BM_CodeBytesPortable(benchmark::State& st) { run(st, false); }

// What fill_block did before: int codes (branch-free compare chain), a narrowing copy, and a
// per-class byte count for the class counts.
void BM_CodeIntsNarrowCount(benchmark::State& st) {
  const int m = static_cast<int>(st.range(0));
  CodingData d(m);
  std::vector<std::uint8_t> codes(d.x.size());
  std::vector<int> tmp(4096);
  std::vector<std::int64_t> cc(static_cast<std::size_t>(m + 2));
  const float inf = INFINITY;
  std::int64_t miss = 0;
  for (auto _ : st) {
    for (std::size_t i0 = 0; i0 < d.x.size(); i0 += 4096) {
      int mi = 0;
      for (std::size_t i = 0; i < 4096; ++i) {
        const float x = d.x[i0 + i];
        int k = 0;
        for (int j = 0; j < m; ++j) k += static_cast<int>(x > d.cuts[static_cast<std::size_t>(j)]);
        const int fin = static_cast<int>(std::fabs(x) < inf);
        tmp[i] = (m + 1) + fin * (k - (m + 1));
        mi += static_cast<int>(x != x);
      }
      miss += mi;
      for (std::size_t i = 0; i < 4096; ++i) codes[i0 + i] = static_cast<std::uint8_t>(tmp[i]);
      dmde::worker::count_codes(codes.data() + i0, 4096, static_cast<std::size_t>(m + 2), cc.data());
    }
    benchmark::DoNotOptimize(codes.data());
  }
  benchmark::DoNotOptimize(miss);
  st.SetItemsProcessed(st.iterations() * static_cast<std::int64_t>(d.x.size()));
}

BENCHMARK(BM_CodeBytesAvx512)->Arg(1)->Arg(4)->Arg(15);
BENCHMARK(BM_CodeBytesPortable)->Arg(1)->Arg(4)->Arg(15);
BENCHMARK(BM_CodeIntsNarrowCount)->Arg(1)->Arg(4)->Arg(15);

}  // namespace
