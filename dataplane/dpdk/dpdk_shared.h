// What every lcore of the DPDK backend reads: the port, the exception tap, our addresses, and
// the neighbour table they all learn into. Set up once by DpdkBackend::open, then read-only
// except for the neighbour table (lock-free) and the rings (one producer, one consumer each).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk_backend.h"
#include "dataplane/dpdk/mac_address.h"
#include "dataplane/dpdk/neighbor_table.h"
#include "dataplane/dpdk/packet_frame.h"

struct rte_ring;

namespace sipwire::dataplane {

struct DpdkShared {
  DpdkBackendOptions options;
  uint16_t port = 0;
  std::string port_name;
  std::optional<uint16_t> tap;  // the exception path's port
  net::MacAddress mac;
  net::LocalInterface local;  // its listen span points into options.listen
  std::unique_ptr<net::NeighborTable> neighbors;
  // The port sends chained mbufs (enabled in its TX offloads). Without it a PMD may send the
  // first segment only, so the outbox copies instead of referencing and linearizes fragments.
  bool tx_multi_segment = false;
  // The port computes IPv4 header and UDP checksums (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM and
  // UDP_CKSUM): the outbox then writes only the pseudo-header sum, for whole datagrams.
  bool tx_checksum_offload = false;
  // With a VLAN (options.vlan): the port strips the tag of what it receives
  // (RTE_ETH_RX_OFFLOAD_VLAN_STRIP), and inserts it into what it sends
  // (RTE_ETH_TX_OFFLOAD_VLAN_INSERT). Where it does not, the worker and the outbox do.
  bool rx_vlan_strip = false;
  bool tx_vlan_insert = false;
  // Set when our MAC should be announced on the link (at start, and when the link comes back
  // up: DpdkBackend::announce); worker 0 does it on its next pass and clears it.
  std::atomic<bool> announce{true};
  // rings[from * workers + to], null on the diagonal: mbufs handed over between workers.
  std::vector<rte_ring*> rings;

  // The next hop whose MAC a datagram to `to` needs: `to` itself when on-link, else the
  // gateway of its family (or `to` again when there is none).
  NetAddress next_hop(const NetAddress& to) const;
  // Whether datagrams to `ip` go to its own MAC (next_hop(ip) is ip): only then is what a
  // datagram from it teaches (its source MAC) of use. One from beyond the gateway carries the
  // gateway's MAC, and learning its address would only take a slot of the neighbour table.
  bool is_own_next_hop(const NetAddress& ip) const { return next_hop(ip) == ip; }
  // The listen address a datagram to `to` leaves from: `preferred` when its family matches,
  // else the first listen address of that family; invalid when there is none.
  NetAddress source_for(const NetAddress& to, const NetAddress& preferred) const;
  // Whether `a` is one of the listen addresses (address and port).
  bool listens_at(const NetAddress& a) const;
};

}  // namespace sipwire::dataplane
