#include "worker/partition.hpp"

#include <gtest/gtest.h>

using namespace dmde::worker;

TEST(Partition, BlocksCoverAllRowsOnce) {
  for (int size = 1; size <= 5; ++size) {
    std::int64_t next = 0;
    for (int r = 0; r < size; ++r) {
      auto rg = block_range(11, r, size);
      EXPECT_EQ(rg.begin, next);
      EXPECT_LE(rg.size(), 11 / size + 1);
      next = rg.end;
    }
    EXPECT_EQ(next, 11);
  }
}

TEST(Partition, LptBalancesHeavyTail) {
  // One Caf 40x another: the big one alone on a rank, the rest balanced by hand-checked LPT.
  std::vector<std::int64_t> sizes{400, 10, 100, 100, 90, 20};
  auto owner = balance_groups(sizes, 2);
  EXPECT_EQ(owner, (std::vector<int>{0, 1, 1, 1, 1, 1}));  // rank 1: 100+100+90+20+10 = 320
  auto owner3 = balance_groups(sizes, 3);
  EXPECT_EQ(owner3[0], 0);
  EXPECT_EQ(owner3[2], 1);
  EXPECT_EQ(owner3[3], 2);
}
