// libFuzzer target: the DPDK data plane's frame code (dataplane/dpdk/packet_frame.h), which
// reads every frame the port receives: anything on the wire, before any SIP is parsed. Beyond
// "no crash and no read outside the frame" (ASan), it checks what the data plane relies on:
//
//  - classify_frame and classify_reassembled place every offset inside the frame; a SIP
//    datagram's payload is exactly the UDP payload, addressed to one of our listen addresses.
//  - The answers written from a classified ARP request or neighbor solicitation are
//    well-formed: the asker classifies them as an ARP reply or neighbor advertisement that
//    carries our MAC for the IP it asked about.
//  - udp_checksum over the input, cut into segments at input-chosen points (odd lengths
//    included), equals a byte-wise RFC 1071 sum written here; and a frame built around the
//    input with write_udp_headers is classified by its receiver as SIP with that payload.
//
// Seeds (tests/fuzz/corpus/frame): a SIP datagram over IPv4 and IPv6, an IPv4 fragment, an
// ARP request and a neighbor solicitation for our addresses, all to the interface below.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>

#include "dataplane/dpdk/packet_frame.h"

namespace {

using namespace sipwire;
using namespace sipwire::dataplane::net;

const MacAddress kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};

NetAddress ipv6(std::string_view text, uint16_t port) {
  return *NetAddress::parse(text, port);
}

const NetAddress kOurV4 = NetAddress::ipv4(192, 0, 2, 1, 5060);
const NetAddress kPeerV4 = NetAddress::ipv4(192, 0, 2, 2, 5070);
const NetAddress kOurV6 = ipv6("2001:db8::1", 5060);
const NetAddress kPeerV6 = ipv6("2001:db8::2", 5070);
const NetAddress kOurListen[] = {kOurV4, kOurV6};
const LocalInterface kUs{kOurMac, kOurListen};

[[noreturn]] void fail() {
  std::abort();
}

void check(bool ok) {
  if (!ok) fail();
}

// The one's-complement sum of a byte stream, one big-endian 16-bit word at a time (an odd
// last byte padded with zero), folded: RFC 1071 as plainly as it can be written.
struct ReferenceSum {
  uint32_t sum = 0;
  bool odd = false;  // a high byte is waiting for its low byte
  uint8_t high = 0;
  void add(const uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (odd) {
        sum += static_cast<uint32_t>(high) << 8 | p[i];
        sum = (sum & 0xffff) + (sum >> 16);
      } else {
        high = p[i];
      }
      odd = !odd;
    }
  }
  uint16_t checksum() const {
    uint32_t s = sum + (odd ? static_cast<uint32_t>(high) << 8 : 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
    const auto c = static_cast<uint16_t>(~s);
    return c == 0 ? 0xffff : c;
  }
};

void check_offsets(const FrameInfo& info, std::size_t size) {
  if (info.kind == FrameKind::kDrop) {
    check(info.reason != nullptr && info.reason[0] != '\0');
    return;
  }
  check(info.l3_offset <= size && info.l4_offset <= size);
  check(std::size_t{info.payload_offset} + info.payload_length <= size);
  if (info.kind == FrameKind::kSip) {
    check(info.l3_offset == kEthernetHeaderBytes && info.l4_offset > info.l3_offset);
    check(info.payload_offset == info.l4_offset + 8);
    check(kUs.is_listen(info.destination));
  }
}

void check_classified(std::span<const uint8_t> frame, const FrameInfo& info) {
  check_offsets(info, frame.size());
  if (info.kind == FrameKind::kSip) {
    // The UDP length field covers the header and exactly the payload given.
    check(load_be16(frame.data() + info.l4_offset + 4) == info.payload_length + 8u);
  }
}

