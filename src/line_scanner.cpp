#include "sipwire/line_scanner.h"

#include <cstdlib>

#include "line_scanner_scalar.h"

namespace sipwire {

std::string_view to_string(ScannerIsa isa) {
  switch (isa) {
    case ScannerIsa::kScalar:
      return "scalar";
    case ScannerIsa::kSse42:
      return "sse42";
    case ScannerIsa::kAvx2:
      return "avx2";
  }
  return "?";
}

LineScan scan_lines_scalar(const char* data, std::size_t len, uint32_t* line_ends,
                           std::size_t capacity) {
  return detail::scan_lines_from(data, len, 0, line_ends, capacity, LineScan{});
}

bool cpu_supports(ScannerIsa isa) {
  switch (isa) {
    case ScannerIsa::kScalar:
      return true;
    case ScannerIsa::kSse42:
      return __builtin_cpu_supports("sse4.2");
    case ScannerIsa::kAvx2:
      return __builtin_cpu_supports("avx2");
  }
  return false;
}

LineScannerFn line_scanner(ScannerIsa isa) {
  switch (isa) {
    case ScannerIsa::kAvx2:
      return scan_lines_avx2;
    case ScannerIsa::kSse42:
      return scan_lines_sse42;
    case ScannerIsa::kScalar:
      break;
  }
  return scan_lines_scalar;
}

namespace {
ScannerIsa choose_isa() {
  // An operator (or a test) can pin the implementation; an unsupported choice falls back.
  if (const char* forced = std::getenv("SIPWIRE_SCANNER")) {
    for (ScannerIsa isa : {ScannerIsa::kScalar, ScannerIsa::kSse42, ScannerIsa::kAvx2})
      if (to_string(isa) == forced && cpu_supports(isa)) return isa;
  }
  if (cpu_supports(ScannerIsa::kAvx2)) return ScannerIsa::kAvx2;
  if (cpu_supports(ScannerIsa::kSse42)) return ScannerIsa::kSse42;
  return ScannerIsa::kScalar;
}

// Resolved once, before main() runs any parse: the per-message path only calls through it.
const ScannerIsa kChosenIsa = choose_isa();
const LineScannerFn kChosenScanner = line_scanner(kChosenIsa);
}  // namespace

ScannerIsa best_scanner_isa() {
  return kChosenIsa;
}

LineScan scan_lines(const char* data, std::size_t len, uint32_t* line_ends, std::size_t capacity) {
  return kChosenScanner(data, len, line_ends, capacity);
}

}  // namespace sipwire
