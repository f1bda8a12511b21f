// Memory for the location table's records and entries, so that a REGISTER refresh allocates
// nothing once the table has warmed up. One arena per stripe of the table, used only under
// that stripe's writer lock: it needs no synchronisation of its own.
//
// A record (AorRecord::build) comes from a free list of its size class (multiples of 16 bytes)
// or is carved from the arena's current 64 KiB block; when it is released, after its grace
// period, it goes back to that free list, where the next record of that size finds it. A
// refresh builds a record the size of the one it replaces, so after the first few refreshes
// of each size a stripe recycles its own blocks. Entries, which the table never frees, are
// carved and stay. Records over 4 KiB (an AOR with many bindings or long Paths) go to the
// heap. Blocks carry no malloc header, so the table also takes less memory than with one heap
// block per record and per entry.
#pragma once

#include <array>
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
  // A block that lives as long as the arena (table entries).
  void* allocate_permanent(std::size_t bytes);

  // Bytes taken from the heap: the blocks, and the records too large for them.
  std::size_t heap_bytes() const { return heap_bytes_; }
  // Blocks and large records allocated from the heap since the arena was made.
  std::size_t heap_allocations() const { return heap_allocations_; }

 private:
  static constexpr std::size_t kGranule = 16;
  static constexpr std::size_t kMaxPooled = 4096;
  static constexpr std::size_t kBlockBytes = 64 << 10;

  void* carve(std::size_t bytes);

  struct FreeChunk {
    FreeChunk* next;
  };
  std::array<FreeChunk*, kMaxPooled / kGranule + 1> free_{};
  std::vector<char*> blocks_;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  std::size_t heap_bytes_ = 0;
  std::size_t heap_allocations_ = 0;
};

}  // namespace sipwire
