#include "count_allocations.h"

#include <cstdlib>
#include <new>

namespace {
// Per thread: a test's count is not moved by another thread's allocations (a worker, gtest's).
thread_local sipwire::testing::AllocationCount t_count;
thread_local std::span<std::size_t> t_log;
thread_local std::size_t* t_logged = nullptr;

void count(std::size_t n) {
  ++t_count.calls;
  t_count.bytes += n;
  if (t_logged != nullptr && *t_logged < t_log.size()) t_log[(*t_logged)++] = n;
}
void* counted(std::size_t n) {
  count(n);
  if (void* p = std::malloc(n != 0 ? n : 1)) return p;
  throw std::bad_alloc();
}
void* counted_nothrow(std::size_t n) noexcept {
  count(n);
  return std::malloc(n != 0 ? n : 1);
}
void* counted_aligned(std::size_t n, std::align_val_t a) {
  count(n);
  const auto al = static_cast<std::size_t>(a);
  // aligned_alloc wants a size that is a non-zero multiple of the alignment.
  const std::size_t size = n != 0 ? (n + al - 1) / al * al : al;
  if (void* p = std::aligned_alloc(al, size)) return p;
  throw std::bad_alloc();
}
}  // namespace

sipwire::testing::AllocationCount sipwire::testing::allocations() {
  return t_count;
}

void sipwire::testing::log_allocation_sizes(std::span<std::size_t> log, std::size_t* count) {
  t_log = log;
  t_logged = log.empty() ? nullptr : count;
  if (t_logged != nullptr) *t_logged = 0;
}

void* operator new(std::size_t n) {
  return counted(n);
}
void* operator new[](std::size_t n) {
  return counted(n);
}
// std::stable_sort's temporary buffer comes from the nothrow form: it must be counted and
// come from the same allocator as the delete that frees it (ASan checks the pairing).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return counted_nothrow(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return counted_nothrow(n);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return counted_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_aligned(n, a);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return counted_aligned(n, a);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
