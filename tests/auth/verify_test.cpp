#include "sipwire/auth/verify.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sipwire/auth/identity.h"

namespace sipwire::auth {
namespace {

constexpr std::string_view kRealm = "example.com";
constexpr uint64_t kT0 = 1'700'000'000'000;
constexpr uint64_t kLife = 300'000;

// A user agent answering a challenge.
std::string authorization(DigestHasher& h, Algorithm a, std::string_view user,
                          std::string_view password, std::string_view realm, std::string_view nonce,
                          uint32_t nc, std::string_view method = "INVITE",
                          std::string_view uri = "sip:bob@example.com") {
  char nc_text[9];
  std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
  HexDigest ha1, ha2, resp;
  EXPECT_TRUE(h.ha1(a, user, realm, password, ha1));
  EXPECT_TRUE(h.ha2(a, method, uri, ha2));
  EXPECT_TRUE(h.response(a, ha1.view(), nonce, nc_text, "0a4f113b", "auth", ha2.view(), resp));
  return "Digest username=\"" + std::string(user) + "\", realm=\"" + std::string(realm) +
         "\", nonce=\"" + std::string(nonce) + "\", uri=\"" + std::string(uri) + "\", response=\"" +
         std::string(resp.view()) + "\", algorithm=" + std::string(to_string(a)) +
         ", cnonce=\"0a4f113b\", qop=auth, nc=" + nc_text;
}

class Verify : public ::testing::TestWithParam<Algorithm> {
 protected:
  void SetUp() override {
    secret_.bytes.fill(42);
    std::string text;
    for (Algorithm a : kAllAlgorithms) {
      HexDigest ha1;
      ASSERT_TRUE(client_.ha1(a, "alice", kRealm, "wonderland", ha1));
      text +=
          "alice example.com " + std::string(to_string(a)) + " " + std::string(ha1.view()) + "\n";
    }
    UsersLoad load = parse_users_file(text, "users");
    ASSERT_TRUE(load.table) << load.error;
    users_ = std::move(*load.table);
  }

  std::string nonce_at(uint64_t now, uint64_t salt = 1, std::string_view realm = kRealm) {
    Nonce n;
    EXPECT_TRUE(make_nonce(client_, secret_, realm, now, salt, n));
    return std::string(n.view());
  }

  VerifyResult check(const std::string& header, uint64_t now, std::string_view method = "INVITE") {
    return auth_.verify(header, creds_, method, kRealm, users_, now);
  }

  Algorithm alg() const { return GetParam(); }

  DigestHasher client_;
  NonceSecret secret_;
  UsersTable users_;
  DigestAuthenticator auth_{secret_, 0, 1024, 7, kLife};  // shard 0
  DigestCredentials creds_;
};

TEST_P(Verify, CorrectPasswordIsAccepted) {
  ASSERT_TRUE(auth_.ok());
  std::string nonce = nonce_at(kT0);
  // The username views into the header's bytes (the message), which must outlive the result.
  std::string header = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1);
  VerifyResult r = check(header, kT0 + 10);
  EXPECT_EQ(r.verdict, Verdict::kOk) << to_string(r.verdict);
  EXPECT_EQ(r.username, "alice");
}

TEST_P(Verify, WrongPasswordAndUnknownUserAreBadCredentials) {
  std::string nonce = nonce_at(kT0);
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "Wonderland", kRealm, nonce, 1), kT0).verdict,
      Verdict::kBadCredentials);
  EXPECT_EQ(
      check(authorization(client_, alg(), "mallory", "wonderland", kRealm, nonce, 1), kT0).verdict,
      Verdict::kBadCredentials);
  // A wrong response does not poison the nonce's count: the right one with nc=1 still works.
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1), kT0).verdict,
      Verdict::kOk);
}

TEST_P(Verify, ResponseIsBoundToMethodAndUri) {
  std::string nonce = nonce_at(kT0);
  std::string header = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1,
                                     "REGISTER", "sip:example.com");
  EXPECT_EQ(check(header, kT0, "INVITE").verdict, Verdict::kBadCredentials);
  EXPECT_EQ(check(header, kT0, "REGISTER").verdict, Verdict::kOk);
}

TEST_P(Verify, ExpiredNonceIsStaleOnlyWithTheRightPassword) {
  std::string nonce = nonce_at(kT0);
  uint64_t late = kT0 + kLife;
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1), late).verdict,
      Verdict::kStale);
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wrong", kRealm, nonce, 1), late).verdict,
            Verdict::kBadCredentials);
  // Just inside the lifetime it is fine.
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1), late - 1)
                .verdict,
            Verdict::kOk);
}

