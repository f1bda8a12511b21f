// Character classes of the RFC 3261 §25 grammar, as one 256-entry table of bit flags.
// Every scanner in the parser tests bytes through these: one load and one AND per byte.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstdint>
#include <string_view>

namespace sipwire::chars {

enum Class : uint32_t {
  kDigit = 1u << 0,
  kAlpha = 1u << 1,
  kHex = 1u << 2,
  kToken = 1u << 3,  // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  kWord = 1u << 4,   // word (Call-ID): token chars plus ( ) < > : \ DQUOTE / [ ] ? { }
  kUnreserved = 1u << 5,  // alphanum / mark
  kUser = 1u << 6,        // user: unreserved / user-unreserved ("%" checked apart, for escapes)
  kPassword = 1u << 7,    // password: unreserved / & = + $ ,
  kParam = 1u << 8,       // paramchar: param-unreserved / unreserved
  kHnv = 1u << 9,         // hname / hvalue: hnv-unreserved / unreserved
  kScheme = 1u << 10,     // scheme after the first ALPHA: ALPHA / DIGIT / + - .
  kHostname = 1u << 11,   // hostname labels: alphanum / "-" / "."
  kUric = 1u << 12,       // uric: reserved / unreserved ("%" checked apart)
  kWsp = 1u << 13,        // SP / HTAB
  kReason = 1u << 14,     // reason-phrase: reserved / unreserved / UTF-8 / SP / HTAB
  kGenValue = 1u << 15,   // unquoted gen-value: token / host (':' for bare IPv6 in Via received)
  kVisible = 1u << 16,    // neither white space nor a control: what a Request-URI is made of
  kUriText = 1u << 17,    // any URI's bytes: reserved / unreserved / "%" / "[" / "]" (IPv6)
};

namespace detail {
constexpr bool in(char c, std::string_view set) {
  for (char s : set)
    if (s == c) return true;
  return false;
}

constexpr std::array<uint32_t, 256> build() {
  std::array<uint32_t, 256> t{};
  constexpr std::string_view mark = "-_.!~*'()";
  constexpr std::string_view reserved = ";/?:@&=+$,";
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    const bool digit = c >= '0' && c <= '9';
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool alnum = digit || alpha;
    const bool unreserved = alnum || in(c, mark);
    uint32_t f = 0;
    if (digit) f |= kDigit;
    if (alpha) f |= kAlpha;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHex;
    if (alnum || in(c, "-.!%*_+`'~")) f |= kToken;
    if (alnum || in(c, "-.!%*_+`'~()<>:\\\"/[]?{}")) f |= kWord;
    if (unreserved) f |= kUnreserved;
    if (unreserved || in(c, "&=+$,;?/")) f |= kUser;
    if (unreserved || in(c, "&=+$,")) f |= kPassword;
    if (unreserved || in(c, "[]/:&+$")) f |= kParam;
    if (unreserved || in(c, "[]/?:+$")) f |= kHnv;
    if (alnum || in(c, "+-.")) f |= kScheme;
    if (alnum || c == '-' || c == '.') f |= kHostname;
    if (unreserved || in(c, reserved)) f |= kUric;
    if (c == ' ' || c == '\t') f |= kWsp;
    if (unreserved || in(c, reserved) || c == ' ' || c == '\t' || c == '%' || i >= 0x80)
      f |= kReason;
    if (alnum || in(c, "-.!%*_+`'~:")) f |= kGenValue;
    if (i > 0x20 && i != 0x7F) f |= kVisible;
    if (unreserved || in(c, reserved) || in(c, "%[]")) f |= kUriText;
    t[static_cast<std::size_t>(i)] = f;
  }
  return t;
}
}  // namespace detail

inline constexpr std::array<uint32_t, 256> kTable = detail::build();

constexpr bool is(char c, uint32_t cls) {
  return (kTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool is_digit(char c) {
  return is(c, kDigit);
}
constexpr bool is_hex(char c) {
  return is(c, kHex);
}
constexpr bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}
constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

// ---- 16 bytes at a time ----
//
// Any class above is tested on 16 bytes with two PSHUFB lookups: byte c is in the class when
// lo[c & 15] & hi[c >> 4] is non-zero. Each of the 16 rows (high nibbles) gets one bit standing
// for its set of columns (low nibbles); rows with the same column set share the bit. A class is
// representable when it has at most 8 distinct non-empty rows, which the static_assert proves
// for every class here (x86-64-v2 has PSHUFB: the project builds for it, see meson.build).
struct NibbleTables {
  std::array<uint8_t, 16> lo{};
  std::array<uint8_t, 16> hi{};
  bool representable = true;
};

namespace detail {
constexpr NibbleTables build_nibbles(uint32_t cls) {
  NibbleTables t{};
  std::array<uint16_t, 8> patterns{};
  std::size_t count = 0;
  for (std::size_t row = 0; row < 16; ++row) {
    uint16_t cols = 0;
    for (std::size_t col = 0; col < 16; ++col)
      if (kTable[row * 16 + col] & cls) cols = static_cast<uint16_t>(cols | (1u << col));
    if (cols == 0) continue;
    std::size_t k = 0;
    while (k < count && patterns[k] != cols) ++k;
    if (k == count) {
      if (count == patterns.size()) {
        t.representable = false;
        return t;
      }
      patterns[count++] = cols;
    }
    t.hi[row] = static_cast<uint8_t>(1u << k);
    for (std::size_t col = 0; col < 16; ++col)
      if (cols & (1u << col)) t.lo[col] = static_cast<uint8_t>(t.lo[col] | (1u << k));
  }
  return t;
}

constexpr std::array<NibbleTables, 18> build_all_nibbles() {
  std::array<NibbleTables, 18> t{};
  for (std::size_t b = 0; b < t.size(); ++b) t[b] = build_nibbles(1u << b);
  return t;
}
}  // namespace detail

inline constexpr std::array<NibbleTables, 18> kNibbles = detail::build_all_nibbles();

constexpr bool all_representable() {
  for (const NibbleTables& t : kNibbles)
    if (!t.representable) return false;
  return true;
}
static_assert(all_representable(), "a character class needs more than 8 row patterns");

// The first position in [p, end) whose byte is not in `cls` (one Class bit). Bytes in
// [end, readable_end) may be loaded to keep to whole 16-byte vectors, never used.
inline const char* skip_class(const char* p, const char* end, const char* readable_end,
                              uint32_t cls) {
  const NibbleTables& t = kNibbles[static_cast<std::size_t>(__builtin_ctz(cls))];
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.lo.data()));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.hi.data()));
  const __m128i nibble = _mm_set1_epi8(0x0F);
  while (p < end && readable_end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i l = _mm_shuffle_epi8(lo, _mm_and_si128(v, nibble));
    const __m128i h = _mm_shuffle_epi8(hi, _mm_and_si128(_mm_srli_epi16(v, 4), nibble));
    const auto outside = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(l, h), _mm_setzero_si128())));
    if (outside != 0) {
      const char* stop = p + __builtin_ctz(outside);
      return stop < end ? stop : end;
    }
    p += 16;
  }
  if (p > end) return end;
  while (p < end && is(*p, cls)) ++p;
  return p;
}

// ASCII case-insensitive equality: SIP names, schemes, parameters and tokens compare this way.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // hosts and tags usually come in the case they are compared with
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace sipwire::chars
