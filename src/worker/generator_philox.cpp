// Batched Philox4x32-10 and cheap float transforms for the row kernel: plain loops over arrays
// (no calls, no branches) that the compiler vectorises, so generation keeps up with the disk.
// Bit-identical to r123::Philox4x32 (checked in tests), and IEEE float only (no fast-math), so
// the vector body and the scalar tail of a loop give the same bits whatever the block split.
#include <bit>
#if defined(__AVX2__) || defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>

#include "worker/generator_internal.hpp"

namespace dmde::worker::detail {

namespace {

// Scalar Philox4x32-10 of counters (row0 + i, stream, extra) for i in [i0, n).
void philox_scalar(const Philox::key_type& key, std::uint64_t row0, std::size_t i0, std::size_t n,
                   std::uint32_t stream, std::uint32_t extra, std::uint32_t* c0, std::uint32_t* c1,
                   std::uint32_t* c2, std::uint32_t* c3) {
  for (std::size_t i = i0; i < n; ++i) {
    const std::uint64_t row = row0 + i;
    std::uint32_t x0 = static_cast<std::uint32_t>(row), x1 = static_cast<std::uint32_t>(row >> 32), x2 = stream,
                  x3 = extra;
    std::uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
      if (round > 0) {
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * x0;
      const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * x2;
      x0 = static_cast<std::uint32_t>(p1 >> 32) ^ x1 ^ k0;
      x1 = static_cast<std::uint32_t>(p1);
      x2 = static_cast<std::uint32_t>(p0 >> 32) ^ x3 ^ k1;
      x3 = static_cast<std::uint32_t>(p0);
    }
    c0[i] = x0;
    c1[i] = x1;
    c2[i] = x2;
    c3[i] = x3;
  }
}

#ifdef __AVX2__
// (hi, lo) 32-bit halves of the 8 products a[i] * m (vpmuludq works on even lanes: do odd ones shifted).
[[gnu::always_inline]] inline void mulhilo8(__m256i a, __m256i m, __m256i& hi, __m256i& lo) {
  const __m256i pe = _mm256_mul_epu32(a, m);
  const __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), m);
  hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
  lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
// The same rounds with AVX-512VL on 256-bit registers: vpermt2d gathers the high and the low
// halves of the products in one instruction each (instead of shift + blend) and vpternlogd does
// the three-way XOR, a third fewer instructions per round. Integer only: the same bits.
#define DMDE_AVX512VL [[gnu::target("avx512f,avx512vl"), gnu::always_inline]] inline

template <int G>
DMDE_AVX512VL void philox_step_512vl(const Philox::key_type& key, std::uint32_t lo_row, std::uint32_t hi_row,
                                      std::uint32_t stream, std::uint32_t extra, std::size_t at, std::uint32_t* c0,
                                      std::uint32_t* c1, std::uint32_t* c2, std::uint32_t* c3) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  const __m256i ihi = _mm256_setr_epi32(1, 9, 3, 11, 5, 13, 7, 15), ilo = _mm256_setr_epi32(0, 8, 2, 10, 4, 12, 6, 14);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i x0[G], x1[G], x2[G], x3[G];
  for (int g = 0; g < G; ++g) {
    x0[g] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(lo_row + static_cast<std::uint32_t>(at + 8 * g))), lane);
    x1[g] = _mm256_set1_epi32(static_cast<int>(hi_row));
    x2[g] = _mm256_set1_epi32(static_cast<int>(stream));
    x3[g] = _mm256_set1_epi32(static_cast<int>(extra));
  }
  std::uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const __m256i K0 = _mm256_set1_epi32(static_cast<int>(k0)), K1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (int g = 0; g < G; ++g) {
      const __m256i pe0 = _mm256_mul_epu32(x0[g], m0), po0 = _mm256_mul_epu32(_mm256_srli_epi64(x0[g], 32), m0);
      const __m256i pe1 = _mm256_mul_epu32(x2[g], m1), po1 = _mm256_mul_epu32(_mm256_srli_epi64(x2[g], 32), m1);
      x0[g] = _mm256_ternarylogic_epi32(_mm256_permutex2var_epi32(pe1, ihi, po1), x1[g], K0, 0x96);
      x1[g] = _mm256_permutex2var_epi32(pe1, ilo, po1);
      x2[g] = _mm256_ternarylogic_epi32(_mm256_permutex2var_epi32(pe0, ihi, po0), x3[g], K1, 0x96);
      x3[g] = _mm256_permutex2var_epi32(pe0, ilo, po0);
    }
  }
  for (int g = 0; g < G; ++g) {
    const std::size_t o = at + 8 * static_cast<std::size_t>(g);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c0 + o), x0[g]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c1 + o), x1[g]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c2 + o), x2[g]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c3 + o), x3[g]);
  }
}

