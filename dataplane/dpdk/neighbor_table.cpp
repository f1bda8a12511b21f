#include "dataplane/dpdk/neighbor_table.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace sipwire::dataplane::net {

namespace {

// Rereads of a slot caught mid-write before it counts as a miss. A write is a handful of stores,
// so a reader that needs more than this is looking at a writer that was preempted.
constexpr int kMaxRereads = 4;

uint64_t pack(const MacAddress& mac, uint8_t family) {
  uint64_t v = 0;
  for (uint8_t b : mac.bytes) v = v << 8 | b;
  return v | static_cast<uint64_t>(family) << 48;
}

MacAddress unpack(uint64_t value) {
  MacAddress mac;
  for (int i = 5; i >= 0; --i, value >>= 8) mac.bytes[static_cast<std::size_t>(i)] = value & 0xff;
  return mac;
}

}  // namespace

NeighborTable::NeighborTable(std::size_t capacity, uint32_t reachable_ms)
    : mask_(std::bit_ceil(std::max(capacity, kMaxProbe)) - 1),
      reachable_ms_(std::max<uint32_t>(reachable_ms, 1)),
      slots_(std::make_unique<Slot[]>(mask_ + 1)) {}

NeighborTable::Key NeighborTable::key_of(const NetAddress& ip) {
  Key key;
  key.family = static_cast<uint8_t>(ip.family);
  // Only the address's own bytes: an IPv4 NetAddress may carry anything in the other 12.
  // (Fixed-size copies: the compiler loads them into registers, where a copy of a length
  // chosen at run time was a memcpy call, on every frame received and every datagram sent.)
  if (ip.family == NetAddress::Family::kIpv4) {
    uint32_t v4;
    std::memcpy(&v4, ip.ip.data(), 4);
    key.high = v4;  // the low four bytes in memory order, as the copy into a zeroed key gave
    key.low = 0;
  } else {
    std::memcpy(&key.high, ip.ip.data(), 8);
    std::memcpy(&key.low, ip.ip.data() + 8, 8);
  }
  return key;
}

std::size_t NeighborTable::home(const Key& key) const {
  // splitmix64's finalizer: every input bit moves the slot, so addresses that differ only in
  // their last byte (a subnet's hosts) spread over the table.
  uint64_t h = key.high ^ std::rotl(key.low, 29) ^ key.family;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<std::size_t>(h) & mask_;
}

NeighborTable::Snapshot NeighborTable::read(const Slot& slot) {
  Snapshot s;
  for (int attempt = 0; attempt < kMaxRereads; ++attempt) {
    const uint32_t before = slot.sequence.load(std::memory_order_acquire);
    if (before & 1) continue;  // being written
    // Acquire loads, so the counter's reread below cannot move before them, and a load that
    // sees a writer's (release) store also sees that writer's earlier odd counter: the reread
    // then differs from `before`. (Rather than relaxed loads and fences: the same plain moves on
    // x86, and ThreadSanitizer does not model fences.)
    s.confirmed_ms = slot.confirmed_ms.load(std::memory_order_acquire);
    s.key_high = slot.key_high.load(std::memory_order_acquire);
    s.key_low = slot.key_low.load(std::memory_order_acquire);
    s.value = slot.value.load(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) == before) {
      s.consistent = true;
      s.sequence = before;
      return s;
    }
  }
  return s;
}

uint32_t NeighborTable::age(uint32_t now_ms, uint32_t confirmed_ms) const {
  // Modulo 2^32, so the clock's wrapping is no matter. A confirmation slightly "in the future"
  // is another lcore's, taken at the start of a later burst: just now.
  const uint32_t since = now_ms - confirmed_ms;
  return since > UINT32_MAX - reachable_ms_ ? 0 : since;
}

bool NeighborTable::matches(const Snapshot& s, const Key& key) {
  return s.key_high == key.high && s.key_low == key.low &&
         static_cast<uint8_t>(s.value >> 48) == key.family;
}

bool NeighborTable::write(Slot& slot, uint32_t sequence, const Key& key, uint64_t value,
                          uint32_t now_ms) {
  uint32_t expected = sequence;
  // Expecting the value seen while probing: the claim fails if anyone wrote the slot since,
  // so a decision taken on a stale snapshot (it was empty, it held this key) is never acted on.
  if (!slot.sequence.compare_exchange_strong(expected, sequence + 1, std::memory_order_relaxed))
    return false;
  // Release stores: a reader that sees any of them also sees the odd counter (see read()).
  slot.confirmed_ms.store(now_ms, std::memory_order_release);
  slot.key_high.store(key.high, std::memory_order_release);
  slot.key_low.store(key.low, std::memory_order_release);
  slot.value.store(value, std::memory_order_release);
  slot.sequence.store(sequence + 2, std::memory_order_release);
  return true;
}

void NeighborTable::learn(const NetAddress& ip, const MacAddress& mac, uint32_t now_ms) {
  if (!ip.valid() || mac.is_multicast() || mac.is_zero()) return;
  const Key key = key_of(ip);
  const uint64_t value = pack(mac, key.family);
  const std::size_t first = home(key);
  for (std::size_t i = 0; i < kMaxProbe; ++i) {
    Slot& slot = slots_[(first + i) & mask_];
    const Snapshot s = read(slot);
    // Someone is writing here, perhaps this very entry: leave it to them.
    if (!s.consistent) return;
    if (s.value == 0 || matches(s, key)) {
      // The same MAC again: the confirmation is renewed an eighth of the reachable time at a
      // time, so a busy neighbour's every frame does not dirty the slot's line on every lcore.
      if (s.value != value || age(now_ms, s.confirmed_ms) >= reachable_ms_ / 8)
        write(slot, s.sequence, key, value, now_ms);
      return;
    }
  }
  // The probe window is full of other entries: the newest neighbor wins its home slot.
  Slot& slot = slots_[first];
  const Snapshot s = read(slot);
  if (s.consistent) write(slot, s.sequence, key, value, now_ms);
}

std::optional<MacAddress> NeighborTable::find(const NetAddress& ip, uint32_t now_ms,
                                              bool* stale) const {
  if (!ip.valid()) return std::nullopt;
  const Key key = key_of(ip);
  const std::size_t first = home(key);
  for (std::size_t i = 0; i < kMaxProbe; ++i) {
    const Snapshot s = read(slots_[(first + i) & mask_]);
    if (!s.consistent) continue;  // unknown: it may hold the key, look on
    if (s.value == 0) break;      // nothing is inserted past an empty slot
    if (!matches(s, key)) continue;
    const uint32_t since = age(now_ms, s.confirmed_ms);
    if (since >= 2 * static_cast<uint64_t>(reachable_ms_))
      return std::nullopt;  // expired: ask anew
    if (stale != nullptr) *stale = since >= reachable_ms_;
    return unpack(s.value);
  }
  return std::nullopt;
}

}  // namespace sipwire::dataplane::net
