#pragma once
// Transparent huge pages for large, long-lived buffers.
//
// Why: where the first touch of a 4 KiB page is expensive (a VM with shadow page tables measured
// ~20 us per fault here, so the ~250 MB a scoring rank touches cost over a second of faults), a
// 2 MiB huge page takes one fault instead of 512. With THP in "madvise" mode (Debian's default)
// only advised ranges get them. Advice only: where THP is off or the advice fails, nothing changes.

#include <cstddef>
#include <new>
#include <vector>

namespace dmde {

/// Advises the kernel to back the 2 MiB-aligned part of [p, p + bytes) with huge pages.
void advise_huge_pages(void* p, std::size_t bytes);

/// Allocates `bytes`: from 1 MiB up, 2 MiB-aligned, rounded up to whole 2 MiB pages and advised
/// for huge pages (so every byte of it can sit in huge pages); below, plain operator new.
void* allocate_huge(std::size_t bytes);
void deallocate_huge(void* p, std::size_t bytes) noexcept;

/// std::allocator for large buffers, through allocate_huge.
template <class T>
struct HugeAllocator {
  using value_type = T;
  HugeAllocator() = default;
  template <class U>
  HugeAllocator(const HugeAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(allocate_huge(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { deallocate_huge(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugeAllocator<U>&) const noexcept { return true; }
};

/// A vector whose large storage sits in huge pages.
template <class T>
using HugeVector = std::vector<T, HugeAllocator<T>>;

}  // namespace dmde
