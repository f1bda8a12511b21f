// The scalar line scanner, continuing from any offset: the reference every SIMD variant must
// agree with, and the tail handler those variants call for their last partial block.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipwire/line_scanner.h"

namespace sipwire::detail {

// Records `lf` as the end of a line; returns true when scanning must stop (overflow, or the
// line after `lf` is the empty line that ends the header block).
inline bool record_line_end(const char* data, std::size_t len, std::size_t lf, uint32_t* out,
                            std::size_t cap, LineScan& r) {
  if (r.lines == cap) {
    r.overflow = true;
    return true;
  }
  out[r.lines++] = static_cast<uint32_t>(lf);
  if (lf + 2 < len && data[lf + 1] == '\r' && data[lf + 2] == '\n') {
    r.header_end = lf + 3;
    return true;
  }
  return false;
}

// Continues a scan at `from`, which is a line's interior or start (never inside a CRLF pair
// whose CR was already checked, except that a LF at `from` is checked against data[from - 1]).
inline LineScan scan_lines_from(const char* data, std::size_t len, std::size_t from, uint32_t* out,
                                std::size_t cap, LineScan r) {
  for (std::size_t i = from; i < len; ++i) {
    const char c = data[i];
    if (c == '\r') {
      if (i + 1 == len) return r;  // truncated in a CRLF: incomplete, not malformed
      if (data[i + 1] != '\n') {
        r.bad_at = i;
        return r;
      }
    } else if (c == '\n') {
      if (i == 0 || data[i - 1] != '\r') {
        r.bad_at = i;
        return r;
      }
      if (record_line_end(data, len, i, out, cap, r)) return r;
    }
  }
  return r;
}

}  // namespace sipwire::detail
