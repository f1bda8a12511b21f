// Digest challenges (RFC 3261 §22, RFC 7616 §3.3, RFC 8760 §2.4): 401 with WWW-Authenticate
// for REGISTER (the registrar asks), 407 with Proxy-Authenticate for every other request (the
// proxy asks). One challenge per algorithm, SHA-256 first, then MD5 (the server lists its
// preferred algorithm first; RFC 7616 §3.7, RFC 8760 §2.4), both with the same nonce and
// qop="auth". No opaque: the nonce verifies itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sipwire/auth/digest_hash.h"

namespace sipwire::auth {

enum class ChallengeKind : uint8_t {
  kWwwAuthenticate,    // 401 Unauthorized; the client answers with Authorization
  kProxyAuthenticate,  // 407 Proxy Authentication Required; answered with Proxy-Authorization
};

// REGISTER (exactly: SIP methods are case-sensitive) gets 401, everything else 407.
ChallengeKind challenge_kind_for(std::string_view method);
uint16_t status_code(ChallengeKind kind);
std::string_view challenge_header_name(ChallengeKind kind);    // "WWW-Authenticate", ...
std::string_view credentials_header_name(ChallengeKind kind);  // "Authorization", ...

// Writes the challenge header lines, each ending in CRLF, into `out`:
//   WWW-Authenticate: Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"[, stale=true]
//   WWW-Authenticate: Digest realm="r", nonce="n", algorithm=MD5, qop="auth"[, stale=true]
// The realm is escaped as a quoted string. Returns the bytes written, or 0 (and nothing
// useful in `out`) when they do not fit.
// `algorithms`: which challenges, in the order offered (default: SHA-256, then MD5). Clients
// that answer only the first challenge (Debian's sipp 3.6: MD5 only) need MD5 first.
std::size_t write_challenge(ChallengeKind kind, std::string_view realm, std::string_view nonce,
                            bool stale, std::span<char> out,
                            std::span<const Algorithm> algorithms = kAllAlgorithms);

}  // namespace sipwire::auth
