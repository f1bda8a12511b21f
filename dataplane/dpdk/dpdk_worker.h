// One lcore's poll loop, after DPDK's examples/l3fwd: receive a burst from the worker's own RX
// queue, classify each frame, give SIP datagrams to the shard (or, under shard affinity, to
// the ring of the worker whose shard owns them), answer or pass on ARP and neighbour
// discovery, pass everything else to the kernel's tap, then transmit the burst's replies.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/dpdk/dpdk_counters.h"
#include "dataplane/dpdk/dpdk_outbox.h"
#include "dataplane/dpdk/dpdk_shared.h"
#include "dataplane/packet_handler.h"
#include "dataplane/worker_counters.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

namespace sipwire::dataplane {

class DpdkWorker {
 public:
  // `direct`, `indirect` and `reassembly` belong to this worker (created on its NUMA socket).
  DpdkWorker(unsigned id, unsigned lcore, DpdkShared& shared, rte_mempool* direct,
             rte_mempool* indirect, rte_ip_frag_tbl* reassembly);
  ~DpdkWorker();

  // Polls until `stop` becomes true. On the worker's lcore.
  void run(PacketHandler& handler, const std::atomic<bool>& stop);
  // One pass of the loop: a burst from the port (and the tap), the handovers, the timers, the
  // transmit. Returns whether there was anything to do. (run() calls it; so does the
  // data-plane benchmark, which drives a worker without launching lcores.)
  bool poll_once(PacketHandler& handler);

  unsigned lcore() const { return lcore_; }
  rte_mempool* direct_pool() const { return direct_; }
  WorkerStats stats() const { return counters_.snapshot(); }
  DpdkStats dpdk_stats() const { return dpdk_.snapshot(); }

 private:
  // Consumes `m` (delivers, hands over, passes on, answers or drops it).
  void handle_frame(rte_mbuf* m, PacketHandler& handler, uint64_t now_tsc);
  // A SIP datagram in the single-segment mbuf `m`, classified as `info`: prepared by the
  // shard now, handled with the rest of the burst by flush_pending (the two passes of
  // PacketHandler::prepare).
  void deliver(rte_mbuf* m, const net::FrameInfo& info, PacketHandler& handler);
  // The second pass over the datagrams deliver prepared: handled, in the order they came.
  void flush_pending(PacketHandler& handler);
  // A chained mbuf (reassembled, or a frame larger than one buffer): copied into one buffer,
  // classified again and, when it is SIP for us, delivered from there, or handed over whole
  // to the worker whose shard owns it (`handed_in`: it comes from another worker, which
  // routed and classified it already).
  void deliver_chain(rte_mbuf* m, PacketHandler& handler, bool reassembled, bool handed_in = false);
  void to_kernel(rte_mbuf* m);
  void answer_neighbor(rte_mbuf* m, const net::FrameInfo& info);
  unsigned drain_handovers(PacketHandler& handler);
  void flush_kernel();

  unsigned id_;
  unsigned lcore_;
  DpdkShared& shared_;
  rte_mempool* direct_;
  rte_ip_frag_tbl* reassembly_;
  std::unique_ptr<rte_ip_frag_death_row> death_row_;

  WorkerCounters counters_;
  DpdkCounters dpdk_;
  DpdkOutbox outbox_;  // after the counters it refers to

  std::vector<rte_mbuf*> rx_;
  std::vector<rte_mbuf*> kernel_rx_;
  std::vector<rte_mbuf*> kernel_tx_;
  unsigned kernel_queued_ = 0;
  uint64_t tick_cycles_ = 0;
  uint64_t last_tick_ = 0;
  // Shard affinity: per destination worker, the mbufs of this burst it owns.
  std::vector<std::vector<rte_mbuf*>> handover_;
  std::unique_ptr<char[]> linear_;  // 64 KiB: one datagram copied out of a chain
  // Datagrams prepared and not handled yet (each holds its mbuf until it is handled).
  struct Pending {
    rte_mbuf* mbuf;
    std::string_view bytes;
    NetAddress source, destination;
  };
  std::array<Pending, PacketHandler::kBurstSlots> pending_;
  unsigned pending_count_ = 0;
};

}  // namespace sipwire::dataplane
