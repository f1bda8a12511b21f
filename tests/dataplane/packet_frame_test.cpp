// The DPDK data plane's frame classification and header builders, on byte-exact frames written
// out by hand (every checksum in them computed independently of the code under test).
#include "dataplane/dpdk/packet_frame.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace sipwire::dataplane::net {
namespace {

// Our side: 02:00:00:00:00:01, 192.0.2.1:5060 and [2001:db8::1]:5060. The peer:
// 02:00:00:00:00:02, 192.0.2.2 and 2001:db8::2, sending from port 5070.
// clang-format off
// kArpRequestForUs
const std::vector<uint8_t> kArpRequestForUs = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,  // Ethernet: dst, src, type
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // ARP: htype, ptype, hlen, plen, op
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02,  // ARP: sender mac, sender ip
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,  // ARP: target mac, target ip
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kArpRequestForOther
const std::vector<uint8_t> kArpRequestForOther = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,  // Ethernet: dst, src, type
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  // ARP: htype, ptype, hlen, plen, op
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02,  // ARP: sender mac, sender ip
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x63,  // ARP: target mac, target ip
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kArpReplyToUs
const std::vector<uint8_t> kArpReplyToUs = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,  // Ethernet: dst, src, type
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,  // ARP: htype, ptype, hlen, plen, op
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02,  // ARP: sender mac, sender ip
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,  // ARP: target mac, target ip
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4ToSip
const std::vector<uint8_t> kUdp4ToSip = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe4, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0x10, 0x6c,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4ToOtherPort
const std::vector<uint8_t> kUdp4ToOtherPort = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe4, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc5, 0x00, 0x0d, 0x10, 0x6b,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4BadChecksum
const std::vector<uint8_t> kUdp4BadChecksum = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe5, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0x10, 0x6c,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4FirstFragment
const std::vector<uint8_t> kUdp4FirstFragment = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x20, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xc4, 0x91, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x10, 0xad, 0xa1,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello" (first part)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4LastFragment
const std::vector<uint8_t> kUdp4LastFragment = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x17, 0x12, 0x34, 0x00, 0x02,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe4, 0x9c, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x61, 0x62, 0x63,  // the rest of the datagram
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4NotOurIp
const std::vector<uint8_t> kUdp4NotOurIp = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0x7c, 0x5b, 0xc0, 0x00, 0x02, 0x02, 0xc6, 0x33, 0x64, 0x07,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0xa8, 0x32,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kIcmpEcho
const std::vector<uint8_t> kIcmpEcho = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x01, 0xe4, 0xa5, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x08, 0x00, 0x19, 0x2d, 0x00, 0x01, 0x00, 0x01,  // ICMP echo request: type, code, checksum, id, seq
    0x70, 0x69, 0x6e, 0x67,  // data "ping"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kDhcpDiscover
const std::vector<uint8_t> kDhcpDiscover = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0x68, 0x9a, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,  // IPv4: ttl, proto, checksum, src, dst
    0x00, 0x44, 0x00, 0x43, 0x00, 0x0c, 0xf8, 0x4e,  // UDP: ports, length, checksum
    0x01, 0x01, 0x06, 0x00,  // start of a BOOTP request
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp6ToSip
const std::vector<uint8_t> kUdp6ToSip = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,  // Ethernet: dst, src, type
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40,  // IPv6: version/class/flow, payload length, next header, hop limit
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  // IPv6: source
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // IPv6: destination
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0x38, 0xfb,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
};
// kUdp6Fragment
const std::vector<uint8_t> kUdp6Fragment = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,  // Ethernet: dst, src, type
    0x60, 0x00, 0x00, 0x00, 0x00, 0x15, 0x2c, 0x40,  // IPv6: version/class/flow, payload length, next header, hop limit
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  // IPv6: source
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // IPv6: destination
    0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0xab, 0xcd,  // Fragment: next header, reserved, offset/M, id
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x10, 0xd6, 0x30,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello" (first part)
};
// kNeighborSolicitationForUs
const std::vector<uint8_t> kNeighborSolicitationForUs = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,  // Ethernet: dst, src, type
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff,  // IPv6: version/class/flow, payload length, next header, hop limit
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  // IPv6: source
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x01,  // IPv6: destination
    0x87, 0x00, 0x1c, 0x27, 0x00, 0x00, 0x00, 0x00,  // NS: type, code, checksum, reserved
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // NS: target
    0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,  // option: source link-layer address
};
// kNeighborAdvertisementToUs
const std::vector<uint8_t> kNeighborAdvertisementToUs = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x86, 0xdd,  // Ethernet: dst, src, type
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff,  // IPv6: version/class/flow, payload length, next header, hop limit
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  // IPv6: source
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // IPv6: destination
    0x88, 0x00, 0x8a, 0x70, 0x60, 0x00, 0x00, 0x00,  // NA: type, code, checksum, flags S|O
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,  // NA: target
    0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x03,  // option: target link-layer address
};
// kVlanTagged
const std::vector<uint8_t> kVlanTagged = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x81, 0x00,  // Ethernet: dst, src, type
    0x00, 0x64, 0x08, 0x00,  // 802.1Q tag: vlan 100, then IPv4
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe4, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0x10, 0x6c,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// kUdp4ToOtherMac
const std::vector<uint8_t> kUdp4ToOtherMac = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00,  // Ethernet: dst, src, type
    0x45, 0x00, 0x00, 0x21, 0x12, 0x34, 0x00, 0x00,  // IPv4: ver/ihl, tos, total length, id, flags/offset
    0x40, 0x11, 0xe4, 0x94, 0xc0, 0x00, 0x02, 0x02, 0xc0, 0x00, 0x02, 0x01,  // IPv4: ttl, proto, checksum, src, dst
    0x13, 0xce, 0x13, 0xc4, 0x00, 0x0d, 0x10, 0x6c,  // UDP: ports, length, checksum
    0x68, 0x65, 0x6c, 0x6c, 0x6f,  // payload "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // Ethernet padding
};
// clang-format on