/// Counters [0, returned) of philox_block with AVX-512VL (a multiple of 8).
[[gnu::target("avx512f,avx512vl")]] std::size_t philox_512vl(const Philox::key_type& key, std::uint64_t row0,
                                                             std::size_t n, std::uint32_t stream, std::uint32_t extra,
                                                             std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2,
                                                             std::uint32_t* c3) {
  const auto lo = static_cast<std::uint32_t>(row0), hi = static_cast<std::uint32_t>(row0 >> 32);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) philox_step_512vl<2>(key, lo, hi, stream, extra, i, c0, c1, c2, c3);
  for (; i + 8 <= n; i += 8) philox_step_512vl<1>(key, lo, hi, stream, extra, i, c0, c1, c2, c3);
  return i;
}

bool has_avx512vl() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  return yes;
}
#endif

}  // namespace

void philox_block(const Philox::key_type& key, std::uint64_t row0, std::size_t n, std::uint32_t stream,
                  std::uint32_t extra, std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2, std::uint32_t* c3) {
  std::size_t i = 0;
  const bool one_high_word = static_cast<std::uint64_t>(static_cast<std::uint32_t>(row0)) + n <= 0x100000000ULL;
#if defined(__x86_64__) && defined(__GNUC__)
  if (one_high_word && has_avx512vl()) {
    philox_scalar(key, row0, philox_512vl(key, row0, n, stream, extra, c0, c1, c2, c3), n, stream, extra, c0, c1, c2, c3);
    return;
  }
#endif
#ifdef __AVX2__
  // Eight counters per iteration, all ten rounds in registers (one store per word). The vector
  // path needs the high word of the row constant over the block; else the scalar loop does it all.
  if (one_high_word) {
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u));
    const __m256i m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
    const __m256i hi_row = _mm256_set1_epi32(static_cast<int>(static_cast<std::uint32_t>(row0 >> 32)));
    const __m256i vs = _mm256_set1_epi32(static_cast<int>(stream)), ve = _mm256_set1_epi32(static_cast<int>(extra));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const auto lo_row = static_cast<std::uint32_t>(row0);
    // Two independent groups of eight per step: the multiplies of one hide the latency of the other.
    const auto step = [&]<int G>(std::size_t at) {
      __m256i x0[G], x1[G], x2[G], x3[G];
      for (int g = 0; g < G; ++g) {
        x0[g] = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(lo_row + static_cast<std::uint32_t>(at + 8 * g))), lane);
        x1[g] = hi_row;
        x2[g] = vs;
        x3[g] = ve;
      }
      std::uint32_t k0 = key[0], k1 = key[1];
      for (int round = 0; round < 10; ++round) {
        if (round > 0) {
          k0 += 0x9E3779B9u;
          k1 += 0xBB67AE85u;
        }
        const __m256i K0 = _mm256_set1_epi32(static_cast<int>(k0)), K1 = _mm256_set1_epi32(static_cast<int>(k1));
        for (int g = 0; g < G; ++g) {
          __m256i hi0, lo0, hi1, lo1;
          mulhilo8(x0[g], m0, hi0, lo0);
          mulhilo8(x2[g], m1, hi1, lo1);
          x0[g] = _mm256_xor_si256(_mm256_xor_si256(hi1, x1[g]), K0);
          x1[g] = lo1;
          x2[g] = _mm256_xor_si256(_mm256_xor_si256(hi0, x3[g]), K1);
          x3[g] = lo0;
        }
      }
      for (int g = 0; g < G; ++g) {
        const std::size_t o = at + 8 * static_cast<std::size_t>(g);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c0 + o), x0[g]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c1 + o), x1[g]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c2 + o), x2[g]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c3 + o), x3[g]);
      }
    };
    for (; i + 16 <= n; i += 16) step.template operator()<2>(i);
    for (; i + 8 <= n; i += 8) step.template operator()<1>(i);
  }
#endif
  philox_scalar(key, row0, i, n, stream, extra, c0, c1, c2, c3);
}

void philox_rows(const Philox::key_type& key, std::uint64_t row0, std::size_t n, std::uint32_t stream,
                 std::uint32_t extra, Words& w) {
  w.resize(n);
  philox_block(key, row0, n, stream, extra, w.w[0].data(), w.w[1].data(), w.w[2].data(), w.w[3].data());
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
void normals_from(const std::uint32_t* __restrict a, const std::uint32_t* __restrict b, std::size_t n,
                  float* __restrict z) {
  for (std::size_t i = 0; i < n; ++i) z[i] = std::sqrt(-2.0f * log_impl(u01f(a[i]))) * cos2pi_impl(u01f(b[i]));
}

void normal_pairs_from(const std::uint32_t* __restrict a, const std::uint32_t* __restrict b, std::size_t n,
                       float* __restrict z0, float* __restrict z1) {
  for (std::size_t i = 0; i < n; ++i) {
    const float r = std::sqrt(-2.0f * log_impl(u01f(a[i]))), u = u01f(b[i]);
    z0[i] = r * cos2pi_impl(u);
    z1[i] = r * cos2pi_impl(u - 0.25f);  // sin(2 pi u)
  }
}

void normals_from(const Words& w, float* z) { normals_from(w.w[0].data(), w.w[1].data(), w.w[0].size(), z); }

}  // namespace dmde::worker::detail
