// The Internet checksum (RFC 1071) written as plainly as it can be, for tests and fuzzers to
// check the data plane's own (word_sum.cpp, packet_frame.cpp) against something independent.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipwire::testing {

// The bytes summed as big-endian 16-bit words (an odd last byte padded with zero) onto `sum`.
// Not folded; a 32-bit sum holds any IP packet's worth.
inline uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t sum = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2 != 0) sum += static_cast<uint32_t>(p[n - 1] << 8);
  return sum;
}

inline uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Whether the checksum of an upper-layer packet (UDP, ICMPv6) at [l4, l4 + length) holds with
// the pseudo-header of its IP source and destination (4 or 16 bytes each) and protocol.
inline bool l4_checksum_ok(const uint8_t* src, const uint8_t* dst, std::size_t address_bytes,
                           uint8_t protocol, const uint8_t* l4, std::size_t length) {
  const uint32_t pseudo = sum16(src, address_bytes) + sum16(dst, address_bytes) + protocol +
                          static_cast<uint32_t>(length);
  return fold(sum16(l4, length, pseudo)) == 0xFFFF;
}

}  // namespace sipwire::testing
