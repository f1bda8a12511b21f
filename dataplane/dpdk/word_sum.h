// The inner loop of the Internet checksum (RFC 1071): a block's 32-bit little-endian words
// summed into 64 bits, no carry lost (the caller folds the sum to 16 bits). On a port that
// cannot offload checksums (net_null, af_packet, a tap) every datagram sent is summed this
// way, so the loop has an AVX2 form, chosen at run time, beside the SSE2 one every x86-64 CPU
// runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipwire::dataplane::net {

// n: a multiple of 32.
uint64_t sum_words32(const uint8_t* p, std::size_t n);

// The two forms, for tests; sum_words32_avx2 only where cpu_has_avx2().
uint64_t sum_words32_sse2(const uint8_t* p, std::size_t n);
uint64_t sum_words32_avx2(const uint8_t* p, std::size_t n);
bool cpu_has_avx2();

}  // namespace sipwire::dataplane::net
