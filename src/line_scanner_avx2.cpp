// Compiled with -mavx2 (see src/meson.build); called only when the CPU has AVX2.
#include <immintrin.h>

#include "line_scanner_simd.h"

namespace sipwire {
namespace {
struct Avx2Ops {
  static constexpr std::size_t kWidth = 32;
  static void masks(const char* p, uint64_t& lf, uint64_t& cr) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    lf = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n'))));
    cr = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\r'))));
  }
};
}  // namespace

LineScan scan_lines_avx2(const char* data, std::size_t len, uint32_t* line_ends,
                         std::size_t capacity) {
  return detail::scan_lines_simd<Avx2Ops>(data, len, line_ends, capacity);
}
}  // namespace sipwire
