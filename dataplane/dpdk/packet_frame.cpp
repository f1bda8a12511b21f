#include "dataplane/dpdk/packet_frame.h"

#include "dataplane/dpdk/word_sum.h"

#include <algorithm>
#include <cstring>

namespace sipwire::dataplane::net {

namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
// 802.1Q, 802.1ad and the pre-standard QinQ tag.
constexpr uint16_t kEtherTypeVlan = 0x8100, kEtherTypeQinQ = 0x88a8, kEtherTypeQinQOld = 0x9100;

constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv6Fragment = 44;
constexpr uint8_t kProtoHopByHop = 0, kProtoDestinationOptions = 60;
// Extension headers walked before the upper layer; more go to the kernel (RFC 8200 §4.1 has
// at most a hop-by-hop and two destination options headers before a routing header).
constexpr int kMaxOptionHeaders = 3;
constexpr uint8_t kProtoIcmpv6 = 58;

constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;
constexpr uint8_t kNdOptionSourceLinkLayer = 1;
constexpr uint8_t kNdOptionTargetLinkLayer = 2;

constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6Header = 40;
constexpr std::size_t kIpv6FragmentHeader = 8;
constexpr std::size_t kUdpHeader = 8;
constexpr std::size_t kArpBody = 28;
constexpr std::size_t kNdBody = 24;  // type, code, checksum, flags/reserved, target address

// The Internet checksum's one's-complement sum (RFC 1071), over a stream given in pieces of
// any length. Each piece is summed 8 bytes at a time in the machine's byte order (RFC 1071
// §2(B): the sum is independent of byte order, so it is swapped once at the end), and a piece
// that starts at an odd position of the stream has its partial sum byte-swapped (§2(C)).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "OnesSum sums in little-endian order");

class OnesSum {
 public:
  void add(const uint8_t* p, std::size_t n) {
    // Pieces at odd positions are summed apart and swapped once at the end (swapping commutes
    // with the one's-complement sum), so a piece costs no fold: a forwarded message is a few
    // dozen pieces.
    (odd_ ? odd_sum_ : sum_) += native_sum(p, n);
    odd_ ^= (n & 1) != 0;
  }
  // Only at an even position in the stream (the pseudo-header's fields); `value` as it reads
  // in network order.
  void add16(uint16_t value) { sum_ += swap(value); }
  uint16_t folded() const {
    const uint32_t total = uint32_t{fold(sum_)} + swap(fold(odd_sum_));
    return swap(fold(total));
  }
  // What goes in a checksum field: the complement of the folded sum.
  uint16_t checksum() const { return static_cast<uint16_t>(~folded()); }

 private:
  static uint16_t swap(uint16_t v) { return static_cast<uint16_t>(v << 8 | v >> 8); }
  static uint16_t fold(uint64_t s) {
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
  }
  // Sum of the 16-bit words of p[0..n) read in the machine's order (little-endian here), the
  // last odd byte padded with zero; 32-bit words at a time, carries kept in the upper half.
  // Whole 32-byte blocks by sum_words32 (SIMD), then 8 bytes at a time: the software checksum
  // is per datagram sent on a port that cannot offload it.
  static uint64_t native_sum(const uint8_t* p, std::size_t n) {
    uint64_t s = 0;
    if (n >= 32) {
      const std::size_t blocks = n & ~std::size_t{31};
      s = sum_words32(p, blocks);
      p += blocks;
      n -= blocks;
    }
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      s += (w & 0xffffffff) + (w >> 32);
    }
    if (n >= 4) {
      uint32_t w;
      std::memcpy(&w, p, 4);
      s += w;
      p += 4;
      n -= 4;
    }
    if (n >= 2) {
      uint16_t w;
      std::memcpy(&w, p, 2);
      s += w;
      p += 2;
      n -= 2;
    }
    if (n == 1) s += p[0];  // the first byte of a word is its low byte in memory order
    return s;
  }