void check_answers(const FrameInfo& info) {
  std::array<uint8_t, 128> out{};
  if (info.kind == FrameKind::kArpRequest) {
    check(kUs.is_our_ip(info.target));
    const std::size_t n = write_arp_reply(out.data(), info, kOurMac);
    check(n == kArpFrameBytes);
    const LocalInterface asker{info.target_mac, {}};
    const FrameInfo reply = classify_frame({out.data(), n}, asker);
    check(reply.kind == FrameKind::kArpReply);
    check(reply.target_mac == kOurMac && reply.target == info.target);
  } else if (info.kind == FrameKind::kNeighborSolicitation) {
    check(kUs.is_our_ip(info.target));
    const std::size_t n = write_neighbor_advertisement(out.data(), info, kOurMac);
    check(n == kNeighborFrameBytes);
    const NetAddress solicitor[] = {info.source};
    const LocalInterface asker{info.target_mac, solicitor};
    const FrameInfo advert = classify_frame({out.data(), n}, asker);
    check(advert.kind == FrameKind::kNeighborAdvertisement);
    check(advert.target_mac == kOurMac && advert.target.family == info.target.family &&
          advert.target.ip == info.target.ip);
  }
}

// udp_checksum against the reference, over the payload cut at input-chosen points, and a whole
// frame built around the payload as its receiver sees it.
void check_udp(std::span<const uint8_t> data) {
  const bool v6 = !data.empty() && (data[0] & 1) != 0;
  const NetAddress& from = v6 ? kOurV6 : kOurV4;
  const NetAddress& to = v6 ? kPeerV6 : kPeerV4;

  std::array<std::string_view, 8> segments;
  std::size_t count = 0, at = 0;
  const auto* text = reinterpret_cast<const char*>(data.data());
  for (std::size_t k = 1; k < data.size() && k < segments.size() && at < data.size(); ++k) {
    const std::size_t len = std::min<std::size_t>(data[k] % 97, data.size() - at);
    segments[count++] = {text + at, len};
    at += len;
  }
  if (count == segments.size()) --count;
  segments[count++] = {text + at, data.size() - at};

  std::array<uint8_t, 8> udp{};
  store_be16(udp.data(), from.port);
  store_be16(udp.data() + 2, to.port);
  store_be16(udp.data() + 4, static_cast<uint16_t>(data.size() + 8));
  ReferenceSum ref;
  const std::size_t ip_bytes = v6 ? 16 : 4;
  ref.add(from.ip.data(), ip_bytes);
  ref.add(to.ip.data(), ip_bytes);
  const uint8_t v4_tail[4] = {0, 17, udp[4], udp[5]};
  const uint8_t v6_tail[8] = {0, 0, udp[4], udp[5], 0, 0, 0, 17};
  if (v6)
    ref.add(v6_tail, sizeof v6_tail);
  else
    ref.add(v4_tail, sizeof v4_tail);
  ref.add(udp.data(), 6);  // the checksum field counts as zero
  ref.add(data.data(), data.size());
  const uint16_t sum = udp_checksum(from, to, udp.data(), {segments.data(), count});
  check(sum == ref.checksum());

  static std::array<uint8_t, 70000> frame;
  const std::size_t header = v6 ? kUdpIpv6HeaderBytes : kUdpIpv4HeaderBytes;
  const std::size_t written =
      write_udp_headers(frame.data(), kOurMac, kPeerMac, from, to, data.size(), 7);
  check(written == header);
  if (!data.empty()) std::memcpy(frame.data() + header, data.data(), data.size());
  store_be16(frame.data() + header - 2, sum);
  const NetAddress peer_listen[] = {to};
  const FrameInfo info =
      classify_frame({frame.data(), header + data.size()}, LocalInterface{kPeerMac, peer_listen});
  check(info.kind == FrameKind::kSip && info.payload_offset == header &&
        info.payload_length == data.size() && info.source == from);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> frame(data, size);
  const FrameInfo info = classify_frame(frame, kUs);
  check_classified(frame, info);
  check_answers(info);
  const FrameInfo again = classify_reassembled(frame, kUs);
  check_classified(frame, again);
  check_answers(again);
  if (size <= 65000) check_udp(frame);
  return 0;
}
