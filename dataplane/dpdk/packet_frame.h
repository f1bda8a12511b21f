// The DPDK data plane's per-packet protocol code, on byte spans only: classifying a received
// Ethernet frame (SIP datagram, fragment, ARP, neighbor discovery, for the kernel, or drop) and
// writing the headers of the frames the port sends (UDP, ARP, NS/NA). Nothing here includes DPDK,
// so it is unit-tested with hand-written frames and no EAL.
//
// Per-packet rules: no allocation, no exceptions, no locks, no syscalls. Errors are values: a
// frame that cannot be used is FrameKind::kDrop with a static reason string (counted per reason
// by the caller); a builder given inconsistent arguments writes nothing and returns 0.
//
// Untagged Ethernet II only: the port is expected to be an access port (or the NIC strips the
// VLAN tag), so a tagged frame is dropped rather than half-handled.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/dpdk/mac_address.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane::net {

// What the port owns. `listen` holds concrete addresses (a wildcard 0.0.0.0 or :: means nothing
// here: the port must know its IPs to answer ARP and neighbor solicitations).
struct LocalInterface {
  MacAddress mac;
  std::span<const NetAddress> listen;  // our SIP listen addresses (ip + UDP port), v4 and/or v6

  // Whether `ip` is one of ours: compares the family and the address, not the port.
  bool is_our_ip(const NetAddress& ip) const;
  // Whether `ip_port` is one of our listen addresses: family, address and port.
  bool is_listen(const NetAddress& ip_port) const;
};

enum class FrameKind : uint8_t {
  kSip,                    // UDP to one of our listen ip:port, unfragmented, lengths consistent
  kIpv4Fragment,           // an IPv4 fragment (MF set or offset != 0) to one of our IPs
  kIpv6Fragment,           // an IPv6 packet whose next header is Fragment (44), to one of our IPs
  kArpRequest,             // an ARP request whose target IP is one of our IPv4 addresses
  kArpReply,               // any ARP reply (learn the sender's MAC)
  kNeighborSolicitation,   // an ICMPv6 NS whose target is one of our IPv6 addresses
  kNeighborAdvertisement,  // an ICMPv6 NA (learn)
  kKernel,                 // other IP traffic to our IPs, and broadcast/multicast IP traffic
  kDrop,                   // malformed, or not for this host: see FrameInfo::reason
};

struct FrameInfo {
  FrameKind kind = FrameKind::kDrop;
  MacAddress source_mac, destination_mac;  // from the Ethernet header
  // IP source and destination and, for UDP (not for fragments), the ports (0 otherwise). ARP:
  // the sender and target protocol addresses.
  NetAddress source, destination;
  // Offsets from the start of the frame. l4_offset: the first byte after the IPv4 header (with
  // its options) or after the fixed IPv6 header (for kIpv6Fragment: the Fragment header; for
  // kSip: the UDP header, after any hop-by-hop and destination options headers).
  // payload: the UDP payload for kSip (the SIP message).
  uint16_t l3_offset = 0, l4_offset = 0, payload_offset = 0, payload_length = 0;
  // ARP request / NS: the IP asked about (ours). ARP reply / NA: the sender's IP.
  NetAddress target;
  // The sender's link-layer address, where the answer goes and what a table learns: ARP: the
  // sender hardware address (request and reply); NS: the source link-layer option, else the
  // Ethernet source; NA: the target link-layer option, else the Ethernet source.
  MacAddress target_mac;
  // For kDrop: a short static string ("truncated", "bad ipv4 checksum", "not our mac", ...),
  // stable per cause, so callers can count drops by reason (even keyed by the pointer).
  const char* reason = "";
};

// Classifies a received frame (Ethernet header first; padding after the IP packet ignored).
// Checks: Ethernet destination ours, broadcast or multicast; IPv4 version, IHL, total length and
// header checksum; UDP length; IPv6 payload length; ARP and neighbor discovery formats (ND also:
// hop limit 255, code 0 and the ICMPv6 checksum, RFC 4861 §7.1). The UDP checksum is not summed
// here: the NIC verifies it where it can, and the worker sums it (udp_checksum_ok) where the NIC
// gives no verdict. Only its absence over IPv6 is checked: a SIP datagram there without one is
// dropped (RFC 8200 §8.1).
FrameInfo classify_frame(std::span<const uint8_t> frame, const LocalInterface& local);

// Whether the UDP checksum of a datagram classify_frame (or classify_reassembled) found to be
// kSip holds, summed over the pseudo-header, the UDP header and the payload. A checksum of 0
// over IPv4 means the sender computed none: it holds (RFC 768).
bool udp_checksum_ok(std::span<const uint8_t> frame, const FrameInfo& sip);

// Classifies a packet the reassembler put back together (Ethernet header still in front): as
// classify_frame, except that the IPv4 header checksum is not checked, because reassemblers
// rewrite the header (total length, fragment bits) and may leave the checksum stale or zero (DPDK's
// sets it to 0 and marks the mbuf for checksum offload); each fragment's header checksum was
// checked when it arrived. A packet that still carries fragment bits or a Fragment header is
// dropped ("fragment after reassembly"), so it never loops back to the reassembler.
// (A reassembled IPv4 packet with a recomputed checksum classifies with classify_frame too.)
FrameInfo classify_reassembled(std::span<const uint8_t> frame, const LocalInterface& local);