  uint64_t sum_ = 0;      // of the pieces that start at an even position
  uint64_t odd_sum_ = 0;  // of those that start at an odd one, in swapped byte order
  bool odd_ = false;
};

// The IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer packet of `length` bytes.
void add_ipv6_pseudo_header(OnesSum& sum, const uint8_t* source, const uint8_t* destination,
                            uint32_t length, uint8_t next_header) {
  sum.add(source, 16);
  sum.add(destination, 16);
  sum.add16(static_cast<uint16_t>(length >> 16));
  sum.add16(static_cast<uint16_t>(length));
  sum.add16(next_header);
}

// Written into the frame's FrameInfo field by field: assigned as a whole NetAddress, the
// constant bytes after the family (19 at an odd offset) are cleared with a `rep stosb`, whose
// start-up costs more than the rest of the classification.
void set_ipv4_address(NetAddress& a, const uint8_t* p) {
  a.family = NetAddress::Family::kIpv4;
  a.port = 0;
  std::memcpy(a.ip.data(), p, 4);
  std::memset(a.ip.data() + 4, 0, 12);
}

void set_ipv6_address(NetAddress& a, const uint8_t* p) {
  a.family = NetAddress::Family::kIpv6;
  a.port = 0;
  std::memcpy(a.ip.data(), p, 16);
}

MacAddress mac_at(const uint8_t* p) {
  MacAddress m;
  std::memcpy(m.bytes.data(), p, 6);
  return m;
}

bool is_unspecified_ipv6(const NetAddress& a) {
  return std::all_of(a.ip.begin(), a.ip.end(), [](uint8_t b) { return b == 0; });
}

FrameInfo& dropped(FrameInfo& info, const char* reason) {
  info.kind = FrameKind::kDrop;
  info.reason = reason;
  return info;
}

FrameInfo& with_kind(FrameInfo& info, FrameKind kind) {
  info.kind = kind;
  return info;
}

// The UDP header at info.l4_offset, with `ip_payload` bytes of IP payload behind it: ports into
// source/destination, the datagram's payload into payload_offset/length. False if the length
// field is inconsistent (a UDP length above the IP payload means a truncated datagram; below it,
// the rest is padding and ignored, as the kernel does).
bool parse_udp(const uint8_t* frame, std::size_t ip_payload, FrameInfo& info) {
  if (ip_payload < kUdpHeader) return false;
  const uint8_t* udp = frame + info.l4_offset;
  const uint16_t udp_length = load_be16(udp + 4);
  if (udp_length < kUdpHeader || udp_length > ip_payload) return false;
  info.source.port = load_be16(udp);
  info.destination.port = load_be16(udp + 2);
  info.payload_offset = static_cast<uint16_t>(info.l4_offset + kUdpHeader);
  info.payload_length = static_cast<uint16_t>(udp_length - kUdpHeader);
  return true;
}

FrameInfo& classify_arp(std::span<const uint8_t> frame, const LocalInterface& local,
                        FrameInfo& info) {
  info.l3_offset = kEthernetHeaderBytes;
  if (frame.size() < kEthernetHeaderBytes + kArpBody) return dropped(info, "truncated");
  const uint8_t* arp = frame.data() + kEthernetHeaderBytes;
  // Ethernet hardware, IPv4 protocol, address lengths 6 and 4: the only ARP there is here.
  if (load_be16(arp) != 1 || load_be16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4)
    return dropped(info, "bad arp");
  const uint16_t operation = load_be16(arp + 6);
  const MacAddress sender_mac = mac_at(arp + 8);
  // A group address as a sender would poison the neighbor table.
  if (sender_mac.is_multicast() || sender_mac.is_zero()) return dropped(info, "bad arp");
  set_ipv4_address(info.source, arp + 14);
  set_ipv4_address(info.destination, arp + 24);
  info.target_mac = sender_mac;
  if (operation == 1) {
    // Requests for other hosts' addresses are none of our business (and not the kernel's: it
    // does not own this port's addresses).
    if (!local.is_our_ip(info.destination)) return dropped(info, "arp not for us");
    info.target = info.destination;
    return with_kind(info, FrameKind::kArpRequest);
  }
  if (operation == 2) {
    info.target = info.source;
    return with_kind(info, FrameKind::kArpReply);
  }
  return dropped(info, "bad arp");
}

