// Host classification from bit masks, for hosts inside a message (where bytes past the host
// may be loaded): one vector pass instead of a byte loop. Internal to the parser.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "parse_check.h"
#include "sipwire/chars.h"
#include "sipwire/uri.h"

namespace sipwire::detail {

// Bit k set where byte k of the 16 at p is in class `cls` (one chars::Class bit).
inline uint32_t class_mask16(__m128i v, uint32_t cls) {
  const chars::NibbleTables& t = chars::kNibbles[static_cast<std::size_t>(__builtin_ctz(cls))];
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.lo.data()));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.hi.data()));
  const __m128i nibble = _mm_set1_epi8(0x0F);
  const __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(v, nibble));
  const __m128i h = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nibble));
  return static_cast<uint32_t>(
             _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(l, h), _mm_setzero_si128()))) ^
         0xFFFFu;
}

inline uint32_t byte_mask16(__m128i v, char c) {
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
}

// is_ipv4_address() from the host's first 16 bytes: `digit` and `dot` have bit k set where
// byte k of p is a digit or a '.'. IPv4address = 1*3DIGIT 3("." 1*3DIGIT), each at most 255.
inline bool is_ipv4_masks(const char* p, std::size_t len, uint32_t digit, uint32_t dot) {
  if (len < 7 || len > 15) return false;
  const uint32_t valid = (1u << len) - 1;
  dot &= valid;
  if (((digit | dot) & valid) != valid || __builtin_popcount(dot) != 3) return false;
  std::size_t start = 0;
  for (int group = 0; group < 4; ++group) {
    const std::size_t end = group < 3 ? static_cast<std::size_t>(__builtin_ctz(dot)) : len;
    dot &= dot - 1;
    const std::size_t digits = end - start;
    if (digits == 0 || digits > 3) return false;
    // Three digits above "255": compared as a big-endian number, byte by byte.
    const auto at = [p](std::size_t i) { return static_cast<uint32_t>(p[i]); };
    if (digits == 3 && (at(start) << 16 | at(start + 1) << 8 | at(start + 2)) >
                           (uint32_t{'2'} << 16 | uint32_t{'5'} << 8 | uint32_t{'5'}))
      return false;
    start = end + 1;
  }
  return true;
}

// The hostname rules on masks of the host's bytes (bit k for byte k; the host is `len` bytes,
// every one a hostname character where `name` says so): no label empty or starting or ending
// with '-', the top label starting with a letter (RFC 3261 §25.1), one trailing dot allowed.
inline HostKind hostname_from_masks(const char* p, std::size_t len, uint64_t name, uint64_t alpha,
                                    uint64_t dot, uint64_t dash) {
  // hostname = *( domainlabel "." ) toplabel [ "." ]: one trailing dot is allowed.
  const std::size_t n = p[len - 1] == '.' ? len - 1 : len;
  if (n == 0) return HostKind::kNone;
  const uint64_t valid = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  if ((name & valid) != valid) return HostKind::kNone;
  dot &= valid;
  dash &= valid;
  const uint64_t label_start = (dot << 1) | 1;            // bytes that begin a label
  if ((dot & label_start) != 0) return HostKind::kNone;   // an empty label
  if ((dash & label_start) != 0) return HostKind::kNone;  // a label starting with '-'
  if ((dot & (dash << 1)) != 0 || ((dash >> (n - 1)) & 1) != 0)
    return HostKind::kNone;  // a label ending with '-'
  const std::size_t top = dot == 0 ? 0 : 64 - static_cast<std::size_t>(__builtin_clzll(dot));
  if (top >= n) return HostKind::kNone;  // "a..": the top label is empty
  return ((alpha >> top) & 1) != 0 ? HostKind::kName : HostKind::kNone;
}

// classify_host() of a host of 1 to 15 bytes held in `v` (the 16 bytes at p), `name` the mask
// of its hostname characters. As classify_host: a name's top label starts with a letter, so
// only a host ending in a digit can be IPv4.
inline HostKind classify_short_host(const char* p, std::size_t len, __m128i v, uint32_t name) {
  const uint32_t dot = byte_mask16(v, '.');
  if (chars::is_digit(p[len - 1]) && is_ipv4_masks(p, len, class_mask16(v, chars::kDigit), dot))
    return HostKind::kIpv4;
  return hostname_from_masks(p, len, name, class_mask16(v, chars::kAlpha), dot,
                             byte_mask16(v, '-'));
}

// classify_host(), the same answer for every input. Hostnames of up to 64 bytes with whole
// vectors readable are checked with masks; anything else (IPv6 references, long names, the end
// of a buffer) goes to classify_host.
inline HostKind classify_host_masks(std::string_view host, const char* readable_end) {
  const char* p = host.data();
  const std::size_t len = host.size();
  const std::size_t chunks = (len + 15) / 16;
  if (len == 0 || len > 64 || p[0] == '[' || readable_end == nullptr ||
      readable_end - p < static_cast<std::ptrdiff_t>(chunks * 16))
    return classify_host(host);
  if (len < 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return classify_short_host(p, len, v, class_mask16(v, chars::kHostname));
  }
  uint64_t name = 0, alpha = 0, dot = 0, dash = 0;
  for (std::size_t i = 0; i < chunks; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    name |= uint64_t{class_mask16(v, chars::kHostname)} << (16 * i);
    alpha |= uint64_t{class_mask16(v, chars::kAlpha)} << (16 * i);
    dot |= uint64_t{byte_mask16(v, '.')} << (16 * i);
    dash |= uint64_t{byte_mask16(v, '-')} << (16 * i);
  }
  return hostname_from_masks(p, len, name, alpha, dot, dash);
}

inline HostKind classify_host_in(std::string_view host, const char* readable_end) {
  const HostKind kind = classify_host_masks(host, readable_end);
#ifdef SIPWIRE_CHECK_FAST_PATHS
  check_fast_path(kind == classify_host(host));
#endif
  return kind;
}

}  // namespace sipwire::detail

namespace sipwire::detail {

struct HostScan {
  const char* end;  // where the host's hostname characters stop (at most the text's end)
  HostKind kind;    // classify_host() of [start, end)
};

// A host that is not an IPv6 reference, at p in text ending at e: where it ends and what it is,
// as skip_class(kHostname) and classify_host_in() find. A host shorter than 16 bytes (nearly
// all) is found and classified from one vector load.
inline HostScan scan_host(const char* p, const char* e, const char* readable_end) {
  if (readable_end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const uint32_t name = class_mask16(v, chars::kHostname);
    const auto run = static_cast<std::size_t>(__builtin_ctz(~name));  // name has 16 bits
    const auto available = static_cast<std::size_t>(e - p);
    if (run < 16 || available < 16) {
      const std::size_t len = std::min(run, available);
      const HostKind kind = len == 0 ? HostKind::kNone : classify_short_host(p, len, v, name);
#ifdef SIPWIRE_CHECK_FAST_PATHS
      check_fast_path(kind == classify_host({p, len}));
#endif
      return {p + len, kind};
    }
  }
  const char* q = chars::skip_class(p, e, readable_end, chars::kHostname);
  return {q, classify_host_in({p, static_cast<std::size_t>(q - p)}, readable_end)};
}

}  // namespace sipwire::detail
