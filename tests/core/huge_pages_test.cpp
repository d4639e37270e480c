// HugeAllocator: large buffers on 2 MiB boundaries (whole huge pages), small ones plain; the
// vector behaves as any other (values kept across growth).
#include "core/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

using dmde::HugeVector;

TEST(HugePages, LargeBuffersStartOnHugePageBoundaries) {
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  HugeVector<double> big(600000);  // 4.8 MB
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(big.data()) % kHuge, 0u);
  HugeVector<std::uint8_t> edge(std::size_t{1} << 20);  // exactly the threshold
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(edge.data()) % kHuge, 0u);
  HugeVector<int> small(1000);
  ASSERT_NE(small.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.data()) % alignof(int), 0u);
}

TEST(HugePages, VectorKeepsItsValuesAcrossGrowth) {
  HugeVector<std::int64_t> v;
  for (std::int64_t i = 0; i < 300000; ++i) v.push_back(i * 3);  // crosses the 1 MiB threshold
  std::int64_t expect = 0;
  for (std::int64_t i = 0; i < 300000; ++i) expect += i * 3;
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), std::int64_t{0}), expect);
  EXPECT_EQ(v[123456], 123456 * 3);
  v.resize(10);
  v.shrink_to_fit();
  EXPECT_EQ(v.back(), 27);
  dmde::advise_huge_pages(nullptr, 1 << 22);  // advice on nothing: harmless
  dmde::advise_huge_pages(v.data(), 1);       // less than a page: no call
}
