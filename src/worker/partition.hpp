#pragma once
// How rows and Cafs are split over ranks. Pure functions of (sizes, rank count): every rank
// computes the same plan without communication.
#include <cstdint>
#include <vector>

namespace dmde::worker {

/// Contiguous block [begin, end) of `n` rows for `rank` of `size` (the first n % size ranks get one more).
struct Range {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};
Range block_range(std::int64_t n, int rank, int size);

/// Assigns groups (Cafs) of the given sizes to `ranks` bins, balancing total size: largest group
/// first to the least loaded rank (LPT), ties broken by lowest rank. Returns the rank of each group.
std::vector<int> balance_groups(const std::vector<std::int64_t>& sizes, int ranks);

}  // namespace dmde::worker
