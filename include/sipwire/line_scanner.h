// Stage 1 of parsing: find the structure of the header block.
//
// One pass over the bytes records the offset of every LF that ends a line of the start line and
// header block, stops after the empty line that ends the block, and checks on the way that CR and
// LF come only as CRLF pairs (a bare CR or LF in the header block is malformed). Stage 2 (the
// message parser) then walks lines by these offsets without looking for delimiters again.
//
// Three implementations with one contract: scalar, SSE4.2 (16-byte vectors) and AVX2 (32-byte
// vectors); the best one the CPU has is chosen at run time, so one binary runs on any x86-64 and
// under valgrind. The body is never scanned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipwire {

struct LineScan {
  static constexpr std::size_t kNotFound = SIZE_MAX;

  std::size_t lines = 0;               // LF offsets written to the output array
  std::size_t header_end = kNotFound;  // offset just past the CRLF CRLF; kNotFound if absent
  std::size_t bad_at = kNotFound;      // offset of a bare CR or LF in the header block
  bool overflow = false;               // more lines than the output array holds

  bool complete() const { return header_end != kNotFound && bad_at == kNotFound && !overflow; }
};

enum class ScannerIsa : uint8_t { kScalar, kSse42, kAvx2 };

std::string_view to_string(ScannerIsa isa);

using LineScannerFn = LineScan (*)(const char* data, std::size_t len, uint32_t* line_ends,
                                   std::size_t capacity);

// Scans data[0, len). The first line starts at offset 0.
LineScan scan_lines_scalar(const char* data, std::size_t len, uint32_t* line_ends,
                           std::size_t capacity);
LineScan scan_lines_sse42(const char* data, std::size_t len, uint32_t* line_ends,
                          std::size_t capacity);
LineScan scan_lines_avx2(const char* data, std::size_t len, uint32_t* line_ends,
                         std::size_t capacity);

// Whether this CPU can run an implementation.
bool cpu_supports(ScannerIsa isa);
// The implementation for an ISA (which must be supported).
LineScannerFn line_scanner(ScannerIsa isa);
// The fastest implementation this CPU supports; SIPWIRE_SCANNER=scalar|sse42|avx2 in the
// environment overrides it (read once, at first use).
ScannerIsa best_scanner_isa();

// Scans with the implementation chosen at run time.
LineScan scan_lines(const char* data, std::size_t len, uint32_t* line_ends, std::size_t capacity);

}  // namespace sipwire