TEST_P(Verify, ForgedNonceIsBadCredentials) {
  NonceSecret other;
  other.bytes.fill(43);
  Nonce forged;
  ASSERT_TRUE(make_nonce(client_, other, kRealm, kT0, 1, forged));
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm,
                                std::string(forged.view()), 1),
                  kT0)
                .verdict,
            Verdict::kBadCredentials);
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "wonderland", kRealm, "abcdef", 1), kT0).verdict,
      Verdict::kBadCredentials);
  // A nonce of another realm of ours cannot be used here.
  std::string foreign = nonce_at(kT0, 1, "example.org");
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "wonderland", kRealm, foreign, 1), kT0).verdict,
      Verdict::kBadCredentials);
}

TEST_P(Verify, ReplayRefusedIncreasingNcAccepted) {
  std::string nonce = nonce_at(kT0);
  std::string first = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1);
  EXPECT_EQ(check(first, kT0).verdict, Verdict::kOk);
  EXPECT_EQ(check(first, kT0 + 1).verdict, Verdict::kReplay);
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 2), kT0 + 2)
                .verdict,
            Verdict::kOk);
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 7), kT0 + 3)
                .verdict,
            Verdict::kOk);
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 6), kT0 + 4)
                .verdict,
            Verdict::kReplay);
}

TEST_P(Verify, EvictedNonceIsStale) {
  DigestAuthenticator small(secret_, 0, ReplayTable::kWays, 7, kLife);  // one bucket
  ASSERT_EQ(small.replay().capacity(), ReplayTable::kWays);
  std::string oldest = nonce_at(kT0, 0);
  EXPECT_EQ(small
                .verify(authorization(client_, alg(), "alice", "wonderland", kRealm, oldest, 1),
                        creds_, "INVITE", kRealm, users_, kT0)
                .verdict,
            Verdict::kOk);
  for (uint64_t i = 1; i <= ReplayTable::kWays; ++i) {
    std::string n = nonce_at(kT0 + i, i);
    ASSERT_EQ(small
                  .verify(authorization(client_, alg(), "alice", "wonderland", kRealm, n, 1),
                          creds_, "INVITE", kRealm, users_, kT0 + i)
                  .verdict,
              Verdict::kOk);
  }
  EXPECT_EQ(small.replay().evictions(), 1u);
  // The oldest nonce was evicted: even a correct, higher nc is stale (a fresh nonce is needed),
  // and its replay is not accepted.
  for (uint32_t nc : {1u, 2u}) {
    EXPECT_EQ(small
                  .verify(authorization(client_, alg(), "alice", "wonderland", kRealm, oldest, nc),
                          creds_, "INVITE", kRealm, users_, kT0 + 20)
                  .verdict,
              Verdict::kStale);
  }
}

TEST_P(Verify, UnsupportedAlgorithmOrNoQopIsBadCredentials) {
  std::string nonce = nonce_at(kT0);
  std::string header = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1);
  std::string sess = header;
  sess.replace(sess.find("algorithm=") + 10, to_string(alg()).size(),
               std::string(to_string(alg())) + "-sess");
  EXPECT_EQ(check(sess, kT0).verdict, Verdict::kBadCredentials);

  // RFC 2069 form (no qop, cnonce, nc), with a correct response: refused.
  HexDigest ha1, ha2, resp;
  ASSERT_TRUE(client_.ha1(alg(), "alice", kRealm, "wonderland", ha1));
  ASSERT_TRUE(client_.ha2(alg(), "INVITE", "sip:bob@example.com", ha2));
  ASSERT_TRUE(client_.hash_joined(alg(), {ha1.view(), nonce, ha2.view()}, resp));
  std::string rfc2069 = "Digest username=\"alice\", realm=\"example.com\", nonce=\"" + nonce +
                        "\", uri=\"sip:bob@example.com\", response=\"" + std::string(resp.view()) +
                        "\", algorithm=" + std::string(to_string(alg()));
  EXPECT_EQ(check(rfc2069, kT0).verdict, Verdict::kBadCredentials);
}

TEST_P(Verify, OtherRealmOrSchemeIsMissingAndGarbageIsMalformed) {
  std::string nonce = nonce_at(kT0, 1, "example.org");
  EXPECT_EQ(
      check(authorization(client_, alg(), "alice", "wonderland", "example.org", nonce, 1), kT0)
          .verdict,
      Verdict::kMissing);
  EXPECT_EQ(check("Basic YWxpY2U6d29uZGVybGFuZA==", kT0).verdict, Verdict::kMissing);
  VerifyResult r = check("Digest username=\"alice\", realm=", kT0);
  EXPECT_EQ(r.verdict, Verdict::kMalformed);
  EXPECT_EQ(r.error.status, 400);
  EXPECT_EQ(auth_.verify(nullptr, "INVITE", kRealm, users_, kT0).verdict, Verdict::kMissing);
}

