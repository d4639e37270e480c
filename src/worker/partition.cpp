#include "worker/partition.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace dmde::worker {

Range block_range(std::int64_t n, int rank, int size) {
  if (size <= 0 || rank < 0 || rank >= size) throw std::invalid_argument("bad rank/size");
  const std::int64_t q = n / size, r = n % size;
  const std::int64_t begin = rank * q + std::min<std::int64_t>(rank, r);
  return {begin, begin + q + (rank < r ? 1 : 0)};
}

std::vector<int> balance_groups(const std::vector<std::int64_t>& sizes, int ranks) {
  if (ranks <= 0) throw std::invalid_argument("ranks must be positive");
  std::vector<std::size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), 0);
  // Stable: equal sizes keep their input order, so the plan is reproducible.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  std::vector<std::int64_t> load(static_cast<std::size_t>(ranks), 0);
  std::vector<int> owner(sizes.size(), 0);
  for (std::size_t g : order) {
    const auto it = std::min_element(load.begin(), load.end());  // first minimum = lowest rank
    owner[g] = static_cast<int>(it - load.begin());
    *it += sizes[g];
  }
  return owner;
}

}  // namespace dmde::worker
