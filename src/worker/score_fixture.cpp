#include "worker/score_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/table.hpp"
#include "worker/partition.hpp"

namespace dmde::worker {
namespace {

std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double unif(std::uint64_t a, std::uint64_t b, std::uint64_t c) {  // [0, 1), keyed by (seed, row, column)
  return static_cast<double>(mix(mix(mix(a) ^ b) ^ c) >> 11) * 0x1.0p-53;
}

}  // namespace

void write_synthetic_population(const Comm& comm, const std::string& path, std::int64_t rows, int cafs, int vars,
                                std::uint64_t seed) {
  if (rows < cafs || cafs < 1 || vars < 1) throw InputError("synthetic population: need rows >= cafs >= 1, vars >= 1");
  // Caf sizes: geometric from 40 down to 1 (heavy-tailed), scaled to `rows`.
  std::vector<double> w(static_cast<std::size_t>(cafs));
  for (int c = 0; c < cafs; ++c) w[static_cast<std::size_t>(c)] = std::pow(40.0, 1.0 - c / std::max(1.0, cafs - 1.0));
  double tw = 0;
  for (double x : w) tw += x;
  std::vector<std::int64_t> start(static_cast<std::size_t>(cafs) + 1, 0);
  for (int c = 0; c < cafs; ++c)
    start[static_cast<std::size_t>(c) + 1] =
        c + 1 == cafs ? rows : start[static_cast<std::size_t>(c)] + std::max<std::int64_t>(1, std::llround(rows * w[static_cast<std::size_t>(c)] / tw));
  TableSchema s;
  s.kind = "population";
  s.n_rows = rows;
  s.meta["generator"] = "dmde score-fixture (synthetic, benchmark only)";
  for (int j = 0; j < vars; ++j) {
    VarInfo v;
    v.name = "v" + std::to_string(j);
    v.kind = j % 5 == 4 ? VarKind::Categorical : VarKind::Numeric;
    if (v.kind == VarKind::Categorical) v.levels = {"a", "b", "c", "d", "e", "f"};
    s.vars.push_back(v);
  }
  WriteOptions opt;
  opt.numeric_float32 = true;
  opt.chunk_rows = 0;
  TableWriter wr(comm, path, s, opt);
  const auto mine = block_range(rows, comm.rank(), comm.size());
  constexpr std::int64_t kChunk = 1 << 18;
  for (std::int64_t off = mine.begin; off < mine.end; off += kChunk) {
    const std::int64_t n = std::min(kChunk, mine.end - off);
    std::vector<std::int64_t> id(static_cast<std::size_t>(n));
    std::vector<std::int32_t> caf(static_cast<std::size_t>(n));
    Eigen::MatrixXf X(n, vars);
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t r = off + i;
      id[static_cast<std::size_t>(i)] = 1000000 + 7 * r;
      const auto c = std::upper_bound(start.begin(), start.end(), r) - start.begin() - 1;
      caf[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(c + 1);
      for (int j = 0; j < vars; ++j) {
        const double u = unif(seed, static_cast<std::uint64_t>(r), static_cast<std::uint64_t>(j));
        float x;
        if (j % 5 == 4) x = static_cast<float>(std::floor(u * 6.0));
        else if (u < 0.03) x = std::numeric_limits<float>::quiet_NaN();
        else x = static_cast<float>(-std::log1p(-u) * (1 + j % 7) + 0.1 * static_cast<double>(c % 3));
        X(i, j) = x;
      }
    }
    wr.write_rows(off, id, caf, Eigen::VectorXd::Ones(n), Eigen::MatrixXd(n, 0), X);
  }
  wr.commit();
}

ScoreModel synthetic_score_model(const std::string& pop_path, int inputs, std::uint64_t seed) {
  TableReader pop(pop_path);
  const auto& s = pop.schema();
  if (inputs < 1 || inputs > static_cast<int>(s.vars.size()))
    throw InputError("score-fixture: --inputs must be between 1 and the population's variable count");
  const std::int64_t n = std::min<std::int64_t>(s.n_rows, 200000);
  ScoreModel m;
  m.name = "synthetic";
  m.card.intercept = -2.2;
  Eigen::MatrixXi codes(n, inputs);
  std::vector<float> raw(static_cast<std::size_t>(n));
  for (int k = 0; k < inputs; ++k) {
    const auto& v = s.vars[static_cast<std::size_t>(k)];
    InputCoding c;
    c.variable = v.name;
    c.categorical = v.kind == VarKind::Categorical;
    pop.read_var(v.name, 0, n, raw.data());
    if (c.categorical) {
      c.levels = v.levels;
      for (std::size_t l = 0; l < v.levels.size(); ++l) c.level_class.push_back(static_cast<int>(std::min<std::size_t>(l, 4)));
      c.n_classes = 6;
      c.missing_class = c.unseen_class = 5;
    } else {
      std::vector<float> x;
      for (float f : raw)
        if (!std::isnan(f)) x.push_back(f);
      std::sort(x.begin(), x.end());
      if (x.empty()) x.push_back(0.f);
      for (int q = 1; q <= 4; ++q) c.cuts.push_back(x[x.size() * static_cast<std::size_t>(q) / 5]);
      c.cuts.erase(std::unique(c.cuts.begin(), c.cuts.end()), c.cuts.end());
      c.lo = x.front(), c.hi = x.back();
      c.n_classes = static_cast<int>(c.cuts.size()) + 2;
      c.missing_class = c.unseen_class = c.n_classes - 1;
    }
    InputCoder coder(c, s, pop_path);
    CodingCounts cnt;
    coder.apply(raw.data(), n, codes.col(k).data(), cnt);
    c.learn_share.assign(static_cast<std::size_t>(c.n_classes), 0.0);
    for (std::int64_t i = 0; i < n; ++i) c.learn_share[static_cast<std::size_t>(codes(i, k))] += 1.0 / static_cast<double>(n);
    m.card.inputs.push_back("p_" + v.name);
    m.coding.push_back(std::move(c));
  }
  auto add_term = [&](std::vector<int> in) {
    model::ScoreTerm t;
    t.inputs = in;
    std::int64_t size = 1;
    for (int k : in) {
      t.n_levels.push_back(m.coding[static_cast<std::size_t>(k)].n_classes);
      size *= t.n_levels.back();
      t.effect += (t.effect.empty() ? "" : "*") + m.card.inputs[static_cast<std::size_t>(k)];
    }
    t.beta = Eigen::VectorXd::Zero(size);
    for (std::int64_t l = 1; l < size; ++l)  // class 0 is the reference class
      t.beta[l] = 0.6 * (unif(seed, m.card.terms.size(), static_cast<std::uint64_t>(l)) - 0.5);
    m.card.terms.push_back(std::move(t));
  };
  for (int k = 0; k < inputs; ++k) add_term({k});
  for (int k = 0; k + 1 < inputs; k += 10) add_term({k, k + 1});
  m.card.set_reference(codes, Eigen::VectorXd::Ones(n));
  Eigen::VectorXd p = m.card.linear_predictor(codes).unaryExpr([](double e) { return model::inv_logit(e); });
  std::sort(p.data(), p.data() + p.size());
  for (int q = 1; q < 10; ++q) m.score_cuts.push_back(p[p.size() * q / 10]);
  m.score_learn_share.assign(10, 0.0);
  for (Eigen::Index i = 0; i < p.size(); ++i)
    m.score_learn_share[static_cast<std::size_t>(std::upper_bound(m.score_cuts.begin(), m.score_cuts.end(), p[i],
                                                                  std::less_equal<double>()) - m.score_cuts.begin())] +=
        1.0 / static_cast<double>(p.size());
  m.validate("synthetic model");
  return m;
}

}  // namespace dmde::worker
