// ClassData as class codes for the model's class-code kernels (declared in bootstrap_model.hpp).
#include <cstdint>

#include "worker/bootstrap_model.hpp"

namespace dmde::worker {

model::ClassCodes class_codes(const ClassData& d, const std::vector<int>& effects,
                              const std::vector<std::pair<int, int>>& pairs) {
  model::ClassCodes z;
  const Eigen::Index n = d.rows();
  z.rows = n;
  z.block = {0, 1};
  z.levels = {2};
  z.code.assign(static_cast<std::size_t>(n), 1);  // the intercept: always "1"
  auto add = [&](int L, auto&& cell) {
    z.levels.push_back(L);
    z.block.push_back(z.block.back() + L - 1);
    for (Eigen::Index i = 0; i < n; ++i) {
      const int c = cell(i);
      z.code.push_back(static_cast<std::uint8_t>(c == L - 1 ? 0 : c + 1));
    }
  };
  for (int e : effects) {
    const int L = d.n_levels[static_cast<std::size_t>(e)];
    if (L > 255) return {};
    add(L, [&](Eigen::Index i) { return d.codes(i, e); });
  }
  for (const auto& [a, b] : pairs) {
    const int La = d.n_levels[static_cast<std::size_t>(a)], cells = La * d.n_levels[static_cast<std::size_t>(b)];
    if (cells > 255) return {};
    add(cells, [&](Eigen::Index i) { return d.codes(i, a) + La * d.codes(i, b); });
  }
  return z;
}

}  // namespace dmde::worker
