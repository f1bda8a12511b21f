#include "dataplane/dpdk/dpdk_worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "dataplane/dpdk/vlan_tag.h"
#include "dataplane/shard_router.h"

namespace sipwire::dataplane {
namespace {

constexpr std::size_t kLinearBytes = 65536;
constexpr std::size_t kEthernetBytes = 14;

// Whether a SIP datagram's checksums hold, as the kernel checks them before a socket sees the
// datagram (RFC 1122 §4.1.3.4): what fails is dropped. With RX checksum offload the port gives
// its verdict in the flags: BAD, or GOOD, or for the UDP checksum NONE (the data was verified
// and the field left unfinished, as virtio hands over a local sender's datagram). Where it
// gives none (UNKNOWN: a port without offload, a reassembled datagram) the UDP checksum is
// summed here, unless `verify` is off; classify_frame has checked the IPv4 header checksum.
bool checksums_ok(uint64_t ol_flags, std::span<const uint8_t> frame, const net::FrameInfo& sip,
                  bool verify) {
  if ((ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD) return false;
  switch (ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
    case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
    case RTE_MBUF_F_RX_L4_CKSUM_NONE:
      return true;
    case RTE_MBUF_F_RX_L4_CKSUM_BAD:
      return false;
    default:
      return !verify || net::udp_checksum_ok(frame, sip);
  }
}

bool is_not_ours(const char* reason) {
  return std::strncmp(reason, "not ", 4) == 0;
}

}  // namespace

DpdkWorker::DpdkWorker(unsigned id, unsigned lcore, DpdkShared& shared, rte_mempool* direct,
                       rte_mempool* indirect, rte_ip_frag_tbl* reassembly)
    : id_(id),
      lcore_(lcore),
      shared_(shared),
      direct_(direct),
      reassembly_(reassembly),
      death_row_(std::make_unique<rte_ip_frag_death_row>()),
      outbox_(shared, static_cast<uint16_t>(id), direct, indirect,
              ScratchArena::bytes_for(shared.options.scratch_bytes, shared.options.burst),
              counters_, dpdk_),
      rx_(shared.options.burst),
      kernel_rx_(shared.options.burst),
      kernel_tx_(2 * shared.options.burst),
      handover_(shared.options.workers),
      linear_(std::make_unique_for_overwrite<char[]>(kLinearBytes)) {
  death_row_->cnt = 0;
  tick_cycles_ = rte_get_tsc_hz() / 1000;
  last_tick_ = rte_rdtsc();
  // Room for a whole burst and the looped-back frames, so push_back never allocates.
  for (auto& h : handover_) h.reserve(shared.options.burst + 64);
}

DpdkWorker::~DpdkWorker() {
  rte_ip_frag_free_death_row(death_row_.get(), 0);
  if (kernel_queued_ != 0) rte_pktmbuf_free_bulk(kernel_tx_.data(), kernel_queued_);
}

void DpdkWorker::run(PacketHandler& handler, const std::atomic<bool>& stop) {
  unsigned idle = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    if (poll_once(handler)) {
      idle = 0;
    } else if (shared_.options.idle_sleep_us != 0 &&
               ++idle >= shared_.options.idle_polls_before_sleep) {
      // Only when there has been nothing to do for a while: a syscall here costs no packet.
      rte_delay_us_sleep(shared_.options.idle_sleep_us);
    }
  }
}

bool DpdkWorker::poll_once(PacketHandler& handler) {
  const uint16_t port = shared_.port;
  const auto queue = static_cast<uint16_t>(id_);
  const auto burst = static_cast<uint16_t>(rx_.size());
  const uint16_t n = rte_eth_rx_burst(port, queue, rx_.data(), burst);
  const uint64_t now = rte_rdtsc();
  // The neighbour table's clock: milliseconds (a division per pass, not per packet).
  outbox_.neighbors().new_burst(static_cast<uint32_t>(now / tick_cycles_));
  uint16_t from_kernel = 0;
  if (shared_.tap) {
    // The kernel's own traffic (ARP, ICMP, TCP of the control plane) leaves by the port.
    from_kernel = rte_eth_rx_burst(*shared_.tap, queue, kernel_rx_.data(), burst);
    for (uint16_t i = 0; i < from_kernel; ++i) outbox_.queue_frame(kernel_rx_[i]);
    bump(dpdk_.from_kernel, from_kernel);
  }
  // Our MAC for our addresses, told to the link: a neighbour that had another MAC for one of
  // them (the host that held it before us) updates now. One load per pass, not per frame.
  if (id_ == 0 && shared_.announce.load(std::memory_order_relaxed) &&
      shared_.announce.exchange(false, std::memory_order_relaxed))
    outbox_.announce();
  // What the last pass sent to ourselves, first (it was sent before this burst arrived).
  const std::size_t looped_count = outbox_.looped().size();
  if (n != 0 || looped_count != 0) handler.on_burst();
  if (looped_count != 0) {
    std::array<rte_mbuf*, 64> looped;
    std::copy(outbox_.looped().begin(), outbox_.looped().end(), looped.begin());
    outbox_.clear_looped();
    for (std::size_t i = 0; i < looped_count; ++i) handle_frame(looped[i], handler, now);
  }
  if (n != 0) {
    bump(dpdk_.rx_frames, n);
    bump(counters_.batches);
    const auto vlan = static_cast<uint16_t>(shared_.options.vlan);
    for (uint16_t i = 0; i < n; ++i) {
      if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(rx_[i + 1], void*));
      // On a VLAN, the tag comes off here, before anything looks at the frame (vlan_tag.h).
      if (vlan != 0 && !take_vlan_tag(rx_[i], vlan)) {
        bump(dpdk_.drop_not_ours);
        rte_pktmbuf_free(rx_[i]);
        continue;
      }
      handle_frame(rx_[i], handler, now);
    }
    if (death_row_->cnt != 0) rte_ip_frag_free_death_row(death_row_.get(), 3);
  }
  if (pending_count_ != 0) flush_pending(handler);
  unsigned handed_in = 0;
  if (shared_.options.shard_affinity && shared_.options.workers > 1) {
    for (unsigned w = 0; w < handover_.size(); ++w) {
      std::vector<rte_mbuf*>& out = handover_[w];
      if (out.empty()) continue;
      rte_ring* ring = shared_.rings[id_ * shared_.options.workers + w];
      const unsigned queued =
          rte_ring_sp_enqueue_burst(ring, reinterpret_cast<void* const*>(out.data()),
                                    static_cast<unsigned>(out.size()), nullptr);
      bump(counters_.handovers_out, queued);
      if (queued < out.size()) {
        bump(counters_.handover_drops, out.size() - queued);
        rte_pktmbuf_free_bulk(out.data() + queued, static_cast<unsigned>(out.size() - queued));
      }
      out.clear();
    }
    handed_in = drain_handovers(handler);
  }
  // Datagrams waiting for a next hop's MAC: this pass may have learnt it (an ARP reply).
  if (outbox_.held() != 0) outbox_.release_held(rte_rdtsc());
  const bool busy = n != 0 || from_kernel != 0 || handed_in != 0 || looped_count != 0 ||
                    outbox_.queued() != 0 || !outbox_.looped().empty();
  // Timers at least every millisecond, and after each burst (the stateful proxy's tick also
  // recycles message slots).
  if (busy || now - last_tick_ >= tick_cycles_) {
    handler.on_tick(outbox_);
    last_tick_ = now;
  }
  outbox_.flush();
  flush_kernel();
  return busy;
}

