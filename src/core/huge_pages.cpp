#include "core/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>

namespace dmde {

namespace {
constexpr std::size_t kHuge = std::size_t{2} << 20;
constexpr std::size_t kFrom = std::size_t{1} << 20;  // below, the rounding would waste more than it saves
}  // namespace

void advise_huge_pages(void* p, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  const auto lo = (reinterpret_cast<std::uintptr_t>(p) + kHuge - 1) & ~std::uintptr_t{kHuge - 1};
  const auto hi = (reinterpret_cast<std::uintptr_t>(p) + bytes) & ~std::uintptr_t{kHuge - 1};
  if (p && hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);  // advice only
#else
  (void)p, (void)bytes;
#endif
}

void* allocate_huge(std::size_t bytes) {
  if (bytes < kFrom) return ::operator new(bytes);
  const std::size_t whole = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = std::aligned_alloc(kHuge, whole);
  if (!p) throw std::bad_alloc();
  advise_huge_pages(p, whole);
  return p;
}

void deallocate_huge(void* p, std::size_t bytes) noexcept {
  if (bytes < kFrom) ::operator delete(p);
  else std::free(p);
}

}  // namespace dmde
