#include "sipwire/auth/challenge.h"

#include <gtest/gtest.h>

#include <string>

namespace sipwire::auth {
namespace {

TEST(Challenge, KindFollowsTheMethod) {
  EXPECT_EQ(challenge_kind_for("REGISTER"), ChallengeKind::kWwwAuthenticate);
  EXPECT_EQ(challenge_kind_for("INVITE"), ChallengeKind::kProxyAuthenticate);
  EXPECT_EQ(challenge_kind_for("register"), ChallengeKind::kProxyAuthenticate);  // case-sensitive
  EXPECT_EQ(status_code(ChallengeKind::kWwwAuthenticate), 401);
  EXPECT_EQ(status_code(ChallengeKind::kProxyAuthenticate), 407);
  EXPECT_EQ(credentials_header_name(ChallengeKind::kProxyAuthenticate), "Proxy-Authorization");
}

TEST(Challenge, Sha256FirstThenMd5) {
  char buf[512];
  std::size_t n =
      write_challenge(ChallengeKind::kWwwAuthenticate, "example.com", "abc", false, buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string(buf, n),
            "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", algorithm=SHA-256, "
            "qop=\"auth\"\r\n"
            "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"abc\", algorithm=MD5, "
            "qop=\"auth\"\r\n");
}

TEST(Challenge, StaleAndProxyAndEscapedRealm) {
  char buf[512];
  std::size_t n = write_challenge(ChallengeKind::kProxyAuthenticate, R"(a"b\c)", "abc", true, buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string(buf, n),
            "Proxy-Authenticate: Digest realm=\"a\\\"b\\\\c\", nonce=\"abc\", algorithm=SHA-256, "
            "qop=\"auth\", stale=true\r\n"
            "Proxy-Authenticate: Digest realm=\"a\\\"b\\\\c\", nonce=\"abc\", algorithm=MD5, "
            "qop=\"auth\", stale=true\r\n");
}

TEST(Challenge, TooSmallBufferWritesNothingUseful) {
  char buf[512];
  std::size_t full =
      write_challenge(ChallengeKind::kWwwAuthenticate, "example.com", "abc", true, buf);
  ASSERT_GT(full, 0u);
  EXPECT_EQ(write_challenge(ChallengeKind::kWwwAuthenticate, "example.com", "abc", true,
                            std::span<char>(buf, full - 1)),
            0u);
  EXPECT_EQ(write_challenge(ChallengeKind::kWwwAuthenticate, "example.com", "abc", true,
                            std::span<char>(buf, full)),
            full);
}

}  // namespace
}  // namespace sipwire::auth
