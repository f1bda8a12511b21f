// Division of a time in milliseconds by the timer wheel's tick, without a divide instruction.
// The wheel divides on every timer start and every advance (several times per transaction):
// a 64-bit `div` takes tens of cycles, a multiply by a reciprocal computed once a few.
#pragma once

#include <cstdint>

namespace sipwire {

class TickDivider {
 public:
  // divisor >= 1.
  explicit TickDivider(uint32_t divisor) : divisor_(divisor), reciprocal_(~uint64_t{0} / divisor) {}

  // n / divisor, exact for every n. reciprocal = floor((2^64 - 1) / d), so the product's high
  // word is floor(n / d) or one less (the reciprocal is short of 2^64 / d by under 1, which
  // costs at most n / 2^64 < 1 of the quotient): one compare corrects it.
  uint64_t divide(uint64_t n) const {
    uint64_t q = static_cast<uint64_t>((static_cast<unsigned __int128>(n) * reciprocal_) >> 64);
    if (n - q * divisor_ >= divisor_) ++q;
    return q;
  }

 private:
  uint64_t divisor_;
  uint64_t reciprocal_;
};

}  // namespace sipwire
