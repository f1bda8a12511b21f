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
  take_returned();  // large records among them go back to the heap
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
    // Room first, so a throw leaks nothing; doubling, since a worker's arena may hold
    // thousands of blocks and a vector regrown one by one leaves its old copies as holes
    // between them (77 bytes of RSS per AOR at a million AORs on one worker).
    if (blocks_.size() == blocks_.capacity())
      blocks_.reserve(blocks_.empty() ? 16 : 2 * blocks_.size());
    auto* block = static_cast<char*>(::operator new(size));
    blocks_.push_back(block);
    SIPWIRE_POISON(block, size);
    cursor_ = block;
    limit_ = block + size;
    add(heap_bytes_, static_cast<std::ptrdiff_t>(size));
    add(heap_allocations_, 1);
  }
  void* p = cursor_;
  cursor_ += bytes;
  SIPWIRE_UNPOISON(p, bytes);
  return p;
}

void* RecordArena::allocate(std::size_t bytes) {
  if (returned_.load(std::memory_order_relaxed) != nullptr) take_returned();
  const std::size_t size = round_up(bytes == 0 ? 1 : bytes, kGranule);
  if (size > kMaxPooled) {
    add(heap_bytes_, static_cast<std::ptrdiff_t>(size));
    add(heap_allocations_, 1);
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
    add(heap_bytes_, -static_cast<std::ptrdiff_t>(size));
    ::operator delete(p);
    return;
  }
  FreeChunk*& head = free_[size / kGranule];
  head = ::new (p) FreeChunk{head};
  SIPWIRE_POISON(static_cast<char*>(p) + sizeof(FreeChunk), size - sizeof(FreeChunk));
}

void RecordArena::give_back(void* p, std::size_t bytes) {
  if (p == nullptr) return;
  // A Treiber stack: pushers only, and the owner takes the whole stack at once (exchange), so
  // a popped node is never pushed again while a pusher still holds it: no ABA.
  auto* node = ::new (p) Returned{returned_.load(std::memory_order_relaxed), bytes};
  while (!returned_.compare_exchange_weak(node->next, node, std::memory_order_release,
                                          std::memory_order_relaxed)) {
  }
}

void RecordArena::take_returned() {
  Returned* node = returned_.exchange(nullptr, std::memory_order_acquire);
  while (node != nullptr) {
    Returned* next = node->next;
    release(node, node->bytes);
    node = next;
  }
}

}  // namespace sipwire
