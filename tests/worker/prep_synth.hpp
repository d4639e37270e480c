#pragma once
// A small synthetic learning table with known structure for the `prepare` tests (until the
// synthetic generator is used): true effects x_eff (numeric) and c_eff (categorical), a block
// z1..z4 of near-copies of one effect f, pure noise n*, nc*, a sparse and a near-constant variable.
#include <cmath>
#include <random>
#include <string>

#include "core/table.hpp"

namespace prep_synth {

inline dmde::Table make_table(int n = 4000, unsigned seed = 7) {
  using dmde::VarInfo;
  using dmde::VarKind;
  std::mt19937_64 g(seed);
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  dmde::Table t;
  std::vector<std::string> names{"x_eff", "c_eff", "z1", "z2", "z3", "z4", "sparse", "constant", "x_miss"};
  for (int k = 1; k <= 10; ++k) names.push_back("n" + std::to_string(k));
  for (int k = 1; k <= 3; ++k) names.push_back("nc" + std::to_string(k));
  const auto p = static_cast<Eigen::Index>(names.size());
  t.X.resize(n, p);
  t.weight.resize(n);
  t.outcomes.resize(n, 1);
  for (int i = 0; i < n; ++i) {
    const double x = N(g), f = N(g);
    const int c = static_cast<int>(U(g) * 4);
    Eigen::Index j = 0;
    t.X(i, j++) = x;
    t.X(i, j++) = c;
    for (int k = 0; k < 4; ++k) t.X(i, j++) = f + 0.2 * N(g);
    t.X(i, j++) = U(g) < 0.97 ? NAN : N(g);
    t.X(i, j++) = U(g) < 0.995 ? 1.0 : 2.0;
    const double xm = N(g);
    t.X(i, j++) = U(g) < 0.2 ? NAN : xm;
    for (int k = 0; k < 10; ++k) t.X(i, j++) = std::round(N(g) * 100) / 100;
    for (int k = 0; k < 3; ++k) t.X(i, j++) = static_cast<int>(U(g) * 3);
    const double eta = -2.2 + 1.0 * x + 1.2 * (c == 3) + 0.8 * f + 0.5 * xm;
    t.outcomes(i, 0) = U(g) < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0;
    t.weight[i] = 0.5 + 2.5 * U(g);
    t.id.push_back(1000 + i);
    t.caf.push_back(1 + i % 5);
  }
  t.schema.kind = "learning";
  t.schema.n_rows = n;
  t.schema.outcomes = {"target"};
  for (const auto& name : names) {
    VarInfo v;
    v.name = name;
    v.theme = "test";
    if (name == "c_eff" || name.rfind("nc", 0) == 0) {
      v.kind = VarKind::Categorical;
      v.levels = name == "c_eff" ? std::vector<std::string>{"A", "B", "C", "D"} : std::vector<std::string>{"u", "v", "w"};
    }
    t.schema.vars.push_back(v);
  }
  return t;
}

}  // namespace prep_synth