void DpdkWorker::handle_frame(rte_mbuf* m, PacketHandler& handler, uint64_t now_tsc) {
  if (m->nb_segs > 1) {
    deliver_chain(m, handler, false);
    return;
  }
  const std::span<const uint8_t> frame(rte_pktmbuf_mtod(m, const uint8_t*), m->data_len);
  const net::FrameInfo info = net::classify_frame(frame, shared_.local);
  switch (info.kind) {
    case net::FrameKind::kSip: {
      if (!checksums_ok(m->ol_flags, frame, info, shared_.options.verify_udp_checksums)) {
        bump(dpdk_.drop_malformed);
        rte_pktmbuf_free(m);
        return;
      }
      // Learn who sent it (or the router it came through, when no gateway is configured): our
      // reply goes back to that MAC. From beyond a configured gateway, nothing to learn.
      if (shared_.is_own_next_hop(info.source))
        outbox_.neighbors().learn(info.source, info.source_mac);
      if (shared_.options.shard_affinity && shared_.options.workers > 1) {
        const std::string_view payload(
            reinterpret_cast<const char*>(frame.data()) + info.payload_offset, info.payload_length);
        const unsigned owner = route_datagram(payload, shared_.options.workers, id_);
        if (owner != id_) {
          handover_[owner].push_back(m);
          return;
        }
      }
      deliver(m, info, handler);
      return;
    }
    case net::FrameKind::kIpv4Fragment:
    case net::FrameKind::kIpv6Fragment: {
      if (shared_.is_own_next_hop(info.source))
        outbox_.neighbors().learn(info.source, info.source_mac);
      m->l2_len = kEthernetBytes;
      m->l3_len = static_cast<uint16_t>(info.l4_offset - info.l3_offset);
      rte_mbuf* whole = nullptr;
      if (info.kind == net::FrameKind::kIpv4Fragment) {
        auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, kEthernetBytes);
        whole = rte_ipv4_frag_reassemble_packet(reassembly_, death_row_.get(), m, now_tsc, ip);
      } else {
        auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv6_hdr*, kEthernetBytes);
        rte_ipv6_fragment_ext* fragment = rte_ipv6_frag_get_ipv6_fragment_header(ip);
        if (fragment == nullptr) {  // an extension header before it: not followed here
          bump(dpdk_.drop_malformed);
          rte_pktmbuf_free(m);
          return;
        }
        m->l3_len = sizeof(rte_ipv6_hdr) + sizeof(rte_ipv6_fragment_ext);
        whole = rte_ipv6_frag_reassemble_packet(reassembly_, death_row_.get(), m, now_tsc, ip,
                                                fragment);
      }
      if (death_row_->cnt >= RTE_IP_FRAG_DEATH_ROW_MBUF_LEN - RTE_LIBRTE_IP_FRAG_MAX_FRAG - 1)
        rte_ip_frag_free_death_row(death_row_.get(), 0);
      if (whole == nullptr) return;  // kept until the rest arrives (or freed on death row)
      bump(dpdk_.reassembled);
      deliver_chain(whole, handler, true);
      return;
    }
    case net::FrameKind::kArpRequest:
    case net::FrameKind::kNeighborSolicitation:
      if (info.source.valid()) outbox_.neighbors().learn(info.source, info.source_mac);
      if (shared_.tap) {
        to_kernel(m);  // the kernel answers, with our MAC (the tap carries it)
      } else {
        answer_neighbor(m, info);
      }
      return;
    case net::FrameKind::kArpReply:
    case net::FrameKind::kNeighborAdvertisement:
      outbox_.neighbors().learn(info.target, info.target_mac);
      if (shared_.tap) {
        to_kernel(m);  // the kernel may have asked too
      } else {
        rte_pktmbuf_free(m);
      }
      return;
    case net::FrameKind::kKernel:
      if (shared_.tap) {
        to_kernel(m);
      } else {
        bump(dpdk_.drop_kernel);
        rte_pktmbuf_free(m);
      }
      return;
    case net::FrameKind::kDrop:
      bump(is_not_ours(info.reason) ? dpdk_.drop_not_ours : dpdk_.drop_malformed);
      rte_pktmbuf_free(m);
      return;
  }
  rte_pktmbuf_free(m);
}