const MacAddress kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};

NetAddress V6(std::string_view text, uint16_t port = 0) {
  return *NetAddress::parse(text, port);
}

const NetAddress kOurV4 = NetAddress::ipv4(192, 0, 2, 1, 5060);
const NetAddress kPeerV4 = NetAddress::ipv4(192, 0, 2, 2, 5070);
const NetAddress kOurV6 = V6("2001:db8::1", 5060);
const NetAddress kPeerV6 = V6("2001:db8::2", 5070);

const NetAddress kOurListen[] = {kOurV4, kOurV6};
const LocalInterface kUs{kOurMac, kOurListen};
// The peer's view, to classify what our builders write.
const NetAddress kPeerListen[] = {kPeerV4, kPeerV6};
const LocalInterface kPeer{kPeerMac, kPeerListen};

NetAddress IpOnly(NetAddress a) {
  a.port = 0;
  return a;
}

std::string_view Payload(const std::vector<uint8_t>& frame, const FrameInfo& info) {
  return {reinterpret_cast<const char*>(frame.data()) + info.payload_offset, info.payload_length};
}

// The Internet checksum's folded one's-complement sum, written independently of the code under
// test: 16-bit big-endian words over contiguous bytes, an odd last byte padded with zero.
uint16_t FoldedSum(const std::vector<uint8_t>& bytes) {
  uint32_t sum = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 2)
    sum += static_cast<uint32_t>(bytes[i]) << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

std::vector<uint8_t> Bytes(const uint8_t* p, std::size_t n) {
  return {p, p + n};
}

// The pseudo-header (IPv4 or IPv6, by the frame's IP version) followed by the upper-layer
// packet of the frame: what a receiver sums to check a UDP or ICMPv6 checksum.
std::vector<uint8_t> PseudoHeaderAndUpperLayer(const std::vector<uint8_t>& frame) {
  std::vector<uint8_t> out;
  const uint8_t* ip = frame.data() + 14;
  if ((ip[0] >> 4) == 4) {
    const std::size_t ihl = (ip[0] & 0x0f) * 4u;
    const std::size_t length = (ip[2] << 8 | ip[3]) - ihl;
    out = Bytes(ip + 12, 8);
    out.insert(out.end(),
               {0, ip[9], static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)});
    out.insert(out.end(), ip + ihl, ip + ihl + length);
  } else {
    const std::size_t length = ip[4] << 8 | ip[5];
    out = Bytes(ip + 8, 32);
    out.insert(out.end(), {0, 0, ip[4], ip[5], 0, 0, 0, ip[6]});
    out.insert(out.end(), ip + 40, ip + 40 + length);
  }
  return out;
}

// Recomputes the ICMPv6 checksum of an edited frame (independently of the code under test).
void RepairIcmpv6Checksum(std::vector<uint8_t>& frame) {
  frame[14 + 40 + 2] = frame[14 + 40 + 3] = 0;
  store_be16(frame.data() + 14 + 40 + 2,
             static_cast<uint16_t>(~FoldedSum(PseudoHeaderAndUpperLayer(frame))));
  ASSERT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(frame)), 0xffff);
}

TEST(MacAddressTest, FormatsParsesAndClassifies) {
  EXPECT_EQ(kOurMac.to_string(), "02:00:00:00:00:01");
  EXPECT_EQ(MacAddress::parse("02:00:00:00:00:01"), kOurMac);
  EXPECT_EQ(MacAddress::parse("AA-bb-CC-dd-EE-ff")->to_string(), "aa:bb:cc:dd:ee:ff");
  EXPECT_FALSE(MacAddress::parse("02:00:00:00:00"));
  EXPECT_FALSE(MacAddress::parse("02:00:00:00:00:0g"));
  EXPECT_FALSE(MacAddress::parse("02:00-00:00:00:01"));
  EXPECT_FALSE(MacAddress::parse("02:00:00:00:00:012"));
  EXPECT_TRUE(MacAddress::broadcast().is_broadcast());
  EXPECT_TRUE(MacAddress::broadcast().is_multicast());
  EXPECT_TRUE(MacAddress::parse("33:33:00:00:00:01")->is_multicast());
  EXPECT_FALSE(MacAddress::parse("33:33:00:00:00:01")->is_broadcast());
  EXPECT_FALSE(kOurMac.is_multicast());
  EXPECT_FALSE(kOurMac == kPeerMac);
}

TEST(LocalInterfaceTest, OurIpIgnoresThePortListenDoesNot) {
  EXPECT_TRUE(kUs.is_our_ip(NetAddress::ipv4(192, 0, 2, 1, 0)));
  EXPECT_TRUE(kUs.is_our_ip(V6("2001:db8::1")));
  EXPECT_FALSE(kUs.is_our_ip(NetAddress::ipv4(192, 0, 2, 2, 5060)));
  EXPECT_TRUE(kUs.is_listen(kOurV4));
  EXPECT_FALSE(kUs.is_listen(NetAddress::ipv4(192, 0, 2, 1, 5061)));
  EXPECT_TRUE(kUs.is_listen(V6("2001:db8::1", 5060)));
  // The same 4 bytes as an IPv6 address are another address.
  NetAddress v6_lookalike = kOurV4;
  v6_lookalike.family = NetAddress::Family::kIpv6;
  EXPECT_FALSE(kUs.is_our_ip(v6_lookalike));
}