FrameInfo& classify_ipv4(std::span<const uint8_t> frame, const LocalInterface& local,
                         bool reassembled, FrameInfo& info) {
  info.l3_offset = kEthernetHeaderBytes;
  const std::size_t available = frame.size() - kEthernetHeaderBytes;
  if (available < kIpv4MinHeader) return dropped(info, "truncated");
  const uint8_t* ip = frame.data() + kEthernetHeaderBytes;
  const std::size_t header_length = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || header_length < kIpv4MinHeader) return dropped(info, "bad ipv4 header");
  if (available < header_length) return dropped(info, "truncated");
  const std::size_t total_length = load_be16(ip + 2);
  if (total_length < header_length) return dropped(info, "bad ipv4 length");
  // Beyond total_length is Ethernet padding (a short packet is padded to 60 bytes): ignored.
  if (total_length > available) return dropped(info, "truncated");
  if (!reassembled) {
    OnesSum sum;
    sum.add(ip, header_length);
    if (sum.folded() != 0xffff) return dropped(info, "bad ipv4 checksum");
  }
  set_ipv4_address(info.source, ip + 12);
  set_ipv4_address(info.destination, ip + 16);
  info.l4_offset = static_cast<uint16_t>(kEthernetHeaderBytes + header_length);

  // A group source is forged or broken; answering it would reach everyone.
  if (ip[12] >= 224) return dropped(info, "bad source address");
  const bool to_us = local.is_our_ip(info.destination);
  // Multicast (224/4), the limited broadcast (in the reserved 240/4, also the kernel's), and (as
  // far as we can tell without the prefix) a subnet broadcast: an IP that is not ours in a
  // broadcast or multicast Ethernet frame.
  const bool group = ip[16] >= 224 || info.destination_mac.is_multicast();
  if (!to_us && !group) return dropped(info, "not our ip");

  const bool fragment = (load_be16(ip + 6) & 0x3fff) != 0;  // MF or a fragment offset
  if (fragment) {
    if (reassembled) return dropped(info, "fragment after reassembly");
    return with_kind(info, to_us ? FrameKind::kIpv4Fragment : FrameKind::kKernel);
  }
  if (ip[9] == kProtoUdp) {
    if (!parse_udp(frame.data(), total_length - header_length, info))
      return dropped(info, "bad udp length");
    if (to_us && local.is_listen(info.destination)) return with_kind(info, FrameKind::kSip);
  }
  return with_kind(info, FrameKind::kKernel);
}

