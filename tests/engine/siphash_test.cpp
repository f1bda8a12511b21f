// SipHash, the keyed hash of the tables whose keys come off the wire (siphash.h): the
// reference vectors of SipHash-2-4 prove the rounds, the padding and the length byte, which
// SipHash-1-3 shares; then that the hash the location table files an AOR under depends on
// the table's own random key.
#include "sipwire/siphash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "sipwire/engine/location.h"

namespace sipwire {
namespace {

constexpr uint64_t kK0 = 0x0706050403020100ull;  // the key 00 01 02 ... 0f
constexpr uint64_t kK1 = 0x0f0e0d0c0b0a0908ull;

std::string bytes_up_to(std::size_t n) {  // 00 01 02 ... n-1
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i));
  return s;
}

TEST(SipHash, ReferenceVectorsOfSipHash24) {
  using SipHash24 = detail::SipHash<2, 4>;
  // The paper's example (Aumasson and Bernstein, appendix A): 15 bytes.
  EXPECT_EQ(SipHash24::of(kK0, kK1, bytes_up_to(15)), 0xa129ca6149be45e5ull);
  // The first of the reference implementation's vectors: the empty message.
  EXPECT_EQ(SipHash24::of(kK0, kK1, ""), 0x726fdb47dd0e0e31ull);
}

// of() reads a message's last bytes with whole-word loads; at every length it gives what the
// plain form (copy the tail into a zeroed word) gives.
TEST(SipHash, EveryLengthAgreesWithAPlainTail) {
  std::string m;
  for (int i = 0; i < 48; ++i) m.push_back(static_cast<char>(0x80 + i * 7));
  for (std::size_t n = 0; n <= m.size(); ++n) {
    detail::SipHash13 plain(kK0, kK1);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, m.data() + i, 8);
      plain.absorb(w);
    }
    uint64_t tail = 0;
    std::memcpy(&tail, m.data() + i, n - i);
    EXPECT_EQ(detail::SipHash13::of(kK0, kK1, std::string_view(m).substr(0, n)),
              plain.finish(tail, n))
        << n;
  }
}

TEST(SipHash, TheLengthAndEveryByteCount) {
  // Messages that differ only in trailing zero bytes, or in one byte anywhere, hash apart.
  const std::string base = bytes_up_to(40);
  for (std::size_t n = 0; n < 24; ++n) {
    EXPECT_NE(detail::SipHash13::of(kK0, kK1, base.substr(0, n)),
              detail::SipHash13::of(kK0, kK1, base.substr(0, n) + std::string(1, '\0')))
        << n;
    std::string flipped = base.substr(0, n + 1);
    flipped[n] ^= 0x01;
    EXPECT_NE(detail::SipHash13::of(kK0, kK1, base.substr(0, n + 1)),
              detail::SipHash13::of(kK0, kK1, flipped))
        << n;
  }
  // And the key matters.
  EXPECT_NE(detail::SipHash13::of(kK0, kK1, "sip:alice@example.com"),
            detail::SipHash13::of(kK0 + 1, kK1, "sip:alice@example.com"));
}

TEST(SipHash, EachLocationTableFilesAorsUnderItsOwnKey) {
  Qsbr qsbr(1);
  const LocationTable a(1024, qsbr), b(1024, qsbr);
  EXPECT_EQ(a.hash("sip:alice@example.com"), a.hash("sip:alice@example.com"));
  int same = 0;
  for (int i = 0; i < 64; ++i) {
    const std::string aor = "sip:user" + std::to_string(i) + "@example.com";
    same += a.hash(aor) == b.hash(aor);
  }
  EXPECT_EQ(same, 0);  // two random keys agreeing on any of 64 AORs: about 2^-58
}

}  // namespace
}  // namespace sipwire
