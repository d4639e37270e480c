// The row kernel: household context and variable values for a block of rows, each a pure
// function of (seed, domain, row, stream) so any split of the rows gives the same bits.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "worker/generator.hpp"
#include "worker/generator_internal.hpp"

namespace dmde::worker {

using namespace detail;

int detail::communes(std::size_t caf) { return 20 + static_cast<int>(caf_catalogue()[caf].size / 5000); }

namespace {

/// Largest-remainder allocation of `n` rows over the Caf in proportion to their sizes.
std::vector<std::int64_t> allocate(std::int64_t n) {
  const auto& cafs = caf_catalogue();
  double total = 0;
  for (const auto& c : cafs) total += static_cast<double>(c.size);
  std::vector<std::int64_t> out(cafs.size());
  std::vector<std::pair<double, std::size_t>> rem;
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < cafs.size(); ++i) {
    const double q = static_cast<double>(n) * static_cast<double>(cafs[i].size) / total;
    out[i] = static_cast<std::int64_t>(std::floor(q));
    sum += out[i];
    rem.emplace_back(q - std::floor(q), i);
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; sum < n; ++k, ++sum) ++out[rem[k % rem.size()].second];
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

Generator::Generator(std::uint64_t seed, Domain domain, std::int64_t n_rows, int n_vars)
    : seed_(seed), domain_(domain), n_rows_(n_rows), cat_(build_catalogue(seed, n_vars)) {
  if (n_rows < 1) throw std::invalid_argument("Generator: n_rows must be positive");
  caf_rows_ = allocate(n_rows);
  caf_start_.assign(caf_rows_.size() + 1, 0);
  for (std::size_t i = 0; i < caf_rows_.size(); ++i) caf_start_[i + 1] = caf_start_[i] + caf_rows_[i];
}

int Generator::caf_of_row(std::int64_t row) const {
  const auto it = std::upper_bound(caf_start_.begin(), caf_start_.end(), row);
  return static_cast<int>(it - caf_start_.begin()) - 1;
}

void Generator::fill_keys(std::int64_t begin, std::int64_t end, std::vector<std::int64_t>& id,
                          std::vector<std::int32_t>& caf, Eigen::VectorXd& weight) const {
  const auto n = static_cast<std::size_t>(end - begin);
  id.resize(n);
  caf.resize(n);
  weight.resize(static_cast<Eigen::Index>(n));
  const Draw draw(seed_, static_cast<std::uint32_t>(domain_));
  const auto& cafs = caf_catalogue();
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t row = begin + static_cast<std::int64_t>(i);
    const int c = caf_of_row(row);
    id[i] = static_cast<std::int64_t>(domain_) * 10'000'000'000LL + 1 + row;
    caf[i] = cafs[static_cast<std::size_t>(c)].code;
    if (domain_ == Domain::Learning) {
      // Inverse inclusion probability within the Caf stratum, with mild non-response variation.
      const double base = static_cast<double>(cafs[static_cast<std::size_t>(c)].size) /
                          static_cast<double>(caf_rows_[static_cast<std::size_t>(c)]);
      weight[static_cast<Eigen::Index>(i)] = base * (0.85 + 0.3 * u01(draw(static_cast<std::uint64_t>(row), kStreamCtx + 15)[0]));
    } else {
      weight[static_cast<Eigen::Index>(i)] = 1.0;
    }
  }
}

/// Fills `x` (reused between blocks: resizing keeps its memory, so no fresh pages per block).
void detail::make_ctx(std::uint64_t seed, Domain domain, std::int64_t begin, std::int64_t end,
              const std::vector<std::int64_t>& caf_start, LocalLatents& L, RowCtx& x) {
  const auto n = static_cast<std::size_t>(end - begin);
  x.begin = begin;
  x.caf.resize(n);
  x.commune.resize(n);
  for (auto& v : x.ff) v.resize(n);
  for (auto* v : {&x.hh, &x.nb_enf, &x.nb_enf19, &x.act_enf, &x.act_resp, &x.act_conj, &x.statut, &x.sep, &x.tutelle,
                  &x.controlled})
    v->resize(n);
  for (auto& v : x.rec) v.resize(n);
  const Draw d(seed, static_cast<std::uint32_t>(domain));
  // The context streams' Philox words, batched per tile of rows (vectorised) instead of per row.
  constexpr std::size_t T = 1024;
  constexpr std::uint32_t kStreams[] = {0, 1, 4, 5, 6, 7, 8};
  constexpr std::size_t S = std::size(kStreams);
  std::vector<std::uint32_t> buf(S * 4 * T);
  // Box-Muller pairs of the context, vectorised in float: (stream slot, first word) of each pair.
  constexpr std::pair<std::size_t, std::size_t> kPairs[] = {{0, 0}, {0, 2}, {1, 0}, {1, 2}, {3, 0}, {3, 2}, {6, 0}, {6, 2}};
  constexpr std::size_t P = std::size(kPairs);
  std::vector<float> nz(2 * P * T);
  struct R {
    std::uint32_t v[4];
    std::uint32_t operator[](int j) const { return v[j]; }
  };
  int c = -1;
  for (std::size_t t0 = 0; t0 < n; t0 += T) {
    const std::size_t m = std::min(T, n - t0);
    for (std::size_t k = 0; k < S; ++k) {
      std::uint32_t* p = &buf[k * 4 * T];
      philox_block(d.key, static_cast<std::uint64_t>(begin) + t0, m, kStreamCtx + kStreams[k], 0, p, p + T, p + 2 * T,
                   p + 3 * T);
    }
    for (std::size_t k = 0; k < P; ++k) {
      const std::uint32_t* p = &buf[kPairs[k].first * 4 * T + kPairs[k].second * T];
      normal_pairs_from(p, p + T, m, &nz[2 * k * T], &nz[(2 * k + 1) * T]);
    }
    for (std::size_t i = t0; i < t0 + m; ++i) {
      const auto zn = [&](std::size_t k) { return static_cast<double>(nz[k * T + (i - t0)]); };
      const auto row = static_cast<std::uint64_t>(begin) + i;
      const auto word = [&](std::size_t k) {
        const std::uint32_t* p = &buf[k * 4 * T + (i - t0)];
        return R{{p[0], p[T], p[2 * T], p[3 * T]}};
      };
      if (c < 0 || static_cast<std::int64_t>(row) >= caf_start[static_cast<std::size_t>(c) + 1])
        c = static_cast<int>(std::upper_bound(caf_start.begin(), caf_start.end(), static_cast<std::int64_t>(row)) -
                             caf_start.begin()) - 1;
      const double cl = L.caf(c);
      x.caf[i] = c;
      const R r4 = word(2), r6 = word(4), r7 = word(5);
      const int com = static_cast<int>(u01(r4[0]) * communes(static_cast<std::size_t>(c)));
      x.commune[i] = com;
      double z[kFactors];
      for (std::size_t k = 0; k < kFactors; ++k) z[k] = zn(k);
      // Correlated factors: precarity partly local; instability and unemployment follow precarity.
      const double prec = 0.92 * z[0] + 0.3 * cl + 0.25 * L.commune(c, com);
      double f[kFactors];
      f[F_PREC] = prec;
      f[F_INSTAB] = 0.45 * prec + 0.89 * z[1];
      f[F_FAMILY] = z[2];
      f[F_DIGITAL] = -0.3 * prec + 0.95 * z[3];
      f[F_EMPLOY] = -0.5 * prec + 0.87 * z[4];
      f[F_HOUSING] = 0.3 * f[F_INSTAB] + 0.95 * z[5];
      f[F_AGE] = z[6];
      f[F_CONTACT] = 0.3 * prec + 0.95 * z[7];
      for (int k = 0; k < kFactors; ++k) x.ff[k][i] = static_cast<float>(f[k]);
      const double n0 = zn(8), n1 = zn(9), n2 = zn(10), n3 = zn(11);
      // Household type: children from family complexity; single parents more precarious.
      const bool kids = f[F_FAMILY] > -0.202;
      int hh;
      if (kids) hh = u01(r4[1]) < sigmoid(-0.965 + 0.5 * prec) ? 1 : 3;
      else hh = u01(r4[1]) < 0.095 ? 2 : 0;
      x.hh[i] = static_cast<signed char>(hh);
      const int ne = kids ? std::min(10, 1 + static_cast<int>(-std::log(u01(r4[2])) * (1.0 + 0.4 * std::max(f[F_FAMILY], 0.0)))) : 0;
      int n19 = 0;
      if (kids && u01(r4[3]) < 0.10 + 0.08 * std::max(f[F_AGE], 0.0)) n19 = std::min(ne, 1 + (u01(r6[0]) < 0.2));
      x.nb_enf[i] = static_cast<signed char>(ne);
      x.nb_enf19[i] = static_cast<signed char>(n19);
      // Children's activity: only for a child aged 19+; rare level "stagiaire_formation".
      int ae = kids ? 1 : 0;
      if (n19 > 0) {
        const double u = u01(r6[1]);
        ae = u < 0.45 ? 2 : u < 0.60 ? 3 : u < 0.85 ? 4 : u < 0.97 ? 5 : 6;
      }
      x.act_enf[i] = static_cast<signed char>(ae);
      auto activity = [&](double e, double age, double u) {
        if (age > 1.65) return 5;  // retraite
        if (age < -1.7) return 4;  // etudiant
        if (e > -0.5) return u < 0.08 ? 3 : u < 0.095 ? 6 : 0;
        return e > -1.05 ? 1 : 2;
      };
      const int ar = activity(f[F_EMPLOY], f[F_AGE], u01(r6[2]));
      x.act_resp[i] = static_cast<signed char>(ar);
      const bool spouse = hh >= 2;
      x.act_conj[i] = static_cast<signed char>(
          spouse ? activity(0.5 * f[F_EMPLOY] + 0.87 * n0, 0.8 * f[F_AGE] + 0.6 * n1, u01(r6[3])) : -1);
      int st;
      if (0.6 * f[F_AGE] - 0.6 * prec + 0.5 * n2 > 1.0) st = 2;
      else if (u01(r7[0]) < 0.07) st = 3;
      else if (u01(r7[0]) < 0.085) st = 4;
      else st = prec + 0.5 * n3 > 0.3 ? 1 : 0;
      x.statut[i] = static_cast<signed char>(st);
      const bool tenant = st == 0 || st == 1 || st == 4;
      const bool works = ar == 0 || ar == 3 || ar == 6;
      const double m0 = zn(12), m1 = zn(13), m2 = zn(14), m3 = zn(15);
      x.rec[R_RSA][i] = 0.75 * prec - 0.45 * f[F_EMPLOY] + 0.5 * m0 > 1.1 && !works;
      x.rec[R_PPA][i] = works && 0.6 * prec + 0.6 * m1 > -0.2;
      x.rec[R_AF][i] = ne >= 2 || (ne >= 1 && caf_catalogue()[static_cast<std::size_t>(c)].code > 970);
      x.rec[R_CF][i] = ne >= 3 && prec > -0.5;
      x.rec[R_AL][i] = tenant && 0.8 * prec + 0.6 * m2 > -0.3;
      x.rec[R_AAH][i] = 0.6 * m3 + 0.4 * prec > 0.95;
      x.sep[i] = u01(r7[1]) < sigmoid(-3.0 + 0.6 * f[F_INSTAB] + (hh == 1 ? 1.2 : 0.0));
      x.tutelle[i] = u01(r7[2]) < 0.012 + (x.rec[R_AAH][i] ? 0.03 : 0.0);
      x.controlled[i] = u01(r7[3]) < 0.6;
    }
  }
}

}  // namespace dmde::worker
