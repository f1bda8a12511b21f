// The SIMD line scanner, written once for any vector width. Included only by the per-ISA
// translation units, each compiled with its own -m flags; everything here has internal linkage
// so no ISA-specific code can leak into the rest of the binary through a shared inline symbol.
#pragma once

#include "line_scanner_scalar.h"

namespace sipwire::detail {
namespace {

// Ops provides kWidth (bytes per block, at most 64) and
// masks(const char* p, uint64_t& lf, uint64_t& cr): bit k set where p[k] is LF / CR.
template <class Ops>
LineScan scan_lines_simd(const char* data, std::size_t len, uint32_t* out, std::size_t cap) {
  constexpr std::size_t kWidth = Ops::kWidth;
  constexpr uint64_t kFull = kWidth == 64 ? ~uint64_t{0} : (uint64_t{1} << kWidth) - 1;
  LineScan r;
  std::size_t i = 0;
  uint64_t cr_carry = 0;  // 1 when the byte before this block is a CR
  for (; i + kWidth <= len; i += kWidth) {
    uint64_t lf = 0, cr = 0;
    Ops::masks(data + i, lf, cr);
    // In a well-formed header block every LF sits right after a CR and every CR right before
    // a LF: the LF mask is the CR mask shifted by one. Anything else (a bare CR or LF, or the
    // binary body just past the header block) goes to the scalar path, which knows which.
    if (lf != (((cr << 1) | cr_carry) & kFull)) break;
    while (lf != 0) {
      const std::size_t pos = i + static_cast<std::size_t>(__builtin_ctzll(lf));
      if (record_line_end(data, len, pos, out, cap, r)) return r;
      lf &= lf - 1;
    }
    cr_carry = (cr >> (kWidth - 1)) & 1;
  }
  // The last partial block (a message without a body ends its header block there): one more
  // load, of the last kWidth bytes, which overlaps what was scanned; its masks are shifted so
  // that bit 0 is byte i. The scalar path takes it when the loop stopped early, when the
  // message is shorter than a block, or when its last byte is a CR (a truncated CRLF, which
  // the scalar path reports as incomplete).
  if (i + kWidth > len && i < len && len >= kWidth) {
    const std::size_t start = len - kWidth;
    const std::size_t skip = i - start;  // bytes of this block scanned already
    const std::size_t left = len - i;
    uint64_t lf = 0, cr = 0;
    Ops::masks(data + start, lf, cr);
    lf >>= skip;
    cr >>= skip;
    const uint64_t valid = (uint64_t{1} << left) - 1;
    if (lf == (((cr << 1) | cr_carry) & valid) && ((cr >> (left - 1)) & 1) == 0) {
      while (lf != 0) {
        const std::size_t pos = i + static_cast<std::size_t>(__builtin_ctzll(lf));
        if (record_line_end(data, len, pos, out, cap, r)) return r;
        lf &= lf - 1;
      }
      return r;
    }
  }
  // A CR carried over from the last whole block has not been checked against its successor
  // yet: the scalar path starts on it.
  return scan_lines_from(data, len, i - cr_carry, out, cap, r);
}

}  // namespace
}  // namespace sipwire::detail