TEST(ClassifyFrameTest, ArpRequestForUsAndTheReply) {
  const FrameInfo info = classify_frame(kArpRequestForUs, kUs);
  ASSERT_EQ(info.kind, FrameKind::kArpRequest) << info.reason;
  EXPECT_EQ(info.target, IpOnly(kOurV4));
  EXPECT_EQ(info.source, IpOnly(kPeerV4));
  EXPECT_EQ(info.target_mac, kPeerMac);
  EXPECT_EQ(info.source_mac, kPeerMac);
  EXPECT_TRUE(info.destination_mac.is_broadcast());

  uint8_t out[kArpFrameBytes + 8];
  std::memset(out, 0xee, sizeof out);
  ASSERT_EQ(write_arp_reply(out, info, kOurMac), kArpFrameBytes);
  // clang-format off
  const std::vector<uint8_t> expected = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,              // reply
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,  // sender: us
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc0, 0x00, 0x02, 0x02,  // target: the requester
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,       // padding to 60
  };
  // clang-format on
  EXPECT_EQ(Bytes(out, kArpFrameBytes), expected);
  EXPECT_EQ(out[kArpFrameBytes], 0xee);  // nothing written past the frame

  // The peer learns us from it.
  const FrameInfo reply = classify_frame(expected, kPeer);
  ASSERT_EQ(reply.kind, FrameKind::kArpReply) << reply.reason;
  EXPECT_EQ(reply.target, IpOnly(kOurV4));
  EXPECT_EQ(reply.target_mac, kOurMac);

  FrameInfo not_a_request = info;
  not_a_request.kind = FrameKind::kArpReply;
  EXPECT_EQ(write_arp_reply(out, not_a_request, kOurMac), 0u);
}

TEST(ClassifyFrameTest, ArpRequestForAnotherHostIsDropped) {
  const FrameInfo info = classify_frame(kArpRequestForOther, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "arp not for us");
}

TEST(ClassifyFrameTest, ArpReplyIsLearned) {
  const FrameInfo info = classify_frame(kArpReplyToUs, kUs);
  ASSERT_EQ(info.kind, FrameKind::kArpReply) << info.reason;
  EXPECT_EQ(info.target, IpOnly(kPeerV4));
  EXPECT_EQ(info.target_mac, kPeerMac);
}

TEST(ClassifyFrameTest, ArpRequestWeSend) {
  uint8_t out[kArpFrameBytes];
  ASSERT_EQ(write_arp_request(out, kOurMac, kOurV4, kPeerV4), kArpFrameBytes);
  // clang-format off
  const std::vector<uint8_t> expected = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,              // request
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,  // sender: us
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,  // who has 192.0.2.2?
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  };
  // clang-format on
  EXPECT_EQ(Bytes(out, kArpFrameBytes), expected);
  const FrameInfo at_peer = classify_frame(expected, kPeer);
  ASSERT_EQ(at_peer.kind, FrameKind::kArpRequest) << at_peer.reason;
  EXPECT_EQ(at_peer.target_mac, kOurMac);
  EXPECT_EQ(write_arp_request(out, kOurMac, kOurV6, kPeerV4), 0u);
}

