#include "dataplane/dpdk/dpdk_outbox.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_udp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "dataplane/dpdk/vlan_tag.h"

namespace sipwire::dataplane {
namespace {

// The same next hop: family and the address's own bytes (4 for IPv4: a NetAddress may carry
// anything in the other 12), whatever the port.
bool same_ip(const NetAddress& a, const NetAddress& b) {
  const std::size_t n = a.is_ipv6() ? 16 : 4;
  return a.family == b.family && std::memcmp(a.ip.data(), b.ip.data(), n) == 0;
}

// Below this length a piece of the received message is copied rather than referred to: an
// indirect mbuf costs an allocation from the pool and an atomic reference count, which is
// dearer than copying a short run of bytes that sits in cache already.
constexpr std::size_t kReferenceMin = 128;
// The most fragments one datagram becomes (64 KiB over a 576-byte MTU needs 120).
constexpr unsigned kMaxFragments = 128;
constexpr std::size_t kEthernetBytes = 14;

// The UDP checksum of a frame of several segments (the datagram starts `header_bytes` into
// the first), summed over the segments as built; over the pieces it was made of instead when
// the chain has more segments than the array holds (a long copied piece fills several).
uint16_t checksum_segments(const rte_mbuf* head, std::size_t header_bytes, const NetAddress& from,
                           const NetAddress& to, const uint8_t* udp,
                           std::span<const std::string_view> pieces) {
  std::array<std::string_view, Outbox::kMaxSegments + 1> runs;
  std::size_t n = 0;
  for (const rte_mbuf* m = head; m != nullptr && n < runs.size(); m = m->next) {
    const std::size_t skip = m == head ? header_bytes : 0;
    runs[n++] = {rte_pktmbuf_mtod_offset(m, const char*, skip), m->data_len - skip};
  }
  const std::span<const std::string_view> payload =
      n == head->nb_segs ? std::span<const std::string_view>(runs.data(), n) : pieces;
  return net::udp_checksum(from, to, udp, payload);
}

// Appends `bytes` to the direct mbuf `tail` (last of the chain `head`), which has the room.
inline void put_in_tail(rte_mbuf* head, rte_mbuf* tail, std::string_view bytes) {
  std::memcpy(rte_pktmbuf_mtod_offset(tail, char*, tail->data_len), bytes.data(), bytes.size());
  tail->data_len = static_cast<uint16_t>(tail->data_len + bytes.size());
  head->pkt_len += static_cast<uint32_t>(bytes.size());
}

}  // namespace

DpdkOutbox::DpdkOutbox(const DpdkShared& shared, uint16_t queue, rte_mempool* direct,
                       rte_mempool* indirect, std::size_t scratch_bytes, WorkerCounters& counters,
                       DpdkCounters& dpdk)
    : shared_(shared),
      queue_(queue),
      direct_(direct),
      indirect_(indirect),
      counters_(counters),
      dpdk_(dpdk),
      hold_tsc_(rte_get_tsc_hz() / 1000 * shared.options.neighbor_hold_ms),
      next_id_(queue),
      id_stride_(std::bit_ceil(std::max(shared.options.workers, 1u))),
      arena_(scratch_bytes),
      neighbors_(*shared.neighbors) {}

DpdkOutbox::~DpdkOutbox() {
  for (std::size_t i = 0; i < held_count_; ++i) rte_pktmbuf_free(held_[i].frame);
  for (unsigned i = 0; i < queued_; ++i) rte_pktmbuf_free(queue_frames_[i]);
  for (std::size_t i = 0; i < looped_count_; ++i) rte_pktmbuf_free(looped_[i]);
}

char* DpdkOutbox::scratch(std::size_t bytes) {
  char* p = arena_.take(bytes);
  if (p == nullptr) bump(counters_.scratch_exhausted);
  return p;
}

bool DpdkOutbox::append_copy(rte_mbuf* head, rte_mbuf*& tail, std::string_view bytes) {
  while (!bytes.empty()) {
    // An indirect tail refers to a received buffer, which must not be written: start a new
    // direct mbuf after it. (A received mbuf linked itself is a frame's last piece: nothing is
    // ever copied after it.)
    if (!RTE_MBUF_DIRECT(tail) || rte_pktmbuf_tailroom(tail) == 0) {
      rte_mbuf* next = rte_pktmbuf_alloc(direct_);
      if (next == nullptr) return false;
      tail->next = next;
      tail = next;
      ++head->nb_segs;
    }
    const std::size_t n = std::min<std::size_t>(rte_pktmbuf_tailroom(tail), bytes.size());
    put_in_tail(head, tail, bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  return true;
}

bool DpdkOutbox::append_reference(rte_mbuf* head, rte_mbuf*& tail, std::string_view bytes,
                                  bool last_piece) {
  rte_mbuf* segment;
  if (last_piece && !ingress_linked_ && bytes.data() + bytes.size() == ingress_end_ &&
      RTE_MBUF_DIRECT(ingress_mbuf_)) {
    // The piece that runs to the end of the received datagram (a forward's body and the
    // headers after the last edit) goes out in the received mbuf itself, as l2fwd sends what
    // it receives: no indirect mbuf to take from a pool and attach, and none to detach when
    // the port is done. Only its data offset and length change, not a byte, so the message
    // the engine reads stays intact. One chain per received mbuf: a second frame (a forked
    // branch) refers to it by an indirect mbuf. The extra reference keeps it from the worker's
    // free after the handler; the port's free after transmission returns it. Only as the
    // frame's last piece: that free walks the chain on from the mbuf it frees, and would take
    // with it an mbuf appended after this one.
    segment = ingress_mbuf_;
    rte_mbuf_refcnt_update(segment, 1);
    ingress_linked_ = true;
  } else {
    segment = rte_pktmbuf_alloc(indirect_);
    if (segment == nullptr) return false;
    rte_pktmbuf_attach(segment, ingress_mbuf_);
  }
  segment->data_off =
      static_cast<uint16_t>(bytes.data() - static_cast<const char*>(segment->buf_addr));
  segment->data_len = static_cast<uint16_t>(bytes.size());
  segment->pkt_len = static_cast<uint32_t>(bytes.size());
  tail->next = segment;
  tail = segment;
  ++head->nb_segs;
  head->pkt_len += static_cast<uint32_t>(bytes.size());
  return true;
}

bool DpdkOutbox::send_from(const NetAddress& asked, const NetAddress& to,
                           std::span<const std::string_view> segments) {
  std::size_t total = 0;
  for (const std::string_view s : segments) total += s.size();
  const NetAddress from =
      shared_.source_for(to, shared_.listens_at(asked) ? asked : ingress_local_);
  if (segments.size() > kMaxSegments || total > kMaxDatagram || !from.valid()) {
    bump(counters_.tx_refused);
    return false;
  }
  const bool loop = shared_.local.is_our_ip(to);
  const NetAddress hop = shared_.next_hop(to);
  bool stale = false;
  const std::optional<net::MacAddress> mac =
      loop ? std::optional<net::MacAddress>(shared_.mac) : neighbors_.find(hop, &stale);
  if (stale) probe(hop, from);  // sent to the MAC we know, and the neighbour asked again
  if (!mac && held_count_ == kMaxHeld) {
    // Resolution is pending for many datagrams already: ask, and lose this one (SIP over UDP
    // retransmits, the client or our own transaction).
    solicit(hop, from);
    bump(dpdk_.drop_no_neighbor);
    return true;
  }

  rte_mbuf* head = rte_pktmbuf_alloc(direct_);
  if (head == nullptr) {
    bump(dpdk_.drop_no_mbuf);
    return true;
  }
  const bool ipv6 = to.is_ipv6();
  const std::size_t header_bytes = ipv6 ? net::kUdpIpv6HeaderBytes : net::kUdpIpv4HeaderBytes;
  auto* header = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(head, header_bytes));
  rte_mbuf* tail = head;
  uint64_t copied = 0, referenced = 0;
  bool ok = header != nullptr;
  // By reference only where the frame may leave as a chain (a looped-back frame never leaves).
  const bool by_reference = ingress_mbuf_ != nullptr && (shared_.tx_multi_segment || loop);
  for (std::size_t i = 0; ok && i < segments.size(); ++i) {
    const std::string_view s = segments[i];
    if (by_reference && s.size() >= kReferenceMin && s.data() >= ingress_begin_ &&
        s.data() + s.size() <= ingress_end_) {
      ok = append_reference(head, tail, s, i + 1 == segments.size());
      referenced += s.size();
    } else {
      // Nearly always the tail is the head itself, direct, with room for the piece (the copied
      // pieces are the edited header text, some hundreds of bytes in all): copied inline. A
      // forwarded request has ten or so pieces, and the general loop's call cost ~50
      // instructions each.
      if (RTE_MBUF_DIRECT(tail) && rte_pktmbuf_tailroom(tail) >= s.size()) {
        put_in_tail(head, tail, s);
      } else {
        ok = append_copy(head, tail, s);
      }
      copied += s.size();
    }
  }
  if (!ok) {
    rte_pktmbuf_free(head);
    bump(dpdk_.drop_no_mbuf);
    return true;
  }
  net::write_udp_headers(header, shared_.mac, mac.value_or(net::MacAddress{}), from, to, total,
                         static_cast<uint16_t>(take_id()));
  uint8_t* udp = header + header_bytes - 8;
  const bool fragmenting = header_bytes - kEthernetBytes + total > shared_.options.mtu;
  if (shared_.tx_checksum_offload && !loop && !fragmenting) {
    // The port sums the datagram; it wants the pseudo-header's sum in the UDP field and the
    // IPv4 header checksum zero.
    head->l2_len = kEthernetBytes;
    head->l3_len = static_cast<uint16_t>(header_bytes - kEthernetBytes - 8);
    if (ipv6) {
      head->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
      auto* ip = reinterpret_cast<rte_ipv6_hdr*>(header + kEthernetBytes);
      reinterpret_cast<rte_udp_hdr*>(udp)->dgram_cksum = rte_ipv6_phdr_cksum(ip, head->ol_flags);
    } else {
      head->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
      auto* ip = reinterpret_cast<rte_ipv4_hdr*>(header + kEthernetBytes);
      ip->hdr_checksum = 0;
      reinterpret_cast<rte_udp_hdr*>(udp)->dgram_cksum = rte_ipv4_phdr_cksum(ip, head->ol_flags);
    }
  } else {
    // Summed over the frame as built, not over the pieces: the copied pieces lie one after
    // another in the first segments, so a handful of long runs replaces up to 16 short ones,
    // each with its own head and tail to handle. Nearly every frame is one segment: its one run
    // is summed without the array, which would be zeroed first (272 bytes, a rep stos).
    if (head->next == nullptr) {
      const std::string_view run(rte_pktmbuf_mtod_offset(head, const char*, header_bytes),
                                 head->data_len - header_bytes);
      net::store_be16(udp + 6, net::udp_checksum(from, to, udp, {&run, 1}));
    } else {
      net::store_be16(udp + 6, checksum_segments(head, header_bytes, from, to, udp, segments));
    }
  }
  bump(dpdk_.copied_bytes, copied);
  bump(dpdk_.referenced_bytes, referenced);
  bump(counters_.tx_datagrams);
  bump(counters_.tx_bytes, total);

  if (loop) {
    if (looped_count_ == looped_.size()) {
      rte_pktmbuf_free(head);
      bump(dpdk_.tx_full);
    } else {
      looped_[looped_count_++] = head;
    }
  } else if (!mac) {
    hold(head, hop, from, fragmenting, ipv6);
  } else if (fragmenting) {
    fragment_and_queue(head, ipv6);
  } else {
    queue_frame(head);
  }
  return true;
}

void DpdkOutbox::hold(rte_mbuf* frame, const NetAddress& hop, const NetAddress& from,
                      bool fragmenting, bool ipv6) {
  // One request per next hop while datagrams wait for it: the first held one asks.
  bool asked = false;
  for (std::size_t i = 0; i < held_count_ && !asked; ++i) asked = same_ip(held_[i].hop, hop);
  if (!asked) solicit(hop, from);
  held_[held_count_++] = Held{frame, hop, rte_rdtsc(), fragmenting, ipv6};
  bump(dpdk_.neighbor_held);
}

void DpdkOutbox::probe(const NetAddress& hop, const NetAddress& from) {
  // Once per eighth of the reachable time per next hop from this lcore, so a stale entry
  // gets a few requests (as the kernel's unicast probes) before it expires, not one per
  // datagram.
  const uint32_t now = neighbors_.now_ms();
  const uint32_t interval = std::max<uint32_t>(neighbors_.reachable_ms() / 8, 1);
  Probe* slot = &probes_[probe_next_];
  for (Probe& p : probes_) {
    if (same_ip(p.hop, hop)) {
      if (now - p.at_ms < interval) return;
      slot = &p;
      break;
    }
  }
  if (slot == &probes_[probe_next_]) probe_next_ = (probe_next_ + 1) % probes_.size();
  *slot = Probe{hop, now};
  solicit(hop, from);
}

void DpdkOutbox::dispatch(rte_mbuf* frame, const net::MacAddress& mac, bool fragmenting,
                          bool ipv6) {
  std::copy(mac.bytes.begin(), mac.bytes.end(), rte_pktmbuf_mtod(frame, uint8_t*));
  if (fragmenting)
    fragment_and_queue(frame, ipv6);
  else
    queue_frame(frame);
}

void DpdkOutbox::release_held(uint64_t now_tsc) {
  // Compacting as it goes: held datagrams leave in the order they were held. (One sent after
  // the answer was learnt, in the same pass, may leave before them: UDP promises no order.)
  std::size_t kept = 0;
  for (std::size_t i = 0; i < held_count_; ++i) {
    Held& h = held_[i];
    if (const std::optional<net::MacAddress> mac = neighbors_.find(h.hop)) {
      dispatch(h.frame, *mac, h.fragmenting, h.ipv6);
    } else if (now_tsc > h.since_tsc && now_tsc - h.since_tsc > hold_tsc_) {
      rte_pktmbuf_free(h.frame);
      bump(dpdk_.drop_no_neighbor);
    } else {
      held_[kept++] = h;
    }
  }
  held_count_ = kept;
}

void DpdkOutbox::fragment_and_queue(rte_mbuf* packet, bool ipv6) {
  // The Ethernet header comes off, rte_ip_frag splits the IP packet (each fragment: a new
  // header mbuf plus indirect mbufs over the original's data), and each fragment gets the
  // Ethernet header back.
  uint8_t ethernet[kEthernetBytes];
  std::memcpy(ethernet, rte_pktmbuf_mtod(packet, uint8_t*), kEthernetBytes);
  rte_pktmbuf_adj(packet, kEthernetBytes);
  rte_mbuf* fragments[kMaxFragments];
  const uint16_t mtu = static_cast<uint16_t>(shared_.options.mtu);
  const int32_t n =
      ipv6 ? rte_ipv6_fragment_packet(packet, fragments, kMaxFragments, mtu, direct_, indirect_)
           : rte_ipv4_fragment_packet(packet, fragments, kMaxFragments, mtu, direct_, indirect_);
  rte_pktmbuf_free(packet);
  if (n < 0) {
    bump(n == -ENOMEM ? dpdk_.drop_no_mbuf : dpdk_.drop_oversize);
    return;
  }
  // rte_ipv6_fragment_packet leaves the fragment header's identification 0 (an IPv6 header has
  // none for it to copy): each datagram gets its own here.
  const rte_be32_t ipv6_id = ipv6 ? rte_cpu_to_be_32(take_id()) : 0;
  for (int32_t i = 0; i < n; ++i) {
    rte_mbuf* f = fragments[i];
    if (ipv6) {
      auto* ip = rte_pktmbuf_mtod(f, rte_ipv6_hdr*);
      rte_ipv6_frag_get_ipv6_fragment_header(ip)->id = ipv6_id;
    } else {
      auto* ip = rte_pktmbuf_mtod(f, rte_ipv4_hdr*);
      ip->hdr_checksum = 0;
      ip->hdr_checksum = rte_ipv4_cksum(ip);
    }
    auto* eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(f, kEthernetBytes));
    if (eth == nullptr) {
      rte_pktmbuf_free(f);
      bump(dpdk_.drop_no_mbuf);
      continue;
    }
    std::memcpy(eth, ethernet, kEthernetBytes);
    if (f->pkt_len < net::kMinFrameBytes && !pad_short_frame(f)) [[unlikely]] {
      rte_pktmbuf_free(f);
      bump(dpdk_.drop_no_mbuf);
      continue;
    }
    bump(dpdk_.fragments_out);
    queue_frame(f);
  }
}

bool DpdkOutbox::pad_short_frame(rte_mbuf* frame) {
  const auto missing = static_cast<uint16_t>(net::kMinFrameBytes - frame->pkt_len);
  rte_mbuf* zeros = rte_pktmbuf_alloc(direct_);
  if (zeros == nullptr) return false;
  std::memset(rte_pktmbuf_append(zeros, missing), 0, missing);
  if (rte_pktmbuf_chain(frame, zeros) != 0) {
    rte_pktmbuf_free(zeros);
    return false;
  }
  return true;
}

void DpdkOutbox::solicit(const NetAddress& next_hop, const NetAddress& source) {
  rte_mbuf* m = rte_pktmbuf_alloc(direct_);
  if (m == nullptr) {
    bump(dpdk_.drop_no_mbuf);
    return;
  }
  auto* out = rte_pktmbuf_mtod(m, uint8_t*);
  const std::size_t n = next_hop.is_ipv6()
                            ? net::write_neighbor_solicitation(out, shared_.mac, source, next_hop)
                            : net::write_arp_request(out, shared_.mac, source, next_hop);
  m->data_len = static_cast<uint16_t>(n);
  m->pkt_len = static_cast<uint32_t>(n);
  bump(dpdk_.neighbor_requests);
  queue_frame(m);
}

void DpdkOutbox::announce() {
  const std::vector<NetAddress>& listen = shared_.options.listen;
  for (std::size_t i = 0; i < listen.size(); ++i) {
    // Once per address, whatever the ports on it.
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) seen = same_ip(listen[j], listen[i]);
    if (seen) continue;
    rte_mbuf* m = rte_pktmbuf_alloc(direct_);
    if (m == nullptr) {
      bump(dpdk_.drop_no_mbuf);
      return;
    }
    const std::size_t n =
        net::write_neighbor_announcement(rte_pktmbuf_mtod(m, uint8_t*), shared_.mac, listen[i]);
    m->data_len = static_cast<uint16_t>(n);
    m->pkt_len = static_cast<uint32_t>(n);
    bump(dpdk_.neighbor_announced);
    queue_frame(m);
  }
}

