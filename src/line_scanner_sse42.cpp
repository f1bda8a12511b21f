// Compiled with -msse4.2 (see src/meson.build); called only when the CPU has SSE4.2.
#include <immintrin.h>

#include "line_scanner_simd.h"

namespace sipwire {
namespace {
struct Sse42Ops {
  static constexpr std::size_t kWidth = 16;
  static void masks(const char* p, uint64_t& lf, uint64_t& cr) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    lf = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    cr = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
  }
};
}  // namespace

LineScan scan_lines_sse42(const char* data, std::size_t len, uint32_t* line_ends,
                          std::size_t capacity) {
  return detail::scan_lines_simd<Sse42Ops>(data, len, line_ends, capacity);
}
}  // namespace sipwire
