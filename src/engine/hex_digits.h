// Sixteen lowercase hex digits of a 64-bit value, the lowest nibble first, all at once: each
// nibble widened to a byte, then looked up in a 16-byte table (pshufb). For the To tags and
// Record-Route signatures every answer and record-routed forward writes.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace sipwire::detail {

inline void write_hex16(uint64_t v, char (&out)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  const __m128i bytes = _mm_cvtsi64_si128(static_cast<long long>(v));
  const __m128i low = _mm_and_si128(bytes, _mm_set1_epi8(0x0F));
  const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(0x0F));
  const __m128i nibbles = _mm_unpacklo_epi8(low, high);  // byte 2k: low nibble of byte k
  const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kHex));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(table, nibbles));
}

}  // namespace sipwire::detail