void DpdkWorker::deliver(rte_mbuf* m, const net::FrameInfo& info, PacketHandler& handler) {
  if (pending_count_ == pending_.size()) flush_pending(handler);
  const char* payload = rte_pktmbuf_mtod_offset(m, const char*, info.payload_offset);
  Pending& p = pending_[pending_count_];
  p = {m, std::string_view(payload, info.payload_length), info.source, info.destination};
  handler.prepare(pending_count_, p.bytes);
  ++pending_count_;
}

void DpdkWorker::flush_pending(PacketHandler& handler) {
  for (unsigned i = 0; i < pending_count_; ++i) {
    const Pending& p = pending_[i];
    outbox_.set_ingress(p.mbuf, p.bytes.data(), p.bytes.data() + p.bytes.size(), p.destination);
    bump(counters_.rx_datagrams);
    bump(counters_.rx_bytes, p.bytes.size());
    handler.on_prepared(i, p.bytes, p.source, p.destination, outbox_);
    outbox_.clear_ingress();
    // What was sent holds its own references (indirect mbufs) or copies: the frame can go.
    rte_pktmbuf_free(p.mbuf);
  }
  pending_count_ = 0;
}

void DpdkWorker::deliver_chain(rte_mbuf* m, PacketHandler& handler, bool reassembled,
                               bool handed_in) {
  // What came before it is handled before it.
  if (pending_count_ != 0) flush_pending(handler);
  if (m->pkt_len > kLinearBytes) {
    bump(dpdk_.drop_oversize);
    rte_pktmbuf_free(m);
    return;
  }
  const auto* bytes =
      static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, m->pkt_len, linear_.get()));
  if (bytes != reinterpret_cast<const uint8_t*>(linear_.get()))
    std::memcpy(linear_.get(), bytes, m->pkt_len);
  const std::size_t length = m->pkt_len;
  bump(dpdk_.linearized);
  const std::span<const uint8_t> frame(reinterpret_cast<const uint8_t*>(linear_.get()), length);
  // Reassembled (the IPv4 header checksum is stale: rte_ip_frag leaves it to offload), or a
  // frame longer than one mbuf. A chain handed in was classified by the worker that read it.
  const net::FrameInfo info = reassembled || handed_in
                                  ? net::classify_reassembled(frame, shared_.local)
                                  : net::classify_frame(frame, shared_.local);
  if (info.kind != net::FrameKind::kSip) {
    // A reassembled datagram for another port of ours (or anything else): the kernel would
    // have to get the fragments, which are gone. Counted, dropped.
    bump(info.kind == net::FrameKind::kDrop ? dpdk_.drop_malformed : dpdk_.drop_kernel);
    rte_pktmbuf_free(m);
    return;
  }
  // A frame longer than one mbuf, as the port received it, or a reassembled datagram (no port
  // verdict on its UDP checksum). One handed in was checked by the worker that read it.
  if (!handed_in && !checksums_ok(reassembled ? 0 : m->ol_flags, frame, info,
                                  shared_.options.verify_udp_checksums)) {
    bump(dpdk_.drop_malformed);
    rte_pktmbuf_free(m);
    return;
  }
  if (shared_.is_own_next_hop(info.source)) outbox_.neighbors().learn(info.source, info.source_mac);
  // Another shard's: the chain itself goes through the ring (the owner linearizes it again),
  // so a fragmented request and its retransmissions meet one transaction.
  if (!handed_in && shared_.options.shard_affinity && shared_.options.workers > 1) {
    const std::string_view payload(linear_.get() + info.payload_offset, info.payload_length);
    const unsigned owner = route_datagram(payload, shared_.options.workers, id_);
    if (owner != id_) {
      handover_[owner].push_back(m);
      return;
    }
  }
  rte_pktmbuf_free(m);
  const char* payload = linear_.get() + info.payload_offset;
  outbox_.set_ingress(nullptr, nullptr, nullptr, info.destination);
  bump(counters_.rx_datagrams);
  bump(counters_.rx_bytes, info.payload_length);
  handler.on_datagram(std::string_view(payload, info.payload_length), info.source, info.destination,
                      outbox_);
  outbox_.clear_ingress();
}

