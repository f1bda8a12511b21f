// One Via element: sent-protocol, sent-by and parameters (RFC 3261 §20.42, RFC 3581 rport).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipwire/parse_error.h"
#include "sipwire/uri.h"

namespace sipwire {

struct Via {
  std::string_view protocol;   // "SIP"
  std::string_view version;    // "2.0"
  std::string_view transport;  // "UDP", "TCP", "TLS", "SCTP", "WS", or any token
  std::string_view host;       // IPv6 references keep their brackets
  HostKind host_kind = HostKind::kNone;
  uint16_t port = 0;
  bool has_port = false;

  std::string_view branch;    // "" when absent
  std::string_view received;  // "" when absent
  std::string_view maddr;     // "" when absent
  uint8_t ttl = 0;
  bool has_ttl = false;
  bool has_rport = false;  // "rport" asked for (RFC 3581), with or without a value
  uint16_t rport = 0;      // the value a proxy filled in, 0 when none
  // The "rport" parameter's name as written when it has no value (else empty): a proxy fills
  // in "=port" right after it, without walking the parameters again.
  std::string_view rport_name;
  std::string_view params;  // all parameters, after the first ';'

  // The branch starts with the RFC 3261 magic cookie "z9hG4bK" (§8.1.1.7).
  bool has_rfc3261_branch() const;
};

// Parses one Via element. With `consumed`, the element may be followed by ", more elements":
// parsing stops at that comma and *consumed is its offset in `element` (the proxy reads the top
// Via straight out of a multi-value field this way); without it, the element must end the text.
ParseError parse_via(std::string_view element, Via& out, Source src = {},
                     std::size_t* consumed = nullptr);

}  // namespace sipwire
