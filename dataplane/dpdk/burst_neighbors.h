// A worker's view of the shared neighbour table during one burst of frames: the few next hops
// the burst has learnt or looked up, kept in the worker's own memory. A burst's frames nearly
// all come from and go to the same few hops (the phones' router, the trunk, the other proxy),
// and a lookup in the shared table costs a hash, a probe and a sequence-checked read (some
// 130 instructions) on every frame received and every datagram sent.
//
// Forgotten at the start of each burst (new_burst()), so what another lcore learns reaches this
// one within a burst's time. Only addresses found in or written to the table are kept: a miss
// always asks the table again.
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

  // NeighborTable::find, answered from this burst's entries when it can.
  std::optional<MacAddress> find(const NetAddress& ip) {
    const Key key = key_of(ip);
    for (std::size_t i = 0; i < used_; ++i)
      if (entries_[i].key == key) return entries_[i].mac;
    std::optional<MacAddress> mac = table_.find(ip);
    if (mac) keep(key, *mac);
    return mac;
  }

  // NeighborTable::learn, skipped when this burst learnt or found the same already.
  void learn(const NetAddress& ip, const MacAddress& mac) {
    if (!ip.valid() || mac.is_multicast() || mac.is_zero()) return;  // the table takes none
    const Key key = key_of(ip);
    for (std::size_t i = 0; i < used_; ++i) {
      if (!(entries_[i].key == key)) continue;
      if (entries_[i].mac == mac) return;
      entries_[i].mac = mac;
      table_.learn(ip, mac);
      return;
    }
    table_.learn(ip, mac);
    keep(key, mac);
  }

  void new_burst() { used_ = 0; }

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

  void keep(const Key& key, const MacAddress& mac) {
    if (used_ < kEntries) {
      entries_[used_++] = {key, mac};
    } else {
      entries_[next_] = {key, mac};  // the oldest goes
      next_ = (next_ + 1) % kEntries;
    }
  }

  NeighborTable& table_;
  std::array<Entry, kEntries> entries_{};
  std::size_t used_ = 0;
  std::size_t next_ = 0;
};

}  // namespace sipwire::dataplane::net
