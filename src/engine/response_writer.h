// Responses the proxy itself generates (100 Trying, errors, the registrar's 200, a redirect's
// 302), built from the request as §8.2.6 says: Via (with received/rport on the top one),
// From, Call-ID and CSeq copied, To copied with a tag added, Content-Length 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct ResponseSpec {
  uint16_t code = 200;
  std::string_view reason = "OK";
  std::string_view extra_headers;  // complete lines, each ending in CRLF
};

// Writes the response into `out`; returns its length, or 0 when it does not fit.
std::size_t write_response(const Message& request, const NetAddress& source,
                           const ResponseSpec& spec, std::span<char> out);

// The To tag the proxy gives its responses: derived from the dialog's Call-ID and From tag,
// so a retransmitted request gets the same tag without any state. Writes 16 hex digits.
void write_to_tag(const Message& request, char (&tag)[16]);

// The reason phrase RFC 3261 §21 (and RFC 3265, 3329, 4412...) gives `code`; for a code it
// does not name, the phrase of its class ("Request Failure" for 4xx, ...).
std::string_view standard_reason(uint16_t code);

// `unix_seconds` as an RFC 1123 date in GMT, as SIP's Date wants it (§20.17):
// "Sat, 13 Nov 2010 23:29:00 GMT" (29 characters). Returns the characters written.
std::size_t format_sip_date(int64_t unix_seconds, char (&out)[29]);

// A 64-bit FNV-1a-style hash, eight bytes per step, for tags, branches and destination-set
// hashing (spread, not secrecy; stable across runs and builds). Inline: a forwarded request
// hashes six or more short fields (the loop hash, the branch), and a call per field cost as
// much as hashing it.
inline uint64_t fnv1a(std::string_view s, uint64_t h = 14695981039346656037ull) {
  // Eight bytes per step (the loop hash covers the Request-URI, tags and Call-ID of every
  // forwarded request); the shift folds the high bits the multiply produced back down, which
  // the byte-wise form gets from its next bytes.
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 1099511628211ull;
    h ^= h >> 29;
  }
  // The last 1 to 7 bytes in one step too: two overlapping loads (4 to 7 bytes) or three
  // bytes (1 to 3), with the length mixed in so that "a" and "aa" differ.
  if (n != 0) {
    uint64_t w;
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (uint64_t{hi} << 32) | lo;
    } else {
      w = static_cast<unsigned char>(p[0]) | uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
          uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
    }
    h = (h ^ w ^ (uint64_t{n} << 56)) * 1099511628211ull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace sipwire
