// A shard's store of message copies for the stateful proxy: the requests its client
// transactions retransmit, the responses its server transactions resend, the original request
// of each response context. Fixed-size slots in three size classes, allocated once when the
// store is built; put/release are O(1) free-list operations, so the per-message path
// allocates nothing. A full class takes the next larger one; when all are full, put() returns
// an empty ref and the proxy answers 503 rather than growing.
//
// Why copies at all: the receive buffer of a datagram is reused by the next batch, but a
// transaction must resend its message for up to 32 s (RFC 3261 §17). A copy is taken once per
// message that needs one; a stateless forward still copies nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "sipwire/txn/txn_types.h"

namespace sipwire {

struct MessageStoreCounters {
  uint64_t stored = 0;
  uint64_t exhausted = 0;  // put() refused: no slot large enough was free
  uint64_t in_use = 0;     // slots held now (released ones count until reclaimed)
};

class MessageStore {
 public:
  // Slot sizes: short responses (the 200 to a BYE, which a server transaction keeps for 32 s)
  // and target lists fit 512 bytes, most requests 2 KB; a 64 KB slot holds any UDP datagram.
  static constexpr std::array<std::size_t, 4> kSlotBytes = {512, 2048, 8192, 65536};

  // Splits `total_bytes` over the classes (35%, 40%, 12%, 13%; at least 4 slots each).
  explicit MessageStore(std::size_t total_bytes);
  MessageStore(const MessageStore&) = delete;
  MessageStore& operator=(const MessageStore&) = delete;

  // Copies the concatenation of `segments` into a free slot. Empty ref when nothing fits.
  MessageRef put(std::span<const std::string_view> segments);
  MessageRef put(std::string_view bytes) { return put({&bytes, 1}); }

  // A slot of at least `bytes` to write into (writable()), then set_length(). Empty ref when
  // none is free.
  MessageRef reserve(std::size_t bytes);
  std::span<char> writable(const MessageRef& ref);
  void set_length(MessageRef& ref, std::size_t length) {
    ref.length = static_cast<uint32_t>(length);
  }

  std::string_view view(const MessageRef& ref) const;
  // Gives the slot up and empties `ref` (a no-op on an empty ref). The slot is not reused
  // until reclaim(): a view of it may still be queued in the backend's batch, which is sent
  // only when the batch is flushed.
  void release(MessageRef& ref);
  // Makes the slots released so far reusable. Call once the backend has flushed every send
  // made before (the stateful proxy does it at the start of each tick).
  void reclaim();

  const MessageStoreCounters& counters() const { return counters_; }
  std::size_t slots(std::size_t size_class) const { return classes_[size_class].count; }

 private:
  struct SizeClass {
    std::size_t bytes = 0;
    uint32_t first = 0;  // slot ids [first, first + count)
    uint32_t count = 0;
    std::size_t offset = 0;            // of its first slot in memory_
    std::unique_ptr<uint32_t[]> free;  // stack of free slot ids
    uint32_t free_count = 0;
  };
  std::size_t class_of(uint32_t slot) const;
  char* slot_data(uint32_t slot);

  std::array<SizeClass, kSlotBytes.size()> classes_;
  std::unique_ptr<uint32_t[]> released_;  // slots released since the last reclaim()
  std::size_t released_count_ = 0;
  std::unique_ptr<char[]> memory_;
  MessageStoreCounters counters_;
};

}  // namespace sipwire
