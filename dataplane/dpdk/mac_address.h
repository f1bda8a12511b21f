// An Ethernet MAC address as a plain value. The DPDK data plane's packet code works on byte spans
// only (no DPDK headers), so it has its own type instead of rte_ether_addr; the bytes are in
// wire order, so converting is a memcpy.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipwire::dataplane::net {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }

  bool operator==(const MacAddress&) const = default;

  bool is_broadcast() const { return *this == broadcast(); }
  // The I/G bit (the least significant bit of the first byte on the wire): a group address.
  // The broadcast address is a multicast address too.
  bool is_multicast() const { return (bytes[0] & 0x01) != 0; }
  bool is_zero() const { return *this == MacAddress{}; }

  // "02:00:00:00:00:01" (lower-case hex). Allocates: for logs and configuration, not per packet.
  std::string to_string() const {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(17, ':');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      s[i * 3] = kHex[bytes[i] >> 4];
      s[i * 3 + 1] = kHex[bytes[i] & 0x0f];
    }
    return s;
  }

  // Six two-digit hex bytes separated by ':' (or '-', as Windows tools print them), either case.
  static std::optional<MacAddress> parse(std::string_view text) {
    if (text.size() != 17) return std::nullopt;
    const char separator = text[2];
    if (separator != ':' && separator != '-') return std::nullopt;
    MacAddress mac;
    for (std::size_t i = 0; i < mac.bytes.size(); ++i) {
      if (i > 0 && text[i * 3 - 1] != separator) return std::nullopt;
      const int high = hex_digit(text[i * 3]);
      const int low = hex_digit(text[i * 3 + 1]);
      if (high < 0 || low < 0) return std::nullopt;
      mac.bytes[i] = static_cast<uint8_t>(high << 4 | low);
    }
    return mac;
  }

 private:
  static constexpr int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
};

}  // namespace sipwire::dataplane::net
