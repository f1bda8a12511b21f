#include "sipwire/auth/digest_hash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "rfc7616_vectors.h"

namespace sipwire::auth {
namespace {

std::string response_for(DigestHasher& h, Algorithm a) {
  HexDigest ha1, ha2, resp;
  EXPECT_TRUE(h.ha1(a, rfc7616::kUser, rfc7616::kRealm, rfc7616::kPassword, ha1));
  EXPECT_TRUE(h.ha2(a, rfc7616::kMethod, rfc7616::kUri, ha2));
  EXPECT_TRUE(h.response(a, ha1.view(), rfc7616::kNonce, rfc7616::kNc, rfc7616::kCnonce, "auth",
                         ha2.view(), resp));
  return std::string(resp.view());
}

TEST(DigestHash, Rfc7616Md5Example) {
  DigestHasher h;
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(response_for(h, Algorithm::kMd5), rfc7616::kResponseMd5);
}

TEST(DigestHash, Rfc7616Sha256Example) {
  DigestHasher h;
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(response_for(h, Algorithm::kSha256), rfc7616::kResponseSha256);
}

TEST(DigestHash, AlternatingAlgorithmsReuseContexts) {
  DigestHasher h;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response_for(h, Algorithm::kSha256), rfc7616::kResponseSha256);
    EXPECT_EQ(response_for(h, Algorithm::kMd5), rfc7616::kResponseMd5);
  }
}

TEST(DigestHash, HexLengthsFollowTheAlgorithm) {
  DigestHasher h;
  HexDigest d;
  ASSERT_TRUE(h.hash_joined(Algorithm::kMd5, {"a"}, d));
  EXPECT_EQ(d.size, 32);
  ASSERT_TRUE(h.hash_joined(Algorithm::kSha256, {"a"}, d));
  EXPECT_EQ(d.size, 64);
  // Joined with ':' exactly: H("a:b") differs from H("ab").
  HexDigest joined, plain;
  ASSERT_TRUE(h.hash_joined(Algorithm::kMd5, {"a", "b"}, joined));
  ASSERT_TRUE(h.hash_joined(Algorithm::kMd5, {"a:b"}, plain));
  EXPECT_EQ(joined.view(), plain.view());
  ASSERT_TRUE(h.hash_joined(Algorithm::kMd5, {"ab"}, plain));
  EXPECT_NE(joined.view(), plain.view());
}

// RFC 4231 test case 2.
TEST(DigestHash, HmacSha256Rfc4231Case2) {
  DigestHasher h;
  uint8_t mac[32];
  const char* key = "Jefe";
  const char* data = "what do ya want for nothing?";
  ASSERT_TRUE(h.hmac_sha256({reinterpret_cast<const uint8_t*>(key), 4},
                            {{reinterpret_cast<const uint8_t*>(data), std::strlen(data)}}, mac));
  char hex[64];
  to_hex(mac, hex);
  EXPECT_EQ(std::string_view(hex, 64),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The same data split into parts gives the same MAC.
  uint8_t split[32];
  ASSERT_TRUE(h.hmac_sha256({reinterpret_cast<const uint8_t*>(key), 4},
                            {{reinterpret_cast<const uint8_t*>(data), 10},
                             {reinterpret_cast<const uint8_t*>(data) + 10, std::strlen(data) - 10}},
                            split));
  EXPECT_EQ(std::memcmp(mac, split, 32), 0);
}

TEST(DigestHash, AlgorithmNames) {
  EXPECT_EQ(algorithm_from_string("md5"), Algorithm::kMd5);
  EXPECT_EQ(algorithm_from_string("SHA-256"), Algorithm::kSha256);
  EXPECT_EQ(algorithm_from_string("sha-256"), Algorithm::kSha256);
  EXPECT_FALSE(algorithm_from_string("MD5-sess"));
  EXPECT_FALSE(algorithm_from_string("SHA-512-256"));
  EXPECT_FALSE(algorithm_from_string(""));
  EXPECT_EQ(to_string(Algorithm::kSha256), "SHA-256");
}

TEST(DigestHash, ConstantTimeCompare) {
  EXPECT_TRUE(constant_time_equal_hex("8ca523f5", "8ca523f5"));
  EXPECT_TRUE(constant_time_equal_hex("8ca523f5", "8CA523F5"));
  EXPECT_FALSE(constant_time_equal_hex("8ca523f5", "8ca523f6"));
  EXPECT_FALSE(constant_time_equal_hex("8ca523f5", "8ca523f"));
  EXPECT_FALSE(constant_time_equal_hex("8ca523f5", ""));
}

TEST(DigestHash, HexRoundTrip) {
  uint8_t bytes[4];
  ASSERT_TRUE(from_hex("00fFa17e", bytes));
  EXPECT_EQ(bytes[1], 0xff);
  char hex[8];
  to_hex(bytes, hex);
  EXPECT_EQ(std::string_view(hex, 8), "00ffa17e");
  EXPECT_FALSE(from_hex("00ffa17", bytes));
  EXPECT_FALSE(from_hex("00ffa17g", bytes));
}

}  // namespace
}  // namespace sipwire::auth
