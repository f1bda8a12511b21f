#include "sipwire/net_address.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace sipwire {

NetAddress NetAddress::ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  NetAddress n;
  n.family = Family::kIpv4;
  n.port = port;
  n.ip[0] = a;
  n.ip[1] = b;
  n.ip[2] = c;
  n.ip[3] = d;
  return n;
}

namespace {

// Dotted-quad IPv4 as inet_pton(AF_INET) reads it: four decimal octets of 0..255, no leading
// zeros, nothing else. By hand because the proxy reads a next hop's literal address on every
// in-dialog request it routes (and inet_pton wants a NUL-terminated copy); an octet's one to
// three digits are read straight, not by a loop that checks its range at every digit.
bool parse_ipv4(std::string_view t, uint8_t* out) {
  const char* p = t.data();
  const char* const e = p + t.size();
  auto digit = [e](const char* q) {
    return q < e ? static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0' : 10u;
  };
  for (int octet = 0;; ++octet) {
    unsigned value = digit(p);
    if (value > 9) return false;
    ++p;
    if (const unsigned d1 = digit(p); d1 <= 9) {
      if (value == 0) return false;  // a leading zero
      value = value * 10 + d1;
      ++p;
      if (const unsigned d2 = digit(p); d2 <= 9) {
        value = value * 10 + d2;
        ++p;
        if (value > 255 || digit(p) <= 9) return false;
      }
    }
    out[octet] = static_cast<uint8_t>(value);
    if (octet == 3) return p == e;
    if (p == e || *p != '.') return false;
    ++p;
  }
}

}  // namespace

bool NetAddress::is_private() const {
  if (family == Family::kIpv4) {
    const uint8_t a = ip[0], b = ip[1];
    return a == 10 || (a == 172 && (b & 0xF0) == 16) || (a == 192 && b == 168) ||
           (a == 100 && (b & 0xC0) == 64) || (a == 169 && b == 254) || a == 127;
  }
  if (family == Family::kIpv6) {
    if ((ip[0] & 0xFE) == 0xFC) return true;                   // fc00::/7
    if (ip[0] == 0xFE && (ip[1] & 0xC0) == 0x80) return true;  // fe80::/10
    for (std::size_t i = 0; i < 15; ++i)
      if (ip[i] != 0) return false;
    return ip[15] == 1;  // ::1
  }
  return false;
}

std::optional<NetAddress> NetAddress::parse(std::string_view text, uint16_t port) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  NetAddress n;
  n.port = port;
  if (parse_ipv4(text, n.ip.data())) {
    n.family = Family::kIpv4;
    return n;
  }
  n.ip = {};
  // An IPv6 literal has a colon; a host name never does.
  char buf[64];
  if (text.find(':') == std::string_view::npos || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET6, buf, n.ip.data()) == 1) {
    n.family = Family::kIpv6;
    return n;
  }
  return std::nullopt;
}

std::optional<NetAddress> NetAddress::parse_host_port(std::string_view text,
                                                      uint16_t default_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return std::nullopt;
      port_text = text.substr(close + 2);
    }
  } else if (const std::size_t colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = default_port;
  if (!port_text.empty() || host.size() != text.size()) {
    if (port_text.empty() || port_text.size() > 5) return std::nullopt;
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
  }
  return parse(host, static_cast<uint16_t>(port));
}

namespace {

struct OctetText {
  char text[4];  // digits and '.', zero-padded
  uint8_t length;
};

constexpr std::array<OctetText, 256> octet_table() {
  std::array<OctetText, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    OctetText& e = t[v];
    uint8_t n = 0;
    if (v >= 100) e.text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) e.text[n++] = static_cast<char>('0' + v / 10 % 10);
    e.text[n++] = static_cast<char>('0' + v % 10);
    e.text[n++] = '.';
    e.length = n;
  }
  return t;
}

constexpr std::array<OctetText, 256> kOctets = octet_table();

}  // namespace

std::size_t NetAddress::write_ip(char* out) const {
  if (family == Family::kNone) return 0;
  if (family == Family::kIpv4) {
    // Dotted quad by table: inet_ntop goes through sprintf, ten times the cost, and a digit
    // loop costs some twenty instructions an octet. Each entry holds the octet's digits and
    // the dot after them, stored whole (four bytes) and advanced by its length; the last dot
    // is overwritten by the terminating NUL. (Every response and forward writes our or the
    // sender's address at least once.)
    std::size_t n = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const OctetText& t = kOctets[ip[i]];
      std::memcpy(out + n, t.text, 4);
      n += t.length;
    }
    out[--n] = '\0';
    return n;
  }
  const int af = family == Family::kIpv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, ip.data(), out, 46) == nullptr) return 0;
  return std::strlen(out);
}

std::string NetAddress::ip_string() const {
  char buf[64];
  return std::string(buf, write_ip(buf));
}

std::string NetAddress::to_string() const {
  const std::string ip_text = ip_string();
  const std::string p = std::to_string(port);
  return family == Family::kIpv6 ? "[" + ip_text + "]:" + p : ip_text + ":" + p;
}

}  // namespace sipwire
