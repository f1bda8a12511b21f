// SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) and any other absoluteURI, as views into the
// caller's bytes. Parsing validates the whole grammar, %-escapes included; nothing is copied or
// unescaped (comparison rules of §19.1.4 are applied by the code that compares).
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/parse_error.h"

namespace sipwire {

enum class UriScheme : uint8_t { kSip, kSips, kTel, kOther };
enum class HostKind : uint8_t { kNone, kName, kIpv4, kIpv6 };

struct Uri {
  std::string_view text;    // the whole URI
  std::string_view scheme;  // as written, e.g. "sip" or "SIP"
  UriScheme kind = UriScheme::kOther;
  std::string_view user;      // sip/sips: user part; tel: the subscriber number
  std::string_view password;  // sip/sips: after "user:"
  std::string_view host;      // IPv6 references keep their brackets: "[2001:db8::1]"
  HostKind host_kind = HostKind::kNone;
  uint16_t port = 0;
  bool has_port = false;
  bool has_password = false;
  std::string_view params;   // after the first ';', up to '?' or the end ("" if none)
  std::string_view headers;  // after '?' ("" if none)
  bool has_headers = false;
  std::string_view opaque;  // other schemes: everything after "scheme:"

  bool is_sip() const { return kind == UriScheme::kSip || kind == UriScheme::kSips; }
};

// Parses `text` as a complete URI. Error offsets count from src.origin (default: text.data()).
ParseError parse_uri(std::string_view text, Uri& out, Source src = {});

// Host syntax alone (hostname, IPv4address, or IPv6reference with brackets). Also used for
// Via sent-by and maddr.
HostKind classify_host(std::string_view host);
bool is_ipv4_address(std::string_view s);
bool is_ipv6_address(std::string_view s);  // without brackets

}  // namespace sipwire
