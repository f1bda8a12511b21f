// Validation beyond what parse_message checks.
//
// validate_all() parses every field sipwire knows, for the roles that read them (registrar,
// UAS, the strict checks of a test or the `sipwire-parse` tool). The proxy checks of RFC 3261
// §16.3 come one by one, because a proxy answers each with its own status code.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

#include "sipwire/message.h"

namespace sipwire {

// Every known field's full grammar: all Via, From and To URIs, Contact, Route, Record-Route and
// Path elements, Expires, Min-Expires, Date, Require, Proxy-Require, Supported, Unsupported, Allow,
// Content-Type, Retry-After, Warning, Timestamp. Returns the first defect (400).
ParseError validate_all(const Message& msg);

// §16.3 step 2: a Request-URI scheme the proxy cannot route (anything but sip, sips, tel) → 416.
ParseError check_request_uri_scheme(const Message& msg);

// §16.3 step 3: a request to be forwarded with Max-Forwards 0 → 483.
ParseError check_max_forwards(const Message& msg);

// §16.3 step 6: Proxy-Require option tags the proxy does not support → 420 with an
// Unsupported header listing them.
struct UnsupportedTags {
  static constexpr std::size_t kMax = 16;
  std::array<std::string_view, kMax> tags{};
  std::size_t count = 0;
  bool truncated = false;  // more than kMax unsupported tags (the first kMax are listed)
  ParseError error;        // 420 when count > 0, 400 when Proxy-Require is malformed
};
UnsupportedTags check_proxy_require(const Message& msg,
                                    std::span<const std::string_view> supported);

// §8.2.2.3 / §10.3 step 2: for a request the element answers itself (as registrar or UAS), the
// Require option tags it does not support → 420 with an Unsupported header listing them.
UnsupportedTags check_require(const Message& msg, std::span<const std::string_view> supported);

}  // namespace sipwire
