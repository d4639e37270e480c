// The variable values of a block of rows: each a pure function of (seed, domain, row, stream),
// so any split of the rows gives the same bits.
//
// Random bits: one Philox4x32 call per row serves a PAIR of catalogue variables (streams 2k and
// 2k+1): its words 0-1 give the two Box-Muller normals r cos(t) and r sin(t) (independent), and
// words 2 and 3 are cut into 16-bit halves: word 2 for the missingness draws, word 3 for the
// uniforms (Count dither, Uniform variables) of the even and the odd variable. Half the Philox
// calls and half the logarithms of one call per variable.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "worker/generator.hpp"
#include "worker/generator_internal.hpp"

namespace dmde::worker {

using namespace detail;

namespace {

/// A hand-coded household variable for rows [0, n) of the block (one loop per variable, so the
/// switch is outside the loop and the loops vectorise).
void special(int id, const RowCtx& x, std::size_t n, float* __restrict out) {
  const auto loop = [&](auto f) {
    for (std::size_t i = 0; i < n; ++i) out[i] = f(i);
  };
  switch (id) {
    case S_TYPE_MENAGE: return loop([&](std::size_t i) { return static_cast<float>(x.hh[i]); });
    case S_ISOLE_PARENT: return loop([&](std::size_t i) { return x.hh[i] == 1 ? 1.0f : 0.0f; });
    case S_NB_ENF: return loop([&](std::size_t i) { return static_cast<float>(x.nb_enf[i]); });
    case S_NB_ENF19: return loop([&](std::size_t i) { return static_cast<float>(x.nb_enf19[i]); });
    case S_ACT_ENF: return loop([&](std::size_t i) { return static_cast<float>(x.act_enf[i]); });
    case S_SEP_RECENTE: return loop([&](std::size_t i) { return static_cast<float>(x.sep[i]); });
    case S_TUTELLE: return loop([&](std::size_t i) { return static_cast<float>(x.tutelle[i]); });
    case S_ACT_RESP: return loop([&](std::size_t i) { return static_cast<float>(x.act_resp[i]); });
    case S_ACT_CONJ:
      return loop([&](std::size_t i) {
        return x.act_conj[i] < 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(x.act_conj[i]);
      });
    case S_CHOMEUR: return loop([&](std::size_t i) { return x.act_resp[i] == 1 ? 1.0f : 0.0f; });
    case S_AAH_ACT:
      return loop([&](std::size_t i) {
        const bool works = x.act_resp[i] == 0 || x.act_resp[i] == 3 || x.act_resp[i] == 6;
        return x.rec[R_AAH][i] && works ? 1.0f : 0.0f;
      });
    case S_REGIME_TRIM: return loop([&](std::size_t i) { return x.rec[R_RSA][i] || x.rec[R_PPA][i] ? 1.0f : 0.0f; });
    case S_STATUT_OCC: return loop([&](std::size_t i) { return static_cast<float>(x.statut[i]); });
    default: throw std::logic_error("generator: unknown special variable");
  }
}

/// Uniform in (0, 1) from the 16-bit half of `w` at bit `shift`.
[[gnu::always_inline]] inline float u16f(std::uint32_t w, unsigned shift) {
  return (static_cast<float>((w >> shift) & 0xFFFFu) + 0.5f) * (1.0f / 65536.0f);
}

/// What one column needs, fixed for the block (the loop runs tile by tile over all columns).
struct Plan {
  const GenVar* g = nullptr;
  float* col = nullptr;
  float resid = 0, sr = 0, se = 0;
  int block = -1;                 ///< index of its window-block latent in the block cache, or -1
  const float* bl = nullptr;      ///< that latent
  std::uint32_t t_miss = 0;       ///< missing when the 16-bit draw is below this (p_miss * 65536)
  unsigned shift = 0;             ///< 0 for the even variable of a pair, 16 for the odd one
  int lc = -1;                    ///< Caf whose local values are in lv
  std::vector<float> lv;
};

}  // namespace

void Generator::fill(std::int64_t begin, std::int64_t end, const std::vector<int>& cols, Eigen::MatrixXf& X) const {
  if (begin < 0 || end > n_rows_ || begin > end) throw std::invalid_argument("Generator::fill: bad row range");
  X.resize(static_cast<Eigen::Index>(end - begin), static_cast<Eigen::Index>(cols.size()));
  fill(begin, end, cols, X.data());
}

void Generator::fill(std::int64_t begin, std::int64_t end, const std::vector<int>& cols, float* X) const {
  if (begin < 0 || end > n_rows_ || begin > end) throw std::invalid_argument("Generator::fill: bad row range");
  const auto n = static_cast<std::size_t>(end - begin);
  LocalLatents L(seed_);
  // Per-thread scratch, reused block after block (fresh pages cost page faults and zeroing).
  thread_local RowCtx x;
  thread_local std::vector<std::pair<int, std::vector<float>>> blocks;
  make_ctx(seed_, domain_, begin, end, caf_start_, L, x);
  const Draw d(seed_, static_cast<std::uint32_t>(domain_));
  constexpr float nan = std::numeric_limits<float>::quiet_NaN();
  // Tiles of rows small enough that a pair's words and normals stay in L1 across its two columns.
  constexpr std::size_t T = 1024;
  std::vector<std::uint32_t> wbuf(4 * T);
  std::vector<float> zc(T), zs(T), zbuf(T);
  // Block latents are shared by the windows of a quantity: drawn once per block of rows.
  std::size_t n_blocks = 0;
  auto block_latent = [&](int id) -> int {
    for (std::size_t k = 0; k < n_blocks; ++k)
      if (blocks[k].first == id) return static_cast<int>(k);
    if (n_blocks == blocks.size()) blocks.emplace_back();
    auto& [b, v] = blocks[n_blocks];
    b = id;
    v.resize(n);
    std::uint32_t* w = wbuf.data();
    for (std::size_t t0 = 0; t0 < n; t0 += T) {
      const std::size_t m = std::min(T, n - t0);
      philox_block(d.key, static_cast<std::uint64_t>(begin) + t0, m, kStreamBlock + static_cast<std::uint32_t>(id), 0, w,
                   w + T, w + 2 * T, w + 3 * T);
      normals_from(w, w + T, m, v.data() + t0);
    }
    return static_cast<int>(n_blocks++);
  };
  std::vector<Plan> plans;
  for (std::size_t j = 0; j < cols.size(); ++j) {
    const GenVar& g = cat_.at(static_cast<std::size_t>(cols[j]));
    float* col = X + j * n;
    if (g.dist == Dist::Special) {
      special(g.special, x, n, col);
      continue;
    }
    Plan p;
    p.g = &g;
    p.col = col;
    double l2 = 0;
    for (float l : g.load) l2 += static_cast<double>(l) * l;
    p.resid = static_cast<float>(std::sqrt(std::max(0.0, 1.0 - l2)));
    p.sr = std::sqrt(g.rho);
    p.se = std::sqrt(1.0f - g.rho);
    p.block = g.block >= 0 ? block_latent(g.block) : -1;
    p.t_miss = static_cast<std::uint32_t>(std::lround(std::clamp(static_cast<double>(g.p_miss), 0.0, 1.0) * 65536.0));
    p.shift = (g.stream & 1u) ? 16 : 0;
    plans.push_back(std::move(p));
  }
  for (auto& p : plans)
    if (p.block >= 0) p.bl = blocks[static_cast<std::size_t>(p.block)].second.data();  // the cache no longer grows

  for (std::size_t t0 = 0; t0 < n; t0 += T) {
    const std::size_t m = std::min(T, n - t0);
    std::uint32_t* w0 = wbuf.data();
    const std::uint32_t* u2 = w0 + 2 * T;
    const std::uint32_t* u3 = w0 + 3 * T;
    std::uint32_t pair = std::numeric_limits<std::uint32_t>::max();  // pair whose words are in wbuf
    for (auto& p : plans) {
      const GenVar& g = *p.g;
      float* __restrict z = zbuf.data();
      float* __restrict out = p.col + t0;
      const unsigned sh = p.shift;
      // Pass 1: the latent z of every row (factors + own noise + block latent, or local context).
      if (g.stream >> 1 != pair) {
        pair = g.stream >> 1;
        philox_block(d.key, static_cast<std::uint64_t>(begin) + t0, m, pair << 1, 0, w0, w0 + T, w0 + 2 * T, w0 + 3 * T);
        normal_pairs_from(w0, w0 + T, m, zc.data(), zs.data());
      }
      const float* e = sh ? zs.data() : zc.data();
      if (p.bl) {
        const float* b = p.bl + t0;
        for (std::size_t i = 0; i < m; ++i) z[i] = p.resid * (p.sr * b[i] + p.se * e[i]);
      } else {
        for (std::size_t i = 0; i < m; ++i) z[i] = p.resid * e[i];
      }
      for (int k = 0; k < kFactors; ++k) {
        const float l = g.load[static_cast<std::size_t>(k)];
        if (l == 0.0f) continue;
        const float* fk = x.ff[k].data() + t0;
        for (std::size_t i = 0; i < m; ++i) z[i] += l * fk[i];
      }
      if (g.local) {
        // Constant per Caf (or commune): drawn from the Caf/commune, not the row, once per Caf.
        for (std::size_t i = 0; i < m; ++i) {
          const int c = x.caf[t0 + i];
          if (c != p.lc) {
            p.lc = c;
            p.lv.resize(g.local == 2 ? static_cast<std::size_t>(communes(static_cast<std::size_t>(c))) : 1);
            for (std::size_t com = 0; com < p.lv.size(); ++com) {
              const auto rl = L.draw()(static_cast<std::uint64_t>(c), kStreamLocal + 2 + g.stream,
                                       static_cast<std::uint32_t>(com));
              const double el = normal(rl[0], rl[1]);
              p.lv[com] = static_cast<float>(g.local == 1 ? 0.8 * L.caf(c) + 0.6 * el
                                                          : 0.55 * L.caf(c) + 0.55 * L.commune(c, static_cast<int>(com)) + 0.63 * el);
            }
          }
          z[i] = p.lv[g.local == 2 ? static_cast<std::size_t>(x.commune[t0 + i]) : 0];
        }
      }
      // Pass 2: the transform (cheap, branch-light loops the compiler can vectorise).
      switch (g.dist) {
        case Dist::Normal:
          for (std::size_t i = 0; i < m; ++i) out[i] = std::max(g.lo, std::round(10.0f * (g.a + g.b * z[i])) / 10.0f);
          break;
        case Dist::LogNormal:
          for (std::size_t i = 0; i < m; ++i)
            out[i] = z[i] < g.zero_cut ? 0.0f : std::round(100.0f * fast_exp(g.a + g.b * z[i])) / 100.0f;
          break;
        case Dist::Count:
          for (std::size_t i = 0; i < m; ++i)
            out[i] = z[i] < g.zero_cut ? 0.0f : std::floor(fast_exp(g.a + g.b * z[i]) + u16f(u3[i], sh));
          break;
        case Dist::Binary:
          for (std::size_t i = 0; i < m; ++i) out[i] = z[i] > g.a ? 1.0f : 0.0f;
          break;
        case Dist::Category:
          // The level is the number of cuts <= z (what upper_bound gives for increasing cuts),
          // counted cut by cut so the loop vectorises.
          for (std::size_t i = 0; i < m; ++i) out[i] = 0.0f;
          for (const float c : g.cuts)
            for (std::size_t i = 0; i < m; ++i) out[i] += c <= z[i] ? 1.0f : 0.0f;
          break;
        case Dist::Uniform:
          for (std::size_t i = 0; i < m; ++i) out[i] = u16f(u3[i], sh);
          break;
        default: break;
      }
      if (g.receipt >= 0) {
        const signed char* rec = x.rec[g.receipt].data() + t0;
        for (std::size_t i = 0; i < m; ++i) out[i] = rec[i] ? out[i] : 0.0f;
      }
      // Missingness: random (a 16-bit draw below p_miss * 65536), then structural.
      if (p.t_miss > 0)
        for (std::size_t i = 0; i < m; ++i) out[i] = ((u2[i] >> sh) & 0xFFFFu) < p.t_miss ? nan : out[i];
      const auto structural = [&](auto miss) {
        for (std::size_t i = 0; i < m; ++i) out[i] = miss(t0 + i) ? nan : out[i];
      };
      switch (g.requires_) {
        case 1: structural([&](std::size_t r) { return x.hh[r] < 2; }); break;
        case 2: structural([&](std::size_t r) { return x.nb_enf[r] == 0; }); break;
        case 3: structural([&](std::size_t r) { return !(x.statut[r] == 0 || x.statut[r] == 1 || x.statut[r] == 4); }); break;
        case 4: structural([&](std::size_t r) { return !x.controlled[r]; }); break;
        default: break;
      }
    }
  }
}

}  // namespace dmde::worker