// The IPv4 header checksum over `header_length` bytes, computed with the checksum field taken as
// 0, in host order (the header holds it big-endian). Also a way to repair a reassembled header.
uint16_t ipv4_header_checksum(const uint8_t* header, std::size_t header_length);

inline void store_be16(uint8_t* out, uint16_t value) {
  out[0] = static_cast<uint8_t>(value >> 8);
  out[1] = static_cast<uint8_t>(value);
}
inline uint16_t load_be16(const uint8_t* in) {
  return static_cast<uint16_t>(in[0] << 8 | in[1]);
}

constexpr std::size_t kEthernetHeaderBytes = 14;
constexpr std::size_t kUdpIpv4HeaderBytes = 14 + 20 + 8, kUdpIpv6HeaderBytes = 14 + 40 + 8;
// The shortest Ethernet frame without the FCS. Shorter frames are padded to it before they
// leave (ARP frames are written so, the last fragment of a datagram gets zeros after it), because
// not every NIC (or virtual device) pads short frames on transmit, and a receiver drops a runt.
constexpr std::size_t kMinFrameBytes = 60;
constexpr std::size_t kArpFrameBytes = kMinFrameBytes;
// Ethernet + IPv6 + NS/NA (24) + one link-layer address option (8).
constexpr std::size_t kNeighborFrameBytes = 14 + 40 + 24 + 8;

// Writes the Ethernet, IPv4 or IPv6 (by from.family) and UDP headers for a payload of
// `payload_length` bytes at `out` (kUdpIpv4HeaderBytes or kUdpIpv6HeaderBytes of room); returns
// the bytes written, or 0 if from and to are not of one IP family or the payload does not fit an
// IP packet. IPv4: DF clear (a router on a smaller-MTU path may fragment a large SIP datagram
// rather than drop it), TTL 64, id `ip_id`, header checksum computed. IPv6: hop limit 64,
// `ip_id` unused. The UDP checksum field is left 0: the caller fills it with udp_checksum or has
// the NIC compute it (over IPv6 a checksum is mandatory, RFC 8200 §8.1).
std::size_t write_udp_headers(uint8_t* out, const MacAddress& src, const MacAddress& dst,
                              const NetAddress& from, const NetAddress& to,
                              std::size_t payload_length, uint16_t ip_id);

// The UDP checksum (pseudo-header, the UDP header and the payload), in host order, as it goes in
// the header: store it big-endian at udp_header + 6 (store_be16). A computed 0 is returned as
// 0xFFFF (0 on the wire means "no checksum"). `udp_header` points at the 8 header bytes already
// written (its length field is used; its checksum field is skipped, so it may hold anything). The
// payload is given as segments of any lengths, odd ones included (a message assembled from
// pieces is summed where it lies). 0 if from and to are not of one IP family.
uint16_t udp_checksum(const NetAddress& from, const NetAddress& to, const uint8_t* udp_header,
                      std::span<const std::string_view> payload);

// An ARP reply to `request` (a kArpRequest FrameInfo): from our_mac with the IP it asked about,
// to the requester's hardware and protocol addresses. Writes kArpFrameBytes (zero-padded);
// returns them, or 0 if `request` is not a kArpRequest.
std::size_t write_arp_reply(uint8_t* out, const FrameInfo& request, const MacAddress& our_mac);

// A broadcast ARP request asking for target_ip's MAC. Writes kArpFrameBytes (zero-padded);
// returns them, or 0 unless both addresses are IPv4.
std::size_t write_arp_request(uint8_t* out, const MacAddress& our_mac, const NetAddress& our_ip,
                              const NetAddress& target_ip);

// Tells the link that `our_ip` is at `our_mac`, so that neighbours holding an old MAC for it
// (another host had the address before: a standby taking over, a replaced server) update their
// caches now rather than after their entry times out. IPv4: an ARP announcement (RFC 5227 §2.3: a
// broadcast request whose sender and target IP are both ours). IPv6: an unsolicited neighbour
// advertisement to all-nodes with the Override flag and the target link-layer option (RFC 4861
// §7.2.6). Writes kArpFrameBytes or kNeighborFrameBytes and returns them.
std::size_t write_neighbor_announcement(uint8_t* out, const MacAddress& our_mac,
                                        const NetAddress& our_ip);

// A neighbor advertisement answering `solicitation` (a kNeighborSolicitation FrameInfo): flags
// Solicited and Override (not Router), the target link-layer option with our_mac, hop limit 255,
// ICMPv6 checksum. To the solicitor's IP and link-layer address; a solicitation from the
// unspecified address (duplicate address detection) is answered to all-nodes (ff02::1) without
// the Solicited flag (RFC 4861 §7.2.4). Writes kNeighborFrameBytes; 0 if not a solicitation.
std::size_t write_neighbor_advertisement(uint8_t* out, const FrameInfo& solicitation,
                                         const MacAddress& our_mac);

// A neighbor solicitation for target_ip, sent to its solicited-node multicast address
// (ff02::1:ffXX:XXXX) and MAC (33:33:ff:XX:XX:XX), with the source link-layer option. Writes
// kNeighborFrameBytes; 0 unless both addresses are IPv6.
std::size_t write_neighbor_solicitation(uint8_t* out, const MacAddress& our_mac,
                                        const NetAddress& our_ip, const NetAddress& target_ip);

}  // namespace sipwire::dataplane::net
