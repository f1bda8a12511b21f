// A forward-only cursor over one header value (or URI), aware of SIP's linear white space:
// LWS = [*WSP CRLF] 1*WSP, so a folded line (CRLF followed by SP/HT) counts as white space.
// Internal to the parser; errors carry offsets from `origin`, the start of the message.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/chars.h"
#include "sipwire/parse_error.h"

namespace sipwire::detail {

class Cursor {
 public:
  Cursor(std::string_view text, Source src)
      : p_(text.data()),
        end_(text.data() + text.size()),
        origin_(src.origin ? src.origin : text.data()),
        readable_(src.readable_end && src.readable_end > end_ ? src.readable_end : end_) {}

  bool at_end() const { return p_ == end_; }
  char peek() const { return p_ < end_ ? *p_ : '\0'; }
  const char* pos() const { return p_; }
  const char* end() const { return end_; }
  void advance(std::size_t n = 1) { p_ += n; }
  uint32_t offset() const { return offset_of(p_); }
  uint32_t offset_of(const char* q) const { return static_cast<uint32_t>(q - origin_); }
  ParseError error(std::string_view why) const { return ParseError::bad(offset(), why); }

  // Skips SP, HTAB and folds. Returns whether anything was skipped.
  bool skip_lws() {
    // Most calls find no white space at all: one test before the loop.
    if (p_ == end_ || (!chars::is_wsp(*p_) && *p_ != '\r')) return false;
    const char* start = p_;
    for (;;) {
      while (p_ < end_ && chars::is_wsp(*p_)) ++p_;
      if (end_ - p_ >= 3 && p_[0] == '\r' && p_[1] == '\n' && chars::is_wsp(p_[2])) {
        p_ += 3;
        continue;
      }
      return p_ != start;
    }
  }

  bool eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // SWS c SWS, the separators SEMI, COMMA, EQUAL, SLASH and COLON of RFC 3261 §25.1. On a miss
  // the cursor stays where it was.
  bool eat_separator(char c) {
    // The usual case, the separator with no white space before it (c is never white space).
    if (p_ < end_ && *p_ == c) {
      ++p_;
      skip_lws();
      return true;
    }
    const char* save = p_;
    skip_lws();
    if (eat(c)) {
      skip_lws();
      return true;
    }
    p_ = save;
    return false;
  }

  // Source for nested parsers: same origin, same readable bytes.
  Source source() const { return {origin_, readable_}; }

  // A run of characters of one class (one chars::Class bit), 16 bytes at a time.
  std::string_view take_while(uint32_t cls) {
    const char* start = p_;
    p_ = chars::skip_class(p_, end_, readable_, cls);
    return {start, static_cast<std::size_t>(p_ - start)};
  }

  // Characters of `cls` or %HH escapes. Sets `bad_escape` at a '%' not followed by two hex
  // digits (and stops there).
  std::string_view take_escaped(uint32_t cls, bool& bad_escape) {
    const char* start = p_;
    bad_escape = false;
    for (;;) {
      p_ = chars::skip_class(p_, end_, readable_, cls);
      if (p_ == end_ || *p_ != '%') break;
      if (end_ - p_ < 3 || !chars::is_hex(p_[1]) || !chars::is_hex(p_[2])) {
        bad_escape = true;
        break;
      }
      p_ += 3;
    }
    return {start, static_cast<std::size_t>(p_ - start)};
  }

  // quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE, the cursor at the DQUOTE.
  // Returns the string with its quotes; sets `ok` false when it is unterminated or malformed.
  std::string_view take_quoted(bool& ok) {
    const char* start = p_;
    ok = false;
    if (!eat('"')) return {};
    while (p_ < end_) {
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        ok = true;
        return {start, static_cast<std::size_t>(p_ - start)};
      }
      if (c == '\\') {
        // quoted-pair: "\" followed by any octet 0x00-0x7F except CR and LF
        if (end_ - p_ < 2) return {};
        const unsigned char n = static_cast<unsigned char>(p_[1]);
        if (n > 0x7F || n == '\r' || n == '\n') return {};
        p_ += 2;
      } else if (c == '\r') {
        if (!skip_lws()) return {};  // only a fold may break a quoted string across lines
      } else if (c < 0x20 && c != '\t') {
        return {};
      } else if (c == 0x7F) {
        return {};
      } else {
        ++p_;
      }
    }
    return {};
  }

 private:
  const char* p_;
  const char* end_;
  const char* origin_;
  const char* readable_;
};

// Trims LWS (including folds) at both ends of a raw header value.
inline std::string_view trim_lws(std::string_view v) {
  Cursor c(v, Source{});
  c.skip_lws();
  const char* b = c.pos();
  const char* e = v.data() + v.size();
  while (e > b && (chars::is_wsp(e[-1]) || e[-1] == '\r' || e[-1] == '\n')) --e;
  return {b, static_cast<std::size_t>(e - b)};
}

}  // namespace sipwire::detail
