#include "sipwire/auth/nonce.h"

#include <gtest/gtest.h>

#include <string>

namespace sipwire::auth {
namespace {

NonceSecret secret_of(uint8_t fill) {
  NonceSecret s;
  s.bytes.fill(fill);
  return s;
}

constexpr uint64_t kT0 = 1'700'000'000'000;  // ms

TEST(Nonce, FreshNonceIsValidUntilItsLifetime) {
  DigestHasher h;
  NonceSecret s = secret_of(7);
  Nonce n;
  ASSERT_TRUE(make_nonce(h, s, "example.com", kT0, 1, n));
  EXPECT_EQ(n.view().size(), kNonceLength);
  EXPECT_EQ(n.view().find_first_not_of("0123456789abcdef"), std::string_view::npos);

  NonceCheck c = check_nonce(h, s, "example.com", n.view(), kT0, 300'000);
  EXPECT_EQ(c.status, NonceStatus::kValid);
  EXPECT_EQ(c.issued_ms, kT0);
  EXPECT_EQ(check_nonce(h, s, "example.com", n.view(), kT0 + 299'999, 300'000).status,
            NonceStatus::kValid);
  EXPECT_EQ(check_nonce(h, s, "example.com", n.view(), kT0 + 300'000, 300'000).status,
            NonceStatus::kExpired);
  EXPECT_EQ(check_nonce(h, s, "example.com", n.view(), kT0 + 3'600'000, 300'000).status,
            NonceStatus::kExpired);
  // Issued "in the future" by a shard whose clock is a little ahead: age zero.
  EXPECT_EQ(check_nonce(h, s, "example.com", n.view(), kT0 - 5, 300'000).status,
            NonceStatus::kValid);
}

TEST(Nonce, SaltMakesNoncesOfTheSameMillisecondDiffer) {
  DigestHasher h;
  NonceSecret s = secret_of(7);
  Nonce a, b;
  ASSERT_TRUE(make_nonce(h, s, "example.com", kT0, 1, a));
  ASSERT_TRUE(make_nonce(h, s, "example.com", kT0, 2, b));
  EXPECT_NE(a.view(), b.view());
  EXPECT_NE(check_nonce(h, s, "example.com", a.view(), kT0).tag,
            check_nonce(h, s, "example.com", b.view(), kT0).tag);
}

TEST(Nonce, ForgedOrForeignNoncesAreInvalid) {
  DigestHasher h;
  NonceSecret s = secret_of(7);
  Nonce n;
  ASSERT_TRUE(make_nonce(h, s, "example.com", kT0, 1, n));
  std::string text(n.view());

  // Another secret (a restart, another proxy).
  EXPECT_EQ(check_nonce(h, secret_of(8), "example.com", text, kT0).status, NonceStatus::kInvalid);
  // Another realm.
  EXPECT_EQ(check_nonce(h, s, "example.org", text, kT0).status, NonceStatus::kInvalid);
  // Issue time moved forward to extend the lifetime: the tag no longer matches.
  std::string later = text;
  later[15] = later[15] == '0' ? '1' : '0';
  EXPECT_EQ(check_nonce(h, s, "example.com", later, kT0).status, NonceStatus::kInvalid);
  // A flipped tag digit.
  std::string tag = text;
  tag[63] = tag[63] == 'a' ? 'b' : 'a';
  EXPECT_EQ(check_nonce(h, s, "example.com", tag, kT0).status, NonceStatus::kInvalid);
  // Wrong length, not hex, empty.
  EXPECT_EQ(check_nonce(h, s, "example.com", text.substr(0, 63), kT0).status,
            NonceStatus::kInvalid);
  EXPECT_EQ(check_nonce(h, s, "example.com", text + "0", kT0).status, NonceStatus::kInvalid);
  std::string not_hex = text;
  not_hex[0] = 'z';
  EXPECT_EQ(check_nonce(h, s, "example.com", not_hex, kT0).status, NonceStatus::kInvalid);
  EXPECT_EQ(check_nonce(h, s, "example.com", "", kT0).status, NonceStatus::kInvalid);
}

TEST(Nonce, RandomSecretsDiffer) {
  auto a = NonceSecret::random(), b = NonceSecret::random();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->bytes, b->bytes);
}

}  // namespace
}  // namespace sipwire::auth