TEST(ClassifyFrameTest, Ipv4UdpToOurListenPortIsSip) {
  const FrameInfo info = classify_frame(kUdp4ToSip, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(info.source, kPeerV4);
  EXPECT_EQ(info.destination, kOurV4);
  EXPECT_EQ(info.source_mac, kPeerMac);
  EXPECT_EQ(info.destination_mac, kOurMac);
  EXPECT_EQ(info.l3_offset, 14);
  EXPECT_EQ(info.l4_offset, 34);
  EXPECT_EQ(info.payload_offset, 42);
  // The frame is padded to 60 bytes; the payload ends where the UDP length says.
  EXPECT_EQ(Payload(kUdp4ToSip, info), "hello");
}

TEST(ClassifyFrameTest, OtherIpv4TrafficToUsGoesToTheKernel) {
  FrameInfo info = classify_frame(kUdp4ToOtherPort, kUs);
  EXPECT_EQ(info.kind, FrameKind::kKernel) << info.reason;
  EXPECT_EQ(info.destination.port, 5061);
  info = classify_frame(kIcmpEcho, kUs);
  EXPECT_EQ(info.kind, FrameKind::kKernel) << info.reason;
  EXPECT_EQ(info.destination, IpOnly(kOurV4));
  // A broadcast DHCP discover is the host's business too.
  info = classify_frame(kDhcpDiscover, kUs);
  EXPECT_EQ(info.kind, FrameKind::kKernel) << info.reason;
  EXPECT_EQ(info.destination.port, 67);
}

TEST(ClassifyFrameTest, BadOrForeignIpv4IsDropped) {
  FrameInfo info = classify_frame(kUdp4BadChecksum, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "bad ipv4 checksum");

  info = classify_frame(kUdp4NotOurIp, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "not our ip");

  // Cut inside the IP header, then inside the datagram (total length beyond the frame).
  for (std::size_t size : {0u, 13u, 20u, 33u, 40u, 46u}) {
    info = classify_frame(std::span(kUdp4ToSip).first(size), kUs);
    EXPECT_EQ(info.kind, FrameKind::kDrop) << size;
    EXPECT_STREQ(info.reason, "truncated") << size;
  }

  // A UDP length beyond the IP payload (the IP checksum does not cover it).
  std::vector<uint8_t> frame = kUdp4ToSip;
  frame[38] = 0;
  frame[39] = 14;
  info = classify_frame(frame, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "bad udp length");
  frame[39] = 7;
  EXPECT_STREQ(classify_frame(frame, kUs).reason, "bad udp length");
  // A shorter UDP length than the IP payload: the rest is ignored.
  frame[39] = 10;
  info = classify_frame(frame, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(Payload(frame, info), "he");

  // IPv4 version, header length and total length (checksum repaired, so they are the cause).
  const auto with_header_byte = [&](std::size_t at, uint8_t value) {
    std::vector<uint8_t> f = kUdp4ToSip;
    f[14 + at] = value;
    store_be16(f.data() + 24, ipv4_header_checksum(f.data() + 14, 20));
    return classify_frame(f, kUs);
  };
  EXPECT_STREQ(with_header_byte(0, 0x65).reason, "bad ipv4 header");
  EXPECT_STREQ(with_header_byte(0, 0x44).reason, "bad ipv4 header");
  EXPECT_STREQ(with_header_byte(3, 19).reason, "bad ipv4 length");
  EXPECT_STREQ(with_header_byte(3, 47).reason, "truncated");
  EXPECT_EQ(with_header_byte(3, 33).kind, FrameKind::kSip);
}

TEST(ClassifyFrameTest, Ipv4FragmentsAndTheReassembledPacket) {
  FrameInfo info = classify_frame(kUdp4FirstFragment, kUs);
  ASSERT_EQ(info.kind, FrameKind::kIpv4Fragment) << info.reason;
  EXPECT_EQ(info.source, IpOnly(kPeerV4));
  EXPECT_EQ(info.destination, IpOnly(kOurV4));
  EXPECT_EQ(info.l4_offset, 34);
  EXPECT_EQ(classify_frame(kUdp4LastFragment, kUs).kind, FrameKind::kIpv4Fragment);

  // What DPDK's reassembler leaves: the first fragment's headers with the total length updated,
  // the fragment bits cleared and the header checksum set to 0.
  std::vector<uint8_t> whole(kUdp4FirstFragment.begin(), kUdp4FirstFragment.begin() + 47);
  whole.insert(whole.end(), {'a', 'b', 'c'});
  whole[14 + 3] = 36;
  whole[14 + 6] = 0;
  whole[14 + 10] = whole[14 + 11] = 0;
  EXPECT_STREQ(classify_frame(whole, kUs).reason, "bad ipv4 checksum");
  info = classify_reassembled(whole, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(Payload(whole, info), "helloabc");
  // With the checksum repaired, it is an ordinary frame.
  store_be16(whole.data() + 24, ipv4_header_checksum(whole.data() + 14, 20));
  EXPECT_EQ(FoldedSum(Bytes(whole.data() + 14, 20)), 0xffff);
  EXPECT_EQ(classify_frame(whole, kUs).kind, FrameKind::kSip);

  // A "reassembled" packet that is still a fragment never goes back to the reassembler.
  info = classify_reassembled(kUdp4FirstFragment, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "fragment after reassembly");
}

TEST(ClassifyFrameTest, Ipv6Udp) {
  FrameInfo info = classify_frame(kUdp6ToSip, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(info.source, kPeerV6);
  EXPECT_EQ(info.destination, kOurV6);
  EXPECT_EQ(info.l4_offset, 54);
  EXPECT_EQ(info.payload_offset, 62);
  EXPECT_EQ(Payload(kUdp6ToSip, info), "hello");
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(kUdp6ToSip)), 0xffff);  // the frame is right

  std::vector<uint8_t> other_port = kUdp6ToSip;
  other_port[57] = 0xc5;  // 5061
  EXPECT_EQ(classify_frame(other_port, kUs).kind, FrameKind::kKernel);

  // No checksum (0) is allowed over IPv4 (RFC 768), not over IPv6 (RFC 8200 §8.1).
  std::vector<uint8_t> no_checksum = kUdp6ToSip;
  no_checksum[60] = no_checksum[61] = 0;
  info = classify_frame(no_checksum, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "no udp checksum over ipv6");
  std::vector<uint8_t> v4_no_checksum = kUdp4ToSip;
  v4_no_checksum[40] = v4_no_checksum[41] = 0;
  EXPECT_EQ(classify_frame(v4_no_checksum, kUs).kind, FrameKind::kSip);

  info = classify_frame(std::span(kUdp6ToSip).first(kUdp6ToSip.size() - 1), kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "truncated");

  info = classify_frame(kUdp6Fragment, kUs);
  ASSERT_EQ(info.kind, FrameKind::kIpv6Fragment) << info.reason;
  EXPECT_EQ(info.l4_offset, 54);
  EXPECT_EQ(classify_reassembled(kUdp6Fragment, kUs).kind, FrameKind::kDrop);
  // A reassembled IPv6 packet has no Fragment header left: just an IPv6 UDP frame.
  EXPECT_EQ(classify_reassembled(kUdp6ToSip, kUs).kind, FrameKind::kSip);
}

TEST(ClassifyFrameTest, AnIpv6AtomicFragmentIsAWholeDatagram) {
  // RFC 6946: offset 0 and no more fragments: processed as if unfragmented, not held for
  // reassembly. kUdp6ToSip with a Fragment header put in (the UDP checksum does not cover it).
  std::vector<uint8_t> atomic = kUdp6ToSip;
  const uint8_t fragment_header[] = {0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xab, 0xcd};
  atomic.insert(atomic.begin() + 54, std::begin(fragment_header), std::end(fragment_header));
  atomic[20] = 0x2c;                                                       // next header: Fragment
  atomic[19] = static_cast<uint8_t>(atomic[19] + sizeof fragment_header);  // payload length
  FrameInfo info = classify_frame(atomic, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(info.l4_offset, 62);
  EXPECT_EQ(info.payload_offset, 70);
  EXPECT_EQ(Payload(atomic, info), "hello");
  EXPECT_TRUE(udp_checksum_ok(atomic, info));
  atomic[55 + 2] = 0x06;  // the reserved bits are ignored
  EXPECT_EQ(classify_frame(atomic, kUs).kind, FrameKind::kSip);

  std::vector<uint8_t> more = atomic;
  more[54 + 3] = 0x01;  // M: more fragments follow
  EXPECT_EQ(classify_frame(more, kUs).kind, FrameKind::kIpv6Fragment);
  std::vector<uint8_t> later = atomic;
  later[54 + 2] = 0x01;  // offset 32, the last fragment
  EXPECT_EQ(classify_frame(later, kUs).kind, FrameKind::kIpv6Fragment);
  std::vector<uint8_t> not_udp = atomic;
  not_udp[54] = 0x3a;  // ICMPv6 behind it: for reassembly, as before
  EXPECT_EQ(classify_frame(not_udp, kUs).kind, FrameKind::kIpv6Fragment);
}

// kUdp6ToSip with extension headers put in before the UDP header (the checksum does not cover
// them): each {next header, length in 8-byte units beyond the first, options...}.
std::vector<uint8_t> WithExtensionHeaders(uint8_t first,
                                          const std::vector<std::vector<uint8_t>>& headers) {
  std::vector<uint8_t> f = kUdp6ToSip;
  std::size_t added = 0;
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    f.insert(f.begin() + 54, it->begin(), it->end());
    added += it->size();
  }
  f[20] = first;
  const std::size_t payload = static_cast<std::size_t>(f[18] << 8 | f[19]) + added;
  f[18] = static_cast<uint8_t>(payload >> 8);
  f[19] = static_cast<uint8_t>(payload);
  return f;
}

TEST(ClassifyFrameTest, UdpBehindSkippableOptionsHeadersIsSip) {
  // A hop-by-hop header with a PadN of 4 (8 bytes), then destination options with a router
  // alert (type 5: "skip if unknown") and a Pad1, then UDP.
  const std::vector<uint8_t> hop_by_hop = {60, 0, 1, 4, 0, 0, 0, 0};
  const std::vector<uint8_t> destination = {17, 0, 5, 2, 0, 0, 0, 0};
  const std::vector<uint8_t> f = WithExtensionHeaders(0, {hop_by_hop, destination});
  const FrameInfo info = classify_frame(f, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_EQ(info.l4_offset, 54 + 16);
  EXPECT_EQ(Payload(f, info), "hello");
  EXPECT_TRUE(udp_checksum_ok(f, info));
  // Destination options alone, longer than 8 bytes (length 1: 16 bytes of PadN and Pad1s).
  const std::vector<uint8_t> long_one = {17, 1, 1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> g = WithExtensionHeaders(60, {long_one});
  const FrameInfo alone = classify_frame(g, kUs);
  ASSERT_EQ(alone.kind, FrameKind::kSip) << alone.reason;
  EXPECT_EQ(alone.l4_offset, 54 + 16);
  EXPECT_EQ(Payload(g, alone), "hello");
}

TEST(ClassifyFrameTest, OptionsThatAskForMoreThanSkippingGoToTheKernel) {
  // Option types whose high bits say discard (01), or discard and tell (10, 11): the kernel
  // acts on them. So it does on a malformed option, a routing header, ICMPv6 behind options
  // (MLD) and a hop-by-hop header that is not the first.
  for (const uint8_t type : {0x40, 0x80, 0xc2}) {
    const std::vector<uint8_t> f = WithExtensionHeaders(0, {{17, 0, type, 4, 0, 0, 0, 0}});
    EXPECT_EQ(classify_frame(f, kUs).kind, FrameKind::kKernel) << int{type};
  }
  EXPECT_EQ(classify_frame(WithExtensionHeaders(0, {{17, 0, 1, 5, 0, 0, 0, 0}}), kUs).kind,
            FrameKind::kKernel);  // PadN longer than its header
  EXPECT_EQ(classify_frame(WithExtensionHeaders(43, {{17, 0, 0, 0, 0, 0, 0, 0}}), kUs).kind,
            FrameKind::kKernel);  // routing
  EXPECT_EQ(classify_frame(WithExtensionHeaders(0, {{58, 0, 5, 2, 0, 0, 0, 0}}), kUs).kind,
            FrameKind::kKernel);  // ICMPv6 behind a router alert
  EXPECT_EQ(
      classify_frame(
          WithExtensionHeaders(60, {{0, 0, 1, 4, 0, 0, 0, 0}, {17, 0, 1, 4, 0, 0, 0, 0}}), kUs)
          .kind,
      FrameKind::kKernel);  // hop-by-hop after destination options
  EXPECT_EQ(classify_frame(WithExtensionHeaders(60, {{60, 0, 1, 4, 0, 0, 0, 0},
                                                     {60, 0, 1, 4, 0, 0, 0, 0},
                                                     {60, 0, 1, 4, 0, 0, 0, 0},
                                                     {17, 0, 1, 4, 0, 0, 0, 0}}),
                           kUs)
                .kind,
            FrameKind::kKernel);  // more headers than are walked
  // A header longer than the packet: dropped.
  std::vector<uint8_t> cut = WithExtensionHeaders(0, {{17, 0, 1, 4, 0, 0, 0, 0}});
  cut[55] = 200;
  const FrameInfo info = classify_frame(cut, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "truncated");
}

TEST(ClassifyFrameTest, NeighborSolicitationForUsAndTheAdvertisement) {
  const FrameInfo info = classify_frame(kNeighborSolicitationForUs, kUs);
  ASSERT_EQ(info.kind, FrameKind::kNeighborSolicitation) << info.reason;
  EXPECT_EQ(info.target, IpOnly(kOurV6));
  EXPECT_EQ(info.source, IpOnly(kPeerV6));
  EXPECT_EQ(info.target_mac, kPeerMac);

  uint8_t out[kNeighborFrameBytes];
  ASSERT_EQ(write_neighbor_advertisement(out, info, kOurMac), kNeighborFrameBytes);
  const std::vector<uint8_t> na = Bytes(out, sizeof out);
  // clang-format off
  const std::vector<uint8_t> headers = {
      0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd,
      0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58, 255,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // from the target
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,  // to the solicitor
  };
  const std::vector<uint8_t> icmp_after_checksum = {
      0x60, 0x00, 0x00, 0x00,                                         // Solicited, Override
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,  // target
      2, 1, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,                       // target link-layer
  };
  // clang-format on
  EXPECT_EQ(Bytes(out, 54), headers);
  EXPECT_EQ(out[54], 136);
  EXPECT_EQ(out[55], 0);
  EXPECT_EQ(Bytes(out + 58, 28), icmp_after_checksum);
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(na)), 0xffff);

  const FrameInfo at_peer = classify_frame(na, kPeer);
  ASSERT_EQ(at_peer.kind, FrameKind::kNeighborAdvertisement) << at_peer.reason;
  EXPECT_EQ(at_peer.target, IpOnly(kOurV6));
  EXPECT_EQ(at_peer.target_mac, kOurMac);
}

TEST(ClassifyFrameTest, DuplicateAddressDetectionIsAnsweredToAllNodes) {
  FrameInfo dad = classify_frame(kNeighborSolicitationForUs, kUs);
  dad.source = V6("::");
  uint8_t out[kNeighborFrameBytes];
  ASSERT_EQ(write_neighbor_advertisement(out, dad, kOurMac), kNeighborFrameBytes);
  const std::vector<uint8_t> na = Bytes(out, sizeof out);
  EXPECT_EQ(MacAddress::parse("33:33:00:00:00:01")->bytes,
            (std::array<uint8_t, 6>{out[0], out[1], out[2], out[3], out[4], out[5]}));
  EXPECT_EQ(Bytes(out + 14 + 24, 16), Bytes(V6("ff02::1").ip.data(), 16));
  EXPECT_EQ(out[58], 0x20);  // Override only: nobody solicited it
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(na)), 0xffff);
}

