#include "sipwire/engine/record_arena.h"

#include <new>

// Under AddressSanitizer a released block is poisoned (all but its free-list link) until it is
// handed out again, so that a reader touching a record after its grace period is still caught,
// as with heap blocks (tests/engine/location_test.cpp races readers against a writer).
#if defined(__SANITIZE_ADDRESS__)
#define SIPWIRE_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIPWIRE_ARENA_ASAN 1
#endif
#endif
#ifdef SIPWIRE_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define SIPWIRE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define SIPWIRE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define SIPWIRE_POISON(p, n) ((void)(p), (void)(n))
#define SIPWIRE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace sipwire {

namespace {
constexpr std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}
}  // namespace

RecordArena::~RecordArena() {
  for (char* b : blocks_) {
    SIPWIRE_UNPOISON(b, kBlockBytes);  // a block larger than that holds one carved region
    ::operator delete(b);
  }
}

void* RecordArena::carve(std::size_t bytes) {
  bytes = round_up(bytes, 8);  // records and entries need 8-byte alignment
  if (cursor_ == nullptr || static_cast<std::size_t>(limit_ - cursor_) < bytes) {
    // The rest of the current block (less than one record) is left unused.
    const std::size_t size = bytes > kBlockBytes ? bytes : kBlockBytes;
    blocks_.reserve(blocks_.size() + 1);  // before the block, so a throw leaks nothing
    auto* block = static_cast<char*>(::operator new(size));
    blocks_.push_back(block);
    SIPWIRE_POISON(block, size);
    cursor_ = block;
    limit_ = block + size;
    heap_bytes_ += size;
    ++heap_allocations_;
  }
  void* p = cursor_;
  cursor_ += bytes;
  SIPWIRE_UNPOISON(p, bytes);
  return p;
}

void* RecordArena::allocate(std::size_t bytes) {
  const std::size_t size = round_up(bytes == 0 ? 1 : bytes, kGranule);
  if (size > kMaxPooled) {
    heap_bytes_ += size;
    ++heap_allocations_;
    return ::operator new(size);
  }
  FreeChunk*& head = free_[size / kGranule];
  if (head != nullptr) {
    FreeChunk* chunk = head;
    head = chunk->next;
    SIPWIRE_UNPOISON(chunk, size);
    return chunk;
  }
  return carve(size);
}

void RecordArena::release(void* p, std::size_t bytes) {
  if (p == nullptr) return;
  const std::size_t size = round_up(bytes == 0 ? 1 : bytes, kGranule);
  if (size > kMaxPooled) {
    heap_bytes_ -= size;
    ::operator delete(p);
    return;
  }
  FreeChunk*& head = free_[size / kGranule];
  head = ::new (p) FreeChunk{head};
  SIPWIRE_POISON(static_cast<char*>(p) + sizeof(FreeChunk), size - sizeof(FreeChunk));
}

void* RecordArena::allocate_permanent(std::size_t bytes) {
  return carve(bytes);
}

}  // namespace sipwire
