// The checksum's word sum: both SIMD forms against a byte-by-byte reference.
#include "dataplane/dpdk/word_sum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace sipwire::dataplane::net {
namespace {

// The 32-bit little-endian words of p[0..n), summed one at a time.
uint64_t Reference(const uint8_t* p, std::size_t n) {
  uint64_t s = 0;
  for (std::size_t i = 0; i + 4 <= n; i += 4)
    s += uint64_t{p[i]} | uint64_t{p[i + 1]} << 8 | uint64_t{p[i + 2]} << 16 |
         uint64_t{p[i + 3]} << 24;
  return s;
}

std::vector<uint8_t> Bytes(std::size_t n, bool all_ones) {
  std::vector<uint8_t> v(n);
  uint32_t x = 2463534242u;
  for (uint8_t& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = all_ones ? 0xFF : static_cast<uint8_t>(x);
  }
  return v;
}

TEST(WordSumTest, EveryFormAgreesWithTheReferenceAtAnyLengthAndAlignment) {
  for (const bool ones : {false, true}) {
    const std::vector<uint8_t> data = Bytes(65536 + 64, ones);
    for (std::size_t offset = 0; offset < 8; ++offset) {
      for (std::size_t n = 0; n <= 2048; n += 32) {
        const uint8_t* p = data.data() + offset;
        const uint64_t want = Reference(p, n);
        EXPECT_EQ(sum_words32(p, n), want) << "n " << n << " offset " << offset;
        EXPECT_EQ(sum_words32_sse2(p, n), want) << "n " << n << " offset " << offset;
        if (cpu_has_avx2()) {
          EXPECT_EQ(sum_words32_avx2(p, n), want) << "n " << n << " offset " << offset;
        }
      }
    }
    // The largest UDP payload, all 0xFF: the most carries.
    const std::size_t n = 65504;
    EXPECT_EQ(sum_words32_sse2(data.data(), n), Reference(data.data(), n));
    if (cpu_has_avx2()) {
      EXPECT_EQ(sum_words32_avx2(data.data(), n), Reference(data.data(), n));
    }
  }
}

}  // namespace
}  // namespace sipwire::dataplane::net
