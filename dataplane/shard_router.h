// Which shard a datagram belongs to, from a light scan of its first line and headers: no full
// parse, no allocation, no exception. The stateful proxy keeps each transaction in one shard,
// so every packet of a transaction must reach that shard whichever worker's socket the kernel
// gave it to (SO_REUSEPORT spreads datagrams by 4-tuple, not by transaction):
//  - a response goes to the shard its top Via's branch names (branch_shard(): every branch
//    this proxy creates carries its shard), when that shard exists;
//  - a request goes to hash(Call-ID) % shards, the hash keyed at random per process (all its
//    workers agree; a sender cannot choose Call-IDs that crowd one worker). Every request of a
//    transaction carries its Call-ID (a retransmission, the CANCEL and the non-2xx ACK of an INVITE
//    too), and so does every request of a dialog: the ACK of a 2xx and the BYE that follows it
//    reach their shard in the order they arrived. Routed by branch (each of those has its own),
//    they went to different shards, and a BYE could overtake the ACK before it while the ACK waited
//    in a handover ring: a UAS aborts the call on that. Copies of one request that reach us by
//    different paths (a merged request, RFC 3261 §8.2.2.2) share the shard that must notice
//    them. A request without a Call-ID goes to hash(top Via branch) when the branch starts
//    with the magic cookie "z9hG4bK";
//  - anything the scan cannot read stays on the current worker, whose engine answers it.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipwire::dataplane {

// What the scan found. Views into the datagram; empty when absent.
struct RouteKeys {
  bool readable = false;     // a first line and a header section the scan could walk
  bool response = false;     // the first line starts with "SIP/"
  std::string_view branch;   // the top Via's branch parameter
  std::string_view call_id;  // the Call-ID value, white space trimmed
};

RouteKeys scan_route_keys(std::string_view datagram);

// The request hash: SipHash-1-3 under route_hash_key(), drawn once when the process starts,
// so every worker of the process agrees and nobody outside can aim requests at one worker.
uint64_t route_hash(std::string_view key);
struct RouteHashKey {
  uint64_t k0, k1;
};
const RouteHashKey& route_hash_key();

// The shard (0 .. shards-1) that must handle `datagram`; `current` when the scan cannot tell.
// `shards` 0 or 1, or `current` >= `shards`, give `current`.
unsigned route_datagram(std::string_view datagram, unsigned shards, unsigned current);

}  // namespace sipwire::dataplane
