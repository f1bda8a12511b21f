// An IPv4 or IPv6 address with a port: what the engine routes to and receives from. A plain
// value (no socket types), so the I/O-free engine and every I/O backend share it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipwire {

struct NetAddress {
  enum class Family : uint8_t { kNone, kIpv4, kIpv6 };

  Family family = Family::kNone;
  uint16_t port = 0;
  std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes, network order

  static NetAddress ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port);
  // "192.0.2.1", "2001:db8::1" or "[2001:db8::1]" (a SIP host), with `port`.
  static std::optional<NetAddress> parse(std::string_view ip_text, uint16_t port);
  // "192.0.2.1:5060" or "[2001:db8::1]:5060"; without a port, `default_port`.
  static std::optional<NetAddress> parse_host_port(std::string_view text,
                                                   uint16_t default_port = 5060);

  bool valid() const { return family != Family::kNone; }
  bool is_ipv6() const { return family == Family::kIpv6; }
  // 0.0.0.0 or :: (a wildcard to listen on, no address to send to).
  bool is_unspecified() const {
    for (std::size_t i = 0; i < (is_ipv6() ? 16u : 4u); ++i)
      if (ip[i] != 0) return false;
    return true;
  }
  // An address that means something only inside its own network, which a host elsewhere
  // cannot send to: private IPv4 (RFC 1918), shared address space (RFC 6598, carrier-grade
  // NAT), link-local (169.254/16, fe80::/10), IPv6 unique-local (fc00::/7) and loopback. What
  // a phone behind a NAT writes in its Contact.
  bool is_private() const;
  bool same_ip(const NetAddress& o) const { return family == o.family && ip == o.ip; }
  // "192.0.2.1" or "2001:db8::1" (no brackets, no port): a Via received value (RFC 5118 §4.5).
  std::string ip_string() const;
  // "192.0.2.1:5060" or "[2001:db8::1]:5060".
  std::string to_string() const;
  // Writes ip_string() into `out` (at least 46 bytes); returns its length. No allocation.
  std::size_t write_ip(char* out) const;

  bool operator==(const NetAddress&) const = default;
};

}  // namespace sipwire