// A neighbor solicitation or advertisement (RFC 4861 §7.1 validation; the ICMPv6 message is
// `length` bytes at info.l4_offset).
FrameInfo& classify_neighbor_discovery(std::span<const uint8_t> frame, const LocalInterface& local,
                                       std::size_t length, FrameInfo& info) {
  const uint8_t* ip = frame.data() + info.l3_offset;
  const uint8_t* icmp = frame.data() + info.l4_offset;
  const bool solicitation = icmp[0] == kIcmpv6NeighborSolicitation;
  // Hop limit 255: the packet was not forwarded by a router, so it came from this link.
  if (ip[7] != 255 || icmp[1] != 0 || length < kNdBody) return dropped(info, "bad nd");
  OnesSum sum;
  add_ipv6_pseudo_header(sum, ip + 8, ip + 24, static_cast<uint32_t>(length), kProtoIcmpv6);
  sum.add(icmp, length);
  if (sum.folded() != 0xffff) return dropped(info, "bad icmpv6 checksum");
  if (icmp[8] == 0xff) return dropped(info, "bad nd");  // a multicast target

  // The link-layer address option: source (1) in an NS, target (2) in an NA. Every option is
  // checked for a zero length, which would make the walk endless (§7.1).
  const uint8_t wanted = solicitation ? kNdOptionSourceLinkLayer : kNdOptionTargetLinkLayer;
  info.target_mac = info.source_mac;
  for (std::size_t at = kNdBody; at < length;) {
    if (length - at < 2) return dropped(info, "bad nd");
    const std::size_t option_length = static_cast<std::size_t>(icmp[at + 1]) * 8;
    if (option_length == 0 || option_length > length - at) return dropped(info, "bad nd");
    if (icmp[at] == wanted && option_length == 8) info.target_mac = mac_at(icmp + at + 2);
    at += option_length;
  }
  if (info.target_mac.is_multicast() || info.target_mac.is_zero()) return dropped(info, "bad nd");

  set_ipv6_address(info.target, icmp + 8);
  if (!solicitation) return with_kind(info, FrameKind::kNeighborAdvertisement);
  // Solicitations for other hosts reach us on shared solicited-node groups: the kernel ignores
  // them as it would on its own interface.
  if (!local.is_our_ip(info.target)) return with_kind(info, FrameKind::kKernel);
  return with_kind(info, FrameKind::kNeighborSolicitation);
}

// Whether every option of a hop-by-hop or destination options header (its `n` bytes after the
// next-header and length bytes) may be skipped by a host that does not know it: Pad1, PadN,
// and any type whose two high bits are 00 (router alert, for one). The other types ask for
// the packet to be discarded, with or without an ICMP Parameter Problem (RFC 8200 §4.2): that is
// the kernel's to do, as is a malformed option.
bool options_may_be_skipped(const uint8_t* options, std::size_t n) {
  for (std::size_t at = 0; at < n;) {
    const uint8_t type = options[at];
    if (type == 0) {  // Pad1
      ++at;
      continue;
    }
    if ((type >> 6) != 0 || n - at < 2 || options[at + 1] > n - at - 2) return false;
    at += 2 + std::size_t{options[at + 1]};
  }
  return true;
}

