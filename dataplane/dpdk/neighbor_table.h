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
// again).
//
// Entries age, as the kernel's neighbour cache does (RFC 4861 §7.3, REACHABLE / STALE / PROBE):
// each keeps when it was last confirmed (learned anew from the neighbour's ARP or ND, or its
// SIP when it is on-link). Younger than `reachable_ms` it is used as it is; up to twice that
// it is still used but stale, and the sender asks the neighbour again (DpdkOutbox probes it);
// older, it is not found, so datagrams wait for a fresh answer and are dropped (counted) when
// none comes. A MAC that changed without a gratuitous ARP (a replaced router, a host's new
// NIC) is so relearned within one reachable time, where without aging it was used forever.
// Times are milliseconds of the caller's clock, 32 bits, compared modulo 2^32: a neighbour
// silent for 49.7 days looks confirmed again, for at most two reachable times, then is asked.
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

  // The kernel's default is 30 s, randomised (base_reachable_time); a proxy's next hops are
  // few and long-lived, and each probe is one ARP request per lcore.
  static constexpr uint32_t kDefaultReachableMs = 60'000;

  // `capacity` slots, rounded up to a power of two (at least kMaxProbe), allocated here once.
  // `reachable_ms` (at least 1): how long a confirmation holds (see above).
  explicit NeighborTable(std::size_t capacity, uint32_t reachable_ms = kDefaultReachableMs);

  // Records that `ip` (family and address; the port is ignored) is at `mac`, confirmed at
  // `now_ms`. Lock-free; writes nothing if the table already says so and was confirmed less
  // than an eighth of the reachable time ago, and gives up if another lcore is writing the
  // slot. An invalid address, or a group MAC, is ignored.
  void learn(const NetAddress& ip, const MacAddress& mac, uint32_t now_ms);

  // The MAC learned for `ip` (the port is ignored), if any and not expired at `now_ms`;
  // `*stale` (when given) tells whether it is past its reachable time. Lock-free and wait-free
  // in practice (a bounded number of rereads of a slot being written).
  std::optional<MacAddress> find(const NetAddress& ip, uint32_t now_ms,
                                 bool* stale = nullptr) const;

  std::size_t capacity() const { return mask_ + 1; }
  uint32_t reachable_ms() const { return reachable_ms_; }

 private:
  // One entry: 32 bytes, two per cache line. `value` is 0 in an empty slot; otherwise the MAC in
  // its low 48 bits and the address family in the byte above (never 0 for a valid address).
  // `confirmed_ms` is written with the rest, under the sequence counter.
  struct alignas(32) Slot {
    std::atomic<uint32_t> sequence{0};
    std::atomic<uint32_t> confirmed_ms{0};
    std::atomic<uint64_t> key_high{0}, key_low{0};
    std::atomic<uint64_t> value{0};
  };
  static_assert(sizeof(Slot) == 32);
  struct Key {
    uint64_t high = 0, low = 0;
    uint8_t family = 0;
  };
  struct Snapshot {
    bool consistent = false;
    uint32_t sequence = 0;  // even when consistent
    uint32_t confirmed_ms = 0;
    uint64_t key_high = 0, key_low = 0, value = 0;
  };

  static Key key_of(const NetAddress& ip);
  static Snapshot read(const Slot& slot);
  static bool matches(const Snapshot& s, const Key& key);
  // Milliseconds from `confirmed_ms` to `now_ms` on the callers' 32-bit clock.
  uint32_t age(uint32_t now_ms, uint32_t confirmed_ms) const;
  std::size_t home(const Key& key) const;
  // Claims `slot` if its counter still reads `sequence` and stores the entry; false if it lost.
  static bool write(Slot& slot, uint32_t sequence, const Key& key, uint64_t value, uint32_t now_ms);

  std::size_t mask_;
  uint32_t reachable_ms_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace sipwire::dataplane::net
