// Batched Philox4x32-10 and cheap float transforms for the row kernel: plain loops over arrays
// (no calls, no branches) that the compiler vectorises, so generation keeps up with the disk.
// Bit-identical to r123::Philox4x32 (checked in tests), and IEEE float only (no fast-math), so
// the vector body and the scalar tail of a loop give the same bits whatever the block split.
#include <bit>
#include <cmath>

#include "worker/generator_internal.hpp"

namespace dmde::worker::detail {

void philox_rows(const Philox::key_type& key, std::uint64_t row0, std::size_t n, std::uint32_t stream,
                 std::uint32_t extra, Words& w) {
  w.resize(n);
  std::uint32_t* __restrict c0 = w.w[0].data();
  std::uint32_t* __restrict c1 = w.w[1].data();
  std::uint32_t* __restrict c2 = w.w[2].data();
  std::uint32_t* __restrict c3 = w.w[3].data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t row = row0 + i;
    c0[i] = static_cast<std::uint32_t>(row);
    c1[i] = static_cast<std::uint32_t>(row >> 32);
    c2[i] = stream;
    c3[i] = extra;
  }
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * c0[i];
      const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * c2[i];
      const auto hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
      const auto hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
      c0[i] = hi1 ^ c1[i] ^ k0;
      c1[i] = lo1;
      c2[i] = hi0 ^ c3[i] ^ k1;
      c3[i] = lo0;
    }
  }
}

namespace {

[[gnu::always_inline]] inline float log_impl(float x) {
  // Cephes logf: mantissa in [sqrt(1/2), sqrt(2)), degree-9 polynomial; x > 0, finite.
  const auto bits = std::bit_cast<std::uint32_t>(x);
  float e = static_cast<float>(static_cast<int>((bits >> 23) & 0xffu) - 127);
  float m = std::bit_cast<float>((bits & 0x7fffffu) | 0x3f800000u);
  const bool big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  e = big ? e + 1.0f : e;
  const float f = m - 1.0f, z = f * f;
  float y = ((((((((7.0376836292E-2f * f - 1.1514610310E-1f) * f + 1.1676998740E-1f) * f - 1.2420140846E-1f) * f +
                 1.4249322787E-1f) * f - 1.6668057665E-1f) * f + 2.0000714765E-1f) * f - 2.4999993993E-1f) * f +
             3.3333331174E-1f) * f * z;
  y += -2.12194440e-4f * e;
  y += -0.5f * z;
  return f + y + 0.693359375f * e;
}

[[gnu::always_inline]] inline float cos2pi_impl(float u) {
  // cos(2 pi u): fold u to b in [0, 1/4] (with a sign), then a Taylor polynomial to x^12.
  float a = u - std::floor(u + 0.5f);  // [-1/2, 1/2]
  a = a < 0 ? -a : a;
  const bool flip = a > 0.25f;
  const float b = flip ? 0.5f - a : a;
  const float x = 6.2831853f * b, x2 = x * x;
  const float c = 1.0f + x2 * (-0.5f + x2 * (1.0f / 24 + x2 * (-1.0f / 720 + x2 * (1.0f / 40320 + x2 * (-1.0f / 3628800 +
                  x2 * (1.0f / 479001600))))));
  return flip ? -c : c;
}

}  // namespace

float fast_log(float x) { return log_impl(x); }
float fast_cos2pi(float u) { return cos2pi_impl(u); }

// Built with -fno-math-errno -fno-trapping-math (sqrt of a non-negative value never sets errno; no
// FP traps: GCC then if-converts and vectorises
// this loop) and -ffp-contract=off (no FMA: vector body and scalar tail give the same bits).
void normals_from(const Words& w, float* z) {
  const std::uint32_t* __restrict a = w.w[0].data();
  const std::uint32_t* __restrict b = w.w[1].data();
  const std::size_t n = w.w[0].size();
  for (std::size_t i = 0; i < n; ++i) z[i] = std::sqrt(-2.0f * log_impl(u01f(a[i]))) * cos2pi_impl(u01f(b[i]));
}

}  // namespace dmde::worker::detail