TEST(ClassifyFrameTest, NeighborDiscoveryValidation) {
  // Hop limit below 255: it crossed a router, so it is not from this link.
  std::vector<uint8_t> frame = kNeighborSolicitationForUs;
  frame[21] = 254;
  EXPECT_STREQ(classify_frame(frame, kUs).reason, "bad nd");
  frame = kNeighborSolicitationForUs;
  frame[14 + 40 + 20] ^= 0x01;  // the target's bytes no longer match the checksum
  EXPECT_STREQ(classify_frame(frame, kUs).reason, "bad icmpv6 checksum");
  // A solicitation for someone else on the same solicited-node group.
  frame = kNeighborSolicitationForUs;
  frame[14 + 40 + 23] = 0x09;  // target 2001:db8::9
  RepairIcmpv6Checksum(frame);
  EXPECT_EQ(classify_frame(frame, kUs).kind, FrameKind::kKernel);
}

TEST(ClassifyFrameTest, NeighborAdvertisementIsLearnedFromItsOption) {
  const FrameInfo info = classify_frame(kNeighborAdvertisementToUs, kUs);
  ASSERT_EQ(info.kind, FrameKind::kNeighborAdvertisement) << info.reason;
  EXPECT_EQ(info.target, IpOnly(kPeerV6));
  // The option's address (…:03), not the Ethernet source (…:02).
  EXPECT_EQ(info.target_mac, MacAddress::parse("02:00:00:00:00:03"));
}

