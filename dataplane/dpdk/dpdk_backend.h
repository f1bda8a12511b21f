// The DPDK I/O backend: poll-mode lcores, each with its own RX/TX queue pair on one port, run
// the same shards as the kernel-socket backend. Frames are classified (packet_frame.h); UDP SIP
// for our addresses goes to the shard, ARP and neighbour discovery are answered or passed on,
// and everything else goes to the kernel through a tap interface (the exception path), whose
// replies leave through the port.
//
// DPDK types stay out of this header, so main.cpp and the socket backend build without DPDK's.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/dpdk/dpdk_counters.h"
#include "dataplane/packet_handler.h"
#include "dataplane/worker_stats.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane {

class DpdkWorker;
struct DpdkShared;
struct DpdkBackendState;

struct OnLinkNetwork {
  NetAddress network;  // port 0
  uint8_t prefix_length = 0;
};

struct DpdkBackendOptions {
  // EAL arguments, as on a DPDK command line, without the program name. Without -l, -c or
  // --lcores, the backend adds --lcores so that there is one lcore per worker besides the
  // main one, floating over the machine's CPUs (pin them with -l on a NIC server).
  std::vector<std::string> eal;
  // The port: a PCI address (added to EAL as -a) or a virtual device spec (added as --vdev).
  std::string port;
  // The exception path: the tap interface created for the kernel (net_tap), "" for none. It
  // gets the port's MAC and our listen addresses, with the prefix of the network in
  // `networks` that holds each (else /32 or /128).
  std::string exception_tap;
  std::vector<NetAddress> listen;       // specific addresses with their UDP ports
  std::vector<OnLinkNetwork> networks;  // empty: every destination is on-link
  std::vector<NetAddress> gateways;     // at most one per family
  unsigned workers = 1;
  bool shard_affinity = false;  // see SocketBackendOptions::shard_affinity
  unsigned mtu = 1500;
  // The 802.1Q VLAN (1-4094) our frames carry on the port, 0 for none. With one, only frames
  // tagged with it are ours (untagged ones and other VLANs are dropped as not ours), and every
  // frame sent is tagged with it; inside, tags are off (vlan_tag.h).
  unsigned vlan = 0;
  unsigned mbufs_per_worker = 16383;
  unsigned queue_size = 1024;
  unsigned burst = 32;
  unsigned reassembly_flows = 4096;
  unsigned reassembly_timeout_ms = 2000;
  // How long a datagram may wait for its next hop's MAC (ARP / neighbour discovery) before it
  // is dropped; up to DpdkOutbox::kMaxHeld wait per worker.
  unsigned neighbor_hold_ms = 1000;
  // How long a next hop's MAC counts as confirmed (by its ARP / ND, or its own SIP). Past it
  // the MAC is still used and the next hop asked again; past twice it, it is asked before
  // anything more is sent (NeighborTable).
  unsigned neighbor_reachable_ms = 60'000;
  // Let the port compute IPv4 and UDP checksums when it can (else, and for fragments, they
  // are computed in software), and verify them on receipt when it can (what it flags as bad is
  // dropped).
  bool checksum_offload = true;
  // Sum the UDP checksum of each SIP datagram received where the port gives no verdict (no RX
  // offload, a reassembled datagram), and drop those whose checksum fails, as the kernel does.
  // Off: accept them (a peer on a veth or tap of this host whose TX checksum offload is on
  // leaves its checksums unfinished, which the kernel itself would accept; af_packet, and
  // af_xdp over such a veth, hand them over as they are, without the kernel's note).
  bool verify_udp_checksums = true;
  // Send a frame as a chain of mbufs (headers, then segments by reference to the received
  // frame) when the port can (RTE_ETH_TX_OFFLOAD_MULTI_SEGS). Else, or when false, every
  // frame leaves in one mbuf: the datagram is copied, fragments are linearized.
  bool multi_segment_tx = true;
  // Per worker, for Outbox::scratch within one burst; at least ScratchArena::kPerMessage per
  // message of a burst.
  std::size_t scratch_bytes = 256 << 10;
  std::size_t handover_slots = 1024;  // mbufs per ring between two workers
  // After this many empty polls in a row, a worker sleeps `idle_sleep_us` between polls until
  // traffic returns: a shared or small machine (CI, a laptop) keeps its CPUs. 0: poll without
  // pause, as on a dedicated NIC server.
  unsigned idle_polls_before_sleep = 1000;
  unsigned idle_sleep_us = 100;
  // For programs that set up EAL and the port themselves (the data-plane benchmark makes a
  // port from rings): `eal` is ignored, EAL is not initialised (nor cleaned up) here, and
  // `port` names an existing ethdev port.
  bool eal_initialised = false;
};

