#pragma once
// Internals shared by the generator's files (not a public API): factor and special-variable ids,
// the Philox draws, and the per-row household context.
#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "worker/generator.hpp"

namespace dmde::worker::detail {

// Latent factors of a dossier.
enum { F_PREC, F_INSTAB, F_FAMILY, F_DIGITAL, F_EMPLOY, F_HOUSING, F_AGE, F_CONTACT };
// Household variables computed together (consistency: isole_parent follows type_menage, ...).
enum { S_TYPE_MENAGE, S_ISOLE_PARENT, S_NB_ENF, S_NB_ENF19, S_ACT_ENF, S_SEP_RECENTE, S_TUTELLE, S_ACT_RESP,
       S_ACT_CONJ, S_CHOMEUR, S_AAH_ACT, S_REGIME_TRIM, S_STATUT_OCC };
// Benefits received (a non-recipient has 0 in every window of that benefit).
enum { R_RSA, R_PPA, R_AF, R_CF, R_AL, R_AAH, R_COUNT };
inline constexpr int kCoreVars = 72;

// RNG streams beyond the variables' own (variables use 0..kMaxVars-1).
inline constexpr std::uint32_t kStreamCtx = 100000;     // household context, +0..15
inline constexpr std::uint32_t kStreamBlock = 200000;   // window-block latents, + block id
inline constexpr std::uint32_t kStreamOutcome = 300000; // outcomes, +0..7
inline constexpr std::uint32_t kStreamLocal = 400000;   // Caf / commune context

using Philox = r123::Philox4x32;

/// Keyed draws: counter = (row low, row high, stream, extra).
struct Draw {
  Philox::key_type key;
  Draw(std::uint64_t seed, std::uint32_t domain) {
    key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32) ^ (domain * 0x9E3779B9u)}};
  }
  Philox::ctr_type operator()(std::uint64_t row, std::uint32_t stream, std::uint32_t extra = 0) const {
    Philox g;
    Philox::ctr_type c = {{static_cast<std::uint32_t>(row), static_cast<std::uint32_t>(row >> 32), stream, extra}};
    return g(c, key);
  }
};

/// Uniform in (0, 1), never 0 or 1.
inline double u01(std::uint32_t x) { return (static_cast<double>(x) + 0.5) * (1.0 / 4294967296.0); }
/// Standard normals from two 32-bit words (Box-Muller, both branches).
inline void normals(std::uint32_t a, std::uint32_t b, double& z0, double& z1) {
  const double r = std::sqrt(-2.0 * std::log(u01(a)));
  const double t = 6.283185307179586 * u01(b);
  z0 = r * std::cos(t);
  z1 = r * std::sin(t);
}
inline double normal(std::uint32_t a, std::uint32_t b) {
  double z0, z1;
  normals(a, b, z0, z1);
  return z0;
}

/// Float versions for the per-value kernel (cheaper; values are stored as float anyway).
inline float u01f(std::uint32_t x) {
  return static_cast<float>(static_cast<std::int32_t>(x >> 8)) * (1.0f / 16777216.0f) + (0.5f / 16777216.0f);
}
inline float normalf(std::uint32_t a, std::uint32_t b) {
  return std::sqrt(-2.0f * std::log(u01f(a))) * std::cos(6.2831853f * u01f(b));
}

/// Four words per row from one Philox call each (structure of arrays).
struct Words {
  std::vector<std::uint32_t> w[4];
  void resize(std::size_t n) {
    for (auto& v : w) v.resize(n);
  }
};
/// Philox4x32-10 of counters (row0 + i, stream, extra), i < n, into `w` (vectorised loops).
void philox_rows(const Philox::key_type& key, std::uint64_t row0, std::size_t n, std::uint32_t stream,
                 std::uint32_t extra, Words& w);
/// log(x) for x in (0, 1] and cos(2 pi u), to float precision, branch-free (vectorisable).
float fast_log(float x);
float fast_cos2pi(float u);
/// z[i] = Box-Muller normal from words 0 and 1 of row i.
void normals_from(const Words& w, float* z);

/// Household context of a block of rows (structure of arrays, one entry per row).
struct RowCtx {
  std::int64_t begin = 0;
  std::vector<int> caf, commune;
  std::vector<double> f[kFactors];
  std::vector<signed char> hh, nb_enf, nb_enf19, act_enf, act_resp, act_conj, statut, sep, tutelle, controlled;
  std::vector<signed char> rec[R_COUNT];
  std::size_t size() const { return caf.size(); }
};

}  // namespace dmde::worker::detail
