// Whether a short needle (an IP address or host name) occurs in a header value. The loop
// check asks this of every Via of every request: std::string_view::find calls memchr for
// each occurrence of the needle's first byte, and a "1" in "127.0.0.1" is in most Via values
// many times over.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <string_view>

namespace sipwire {

// SSE2, 16 positions a step: a position is a candidate when the needle's first and last bytes
// both match there (W. Muła's "SIMD-friendly" search), and only candidates are compared whole.
// No byte outside `hay` is read: the last block overlaps the one before it. A value with
// fewer than 16 possible positions goes to std::string_view::find.
inline bool contains(std::string_view hay, std::string_view needle) {
  const std::size_t n = needle.size();
  if (n == 0) return true;
  if (hay.size() < n) return false;
  const std::size_t positions = hay.size() - n + 1;  // where the needle could start
  if (positions < 16) return hay.find(needle) != std::string_view::npos;
  const char* h = hay.data();
  const __m128i first = _mm_set1_epi8(needle.front());
  const __m128i last = _mm_set1_epi8(needle.back());
  // Candidates among positions [at, at + 16), less those below `from` (seen already).
  auto found_in = [&](std::size_t at, std::size_t from) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + at + n - 1));
    auto mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last))));
    mask &= ~0u << (from - at);
    while (mask != 0) {
      const auto k = static_cast<std::size_t>(__builtin_ctz(mask));
      if (n <= 2 || std::memcmp(h + at + k + 1, needle.data() + 1, n - 2) == 0) return true;
      mask &= mask - 1;
    }
    return false;
  };
  std::size_t i = 0;
  for (; i + 16 <= positions; i += 16)
    if (found_in(i, i)) return true;
  // The last positions: one more block, ending where the positions end, overlapping the last.
  return i < positions && found_in(positions - 16, i);
}

}  // namespace sipwire