class DpdkBackend {
 public:
  // Initialises EAL, probes the port (and the tap), sets up one queue pair per worker, the
  // mempools, the reassembly tables and the handover rings, and starts the port. Returns null
  // with `error` set ("EAL: ...", "port net_af_packet0: 1 queue pair, 2 workers need 2") when
  // it cannot. EAL can be initialised once per process.
  static std::unique_ptr<DpdkBackend> open(const DpdkBackendOptions& options, std::string& error);
  ~DpdkBackend();

  // Launches worker i on its lcore; handler_for(i) is called there before its loop. Must be
  // called from the thread that called open() (EAL's main lcore). Returns at once.
  void launch(const std::function<PacketHandler&(unsigned worker)>& handler_for,
              const std::atomic<bool>& stop);
  // Waits for every worker to return (after `stop` became true). Returns false when a worker
  // failed (its message is in `error`).
  bool join(std::string& error);

  // One pass of worker w's loop on the calling thread, instead of launch(): for a benchmark
  // that drives the worker itself. Returns whether there was anything to do.
  bool poll(unsigned worker, PacketHandler& handler);

  unsigned workers() const;
  WorkerStats stats(unsigned worker) const;
  DpdkStats dpdk_stats(unsigned worker) const;
  std::vector<NetAddress> bound_addresses() const;
  // The port's link as the port reports it now, without waiting: whether it is up, and
  // "link up at 10 Gbps FDX Autoneg" or "link down" (rte_eth_link_to_str's words). On a NIC
  // server the kernel no longer shows the port (`ip link` does not have it), so the data plane
  // says it. From the main thread; the workers never ask.
  bool link_up() const;
  std::string link_text() const;

  // What the port itself counted (rte_eth_stats_get), read from the main thread: packets it
  // took and sent, and what it dropped before a worker saw it. `missed`: the RX queues were
  // full (the workers fall behind: more lcores, or a longer queue for bursts); `rx_no_mbuf`:
  // the pool had no mbuf to receive into; `rx_errors` / `tx_errors`: frames the NIC refused
  // (bad CRC, runts) or could not send. A load test that loses requests the data plane's own
  // counters never saw finds them here. `available` is false where the port has no counters.
  struct PortCounters {
    bool available = false;
    uint64_t rx_packets = 0, tx_packets = 0, missed = 0, rx_errors = 0, rx_no_mbuf = 0,
             tx_errors = 0;
  };
  PortCounters port_counters() const;
  // Has worker 0 announce our MAC for every listen address on its next pass (gratuitous ARP,
  // unsolicited neighbour advertisement), as it does at start: when the link comes back up,
  // the switch and the neighbours may have forgotten us, or learnt another host in our place.
  void announce();
  // "net_af_packet0 02:00:00:00:00:01, 1 queue pair per worker, tap sw0" for the start line.
  std::string describe() const;

 private:
  DpdkBackend();
  std::unique_ptr<DpdkShared> shared_;
  std::unique_ptr<DpdkBackendState> state_;
  std::vector<std::unique_ptr<DpdkWorker>> workers_;
};

}  // namespace sipwire::dataplane