TEST(ClassifyFrameTest, NeighborSolicitationWeSend) {
  uint8_t out[kNeighborFrameBytes];
  ASSERT_EQ(write_neighbor_solicitation(out, kOurMac, kOurV6, V6("2001:db8::2:a0b:c0d")),
            kNeighborFrameBytes);
  const std::vector<uint8_t> ns = Bytes(out, sizeof out);
  // clang-format off
  const std::vector<uint8_t> expected_start = {
      0x33, 0x33, 0xff, 0x0b, 0x0c, 0x0d, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x86, 0xdd,
      0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58, 255,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
      0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x0b, 0x0c, 0x0d,  // solicited-node
      135, 0,
  };
  const std::vector<uint8_t> expected_end = {
      0, 0, 0, 0,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x0a, 0x0b, 0x0c, 0x0d,
      1, 1, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // source link-layer address
  };
  // clang-format on
  EXPECT_EQ(Bytes(out, 56), expected_start);
  EXPECT_EQ(Bytes(out + 58, 28), expected_end);
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(ns)), 0xffff);

  // The peer, owning that address, classifies it as a solicitation for itself.
  const NetAddress peer_listen[] = {V6("2001:db8::2:a0b:c0d", 5060)};
  const FrameInfo at_peer = classify_frame(ns, LocalInterface{kPeerMac, peer_listen});
  ASSERT_EQ(at_peer.kind, FrameKind::kNeighborSolicitation) << at_peer.reason;
  EXPECT_EQ(at_peer.target_mac, kOurMac);
  EXPECT_EQ(at_peer.source, IpOnly(kOurV6));
  EXPECT_EQ(write_neighbor_solicitation(out, kOurMac, kOurV4, kPeerV6), 0u);
}