FrameInfo& classify_ipv6(std::span<const uint8_t> frame, const LocalInterface& local,
                         bool reassembled, FrameInfo& info) {
  info.l3_offset = kEthernetHeaderBytes;
  const std::size_t available = frame.size() - kEthernetHeaderBytes;
  if (available < kIpv6Header) return dropped(info, "truncated");
  const uint8_t* ip = frame.data() + kEthernetHeaderBytes;
  if ((ip[0] >> 4) != 6) return dropped(info, "bad ipv6 header");
  // (A payload length of 0 announces a jumbogram: not on an Ethernet port; it is just empty.)
  const std::size_t payload_length = load_be16(ip + 4);
  if (kIpv6Header + payload_length > available) return dropped(info, "truncated");
  set_ipv6_address(info.source, ip + 8);
  set_ipv6_address(info.destination, ip + 24);
  info.l4_offset = static_cast<uint16_t>(kEthernetHeaderBytes + kIpv6Header);

  if (ip[8] == 0xff) return dropped(info, "bad source address");
  const bool to_us = local.is_our_ip(info.destination);
  if (!to_us && ip[24] != 0xff) return dropped(info, "not our ip");

  // UDP to us behind hop-by-hop and destination options headers whose options all may be
  // skipped is read as if they were not there (RFC 8200 §4: a host processes them, and
  // skipping is what it does with those options). Anything else behind extension headers (a
  // routing header, a fragment, ICMPv6 such as MLD with its router alert) goes to the kernel,
  // which walks the chain and acts on it.
  std::size_t upper_length = payload_length;  // what follows the headers looked into
  uint8_t next_header = ip[6];
  if (to_us && (next_header == kProtoHopByHop || next_header == kProtoDestinationOptions)) {
    std::size_t walked = 0;
    for (int n = 0;
         next_header == kProtoDestinationOptions || (next_header == kProtoHopByHop && n == 0);
         ++n) {
      if (n == kMaxOptionHeaders) return with_kind(info, FrameKind::kKernel);
      if (upper_length - walked < 8) return dropped(info, "truncated");
      const uint8_t* header = ip + kIpv6Header + walked;
      const std::size_t length = (std::size_t{header[1]} + 1) * 8;
      if (upper_length - walked < length) return dropped(info, "truncated");
      if (!options_may_be_skipped(header + 2, length - 2))
        return with_kind(info, FrameKind::kKernel);
      next_header = header[0];
      walked += length;
    }
    if (next_header != kProtoUdp) return with_kind(info, FrameKind::kKernel);
    info.l4_offset = static_cast<uint16_t>(info.l4_offset + walked);
    upper_length -= walked;
  }
  if (next_header == kProtoIpv6Fragment) {
    if (reassembled) return dropped(info, "fragment after reassembly");
    if (payload_length < kIpv6FragmentHeader) return dropped(info, "truncated");
    const uint8_t* fragment = ip + kIpv6Header;
    // An atomic fragment (offset 0, no more fragments; RFC 6946) carries a whole datagram and is
    // processed on its own, as if unfragmented: rte_ip_frag would hold it for the rest that
    // never comes. Hosts send them after a Packet Too Big below the IPv6 minimum MTU.
    if ((load_be16(fragment + 2) & 0xfff9) != 0 || fragment[0] != kProtoUdp)
      return with_kind(info, to_us ? FrameKind::kIpv6Fragment : FrameKind::kKernel);
    next_header = kProtoUdp;
    info.l4_offset = static_cast<uint16_t>(info.l4_offset + kIpv6FragmentHeader);
    upper_length -= kIpv6FragmentHeader;
  }
  switch (next_header) {
    case kProtoUdp:
      if (!parse_udp(frame.data(), upper_length, info)) return dropped(info, "bad udp length");
      if (to_us && local.is_listen(info.destination)) {
        // Over IPv6 the UDP checksum is not optional: a datagram without one (0) is discarded
        // (RFC 8200 §8.1).
        if (load_be16(frame.data() + info.l4_offset + 6) == 0)
          return dropped(info, "no udp checksum over ipv6");
        return with_kind(info, FrameKind::kSip);
      }
      return with_kind(info, FrameKind::kKernel);
    case kProtoIcmpv6: {
      if (payload_length < 4) return dropped(info, "truncated");
      const uint8_t type = frame[info.l4_offset];
      if (type == kIcmpv6NeighborSolicitation || type == kIcmpv6NeighborAdvertisement)
        return classify_neighbor_discovery(frame, local, payload_length, info);
      return with_kind(info, FrameKind::kKernel);
    }
    default:
      return with_kind(info, FrameKind::kKernel);
  }
}

FrameInfo classify(std::span<const uint8_t> frame, const LocalInterface& local, bool reassembled) {
  FrameInfo info;
  if (frame.size() < kEthernetHeaderBytes) return dropped(info, "truncated");
  info.destination_mac = mac_at(frame.data());
  info.source_mac = mac_at(frame.data() + 6);
  if (info.source_mac.is_multicast()) return dropped(info, "bad source mac");
  // In promiscuous mode, or on a switch still flooding, unicast frames for other hosts arrive.
  if (!info.destination_mac.is_multicast() && info.destination_mac != local.mac)
    return dropped(info, "not our mac");
  switch (load_be16(frame.data() + 12)) {
    case kEtherTypeIpv4:
      return classify_ipv4(frame, local, reassembled, info);
    case kEtherTypeIpv6:
      return classify_ipv6(frame, local, reassembled, info);
    case kEtherTypeArp:
      return classify_arp(frame, local, info);
    case kEtherTypeVlan:
    case kEtherTypeQinQ:
    case kEtherTypeQinQOld:
      // Another VLAN's (a port with [dpdk] vlan takes its own tag off before this), or a tag
      // inside ours.
      return dropped(info, "not our vlan");
    default:
      // LLDP, STP, 802.3 length frames...: nothing the SIP host answers. Handing them to the
      // kernel's side of the port could make it answer on a link it does not manage.
      return dropped(info, "unknown ethertype");
  }
}

