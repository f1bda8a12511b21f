// A worker's view of the shared neighbour table during one burst of frames: the few next hops
// the burst has learnt or looked up, kept in the worker's own memory. A burst's frames nearly
// all come from and go to the same few hops (the phones' router, the trunk, the other proxy),
// and a lookup in the shared table costs a hash, a probe and a sequence-checked read (some
// 130 instructions) on every frame received and every datagram sent.
//
// Forgotten at the start of each burst (new_burst()), so what another lcore learns reaches this
// one within a burst's time. Only addresses found in or written to the table are kept: a miss
// always asks the table again. A stale entry found here (see NeighborTable) stays stale for the
// burst unless the burst itself confirms it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "dataplane/dpdk/mac_address.h"
#include "dataplane/dpdk/neighbor_table.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane::net {

class BurstNeighbors {
 public:
  static constexpr std::size_t kEntries = 4;

  explicit BurstNeighbors(NeighborTable& table) : table_(table) {}

  // NeighborTable::find at the burst's time, answered from this burst's entries when it can.
  std::optional<MacAddress> find(const NetAddress& ip, bool* stale = nullptr) {
    const Key key = key_of(ip);
    for (std::size_t i = 0; i < used_; ++i) {
      if (!(entries_[i].key == key)) continue;
      if (stale != nullptr) *stale = entries_[i].stale;
      return entries_[i].mac;
    }
    bool was_stale = false;
    std::optional<MacAddress> mac = table_.find(ip, now_ms_, &was_stale);
    if (mac) keep(key, *mac, was_stale, false);
    if (stale != nullptr) *stale = was_stale;
    return mac;
  }

  // NeighborTable::learn at the burst's time, skipped when this burst learnt the same already.
  void learn(const NetAddress& ip, const MacAddress& mac) {
    if (!ip.valid() || mac.is_multicast() || mac.is_zero()) return;  // the table takes none
    const Key key = key_of(ip);
    for (std::size_t i = 0; i < used_; ++i) {
      if (!(entries_[i].key == key)) continue;
      // Learnt in this burst already. (Only found: the table renews the confirmation.)
      if (entries_[i].mac == mac && entries_[i].learnt) return;
      entries_[i] = {key, mac, false, true};
      table_.learn(ip, mac, now_ms_);
      return;
    }
    table_.learn(ip, mac, now_ms_);
    keep(key, mac, false, true);
  }

  // `now_ms`: the burst's time, for the table's aging (a millisecond clock of the caller's).
  void new_burst(uint32_t now_ms) {
    used_ = 0;
    now_ms_ = now_ms;
  }
  uint32_t now_ms() const { return now_ms_; }
  uint32_t reachable_ms() const { return table_.reachable_ms(); }

 private:
  // The address's own bytes and family (an IPv4 NetAddress may carry anything in the rest).
  struct Key {
    uint64_t high = 0, low = 0;
    NetAddress::Family family = NetAddress::Family::kNone;
    bool operator==(const Key&) const = default;
  };
  struct Entry {
    Key key;
    MacAddress mac;
    bool stale = false;
    bool learnt = false;  // by learn() in this burst, not only found
  };

  static Key key_of(const NetAddress& ip) {
    Key k;
    k.family = ip.family;
    if (ip.family == NetAddress::Family::kIpv4) {
      uint32_t v4;
      std::memcpy(&v4, ip.ip.data(), 4);
      k.high = v4;
    } else {
      std::memcpy(&k.high, ip.ip.data(), 8);
      std::memcpy(&k.low, ip.ip.data() + 8, 8);
    }
    return k;
  }

  void keep(const Key& key, const MacAddress& mac, bool stale, bool learnt) {
    if (used_ < kEntries) {
      entries_[used_++] = {key, mac, stale, learnt};
    } else {
      entries_[next_] = {key, mac, stale, learnt};  // the oldest goes
      next_ = (next_ + 1) % kEntries;
    }
  }

  NeighborTable& table_;
  std::array<Entry, kEntries> entries_{};
  std::size_t used_ = 0;
  std::size_t next_ = 0;
  uint32_t now_ms_ = 0;
};

}  // namespace sipwire::dataplane::net