TEST(ClassifyFrameTest, VlanTagsAndOtherMacsAreDropped) {
  FrameInfo info = classify_frame(kVlanTagged, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "not our vlan");
  info = classify_frame(kUdp4ToOtherMac, kUs);
  EXPECT_EQ(info.kind, FrameKind::kDrop);
  EXPECT_STREQ(info.reason, "not our mac");
  // A group address as the source.
  std::vector<uint8_t> frame = kUdp4ToSip;
  frame[6] = 0x01;
  EXPECT_STREQ(classify_frame(frame, kUs).reason, "bad source mac");
}

// Writes headers for `segments` with write_udp_headers and udp_checksum, appends the payload and
// returns the frame.
std::vector<uint8_t> BuildUdp(const NetAddress& from, const NetAddress& to,
                              const std::vector<std::string_view>& segments) {
  std::size_t length = 0;
  for (std::string_view s : segments) length += s.size();
  uint8_t headers[kUdpIpv6HeaderBytes];
  const std::size_t written =
      write_udp_headers(headers, kOurMac, kPeerMac, from, to, length, 0x4242);
  EXPECT_EQ(written, from.is_ipv6() ? kUdpIpv6HeaderBytes : kUdpIpv4HeaderBytes);
  uint8_t* udp = headers + written - 8;
  store_be16(udp + 6, udp_checksum(from, to, udp, segments));
  std::vector<uint8_t> frame = Bytes(headers, written);
  for (std::string_view s : segments) frame.insert(frame.end(), s.begin(), s.end());
  return frame;
}

TEST(UdpBuilderTest, Ipv4HeadersAndChecksumsVerify) {
  const std::string message = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.2:5070\r\n\r\n";
  const std::string_view m = message;
  // Split at odd boundaries, with an empty piece: the same checksum as in one piece.
  const std::vector<uint8_t> frame =
      BuildUdp(kOurV4, kPeerV4, {m.substr(0, 3), m.substr(3, 0), m.substr(3, 8), m.substr(11)});
  EXPECT_EQ(frame, BuildUdp(kOurV4, kPeerV4, {m}));
  ASSERT_EQ(frame.size(), 42 + message.size());

  // clang-format off
  const std::vector<uint8_t> expected_ip_start = {
      0x45, 0x00, static_cast<uint8_t>((28 + message.size()) >> 8),
      static_cast<uint8_t>(28 + message.size()),
      0x42, 0x42, 0x00, 0x00,  // id; DF clear
      64, 17,
  };
  // clang-format on
  EXPECT_EQ(Bytes(frame.data() + 14, 10), expected_ip_start);
  EXPECT_EQ(Bytes(frame.data(), 6), Bytes(kPeerMac.bytes.data(), 6));
  EXPECT_EQ(Bytes(frame.data() + 6, 6), Bytes(kOurMac.bytes.data(), 6));
  EXPECT_EQ(FoldedSum(Bytes(frame.data() + 14, 20)), 0xffff);      // IPv4 header checksum
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(frame)), 0xffff);  // UDP checksum
  EXPECT_EQ(load_be16(frame.data() + 34), 5060);
  EXPECT_EQ(load_be16(frame.data() + 36), 5070);
  EXPECT_EQ(load_be16(frame.data() + 38), 8 + message.size());

  const FrameInfo at_peer = classify_frame(frame, kPeer);
  ASSERT_EQ(at_peer.kind, FrameKind::kSip) << at_peer.reason;
  EXPECT_EQ(at_peer.source, kOurV4);
  EXPECT_EQ(Payload(frame, at_peer), message);
}

TEST(UdpBuilderTest, Ipv6HeadersAndChecksumsVerify) {
  const std::string message = "OPTIONS sip:x SIP/2.0\r\n\r\n";  // odd length
  const std::string_view m = message;
  const std::vector<uint8_t> frame =
      BuildUdp(kOurV6, kPeerV6, {m.substr(0, 1), m.substr(1, 5), m.substr(6)});
  EXPECT_EQ(frame, BuildUdp(kOurV6, kPeerV6, {m}));
  ASSERT_EQ(frame.size(), 62 + message.size());
  EXPECT_EQ(frame[14], 0x60);
  EXPECT_EQ(load_be16(frame.data() + 18), 8 + message.size());
  EXPECT_EQ(frame[20], 17);
  EXPECT_EQ(frame[21], 64);
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(frame)), 0xffff);

  const FrameInfo at_peer = classify_frame(frame, kPeer);
  ASSERT_EQ(at_peer.kind, FrameKind::kSip) << at_peer.reason;
  EXPECT_EQ(at_peer.source, kOurV6);
  EXPECT_EQ(Payload(frame, at_peer), message);
}

