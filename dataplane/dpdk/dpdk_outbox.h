// The DPDK backend's Outbox: builds each datagram as an mbuf chain and queues it on the
// lcore's TX queue. The first mbuf holds the Ethernet, IP and UDP headers and any short or
// inserted text (copied); a segment that lies in the received mbuf is sent from it, no copy:
// the piece that runs to the datagram's end in the received mbuf itself, others through
// indirect mbufs referring to it (a reference count each). A datagram over the MTU is fragmented
// (rte_ip_frag) on the way out. Checksums are computed in software over the segments, so any
// port (veth through af_packet, tap, a NIC) gets correct ones.
#pragma once

#include <rte_mbuf.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "dataplane/dpdk/burst_neighbors.h"
#include "dataplane/dpdk/dpdk_counters.h"
#include "dataplane/dpdk/dpdk_shared.h"
#include "dataplane/scratch_arena.h"
#include "sipwire/engine/outbox.h"

namespace sipwire::dataplane {

class DpdkOutbox final : public Outbox {
 public:
  static constexpr std::size_t kMaxDatagram = 65507;
  static constexpr unsigned kQueueCapacity = 512;

  DpdkOutbox(const DpdkShared& shared, uint16_t queue, rte_mempool* direct, rte_mempool* indirect,
             std::size_t scratch_bytes, WorkerCounters& counters, DpdkCounters& dpdk);
  ~DpdkOutbox() override;

  char* scratch(std::size_t bytes) override;
  void scratch_used(const char* block, std::size_t used) override {
    arena_.shrink_last(block, used);
  }
  bool send_from(const NetAddress& from, const NetAddress& to,
                 std::span<const std::string_view> segments) override;

  // The datagram being handled: segments inside [begin, end) may be sent by reference to
  // `mbuf` (null: copy everything), and replies leave from `local`.
  void set_ingress(rte_mbuf* mbuf, const char* begin, const char* end, const NetAddress& local) {
    ingress_mbuf_ = mbuf;
    ingress_begin_ = begin;
    ingress_end_ = end;
    ingress_local_ = local;
    ingress_linked_ = false;
  }
  void clear_ingress() { set_ingress(nullptr, nullptr, nullptr, NetAddress{}); }

  // A ready frame (ARP reply, a frame from the kernel) for the port.
  void queue_frame(rte_mbuf* frame);
  // Transmits what is queued; the scratch arena is reset only with reset_scratch = true (after
  // the handler returned).
  void flush(bool reset_scratch = true);

  unsigned queued() const { return queued_; }

  // The shared neighbour table as this lcore sees it in the current burst; the worker learns
  // through it too, and calls new_burst() before each burst.
  net::BurstNeighbors& neighbors() { return neighbors_; }

  // Datagrams sent to one of our own addresses (a registration whose contact is the proxy, a
  // spiral): they never reach the wire; the worker takes them as received frames on its next
  // pass, as the kernel's loopback does for the socket backend.
  std::span<rte_mbuf* const> looped() const { return {looped_.data(), looped_count_}; }
  void clear_looped() { looped_count_ = 0; }

  // Asks for the MAC of `next_hop` (ARP request or neighbour solicitation), from `source`.
  void solicit(const NetAddress& next_hop, const NetAddress& source);
  // Announces our MAC for each of our listen addresses (an ARP announcement or an unsolicited
  // neighbour advertisement each, net::write_neighbor_announcement).
  void announce();

  // Datagrams waiting for their next hop's MAC, as the kernel's ARP queue holds them: the
  // first datagram to a new next hop is not lost to the resolution (a SIP client would only
  // retransmit it after T1, 500 ms). kMaxHeld per lcore; each is held for the options'
  // neighbor_hold_ms at most.
  static constexpr std::size_t kMaxHeld = 64;
  std::size_t held() const { return held_count_; }
  // Sends the held datagrams whose next hop has been learnt since; drops (drop_no_neighbor)
  // those held longer than neighbor_hold_ms. `now_tsc`: rte_rdtsc().
  void release_held(uint64_t now_tsc);

 private:
  // Appends `bytes` to the chain ending at `tail` (copying), growing it with direct mbufs.
  bool append_copy(rte_mbuf* head, rte_mbuf*& tail, std::string_view bytes);
  // `last_piece`: nothing follows it in the frame (the received mbuf itself may then be linked).
  bool append_reference(rte_mbuf* head, rte_mbuf*& tail, std::string_view bytes, bool last_piece);
  void fragment_and_queue(rte_mbuf* packet, bool ipv6);
  // Zeros after a frame shorter than the shortest Ethernet frame (an IPv4 fragment with a few
  // bytes of the datagram): a segment of its own, since the frame's last one may be a
  // reference to received data. False when no mbuf is left.
  bool pad_short_frame(rte_mbuf* frame);

  const DpdkShared& shared_;
  uint16_t queue_;
  rte_mempool* direct_;
  rte_mempool* indirect_;
  WorkerCounters& counters_;
  DpdkCounters& dpdk_;

  rte_mbuf* ingress_mbuf_ = nullptr;
  const char* ingress_begin_ = nullptr;
  const char* ingress_end_ = nullptr;
  NetAddress ingress_local_;
  bool ingress_linked_ = false;  // the received mbuf is a segment of a frame sent already

  // Parks a built frame (destination MAC not yet written) until `hop` is resolved.
  void hold(rte_mbuf* frame, const NetAddress& hop, const NetAddress& from, bool fragmenting,
            bool ipv6);
  // Writes the destination MAC and queues the frame (fragmenting it if it must be).
  void dispatch(rte_mbuf* frame, const net::MacAddress& mac, bool fragmenting, bool ipv6);
  // Asks a next hop whose entry is stale (NeighborTable) for its MAC again, rate-limited.
  void probe(const NetAddress& hop, const NetAddress& from);

  // The next hops this lcore probed last, and when (NeighborTable's milliseconds).
  struct Probe {
    NetAddress hop;
    uint32_t at_ms = 0;
  };
  std::array<Probe, 8> probes_{};
  std::size_t probe_next_ = 0;

  struct Held {
    rte_mbuf* frame = nullptr;
    NetAddress hop;
    uint64_t since_tsc = 0;
    bool fragmenting = false;
    bool ipv6 = false;
  };
  std::array<Held, kMaxHeld> held_{};
  std::size_t held_count_ = 0;
  uint64_t hold_tsc_;  // neighbor_hold_ms in TSC cycles

  std::array<rte_mbuf*, kQueueCapacity> queue_frames_{};
  std::array<rte_mbuf*, 64> looped_{};
  std::size_t looped_count_ = 0;
  unsigned queued_ = 0;
  // Fragment identification (IPv4's 16 bits, IPv6's 32): a receiver reassembles by source,
  // destination and id, and every worker sends from our one address, so each worker draws from
  // its own residue class: ids queue, queue + stride, ... with stride the worker count rounded up
  // to a power of two (which divides 2^16, so the classes stay apart when the counter wraps).
  // RFC 6864 for IPv4, RFC 8200 §4.5 for IPv6.
  uint32_t next_id_;
  uint32_t id_stride_;
  uint32_t take_id() {
    const uint32_t id = next_id_;
    next_id_ += id_stride_;
    return id;
  }

  ScratchArena arena_;
  net::BurstNeighbors neighbors_;
};

}  // namespace sipwire::dataplane