void DpdkOutbox::queue_frame(rte_mbuf* frame) {
  // A port without multi-segment TX gets one mbuf per frame: a fragment (a header mbuf and
  // indirect data), or a datagram longer than one mbuf before fragmentation, is copied into
  // its first segment, which has the room for an MTU-sized frame.
  if (frame->nb_segs > 1 && !shared_.tx_multi_segment) {
    if (rte_pktmbuf_linearize(frame) != 0) {
      rte_pktmbuf_free(frame);
      bump(dpdk_.drop_oversize);
      return;
    }
    bump(dpdk_.linearized);
  }
  // On a VLAN, the tag goes on last, whoever built the frame (vlan_tag.h).
  if (shared_.options.vlan != 0 &&
      !put_vlan_tag(&frame, static_cast<uint16_t>(shared_.options.vlan), shared_.tx_vlan_insert)) {
    rte_pktmbuf_free(frame);
    bump(dpdk_.drop_no_mbuf);
    return;
  }
  if (queued_ == kQueueCapacity) flush(false);
  queue_frames_[queued_++] = frame;
}

void DpdkOutbox::flush(bool reset_scratch) {
  unsigned sent = 0;
  // A full TX ring takes what it can; a few more tries, then the rest is dropped and counted
  // (waiting longer would stall the receive side).
  for (int attempt = 0; attempt < 4 && sent < queued_; ++attempt)
    sent += rte_eth_tx_burst(shared_.port, queue_, queue_frames_.data() + sent,
                             static_cast<uint16_t>(queued_ - sent));
  bump(dpdk_.tx_frames, sent);
  if (sent < queued_) {
    bump(dpdk_.tx_full, queued_ - sent);
    rte_pktmbuf_free_bulk(queue_frames_.data() + sent, queued_ - sent);
  }
  queued_ = 0;
  if (reset_scratch) arena_.reset();
}

}  // namespace sipwire::dataplane
