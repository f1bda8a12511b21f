#include "dataplane/dpdk/word_sum.h"

#include <immintrin.h>

namespace sipwire::dataplane::net {

// Each 32-bit word is widened to a 64-bit lane (unpack with zero) before it is added, so no
// carry is lost however long the block.
uint64_t sum_words32_sse2(const uint8_t* p, std::size_t n) {
  const __m128i zero = _mm_setzero_si128();
  __m128i a = zero, b = zero;
  for (; n >= 32; p += 32, n -= 32) {
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    a = _mm_add_epi64(a, _mm_unpacklo_epi32(v0, zero));
    b = _mm_add_epi64(b, _mm_unpackhi_epi32(v0, zero));
    a = _mm_add_epi64(a, _mm_unpacklo_epi32(v1, zero));
    b = _mm_add_epi64(b, _mm_unpackhi_epi32(v1, zero));
  }
  const __m128i t = _mm_add_epi64(a, b);
  return static_cast<uint64_t>(_mm_cvtsi128_si64(t)) +
         static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(t, t)));
}

__attribute__((target("avx2"))) uint64_t sum_words32_avx2(const uint8_t* p, std::size_t n) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i a = zero, b = zero;
  for (; n >= 64; p += 64, n -= 64) {
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i v1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v0, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v0, zero));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v1, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v1, zero));
  }
  if (n >= 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    a = _mm256_add_epi64(a, _mm256_unpacklo_epi32(v, zero));
    b = _mm256_add_epi64(b, _mm256_unpackhi_epi32(v, zero));
  }
  const __m256i t = _mm256_add_epi64(a, b);
  const __m128i u = _mm_add_epi64(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(u)) +
         static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(u, u)));
}

bool cpu_has_avx2() {
  __builtin_cpu_init();  // may run from a static initializer, before libgcc's own
  return __builtin_cpu_supports("avx2");
}

namespace {
using SumFn = uint64_t (*)(const uint8_t*, std::size_t);
// Chosen once, before main(): the per-datagram path only calls through it.
const SumFn kChosenSum = cpu_has_avx2() ? sum_words32_avx2 : sum_words32_sse2;
}  // namespace

uint64_t sum_words32(const uint8_t* p, std::size_t n) {
  return kChosenSum(p, n);
}

}  // namespace sipwire::dataplane::net
