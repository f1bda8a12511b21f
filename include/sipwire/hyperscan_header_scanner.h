// Header-name scanning with one Hyperscan database: every known header name (long and compact
// form, any case) is a pattern anchored at a line start, so one pass over the header block
// finds and classifies every field. It is the alternative to the SIMD line scanner plus
// classify_header_name; bench/scanner_bench.cpp compares the two and docs/BENCHMARKS.md records
// which one the parser uses and why. The same engine matches operators' policy patterns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sipwire/header_id.h"

namespace sipwire {

struct HeaderHit {
  HeaderId id;
  uint32_t value_offset;  // just past the ':' of the field's name
};

class HyperscanHeaderScanner {
 public:
  // Compiles the database and allocates scratch space. Returns null and sets `error` on failure.
  static std::unique_ptr<HyperscanHeaderScanner> create(std::string& error);
  ~HyperscanHeaderScanner();
  HyperscanHeaderScanner(const HyperscanHeaderScanner&) = delete;
  HyperscanHeaderScanner& operator=(const HyperscanHeaderScanner&) = delete;

  struct Result {
    std::size_t hits = 0;
    std::size_t header_end = SIZE_MAX;  // just past CRLF CRLF; SIZE_MAX if not found
    bool overflow = false;
  };
  // Scans one message's header block (it stops at the empty line; the body is not scanned).
  // Not thread-safe: one scanner per worker, as Hyperscan scratch space is per thread.
  Result scan(std::string_view message, HeaderHit* hits, std::size_t capacity);

 private:
  HyperscanHeaderScanner() = default;
  struct Impl;
  Impl* impl_ = nullptr;
};

}  // namespace sipwire
