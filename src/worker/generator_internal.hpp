#pragma once
// Internals shared by the generator's files (not a public API): factor and special-variable ids,
// the Philox draws, and the per-row household context.
#include <Random123/philox.h>

#include <cmath>
#include <cstring>
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
/// The same into four arrays of n words (AVX2: eight counters at a time, rounds in registers).
void philox_block(const Philox::key_type& key, std::uint64_t row0, std::size_t n, std::uint32_t stream,
                  std::uint32_t extra, std::uint32_t* c0, std::uint32_t* c1, std::uint32_t* c2, std::uint32_t* c3);
/// exp(x) in float for |x| < 87 (Cephes expf: Cody-Waite reduction, degree-5 polynomial; within
/// 2 ulp of std::exp), branch-free and inline so the transform loops vectorise.
[[gnu::always_inline]] inline float fast_exp(float x) {
  x = x > 88.0f ? 88.0f : (x < -87.0f ? -87.0f : x);
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  const float z = r * r;
  float y = ((((1.9875691500E-4f * r + 1.3981999507E-3f) * r + 8.3334519073E-3f) * r + 4.1665795894E-2f) * r +
             1.6666665459E-1f) * r + 5.0000001201E-1f;
  y = y * z + r + 1.0f;
  const auto e = static_cast<std::uint32_t>(static_cast<std::int32_t>(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &e, sizeof scale);
  return y * scale;
}
/// log(x) for x in (0, 1] and cos(2 pi u), to float precision, branch-free (vectorisable).
float fast_log(float x);
float fast_cos2pi(float u);
/// z[i] = Box-Muller normal from words 0 and 1 of row i.
void normals_from(const Words& w, float* z);
/// z[i] = Box-Muller normal from a[i], b[i], i < n.
void normals_from(const std::uint32_t* a, const std::uint32_t* b, std::size_t n, float* z);
/// Both Box-Muller normals of each pair: z0[i] = r cos(2 pi u), z1[i] = r sin(2 pi u).
void normal_pairs_from(const std::uint32_t* a, const std::uint32_t* b, std::size_t n, float* z0, float* z1);

/// Household context of a block of rows (structure of arrays, one entry per row).
struct RowCtx {
  std::int64_t begin = 0;
  std::vector<int> caf, commune;
  std::vector<float> ff[kFactors];  ///< the latent factors, rounded to float (what the float kernel reads)
  std::vector<signed char> hh, nb_enf, nb_enf19, act_enf, act_resp, act_conj, statut, sep, tutelle, controlled;
  std::vector<signed char> rec[R_COUNT];
  std::size_t size() const { return caf.size(); }
};

/// Communes of a Caf (index into caf_catalogue()).
int communes(std::size_t caf);

// Caf / commune latents: independent of the domain, so learning and population share them.
inline double caf_latent(const Draw& local, int caf) { return normal(local(static_cast<std::uint64_t>(caf), kStreamLocal)[0],
                                                              local(static_cast<std::uint64_t>(caf), kStreamLocal)[1]); }
inline double commune_latent(const Draw& local, int caf, int com) {
  const auto r = local(static_cast<std::uint64_t>(caf), kStreamLocal + 1, static_cast<std::uint32_t>(com));
  return normal(r[0], r[1]);
}

/// Caf and commune latents of the Caf met in a block of rows, drawn once per Caf (not per row).
class LocalLatents {
 public:
  explicit LocalLatents(std::uint64_t seed) : local_(seed, 0xCAFu) {}
  const Draw& draw() const { return local_; }
  double caf(int c) { return get(c).caf; }
  double commune(int c, int com) { return get(c).com[static_cast<std::size_t>(com)]; }

 private:
  struct Entry {
    int c = -1;
    double caf = 0;
    std::vector<double> com;
  };
  Draw local_;
  std::vector<Entry> cache_;
  const Entry& get(int c) {
    if (!cache_.empty() && cache_.back().c == c) return cache_.back();  // rows are ordered by Caf
    for (const auto& e : cache_)
      if (e.c == c) return e;
    Entry e;
    e.c = c;
    e.caf = caf_latent(local_, c);
    e.com.resize(static_cast<std::size_t>(communes(static_cast<std::size_t>(c))));
    for (std::size_t k = 0; k < e.com.size(); ++k) e.com[k] = commune_latent(local_, c, static_cast<int>(k));
    cache_.push_back(std::move(e));
    return cache_.back();
  }
};


/// Household context of rows [begin, end) into `x` (resized; reused between blocks).
void make_ctx(std::uint64_t seed, Domain domain, std::int64_t begin, std::int64_t end,
              const std::vector<std::int64_t>& caf_start, LocalLatents& L, RowCtx& x);

}  // namespace dmde::worker::detail