TEST_P(Verify, IdentityMismatchIsForbiddenAfterAuthentication) {
  std::string nonce = nonce_at(kT0);
  std::string header = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1,
                                     "REGISTER", "sip:example.com");
  VerifyResult r = check(header, kT0, "REGISTER");
  ASSERT_EQ(r.verdict, Verdict::kOk);
  // alice registering alice: allowed; alice registering bob (To: bob): 403.
  EXPECT_TRUE(identity_matches(r.username, identity_user_for("REGISTER", "alice", "alice")));
  EXPECT_FALSE(identity_matches(r.username, identity_user_for("REGISTER", "alice", "bob")));
  // An INVITE claiming From: bob.
  EXPECT_FALSE(identity_matches(r.username, identity_user_for("INVITE", "bob", "alice")));
}

TEST_P(Verify, ChallengeCarriesANonceThatVerifies) {
  char buf[600];
  std::size_t n = auth_.write_challenge("REGISTER", kRealm, false, kT0, buf);
  ASSERT_GT(n, 0u);
  std::string text(buf, n);
  ASSERT_EQ(text.rfind("WWW-Authenticate: Digest ", 0), 0u);
  std::size_t at = text.find("nonce=\"") + 7;
  std::string nonce = text.substr(at, text.find('"', at) - at);
  EXPECT_EQ(nonce.size(), kNonceLength);
  EXPECT_EQ(check(authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1, "REGISTER",
                                "sip:example.com"),
                  kT0 + 1, "REGISTER")
                .verdict,
            Verdict::kOk);
  // The next challenge has another nonce (the salt advances).
  std::size_t m = auth_.write_challenge("INVITE", kRealm, true, kT0, buf);
  std::string second(buf, m);
  EXPECT_EQ(second.rfind("Proxy-Authenticate: Digest ", 0), 0u);
  EXPECT_NE(second.find("stale=true"), std::string::npos);
  EXPECT_EQ(second.find(nonce), std::string::npos);
}

TEST_P(Verify, NonceOfAnotherShardIsStaleSoNoCrossShardReplay) {
  DigestAuthenticator shard1(secret_, 1, 1024, 7, kLife), shard2(secret_, 2, 1024, 7, kLife);
  char buf[600];
  std::size_t n = shard1.write_challenge("INVITE", kRealm, false, kT0, buf);
  ASSERT_GT(n, 0u);
  std::string text(buf, n);
  std::size_t at = text.find("nonce=\"") + 7;
  std::string nonce = text.substr(at, text.find('"', at) - at);
  ASSERT_EQ(check_nonce(client_, secret_, kRealm, nonce, kT0).salt >> 48, 1u);

  std::string header = authorization(client_, alg(), "alice", "wonderland", kRealm, nonce, 1);
  EXPECT_EQ(shard1.verify(header, creds_, "INVITE", kRealm, users_, kT0).verdict, Verdict::kOk);
  // The same request replayed to another shard, whose table has not seen it: stale, not ok.
  EXPECT_EQ(shard2.verify(header, creds_, "INVITE", kRealm, users_, kT0).verdict, Verdict::kStale);
  EXPECT_EQ(shard1.verify(header, creds_, "INVITE", kRealm, users_, kT0).verdict, Verdict::kReplay);
  // A wrong password on the other shard is still bad credentials (stale needs the password).
  EXPECT_EQ(shard2
                .verify(authorization(client_, alg(), "alice", "x", kRealm, nonce, 2), creds_,
                        "INVITE", kRealm, users_, kT0)
                .verdict,
            Verdict::kBadCredentials);
}

TEST(NonceSalt, ShardInTheTopBits) {
  EXPECT_EQ(nonce_salt(3, 5) >> 48, 3u);
  EXPECT_EQ(nonce_salt(3, 5) & 0xffff, 5u);
  EXPECT_EQ(nonce_salt(0xffff, ~uint64_t{0}) >> 48, 0xffffu);  // the counter cannot spill over
  EXPECT_EQ(nonce_salt(1, ~uint64_t{0}) >> 48, 1u);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, Verify, ::testing::Values(Algorithm::kMd5, Algorithm::kSha256),
                         [](const auto& info) {
                           return info.param == Algorithm::kMd5 ? std::string("MD5")
                                                                : std::string("SHA256");
                         });

}  // namespace
}  // namespace sipwire::auth
