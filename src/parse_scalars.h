// Inline helpers for the hot path of the message parser: whole-word loads and the numbers
// and tokens nearly every message has in the same shape. Internal to the parser.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipwire/chars.h"
#include "sipwire/scalars.h"

namespace sipwire::detail {

// Eight bytes as a little-endian word; p must have 8 readable bytes.
inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// parse_bounded_uint(), inline: 1*DIGIT with an inclusive maximum. Up to 9 digits cannot
// overflow 32 bits, so the maximum is checked once at the end; the value only grows, so this
// rejects exactly what a check after every digit rejects.
inline bool parse_uint(const char* b, const char* e, uint32_t max, uint32_t& out) {
  if (b == e || e - b > 9)
    return parse_bounded_uint({b, static_cast<std::size_t>(e - b)}, max, out);
  uint32_t v = 0;
  for (const char* p = b; p < e; ++p) {
    const auto d = static_cast<uint32_t>(static_cast<unsigned char>(*p) - '0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > max) return false;
  out = v;
  return true;
}

// parse_cseq() for the shape nearly every CSeq has, "1*DIGIT SP Method" with at most 9 digits
// and a single space. Returns false, touching nothing, on anything else: the caller then runs
// parse_cseq(), which accepts or rejects exactly as before. `readable_end` as in
// chars::skip_class.
inline bool parse_cseq_fast(const char* b, const char* e, const char* readable_end, CSeq& out) {
  const char* p = b;
  uint32_t number = 0;
  while (p < e && p - b < 9) {
    const auto d = static_cast<uint32_t>(static_cast<unsigned char>(*p) - '0');
    if (d > 9) break;
    number = number * 10 + d;
    ++p;
  }
  // Up to 9 digits stay below 2**31 - 1 only when the value says so; a tenth digit falls back.
  if (p == b || p == e || *p != ' ' || number > 0x7FFFFFFFu) return false;
  const char* method = p + 1;
  const char* method_end = chars::skip_class(method, e, readable_end, chars::kToken);
  if (method_end == method || method_end != e) return false;
  out.number = number;
  out.method_name = {method, static_cast<std::size_t>(e - method)};
  out.method = classify_method(out.method_name);
  return true;
}

}  // namespace sipwire::detail
