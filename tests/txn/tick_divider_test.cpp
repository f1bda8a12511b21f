// TickDivider gives exactly what `/` gives, for every divisor a tick can be and every time,
// the ends of the range included (where a reciprocal short by one would be off by one).
#include "sipwire/txn/tick_divider.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace sipwire {
namespace {

TEST(TickDividerTest, EqualsDivisionAtTheEdges) {
  const uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (uint32_t d : {1u, 2u, 3u, 7u, 10u, 16u, 100u, 1000u, 65537u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    const TickDivider divider(d);
    std::vector<uint64_t> values = {
        0,        1,    d - 1ull, d,        d + 1ull,     2ull * d - 1,
        2ull * d, kMax, kMax - 1, kMax - d, kMax / d * d, kMax / d * d - 1};
    for (uint64_t k = 1; k < 64; ++k) {
      values.push_back((uint64_t{1} << k) - 1);
      values.push_back(uint64_t{1} << k);
    }
    for (uint64_t n : values) ASSERT_EQ(divider.divide(n), n / d) << n << " / " << d;
  }
}

TEST(TickDividerTest, EqualsDivisionOnRandomValues) {
  std::mt19937_64 rng(20261206);
  for (int i = 0; i < 2000; ++i) {
    const auto d = static_cast<uint32_t>(rng() % 5000 + 1);
    const TickDivider divider(d);
    for (int j = 0; j < 200; ++j) {
      const uint64_t n = rng() >> (rng() % 64);  // every magnitude
      ASSERT_EQ(divider.divide(n), n / d) << n << " / " << d;
    }
  }
}

}  // namespace
}  // namespace sipwire
