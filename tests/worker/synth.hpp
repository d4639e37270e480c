#pragma once
// Test helper: a prepared-like table of class variables with a known truth. Variables v00..v{k-1}
// (k = n_true) drive the target; the others are noise. Deterministic (Philox keyed by seed).
#include <Random123/philox.h>
#include <fmt/format.h>

#include <cmath>
#include <string>

#include "core/table.hpp"

namespace dmde::test {

inline double unif(std::uint64_t seed, std::uint64_t i, std::uint32_t j) {
  r123::Philox4x32 rng;
  r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), 99}};
  r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i >> 32), j, 7}};
  return (rng(ctr, key)[0] + 0.5) / 4294967296.0;
}

/// n rows, p class variables with 2..4 levels; the first n_true have effects of size ~0.5-0.9.
/// `interaction` adds 1.5 to eta when v00 = 0 and v01 = 0 (a true v00*v01 interaction).
inline Table synthetic_table(int n, int p, int n_true, std::uint64_t seed = 1, bool interaction = false) {
  Table t;
  t.schema.kind = "prepared";
  t.schema.n_rows = n;
  t.schema.outcomes = {"target", "fraud", "financial_impact", "overpayment_amount"};
  t.X.resize(n, p);
  t.outcomes.resize(n, 4);
  t.weight.resize(n);
  for (int j = 0; j < p; ++j) {
    VarInfo v;
    v.name = fmt::format("v{:02d}", j);
    v.kind = VarKind::Categorical;
    const int L = 2 + j % 3;
    for (int l = 0; l < L; ++l) v.levels.push_back(fmt::format("c{}", l));
    t.schema.vars.push_back(v);
  }
  for (int i = 0; i < n; ++i) {
    t.id.push_back(1000 + i);
    t.caf.push_back(1 + i % 5);
    t.weight[i] = 0.5 + 1.5 * unif(seed, static_cast<std::uint64_t>(i), 1000);
    double eta = -2.0;
    for (int j = 0; j < p; ++j) {
      const int L = 2 + j % 3;
      const int c = std::min(L - 1, static_cast<int>(unif(seed, static_cast<std::uint64_t>(i), static_cast<std::uint32_t>(j)) * L));
      t.X(i, j) = c;
      if (j < n_true) eta += (c == 0 ? 0.9 : c == 1 ? 0.45 : 0.0) * (j % 2 ? -1 : 1);
    }
    if (interaction && t.X(i, 0) == 0 && t.X(i, 1) == 0) eta += 1.5;
    const double y = unif(seed, static_cast<std::uint64_t>(i), 2000) < 1 / (1 + std::exp(-eta)) ? 1 : 0;
    const double fraud = y * (unif(seed, static_cast<std::uint64_t>(i), 2001) < 0.45);
    const double amount = y * (600 + 3000 * unif(seed, static_cast<std::uint64_t>(i), 2002));
    t.outcomes.row(i) << y, fraud, amount, amount;
  }
  return t;
}

}  // namespace dmde::test
