// The Digest credentials of an Authorization or Proxy-Authorization header value (RFC 3261
// §25.1 "credentials", RFC 7616 §3.4), parsed into views of the caller's bytes.
//
// Quoted strings without escapes are views into the message; a value with quoted-pairs is
// unescaped into the credentials' own fixed buffer (so a DigestCredentials is not copyable:
// its views may point into itself). Parameter names are case-insensitive; unknown parameters
// (auth-param) are skipped; a duplicate known parameter, a missing required one, a bad nc or
// bad syntax is an error value with status 400. Nothing allocates or throws.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/auth/digest_hash.h"
#include "sipwire/parse_error.h"

namespace sipwire::auth {

struct DigestCredentials {
  std::string_view username;
  std::string_view realm;
  std::string_view nonce;
  std::string_view uri;
  std::string_view response;
  std::string_view cnonce;  // "" when absent
  std::string_view opaque;  // "" when absent (sipwire sends none)
  std::string_view qop;     // "" when absent (RFC 2069 form)
  std::string_view nc;      // the 8 hex digits as sent (they are hashed as sent); "" when absent
  uint32_t nc_value = 0;
  // The algorithm parameter as sent; absent means MD5 (RFC 7616 §3.4).
  std::string_view algorithm_token;
  Algorithm algorithm = Algorithm::kMd5;
  bool algorithm_supported = true;  // false for MD5-sess, SHA-256-sess, SHA-512-256, ...

  DigestCredentials() = default;
  DigestCredentials(const DigestCredentials&) = delete;
  DigestCredentials& operator=(const DigestCredentials&) = delete;

  // Unescaped quoted-string values live here when they had quoted-pairs.
  char scratch[512];
  uint16_t scratch_used = 0;
};

// True when `value` (a header value) uses the Digest scheme (case-insensitive). A proxy treats
// a request whose only credentials use another scheme as having no credentials.
bool is_digest(std::string_view value);

// Parses `value` into `out`. Requires username, realm, nonce, uri and response, and, when qop
// is present, cnonce and nc (8 hex digits, not zero). Error offsets count from src.origin
// (default: value.data()).
ParseError parse_digest_credentials(std::string_view value, DigestCredentials& out,
                                    Source src = {});

}  // namespace sipwire::auth
