// Per-lcore counters of the DPDK backend, beside the WorkerCounters every backend keeps: what
// the packet path did with each frame, so an operator can see where packets went and prove
// that the fast path copies nothing (copied vs referenced bytes).
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/worker_counters.h"

namespace sipwire::dataplane {

// A plain snapshot, summed over lcores by the status line.
struct DpdkStats {
  uint64_t rx_frames = 0;          // read from the port's queue (every kind)
  uint64_t tx_frames = 0;          // accepted by the port's TX queue
  uint64_t tx_full = 0;            // refused by the TX queue (ring full): dropped
  uint64_t referenced_bytes = 0;   // sent by reference to the received mbuf (zero copy)
  uint64_t copied_bytes = 0;       // sent by copy: inserted text, short pieces, stored messages
  uint64_t linearized = 0;         // datagrams copied into one buffer (reassembled or chained), and
                                   // frames made one mbuf for a port without multi-segment TX
  uint64_t reassembled = 0;        // IP datagrams rebuilt from fragments
  uint64_t fragments_out = 0;      // fragments sent for datagrams over the MTU
  uint64_t arp_answered = 0;       // ARP requests / neighbour solicitations answered here
  uint64_t neighbor_requests = 0;  // ARP requests / solicitations sent: unknown or stale next hop
  uint64_t neighbor_held = 0;      // datagrams held until their next hop's MAC was learnt
  uint64_t neighbor_announced = 0;  // gratuitous ARPs / unsolicited advertisements of our MAC
  uint64_t to_kernel = 0;           // frames passed to the exception path (tap)
  uint64_t from_kernel = 0;         // frames the kernel sent through the tap, out of the port
  uint64_t drop_not_ours = 0;       // another unicast MAC or IP
  uint64_t drop_malformed = 0;      // truncated, bad checksums, inconsistent lengths
  uint64_t drop_no_neighbor = 0;    // next hop unresolved within the hold time, or hold full
  uint64_t drop_no_mbuf = 0;        // mempool empty
  uint64_t drop_kernel = 0;         // for the kernel, but there is no exception path
  uint64_t drop_oversize = 0;       // over the IP limit, or a reassembled datagram too long

  DpdkStats& operator+=(const DpdkStats& o) {
    rx_frames += o.rx_frames;
    tx_frames += o.tx_frames;
    tx_full += o.tx_full;
    referenced_bytes += o.referenced_bytes;
    copied_bytes += o.copied_bytes;
    linearized += o.linearized;
    reassembled += o.reassembled;
    fragments_out += o.fragments_out;
    arp_answered += o.arp_answered;
    neighbor_requests += o.neighbor_requests;
    neighbor_held += o.neighbor_held;
    neighbor_announced += o.neighbor_announced;
    to_kernel += o.to_kernel;
    from_kernel += o.from_kernel;
    drop_not_ours += o.drop_not_ours;
    drop_malformed += o.drop_malformed;
    drop_no_neighbor += o.drop_no_neighbor;
    drop_no_mbuf += o.drop_no_mbuf;
    drop_kernel += o.drop_kernel;
    drop_oversize += o.drop_oversize;
    return *this;
  }
};

// The live form: written by its lcore only (bump()), read by any thread.
struct alignas(64) DpdkCounters {
  std::atomic<uint64_t> rx_frames{0}, tx_frames{0}, tx_full{0}, referenced_bytes{0},
      copied_bytes{0}, linearized{0}, reassembled{0}, fragments_out{0}, arp_answered{0},
      neighbor_requests{0}, neighbor_held{0}, neighbor_announced{0}, to_kernel{0}, from_kernel{0},
      drop_not_ours{0}, drop_malformed{0}, drop_no_neighbor{0}, drop_no_mbuf{0}, drop_kernel{0},
      drop_oversize{0};

  DpdkStats snapshot() const {
    constexpr auto r = std::memory_order_relaxed;
    DpdkStats s;
    s.rx_frames = rx_frames.load(r);
    s.tx_frames = tx_frames.load(r);
    s.tx_full = tx_full.load(r);
    s.referenced_bytes = referenced_bytes.load(r);
    s.copied_bytes = copied_bytes.load(r);
    s.linearized = linearized.load(r);
    s.reassembled = reassembled.load(r);
    s.fragments_out = fragments_out.load(r);
    s.arp_answered = arp_answered.load(r);
    s.neighbor_requests = neighbor_requests.load(r);
    s.neighbor_held = neighbor_held.load(r);
    s.neighbor_announced = neighbor_announced.load(r);
    s.to_kernel = to_kernel.load(r);
    s.from_kernel = from_kernel.load(r);
    s.drop_not_ours = drop_not_ours.load(r);
    s.drop_malformed = drop_malformed.load(r);
    s.drop_no_neighbor = drop_no_neighbor.load(r);
    s.drop_no_mbuf = drop_no_mbuf.load(r);
    s.drop_kernel = drop_kernel.load(r);
    s.drop_oversize = drop_oversize.load(r);
    return s;
  }
};

}  // namespace sipwire::dataplane
