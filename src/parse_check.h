// Fast paths are checked against the general grammar in sanitizer builds (the ASan unit tests
// and the fuzzers): every answer a fast path gives is recomputed the general way, and a
// difference aborts. Release builds compile the checks out. Internal to the parser.
#pragma once

#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)
#define SIPWIRE_CHECK_FAST_PATHS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIPWIRE_CHECK_FAST_PATHS 1
#endif
#endif

namespace sipwire::detail {

// Aborts when a fast path and the general path disagree (sanitizer builds only).
inline void check_fast_path([[maybe_unused]] bool agrees) {
#ifdef SIPWIRE_CHECK_FAST_PATHS
  if (!agrees) std::abort();
#endif
}

}  // namespace sipwire::detail
