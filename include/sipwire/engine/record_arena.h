// Memory for the location table's records and entries, so that a REGISTER refresh allocates
// nothing once the table has warmed up. One arena per writer of the table (a worker), used
// only by that writer's thread: it needs no lock. A record another writer retires comes back
// through give_back(), a lock-free stack the owner empties at its next allocate().
//
// A record (AorRecord::build) comes from a free list of its size class (multiples of 16 bytes)
// or is carved from the arena's current 64 KiB block; when it is released, after its grace
// period, it goes back to that free list, where the next record of that size finds it. A
// refresh builds a record the size of the one it replaces, so after the first few refreshes
// of each size a worker recycles its own blocks. Entries come from the same lists; the one of
// an AOR left without bindings is given, after its grace period, to the free lists of the
// worker whose sweep unlinked it. Records over 4 KiB (an AOR with many bindings or long Paths) go
// to the heap. Blocks carry no malloc header, so the table also takes less memory than with one
// heap block per record and per entry.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <vector>

namespace sipwire {

class RecordArena {
 public:
  RecordArena() = default;
  ~RecordArena();
  RecordArena(const RecordArena&) = delete;
  RecordArena& operator=(const RecordArena&) = delete;

  // A block of `bytes` (8-byte aligned), until release(p, bytes) with the same size.
  void* allocate(std::size_t bytes);
  void release(void* p, std::size_t bytes);
  // From any thread: gives back a block of this arena's that no one may read any more. It
  // joins the free lists at the owner's next allocate() (or when the arena is destroyed).
  void give_back(void* p, std::size_t bytes);

  // Bytes taken from the heap: the blocks, and the records too large for them. Readable from
  // any thread (statistics).
  std::size_t heap_bytes() const { return heap_bytes_.load(std::memory_order_relaxed); }
  // Blocks and large records allocated from the heap since the arena was made.
  std::size_t heap_allocations() const { return heap_allocations_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kMaxPooled = 4096;
  static constexpr std::size_t kBlockBytes = 64 << 10;

  void* carve(std::size_t bytes);
  void take_returned();
  // Only the owner writes these; others may read them.
  static void add(std::atomic<std::size_t>& counter, std::ptrdiff_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<std::size_t>(n),
                  std::memory_order_relaxed);
  }

  struct FreeChunk {
    FreeChunk* next;
  };
  struct Returned {  // written into a given-back block (every block is at least 16 bytes)
    Returned* next;
    std::size_t bytes;
  };
  std::array<FreeChunk*, kMaxPooled / kGranule + 1> free_{};
  std::vector<char*> blocks_;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  std::atomic<std::size_t> heap_bytes_{0};
  std::atomic<std::size_t> heap_allocations_{0};
  std::atomic<Returned*> returned_{nullptr};  // pushed by any thread, emptied by the owner
};

}  // namespace sipwire
