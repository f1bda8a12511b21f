// Appends text into a fixed buffer, refusing (not truncating) what does not fit: building a
// response never allocates, and an overflow is reported instead of sending a cut message.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstring>
#include <span>
#include <string_view>

#include "sipwire/chars.h"

namespace sipwire {

class TextWriter {
 public:
  // "00" "01" ... "99".
  static constexpr char kDigitPairs[201] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";

  explicit TextWriter(std::span<char> buf) : buf_(buf) {}

  TextWriter& put(std::string_view s) {
    if (s.empty()) return *this;  // an empty view may have a null data(): no memcpy from it
    if (!ok_ || buf_.size() - len_ < s.size()) {
      ok_ = false;
      return *this;
    }
    std::memcpy(buf_.data() + len_, s.data(), s.size());
    len_ += s.size();
    return *this;
  }
  TextWriter& put(uint64_t v) {
    // Nearly every number a proxy writes has four digits or fewer (status codes, ports,
    // Content-Length, expires, Max-Forwards): written in place from a table of digit pairs,
    // without to_chars' length count, a copy and a memcpy call.
    if (v < 10000 && ok_ && buf_.size() - len_ >= 4) {
      char* out = buf_.data() + len_;
      const auto n = static_cast<unsigned>(v);
      if (n < 10) {
        out[0] = static_cast<char>('0' + n);
        len_ += 1;
      } else if (n < 100) {
        std::memcpy(out, kDigitPairs + 2 * n, 2);
        len_ += 2;
      } else if (n < 1000) {
        out[0] = static_cast<char>('0' + n / 100);
        std::memcpy(out + 1, kDigitPairs + 2 * (n % 100), 2);
        len_ += 3;
      } else {
        std::memcpy(out, kDigitPairs + 2 * (n / 100), 2);
        std::memcpy(out + 2, kDigitPairs + 2 * (n % 100), 2);
        len_ += 4;
      }
      return *this;
    }
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    return put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  }

  // A Reason-Phrase (RFC 3261 §25): bytes the grammar does not allow there (such as '<',
  // '>' or '"', which some defect descriptions contain) are written %-escaped, so a response
  // never carries a status line its receiver must reject.
  TextWriter& put_reason(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char c : s) {
      if (chars::is(c, chars::kReason) && c != '%') {
        put(std::string_view(&c, 1));
      } else {
        const auto u = static_cast<unsigned char>(c);
        const char esc[3] = {'%', kHex[u >> 4], kHex[u & 15]};
        put(std::string_view(esc, 3));
      }
    }
    return *this;
  }

  bool ok() const { return ok_; }
  std::size_t size() const { return len_; }
  std::string_view view() const { return {buf_.data(), len_}; }

 private:
  std::span<char> buf_;
  std::size_t len_ = 0;
  bool ok_ = true;
};

}  // namespace sipwire