unsigned DpdkWorker::drain_handovers(PacketHandler& handler) {
  unsigned total = 0;
  rte_mbuf* in[64];
  for (unsigned w = 0; w < shared_.options.workers; ++w) {
    if (w == id_) continue;
    rte_ring* ring = shared_.rings[w * shared_.options.workers + id_];
    const unsigned n = rte_ring_sc_dequeue_burst(ring, reinterpret_cast<void**>(in), 64, nullptr);
    if (n != 0 && total == 0) handler.on_burst();
    bump(counters_.handovers_in, n);
    total += n;
    for (unsigned i = 0; i < n; ++i) {
      if (in[i]->nb_segs > 1) {  // a reassembled datagram, or a frame longer than one mbuf
        deliver_chain(in[i], handler, false, /*handed_in=*/true);
        continue;
      }
      const std::span<const uint8_t> frame(rte_pktmbuf_mtod(in[i], const uint8_t*),
                                           in[i]->data_len);
      const net::FrameInfo info = net::classify_frame(frame, shared_.local);
      if (info.kind == net::FrameKind::kSip) {
        deliver(in[i], info, handler);
      } else {
        rte_pktmbuf_free(in[i]);
      }
    }
  }
  if (pending_count_ != 0) flush_pending(handler);
  return total;
}

void DpdkWorker::to_kernel(rte_mbuf* m) {
  if (kernel_queued_ == kernel_tx_.size()) flush_kernel();
  kernel_tx_[kernel_queued_++] = m;
}

void DpdkWorker::flush_kernel() {
  if (kernel_queued_ == 0) return;
  const uint16_t sent = rte_eth_tx_burst(*shared_.tap, static_cast<uint16_t>(id_),
                                         kernel_tx_.data(), static_cast<uint16_t>(kernel_queued_));
  bump(dpdk_.to_kernel, sent);
  if (sent < kernel_queued_) {
    bump(dpdk_.tx_full, kernel_queued_ - sent);
    rte_pktmbuf_free_bulk(kernel_tx_.data() + sent, kernel_queued_ - sent);
  }
  kernel_queued_ = 0;
}

void DpdkWorker::answer_neighbor(rte_mbuf* m, const net::FrameInfo& info) {
  rte_mbuf* reply = rte_pktmbuf_alloc(direct_);
  if (reply == nullptr) {
    bump(dpdk_.drop_no_mbuf);
    rte_pktmbuf_free(m);
    return;
  }
  auto* out = rte_pktmbuf_mtod(reply, uint8_t*);
  const std::size_t n = info.kind == net::FrameKind::kArpRequest
                            ? net::write_arp_reply(out, info, shared_.mac)
                            : net::write_neighbor_advertisement(out, info, shared_.mac);
  reply->data_len = static_cast<uint16_t>(n);
  reply->pkt_len = static_cast<uint32_t>(n);
  rte_pktmbuf_free(m);
  bump(dpdk_.arp_answered);
  outbox_.queue_frame(reply);
}

}  // namespace sipwire::dataplane