bool same_ip(const NetAddress& a, const NetAddress& b) {
  if (a.family != b.family) return false;
  // Fixed sizes, so the compiler compares in registers instead of calling memcmp (every
  // received frame asks twice, every sent one once).
  if (a.family == NetAddress::Family::kIpv4) return std::memcmp(a.ip.data(), b.ip.data(), 4) == 0;
  return std::memcmp(a.ip.data(), b.ip.data(), 16) == 0;
}

uint8_t* write_ethernet(uint8_t* out, const MacAddress& src, const MacAddress& dst,
                        uint16_t ether_type) {
  std::memcpy(out, dst.bytes.data(), 6);
  std::memcpy(out + 6, src.bytes.data(), 6);
  store_be16(out + 12, ether_type);
  return out + kEthernetHeaderBytes;
}

// An ARP packet (after the Ethernet header), zero-padded to the minimum frame.
void write_arp(uint8_t* arp, uint16_t operation, const MacAddress& sender_mac,
               const uint8_t* sender_ip, const MacAddress& target_mac, const uint8_t* target_ip) {
  store_be16(arp, 1);
  store_be16(arp + 2, kEtherTypeIpv4);
  arp[4] = 6;
  arp[5] = 4;
  store_be16(arp + 6, operation);
  std::memcpy(arp + 8, sender_mac.bytes.data(), 6);
  std::memcpy(arp + 14, sender_ip, 4);
  std::memcpy(arp + 18, target_mac.bytes.data(), 6);
  std::memcpy(arp + 24, target_ip, 4);
  std::memset(arp + kArpBody, 0, kArpFrameBytes - kEthernetHeaderBytes - kArpBody);
}

// An NS or NA with one link-layer address option: the IPv6 header, the message, the checksum.
std::size_t write_neighbor_message(uint8_t* out, const MacAddress& our_mac,
                                   const MacAddress& dst_mac, const uint8_t* src_ip,
                                   const uint8_t* dst_ip, uint8_t type, uint32_t flags,
                                   const uint8_t* target, uint8_t option) {
  uint8_t* ip = write_ethernet(out, our_mac, dst_mac, kEtherTypeIpv6);
  constexpr std::size_t kLength = kNdBody + 8;
  ip[0] = 0x60;
  ip[1] = ip[2] = ip[3] = 0;
  store_be16(ip + 4, kLength);
  ip[6] = kProtoIcmpv6;
  ip[7] = 255;  // RFC 4861: receivers drop ND packets whose hop limit is not 255
  std::memcpy(ip + 8, src_ip, 16);
  std::memcpy(ip + 24, dst_ip, 16);
  uint8_t* icmp = ip + kIpv6Header;
  icmp[0] = type;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be16(icmp + 4, static_cast<uint16_t>(flags >> 16));
  store_be16(icmp + 6, static_cast<uint16_t>(flags));
  std::memcpy(icmp + 8, target, 16);
  icmp[24] = option;
  icmp[25] = 1;  // in units of 8 bytes
  std::memcpy(icmp + 26, our_mac.bytes.data(), 6);
  OnesSum sum;
  add_ipv6_pseudo_header(sum, src_ip, dst_ip, kLength, kProtoIcmpv6);
  sum.add(icmp, kLength);
  store_be16(icmp + 2, sum.checksum());
  return kNeighborFrameBytes;
}

}  // namespace

bool LocalInterface::is_our_ip(const NetAddress& ip) const {
  return std::any_of(listen.begin(), listen.end(),
                     [&](const NetAddress& l) { return same_ip(l, ip); });
}

bool LocalInterface::is_listen(const NetAddress& ip_port) const {
  return std::any_of(listen.begin(), listen.end(), [&](const NetAddress& l) {
    return l.port == ip_port.port && same_ip(l, ip_port);
  });
}