TEST(UdpBuilderTest, LongPayloadsInAnyPiecesVerify) {
  // Lengths and cuts that cross the 32-byte vector steps at every alignment, and payloads of
  // 0xFF bytes (the most carries), checked against the independent sum of the whole frame.
  std::string random(2000, '\0');
  uint32_t x = 12345;
  for (char& c : random) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  const std::string ones(2000, '\xff');
  const std::string* const payloads[] = {&random, &ones};
  for (const std::string* data : payloads) {
    for (std::size_t length : {31u, 32u, 33u, 63u, 64u, 95u, 700u, 1471u, 1999u}) {
      const std::string_view m(data->data(), length);
      for (std::size_t cut : {std::size_t{1}, std::size_t{7}, std::size_t{33}, length / 2}) {
        if (cut > length) continue;
        const std::vector<uint8_t> frame =
            BuildUdp(kOurV4, kPeerV4, {m.substr(0, cut), m.substr(cut)});
        EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(frame)), 0xffff)
            << "length " << length << " cut " << cut;
        EXPECT_EQ(frame, BuildUdp(kOurV4, kPeerV4, {m}));
        const std::vector<uint8_t> v6 =
            BuildUdp(kOurV6, kPeerV6, {m.substr(0, cut), m.substr(cut)});
        EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(v6)), 0xffff);
      }
    }
  }
}

TEST(UdpBuilderTest, AComputedZeroIsSentAsAllOnes) {
  // Two payload bytes chosen to make the sum come out as 0xFFFF, whose complement is 0.
  uint8_t headers[kUdpIpv4HeaderBytes];
  ASSERT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV4, kPeerV4, 2, 1),
            kUdpIpv4HeaderBytes);
  uint8_t* udp = headers + 34;
  const char zero[2] = {0, 0};
  const std::string_view zeros(zero, 2);
  const uint16_t with_zeros = udp_checksum(kOurV4, kPeerV4, udp, {&zeros, 1});
  const char fill[2] = {static_cast<char>(with_zeros >> 8), static_cast<char>(with_zeros)};
  const std::string_view filler(fill, 2);
  EXPECT_EQ(udp_checksum(kOurV4, kPeerV4, udp, {&filler, 1}), 0xffff);
  std::vector<uint8_t> frame = Bytes(headers, sizeof headers);
  frame.insert(frame.end(), fill, fill + 2);
  store_be16(frame.data() + 40, 0xffff);
  EXPECT_EQ(FoldedSum(PseudoHeaderAndUpperLayer(frame)), 0xffff);
}

TEST(UdpChecksumTest, AReceivedDatagramsChecksumHoldsUntilAByteChanges) {
  const std::string message = "OPTIONS sip:x SIP/2.0\r\n\r\n";
  for (const auto& [from, to] : {std::pair{kPeerV4, kOurV4}, std::pair{kPeerV6, kOurV6}}) {
    std::vector<uint8_t> frame = BuildUdp(from, to, {message});
    std::copy(kOurMac.bytes.begin(), kOurMac.bytes.end(), frame.begin());  // to us
    const FrameInfo info = classify_frame(frame, kUs);
    ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
    EXPECT_TRUE(udp_checksum_ok(frame, info));
    for (const std::size_t at : {info.payload_offset + 3u, info.payload_offset - 8u}) {
      std::vector<uint8_t> changed = frame;
      changed[at] ^= 0x40;  // a payload byte; the source port
      EXPECT_FALSE(udp_checksum_ok(changed, classify_frame(changed, kUs))) << at;
    }
  }
}

TEST(UdpChecksumTest, OverIpv4AChecksumOfZeroMeansNoneAndHolds) {
  std::vector<uint8_t> frame = BuildUdp(kPeerV4, kOurV4, {"OPTIONS sip:x SIP/2.0\r\n\r\n"});
  std::copy(kOurMac.bytes.begin(), kOurMac.bytes.end(), frame.begin());
  store_be16(frame.data() + kUdpIpv4HeaderBytes - 2, 0);
  const FrameInfo info = classify_frame(frame, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_TRUE(udp_checksum_ok(frame, info));
}

TEST(UdpChecksumTest, AllOnesForAComputedZeroHolds) {
  // As AComputedZeroIsSentAsAllOnes: two payload bytes that make the checksum 0, sent as 0xFFFF.
  uint8_t headers[kUdpIpv4HeaderBytes];
  ASSERT_EQ(write_udp_headers(headers, kPeerMac, kOurMac, kPeerV4, kOurV4, 2, 1),
            kUdpIpv4HeaderBytes);
  const char zero[2] = {0, 0};
  const std::string_view zeros(zero, 2);
  const uint16_t with_zeros = udp_checksum(kPeerV4, kOurV4, headers + 34, {&zeros, 1});
  std::vector<uint8_t> frame = Bytes(headers, sizeof headers);
  frame.push_back(static_cast<uint8_t>(with_zeros >> 8));
  frame.push_back(static_cast<uint8_t>(with_zeros));
  store_be16(frame.data() + 40, 0xffff);
  const FrameInfo info = classify_frame(frame, kUs);
  ASSERT_EQ(info.kind, FrameKind::kSip) << info.reason;
  EXPECT_TRUE(udp_checksum_ok(frame, info));
}

TEST(UdpBuilderTest, MixedFamiliesAndOversizedPayloadsWriteNothing) {
  uint8_t headers[kUdpIpv6HeaderBytes];
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV4, kPeerV6, 10, 0), 0u);
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, NetAddress{}, NetAddress{}, 10, 0), 0u);
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV4, kPeerV4, 65535 - 28, 0),
            kUdpIpv4HeaderBytes);
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV4, kPeerV4, 65535 - 27, 0), 0u);
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV6, kPeerV6, 65535 - 8, 0),
            kUdpIpv6HeaderBytes);
  EXPECT_EQ(write_udp_headers(headers, kOurMac, kPeerMac, kOurV6, kPeerV6, 65535 - 7, 0), 0u);
}

}  // namespace
}  // namespace sipwire::dataplane::net
