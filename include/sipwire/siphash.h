// SipHash (Aumasson and Bernstein), the keyed hash for tables whose keys come off the wire:
// without the table's random key nobody can choose keys that land in one bucket any better
// than at random. The engine uses SipHash-1-3 (one compression round per word, three to
// finish), as the Linux kernel and Rust's HashMap do for the same job.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace sipwire::detail {

template <int kCompressionRounds, int kFinalRounds>
class SipHash {
 public:
  SipHash(uint64_t k0, uint64_t k1)
      : v0_(k0 ^ 0x736f6d6570736575ull),
        v1_(k1 ^ 0x646f72616e646f6dull),
        v2_(k0 ^ 0x6c7967656e657261ull),
        v3_(k1 ^ 0x7465646279746573ull) {}

  // One 8-byte word of the message, as little-endian bytes give it.
  void absorb(uint64_t m) {
    v3_ ^= m;
    for (int i = 0; i < kCompressionRounds; ++i) round();
    v0_ ^= m;
  }
  // After the message's whole words: its last 0 to 7 bytes and its length.
  uint64_t finish(uint64_t tail, std::size_t length) {
    absorb(tail | uint64_t{length} << 56);
    v2_ ^= 0xFF;
    for (int i = 0; i < kFinalRounds; ++i) round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

  // The hash of `data` under the key (k0, k1).
  static uint64_t of(uint64_t k0, uint64_t k1, std::string_view data) {
    static_assert(std::endian::native == std::endian::little);
    SipHash h(k0, k1);
    const char* p = data.data();
    std::size_t n = data.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h.absorb(w);
    }
    return h.finish(last_bytes(p, n, data.size()), data.size());
  }

 private:
  // The last n (0 to 7) bytes at p, little-endian, without a variable-length copy: from the
  // message's last eight bytes when it has eight (`length` is the whole message's), else from
  // two overlapping four-byte loads or single bytes.
  static uint64_t last_bytes(const char* p, std::size_t n, std::size_t length) {
    if (n == 0) return 0;
    uint64_t w;
    if (length >= 8) {
      std::memcpy(&w, p + n - 8, 8);
      return w >> (8 * (8 - n));
    }
    if (n >= 4) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      return lo | uint64_t{hi} << (8 * (n - 4));
    }
    w = static_cast<unsigned char>(p[0]);
    if (n > 1) w |= uint64_t{static_cast<unsigned char>(p[1])} << 8;
    if (n > 2) w |= uint64_t{static_cast<unsigned char>(p[2])} << 16;
    return w;
  }

  void round() {
    v0_ += v1_;
    v1_ = std::rotl(v1_, 13);
    v1_ ^= v0_;
    v0_ = std::rotl(v0_, 32);
    v2_ += v3_;
    v3_ = std::rotl(v3_, 16);
    v3_ ^= v2_;
    v0_ += v3_;
    v3_ = std::rotl(v3_, 21);
    v3_ ^= v0_;
    v2_ += v1_;
    v1_ = std::rotl(v1_, 17);
    v1_ ^= v2_;
    v2_ = std::rotl(v2_, 32);
  }

  uint64_t v0_, v1_, v2_, v3_;
};

using SipHash13 = SipHash<1, 3>;

// A 64-bit word of a table's key, from the operating system's entropy.
inline uint64_t random_key_word(std::random_device& rd) {
  return (uint64_t{rd()} << 32) ^ rd();
}

}  // namespace sipwire::detail
