// The IP -> MAC table (ARP and IPv6 neighbor cache) of the DPDK data plane, shared by every lcore:
// each learns from the ARP replies, neighbor advertisements and requests it receives and looks
// up the next hop of every packet it sends.
//
// Lock-free, because a lookup is on the per-packet path and a lock held by a descheduled or
// slow lcore would stall all of them. Every slot is a seqlock: a sequence counter that is odd
// while the slot is written, and the key and value in std::atomic words (acquire loads and
// release stores, plain moves on x86), so there is no data race in the C++ sense and TSan
// agrees.
//  - A reader takes the counter, the words, and the counter again; if it was odd or changed, the
//    snapshot may be torn and is read again (a few times, then the slot counts as a miss: the
//    caller asks again with ARP/NS, which is better than spinning behind a preempted writer).
//  - A writer claims a slot by a compare-and-swap of the counter value it saw while probing to
//    that value + 1, writes, and releases with + 2. If the CAS fails, another writer got there
//    first (or the slot changed since it looked): it gives up. Learning is idempotent and the
//    peer's next packet teaches the same again, so losing a race costs nothing.
// Writes are rare: learn() first checks whether the entry already holds the MAC and then writes
// nothing (every ARP reply and every request from a known peer would otherwise dirty the
// slot's cache line on every lcore).
//
// Open addressing with a bounded probe (kMaxProbe slots from the hash's home slot). There is no
// deletion, so a key never lies beyond an empty slot of its probe sequence and a lookup stops
// at the first empty one. When the probe window is full, the new entry overwrites its home slot
// (the table is sized well above the number of next hops; an evicted neighbor is learned
// again). Entries do not age: a MAC changes only by being learned anew (gratuitous ARP,
// unsolicited NA, the reply to our own request).
//
// Two writers inserting the same new IP at once cannot both claim one empty slot (the CAS
// decides), but in rare interleavings with an eviction a key can end up in two slots; lookups
// and updates both take the first in probe order, so the duplicate is only stale if the first
// is evicted later, until the peer is learned again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "dataplane/dpdk/mac_address.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane::net {

class NeighborTable {
 public:
  static constexpr std::size_t kMaxProbe = 8;

  // `capacity` slots, rounded up to a power of two (at least kMaxProbe), allocated here once.
  explicit NeighborTable(std::size_t capacity);

  // Records that `ip` (family and address; the port is ignored) is at `mac`. Lock-free; writes
  // nothing if the table already says so, and gives up if another lcore is writing the slot.
  // An invalid address, or a group MAC, is ignored.
  void learn(const NetAddress& ip, const MacAddress& mac);

  // The MAC learned for `ip` (the port is ignored), if any. Lock-free and wait-free in practice
  // (a bounded number of rereads of a slot being written).
  std::optional<MacAddress> find(const NetAddress& ip) const;

  std::size_t capacity() const { return mask_ + 1; }

 private:
  // One entry: 32 bytes, two per cache line. `value` is 0 in an empty slot; otherwise the MAC in
  // its low 48 bits and the address family in the byte above (never 0 for a valid address).
  struct alignas(32) Slot {
    std::atomic<uint32_t> sequence{0};
    std::atomic<uint64_t> key_high{0}, key_low{0};
    std::atomic<uint64_t> value{0};
  };
  struct Key {
    uint64_t high = 0, low = 0;
    uint8_t family = 0;
  };
  struct Snapshot {
    bool consistent = false;
    uint32_t sequence = 0;  // even when consistent
    uint64_t key_high = 0, key_low = 0, value = 0;
  };

  static Key key_of(const NetAddress& ip);
  static Snapshot read(const Slot& slot);
  static bool matches(const Snapshot& s, const Key& key);
  std::size_t home(const Key& key) const;
  // Claims `slot` if its counter still reads `sequence` and stores the entry; false if it lost.
  static bool write(Slot& slot, uint32_t sequence, const Key& key, uint64_t value);

  std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace sipwire::dataplane::net
