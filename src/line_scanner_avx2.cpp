// Compiled with -mavx2 (see src/meson.build); called only when the CPU has AVX2.
#include <immintrin.h>

#include "line_scanner_simd.h"

namespace sipwire {
namespace {
// 64 bytes (two vectors) a block: the loop's own work (bounds, the CRLF check, the carry) is
// paid once per 64 bytes, and a header line is ~40 bytes.
struct Avx2Ops {
  static constexpr std::size_t kWidth = 64;
  static void masks(const char* p, uint64_t& lf, uint64_t& cr) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const __m256i n = _mm256_set1_epi8('\n');
    const __m256i r = _mm256_set1_epi8('\r');
    lf = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, n))) |
         uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, n)))} << 32;
    cr = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, r))) |
         uint64_t{static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, r)))} << 32;
  }
};
}  // namespace

LineScan scan_lines_avx2(const char* data, std::size_t len, uint32_t* line_ends,
                         std::size_t capacity) {
  return detail::scan_lines_simd<Avx2Ops>(data, len, line_ends, capacity);
}
}  // namespace sipwire
