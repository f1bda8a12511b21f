#include "sipwire/list_splitter.h"

#include <immintrin.h>

#include "cursor.h"

namespace sipwire {

namespace {

// Bytes other than " \ < > , never change where a list splits: from i, the first position in
// [i, n) holding one of those, 16 bytes at a time while whole vectors fit (then the caller's
// byte loop takes over). Returns i unchanged, or past n, when no whole vector fits.
std::size_t skip_ordinary(const char* p, std::size_t i, std::size_t n) {
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')),
                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('>'))),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8(','))));
    const auto mask = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (mask != 0) return i + static_cast<std::size_t>(__builtin_ctz(mask));
    i += 16;
  }
  return i;
}

}  // namespace

bool ListSplitter::next(std::string_view& element) {
  if (done_) return false;
  bool quoted = false;
  bool angle = false;
  const char* data = rest_.data();
  const std::size_t n = rest_.size();
  std::size_t i = skip_ordinary(data, 0, n);
  for (; i < n; i = skip_ordinary(data, i + 1, n)) {
    const char c = data[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      angle = true;
    } else if (c == '>') {
      angle = false;
    } else if (c == ',' && !angle) {
      break;
    }
  }
  element = detail::trim_lws(rest_.substr(0, i));
  if (i >= n) {
    done_ = true;
  } else {
    rest_ = rest_.substr(i + 1);
  }
  return true;
}

}  // namespace sipwire