FrameInfo classify_frame(std::span<const uint8_t> frame, const LocalInterface& local) {
  return classify(frame, local, false);
}

FrameInfo classify_reassembled(std::span<const uint8_t> frame, const LocalInterface& local) {
  return classify(frame, local, true);
}

uint16_t ipv4_header_checksum(const uint8_t* header, std::size_t header_length) {
  OnesSum sum;
  sum.add(header, 10);
  sum.add(header + 12, header_length - 12);
  return sum.checksum();
}

std::size_t write_udp_headers(uint8_t* out, const MacAddress& src, const MacAddress& dst,
                              const NetAddress& from, const NetAddress& to,
                              std::size_t payload_length, uint16_t ip_id) {
  if (from.family != to.family || !from.valid()) return 0;
  const bool v4 = from.family == NetAddress::Family::kIpv4;
  const std::size_t ip_header = v4 ? kIpv4MinHeader : kIpv6Header;
  // The IPv4 total length counts the IP header, the IPv6 payload length does not.
  if (payload_length + kUdpHeader + (v4 ? ip_header : 0) > 0xffff) return 0;
  const auto udp_length = static_cast<uint16_t>(kUdpHeader + payload_length);

  uint8_t* ip = write_ethernet(out, src, dst, v4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
  if (v4) {
    ip[0] = 0x45;  // version 4, no options
    ip[1] = 0;     // DSCP/ECN: best effort
    store_be16(ip + 2, static_cast<uint16_t>(ip_header + udp_length));
    store_be16(ip + 4, ip_id);
    store_be16(ip + 6, 0);  // DF clear, not a fragment
    ip[8] = 64;
    ip[9] = kProtoUdp;
    std::memcpy(ip + 12, from.ip.data(), 4);
    std::memcpy(ip + 16, to.ip.data(), 4);
    store_be16(ip + 10, ipv4_header_checksum(ip, kIpv4MinHeader));
  } else {
    ip[0] = 0x60;  // version 6, traffic class and flow label 0
    ip[1] = ip[2] = ip[3] = 0;
    store_be16(ip + 4, udp_length);
    ip[6] = kProtoUdp;
    ip[7] = 64;
    std::memcpy(ip + 8, from.ip.data(), 16);
    std::memcpy(ip + 24, to.ip.data(), 16);
  }
  uint8_t* udp = ip + ip_header;
  store_be16(udp, from.port);
  store_be16(udp + 2, to.port);
  store_be16(udp + 4, udp_length);
  store_be16(udp + 6, 0);
  return static_cast<std::size_t>(udp + kUdpHeader - out);
}

uint16_t udp_checksum(const NetAddress& from, const NetAddress& to, const uint8_t* udp_header,
                      std::span<const std::string_view> payload) {
  if (from.family != to.family || !from.valid()) return 0;
  const uint16_t udp_length = load_be16(udp_header + 4);
  OnesSum sum;
  if (from.family == NetAddress::Family::kIpv4) {
    sum.add(from.ip.data(), 4);
    sum.add(to.ip.data(), 4);
    sum.add16(kProtoUdp);
    sum.add16(udp_length);
  } else {
    add_ipv6_pseudo_header(sum, from.ip.data(), to.ip.data(), udp_length, kProtoUdp);
  }
  sum.add(udp_header, 6);  // ports and length; the checksum field counts as 0
  for (std::string_view segment : payload)
    sum.add(reinterpret_cast<const uint8_t*>(segment.data()), segment.size());
  const uint16_t checksum = sum.checksum();
  // 0 would mean "not computed"; 0xFFFF is the same value in one's complement (RFC 768).
  return checksum == 0 ? 0xffff : checksum;
}

bool udp_checksum_ok(std::span<const uint8_t> frame, const FrameInfo& sip) {
  const uint8_t* udp = frame.data() + sip.payload_offset - 8;
  const uint16_t stored = load_be16(udp + 6);
  if (stored == 0) return sip.source.family == NetAddress::Family::kIpv4;
  const std::string_view payload[] = {
      {reinterpret_cast<const char*>(frame.data()) + sip.payload_offset, sip.payload_length}};
  // udp_checksum skips the field, and writes a computed 0 as 0xFFFF, as a sender does.
  return udp_checksum(sip.source, sip.destination, udp, payload) == stored;
}

std::size_t write_arp_reply(uint8_t* out, const FrameInfo& request, const MacAddress& our_mac) {
  if (request.kind != FrameKind::kArpRequest) return 0;
  uint8_t* arp = write_ethernet(out, our_mac, request.target_mac, kEtherTypeArp);
  write_arp(arp, 2, our_mac, request.target.ip.data(), request.target_mac,
            request.source.ip.data());
  return kArpFrameBytes;
}

std::size_t write_arp_request(uint8_t* out, const MacAddress& our_mac, const NetAddress& our_ip,
                              const NetAddress& target_ip) {
  if (our_ip.family != NetAddress::Family::kIpv4 || target_ip.family != NetAddress::Family::kIpv4)
    return 0;
  uint8_t* arp = write_ethernet(out, our_mac, MacAddress::broadcast(), kEtherTypeArp);
  // The target hardware address is what is asked for: zero (RFC 826 leaves it unspecified).
  write_arp(arp, 1, our_mac, our_ip.ip.data(), MacAddress{}, target_ip.ip.data());
  return kArpFrameBytes;
}

std::size_t write_neighbor_announcement(uint8_t* out, const MacAddress& our_mac,
                                        const NetAddress& our_ip) {
  if (!our_ip.is_ipv6()) return write_arp_request(out, our_mac, our_ip, our_ip);
  constexpr uint32_t kOverride = 0x20000000;
  static constexpr uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return write_neighbor_message(out, our_mac, MacAddress{{0x33, 0x33, 0, 0, 0, 1}},
                                our_ip.ip.data(), kAllNodes, kIcmpv6NeighborAdvertisement,
                                kOverride, our_ip.ip.data(), kNdOptionTargetLinkLayer);
}

std::size_t write_neighbor_advertisement(uint8_t* out, const FrameInfo& solicitation,
                                         const MacAddress& our_mac) {
  if (solicitation.kind != FrameKind::kNeighborSolicitation) return 0;
  constexpr uint32_t kSolicited = 0x40000000, kOverride = 0x20000000;
  if (is_unspecified_ipv6(solicitation.source)) {
    // Duplicate address detection: the solicitor has no address yet, so the answer goes to
    // all-nodes without Solicited (RFC 4861 §7.2.4): the unsolicited advertisement itself.
    return write_neighbor_announcement(out, our_mac, solicitation.target);
  }
  return write_neighbor_message(out, our_mac, solicitation.target_mac,
                                solicitation.target.ip.data(), solicitation.source.ip.data(),
                                kIcmpv6NeighborAdvertisement, kSolicited | kOverride,
                                solicitation.target.ip.data(), kNdOptionTargetLinkLayer);
}

std::size_t write_neighbor_solicitation(uint8_t* out, const MacAddress& our_mac,
                                        const NetAddress& our_ip, const NetAddress& target_ip) {
  if (our_ip.family != NetAddress::Family::kIpv6 || target_ip.family != NetAddress::Family::kIpv6)
    return 0;
  // The solicited-node group ff02::1:ffXX:XXXX of the target's low 24 bits, and its MAC
  // 33:33 + the group's low 32 bits (RFC 4291 §2.7.1, RFC 2464 §7).
  const uint8_t* t = target_ip.ip.data();
  const uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15]};
  const MacAddress group_mac{{0x33, 0x33, 0xff, t[13], t[14], t[15]}};
  return write_neighbor_message(out, our_mac, group_mac, our_ip.ip.data(), group,
                                kIcmpv6NeighborSolicitation, 0, t, kNdOptionSourceLinkLayer);
}

}  // namespace sipwire::dataplane::net
