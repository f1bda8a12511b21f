#include "sipwire/auth/credentials.h"

#include <gtest/gtest.h>

#include <string>

#include "rfc7616_vectors.h"

namespace sipwire::auth {
namespace {

TEST(Credentials, ParsesRfc7616Md5Example) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(rfc7616::kAuthorizationMd5, c));
  EXPECT_EQ(c.username, "Mufasa");
  EXPECT_EQ(c.realm, rfc7616::kRealm);
  EXPECT_EQ(c.uri, rfc7616::kUri);
  EXPECT_EQ(c.algorithm, Algorithm::kMd5);
  EXPECT_TRUE(c.algorithm_supported);
  EXPECT_EQ(c.nonce, rfc7616::kNonce);
  EXPECT_EQ(c.nc, "00000001");
  EXPECT_EQ(c.nc_value, 1u);
  EXPECT_EQ(c.cnonce, rfc7616::kCnonce);
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.response, rfc7616::kResponseMd5);
  EXPECT_EQ(c.opaque, rfc7616::kOpaque);
}

TEST(Credentials, ParsesRfc7616Sha256Example) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(rfc7616::kAuthorizationSha256, c));
  EXPECT_EQ(c.algorithm, Algorithm::kSha256);
  EXPECT_EQ(c.response, rfc7616::kResponseSha256);
}

TEST(Credentials, ViewsPointIntoTheValue) {
  std::string value =
      "Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", response=\"ab\"";
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(value, c));
  EXPECT_GE(c.username.data(), value.data());
  EXPECT_LT(c.username.data(), value.data() + value.size());
  EXPECT_TRUE(c.qop.empty());
  EXPECT_EQ(c.algorithm, Algorithm::kMd5);  // absent means MD5
  EXPECT_TRUE(c.algorithm_token.empty());
  EXPECT_TRUE(c.algorithm_supported);
}

TEST(Credentials, NamesAreCaseInsensitiveAndSchemeToo) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(
      "digest USERNAME=\"bob\",Realm=\"r\",NONCE=\"n\",Uri=\"sip:x\",RESPONSE=\"ab\","
      "QOP=auth,NC=0000000a,CNonce=\"c\",Algorithm=sha-256",
      c));
  EXPECT_EQ(c.username, "bob");
  EXPECT_EQ(c.nc_value, 10u);
  EXPECT_EQ(c.algorithm, Algorithm::kSha256);
  EXPECT_EQ(c.cnonce, "c");
}

TEST(Credentials, QuotedPairsAreUnescaped) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(
      R"(Digest username="a\"b\\c", realm="r", nonce="n", uri="sip:x", response="ab")", c));
  EXPECT_EQ(c.username, R"(a"b\c)");
  EXPECT_EQ(c.realm, "r");
}

TEST(Credentials, QuotedValuesMayHoldCommasAndEquals) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(
      R"(Digest username="a,b=c", realm="r", nonce="n", uri="sip:x;a=b,c", response="ab")", c));
  EXPECT_EQ(c.username, "a,b=c");
  EXPECT_EQ(c.uri, "sip:x;a=b,c");
}

TEST(Credentials, QuotedQopAndUnknownParametersAccepted) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(
      R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="ab", qop="auth", )"
      R"(nc=00000002, cnonce="c", userhash=false, foo="bar,baz")",
      c));
  EXPECT_EQ(c.qop, "auth");
  EXPECT_EQ(c.nc_value, 2u);
}

TEST(Credentials, UnsupportedAlgorithmParsesButIsFlagged) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(
      R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="ab", algorithm=MD5-sess)",
      c));
  EXPECT_FALSE(c.algorithm_supported);
  EXPECT_EQ(c.algorithm_token, "MD5-sess");
}

