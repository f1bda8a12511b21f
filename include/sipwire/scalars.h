// The numeric and single-token header values: CSeq, Max-Forwards, Content-Length, Expires
// (delta-seconds), Call-ID, and the SIP method. Overlarge values are errors, never wraps.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/parse_error.h"

namespace sipwire {

enum class Method : uint8_t {
  kExtension = 0,  // any other token: proxies forward methods they do not know
  kInvite,
  kAck,
  kBye,
  kCancel,
  kRegister,
  kOptions,
  kInfo,
  kPrack,
  kUpdate,
  kSubscribe,
  kNotify,
  kRefer,
  kMessage,
  kPublish,
};

// Methods are case-sensitive (RFC 3261 §7.1).
Method classify_method(std::string_view token);

struct CSeq {
  uint32_t number = 0;  // < 2**31 (§8.1.1.5)
  std::string_view method_name;
  Method method = Method::kExtension;
};

// CSeq = 1*DIGIT LWS Method
ParseError parse_cseq(std::string_view value, CSeq& out, Source src = {});

// 1*DIGIT with an inclusive maximum; false on anything else, overflow included.
bool parse_bounded_uint(std::string_view text, uint32_t max, uint32_t& out);

// delta-seconds = 1*DIGIT. RFC 3261 §20.19/§10.2.1.1: a value above 2**32-1 is taken as
// 2**32-1, so any run of digits is valid.
bool parse_delta_seconds_any(std::string_view text, uint32_t& out);
inline bool parse_delta_seconds(std::string_view text, uint32_t& out) {
  // Every REGISTER has one or two ("Expires: 3600", ";expires=3600"), of at most nine digits,
  // which cannot overflow 32 bits: one subtract and compare per digit, here, inline.
  if (text.empty() || text.size() > 9) return parse_delta_seconds_any(text, out);
  uint32_t v = 0;
  for (const char ch : text) {
    const unsigned d = static_cast<unsigned char>(ch) - unsigned{'0'};
    if (d > 9) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// callid = word [ "@" word ]
bool is_valid_call_id(std::string_view value);

}  // namespace sipwire
