// Character classes of the RFC 3261 §25 grammar, as one 256-entry table of bit flags.
// Every scanner in the parser tests bytes through these: one load and one AND per byte.
#pragma once

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

// ASCII case-insensitive equality: SIP names, schemes, parameters and tokens compare this way.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace sipwire::chars