TEST(Credentials, IsDigest) {
  EXPECT_TRUE(is_digest("Digest username=\"u\""));
  EXPECT_TRUE(is_digest("  dIgEsT realm=\"r\""));
  EXPECT_FALSE(is_digest("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
  EXPECT_FALSE(is_digest("Digestion x=1"));
  EXPECT_FALSE(is_digest(""));
}

struct BadCase {
  const char* value;
  const char* why;  // a word of the expected reason
};

class CredentialsMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(CredentialsMalformed, IsAnErrorValueWith400) {
  DigestCredentials c;
  ParseError e = parse_digest_credentials(GetParam().value, c);
  ASSERT_TRUE(e) << GetParam().value;
  EXPECT_EQ(e.status, 400);
  EXPECT_NE(e.reason.find(GetParam().why), std::string_view::npos) << e.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Headers, CredentialsMalformed,
    ::testing::Values(
        BadCase{"", "token"}, BadCase{"Basic abc", "not Digest"}, BadCase{"Digest", "parameters"},
        BadCase{"Digest ", "without parameters"}, BadCase{R"(Digest username="u)", "unterminated"},
        BadCase{R"(Digest username="u\)", "unterminated"}, BadCase{R"(Digest username)", "'='"},
        BadCase{R"(Digest username=)", "missing parameter value"},
        BadCase{R"(Digest username="u" realm="r")", "','"},
        BadCase{R"(Digest username=@, realm="r")", "token"},
        BadCase{R"(Digest realm="r", nonce="n", uri="u", response="ab")", "username"},
        BadCase{R"(Digest username="u", nonce="n", uri="u", response="ab")", "realm"},
        BadCase{R"(Digest username="u", realm="r", uri="u", response="ab")", "nonce"},
        BadCase{R"(Digest username="u", realm="r", nonce="n", response="ab")", "uri"},
        BadCase{R"(Digest username="u", realm="r", nonce="n", uri="u")", "response"},
        BadCase{
            R"(Digest username="u", username="v", realm="r", nonce="n", uri="u", response="ab")",
            "duplicate"},
        BadCase{
            R"(Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, nc=00000001)",
            "cnonce"},
        BadCase{
            R"(Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, cnonce="c")",
            "nc"},
        BadCase{
            R"(Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, cnonce="c", nc=1)",
            "nc"},
        BadCase{
            R"(Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, cnonce="c", nc=0000000g)",
            "nc"},
        BadCase{
            R"(Digest username="u", realm="r", nonce="n", uri="u", response="ab", qop=auth, cnonce="c", nc=00000000)",
            "nc"},
        BadCase{"Digest username=\"u\x01\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"ab\"",
                "control"}));

TEST(Credentials, ErrorOffsetsCountFromTheOrigin) {
  std::string message = "Authorization: Digest username=\"u\", username=\"v\"";
  std::string_view value = std::string_view(message).substr(15);
  DigestCredentials c;
  ParseError e = parse_digest_credentials(value, c, Source{message.data()});
  ASSERT_TRUE(e);
  EXPECT_EQ(e.offset, message.find("username=\"v\""));
}

TEST(Credentials, TooManyEscapesForTheScratchBufferIsAnError) {
  std::string value = "Digest username=\"";
  for (int i = 0; i < 600; ++i) value += "\\a";
  value += "\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"ab\"";
  DigestCredentials c;
  ParseError e = parse_digest_credentials(value, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e.reason.find("too long"), std::string_view::npos);
}

TEST(Credentials, ReparsingResetsPreviousFields) {
  DigestCredentials c;
  ASSERT_FALSE(parse_digest_credentials(rfc7616::kAuthorizationSha256, c));
  ASSERT_FALSE(parse_digest_credentials(
      R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="ab")", c));
  EXPECT_TRUE(c.qop.empty());
  EXPECT_TRUE(c.opaque.empty());
  EXPECT_EQ(c.nc_value, 0u);
  EXPECT_EQ(c.algorithm, Algorithm::kMd5);
}

}  // namespace
}  // namespace sipwire::auth
