// The request gate: every rule action mapped to a GateDecision, the safe default, digest
// challenges (401/407, SHA-256 and MD5), answering them (both algorithms), wrong passwords,
// identity mismatch, stale and replayed nonces, malformed credentials, and make_gate_shared's
// errors.
#include "policy_gate.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "count_allocations.h"
#include "fake_outbox.h"
#include "sipwire/auth/digest_hash.h"

namespace sipwire::gate {
namespace {

using auth::Algorithm;
using auth::DigestHasher;
using auth::HexDigest;

constexpr uint64_t kT0 = 1'700'000'000'000;
const NetAddress kUntrusted = NetAddress::ipv4(198, 51, 100, 7, 5060);
const NetAddress kTrusted = NetAddress::ipv4(10, 1, 2, 3, 5060);

// A users file with alice and bob (passwords "wonderland" and "builder") in `realm`, both
// algorithms; returns its path.
std::string write_users_file(std::string_view name, std::string_view realm = "example.com") {
  DigestHasher h;
  std::string text = "# test users\n";
  for (auto [user, password] :
       {std::pair<std::string_view, std::string_view>{"alice", "wonderland"}, {"bob", "builder"}}) {
    HexDigest sha, md5;
    EXPECT_TRUE(h.ha1(Algorithm::kSha256, user, realm, password, sha));
    EXPECT_TRUE(h.ha1(Algorithm::kMd5, user, realm, password, md5));
    text = auth::set_user_in_users_file(text, user, realm, sha, md5);
  }
  const std::string path = ::testing::TempDir() + "/" + std::string(name);
  std::ofstream(path) << text;
  return path;
}

Config config_from(std::string_view toml) {
  const ConfigResult r = parse_config(toml, "gate.toml");
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  return r.ok() ? *r.config : Config{};
}

// domains, listen, [auth] with the users file, a destination set "pbx" (index 1), then `rest`.
std::string toml_with(std::string_view rest, std::string_view top = "",
                      std::string_view auth = "") {
  return std::string(top) +
         "domains = [\"example.com\"]\n"
         "[[listen]]\naddress = \"192.0.2.1\"\n"
         "[auth]\nusers_file = \"" +
         write_users_file("users") + "\"\n" + std::string(auth) +
         "[[destination]]\nname = \"carriers\"\nhops = [{ address = \"192.0.2.30\" }]\n"
         "[[destination]]\nname = \"pbx\"\nhops = [{ address = \"192.0.2.20\" }]\n" +
         std::string(rest);
}

std::shared_ptr<const GateShared> shared_from(const std::string& toml) {
  GateSharedResult r = make_gate_shared(config_from(toml));
  EXPECT_TRUE(r.ok()) << r.error;
  return r.shared;
}

struct Request {
  std::string bytes;
  Message msg;
};

std::unique_ptr<Request> request(std::string_view method, std::string_view ruri,
                                 std::string_view headers = "",
                                 std::string_view from = "sip:alice@example.com",
                                 std::string_view to = "sip:bob@example.com") {
  auto r = std::make_unique<Request>();
  r->bytes = std::string(method) + " " + std::string(ruri) +
             " SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds\r\n"
             "Max-Forwards: 70\r\n"
             "From: <" +
             std::string(from) + ">;tag=1928301774\r\nTo: <" + std::string(to) +
             ">\r\n"
             "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
             "CSeq: 314159 " +
             std::string(method) + "\r\n" + std::string(headers) + "Content-Length: 0\r\n\r\n";
  const ParseError e = parse_message(r->bytes, r->msg);
  EXPECT_FALSE(e) << r->bytes << e.reason;
  return r;
}

// The nonce of the first challenge line.
std::string nonce_of(std::string_view challenge) {
  const std::size_t at = challenge.find("nonce=\"");
  if (at == std::string_view::npos) return {};
  return std::string(challenge.substr(at + 7, auth::kNonceLength));
}

// A user agent's answer to a challenge: the credentials header line.
std::string credentials_line(std::string_view header, Algorithm a, std::string_view user,
                             std::string_view password, std::string_view realm,
                             std::string_view nonce, std::string_view method, std::string_view uri,
                             uint32_t nc = 1) {
  DigestHasher h;
  char nc_text[9];
  std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
  HexDigest ha1, ha2, response;
  EXPECT_TRUE(h.ha1(a, user, realm, password, ha1));
  EXPECT_TRUE(h.ha2(a, method, uri, ha2));
  EXPECT_TRUE(h.response(a, ha1.view(), nonce, nc_text, "0a4f113b", "auth", ha2.view(), response));
  return std::string(header) + ": Digest username=\"" + std::string(user) + "\", realm=\"" +
         std::string(realm) + "\", nonce=\"" + std::string(nonce) + "\", uri=\"" +
         std::string(uri) + "\", response=\"" + std::string(response.view()) +
         "\", algorithm=" + std::string(auth::to_string(a)) +
         ", cnonce=\"0a4f113b\", qop=auth, nc=" + nc_text + "\r\n";
}

class GateTest : public ::testing::Test {
 protected:
  void make(const std::string& toml) {
    shared_ = shared_from(toml);
    ASSERT_NE(shared_, nullptr);
    gate_ = std::make_unique<PolicyGate>(shared_, 3, 77);
    ASSERT_TRUE(gate_->ok());
  }
  GateDecision decide(const Request& r, const NetAddress& source = kUntrusted, uint64_t now = kT0) {
    const int sends = out_.sends;
    GateDecision d = gate_->decide(r.msg, source, out_, now);
    EXPECT_EQ(out_.sends, sends) << "the gate must not send";
    return d;
  }

  std::shared_ptr<const GateShared> shared_;
  std::unique_ptr<PolicyGate> gate_;
  testing::FakeOutbox out_;
};

// ---------------------------------------------------------------------------------------------
// The safe default (no rules)

TEST_F(GateTest, SafeDefaultWithoutRules) {
  make(toml_with("", "trusted_sources = [\"10.0.0.0/8\"]\n"));
  auto foreign = request("INVITE", "sip:carol@elsewhere.example");
  GateDecision d = decide(*foreign);
  EXPECT_EQ(d.action, GateAction::kForbidden);
  EXPECT_EQ(d.code, 403);
  EXPECT_FALSE(d.authenticated);
  EXPECT_EQ(decide(*foreign, kTrusted).action, GateAction::kDefault);
  auto ours = request("INVITE", "sip:bob@example.com");
  EXPECT_EQ(decide(*ours).action, GateAction::kDefault);
  auto reg =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:alice@example.com");
  EXPECT_EQ(decide(*reg).action, GateAction::kDefault);
}

TEST_F(GateTest, NobodyIsTrustedByDefault) {
  make(toml_with(""));
  auto foreign = request("INVITE", "sip:carol@elsewhere.example");
  EXPECT_EQ(decide(*foreign, kTrusted).action, GateAction::kForbidden);
}

// ---------------------------------------------------------------------------------------------
// Each rule action

constexpr std::string_view kRules =
    "[[rule]]\nname = \"reg\"\nmethod = \"REGISTER\"\naction = \"register\"\n"
    "[[rule]]\nname = \"ping\"\nmethod = \"OPTIONS\"\naction = \"reply\"\ncode = 200\n"
    "reason = \"Alive\"\n"
    "[[rule]]\nname = \"look\"\nruri_user = \"bob\"\naction = \"lookup\"\n"
    "add_header = [\"X-Gate: lookup\"]\n"
    "[[rule]]\nname = \"pbx\"\nruri_user_prefix = \"7\"\naction = \"forward\"\n"
    "destination = \"pbx\"\nadd_header = [\"X-Pbx: 1\"]\nremove_header = [\"X-Secret\"]\n"
    "[[rule]]\nname = \"out\"\nruri_user_prefix = \"+\"\naction = \"forward\"\n"
    "destination = \"carriers\"\n"
    "[[rule]]\nname = \"moved\"\nruri_user = \"carol\"\naction = \"redirect\"\n"
    "contacts = [\"sip:carol@192.0.2.9\", \"sip:carol@192.0.2.10\"]\n"
    "[[rule]]\nname = \"moved-perm\"\nruri_user = \"dave\"\naction = \"redirect\"\ncode = 301\n"
    "contacts = \"sip:dave@192.0.2.11\"\n"
    "[[rule]]\nname = \"busy\"\nruri_user = \"erin\"\naction = \"reject\"\ncode = 486\n"
    "reason = \"Busy Here\"\n"
    "[[rule]]\nname = \"nope\"\nruri_user = \"frank\"\naction = \"reject\"\ncode = 404\n";

TEST_F(GateTest, RegisterRule) {
  make(toml_with(kRules));
  auto r =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:alice@example.com");
  EXPECT_EQ(decide(*r).action, GateAction::kRegister);
}

TEST_F(GateTest, ReplyRule) {
  make(toml_with(kRules));
  auto r = request("OPTIONS", "sip:example.com");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kReply);
  EXPECT_EQ(d.code, 200);
  EXPECT_EQ(d.reason, "Alive");
}

// The rendered message after the decision's edits.
std::string edited(const Request& r, const GateDecision& d) {
  std::string_view segments[Outbox::kMaxSegments];
  const std::size_t n = d.edits.render(r.msg.bytes(), segments);
  std::string text;
  for (std::size_t i = 0; i < n; ++i) text += segments[i];
  return text;
}

TEST_F(GateTest, LookupRuleWithEdits) {
  make(toml_with(kRules));
  auto r = request("INVITE", "sip:bob@example.com");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kLookup);
  EXPECT_EQ(d.destination, -1);
  EXPECT_EQ(d.edits.size(), 1u);
  EXPECT_NE(edited(*r, d).find("\r\nX-Gate: lookup\r\n"), std::string::npos) << edited(*r, d);
}

TEST_F(GateTest, ForwardRuleNamesItsDestinationSet) {
  make(toml_with(kRules));
  auto r = request("INVITE", "sip:7001@example.com", "X-Secret: 42\r\n");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kForward);
  EXPECT_EQ(d.destination, 1);  // "pbx", the second [[destination]]
  const std::string text = edited(*r, d);
  EXPECT_NE(text.find("X-Pbx: 1\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("X-Secret"), std::string::npos) << text;

  auto out = request("INVITE", "sip:+4930123@example.com");
  d = decide(*out);
  EXPECT_EQ(d.action, GateAction::kForward);
  EXPECT_EQ(d.destination, 0);  // "carriers"
  EXPECT_EQ(d.edits.size(), 0u);
}

TEST_F(GateTest, RedirectRule) {
  make(toml_with(kRules));
  auto r = request("INVITE", "sip:carol@example.com");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kRedirect);
  EXPECT_EQ(d.code, 302);
  ASSERT_EQ(d.contacts.size(), 2u);
  EXPECT_EQ(d.contacts[0], "sip:carol@192.0.2.9");
  EXPECT_EQ(d.contacts[1], "sip:carol@192.0.2.10");
  auto perm = request("INVITE", "sip:dave@example.com");
  d = decide(*perm);
  EXPECT_EQ(d.code, 301);
  ASSERT_EQ(d.contacts.size(), 1u);
}

TEST_F(GateTest, RejectRule) {
  make(toml_with(kRules));
  auto r = request("INVITE", "sip:erin@example.com");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kReject);
  EXPECT_EQ(d.code, 486);
  EXPECT_EQ(d.reason, "Busy Here");
  auto plain = request("INVITE", "sip:frank@example.com");
  d = decide(*plain);
  EXPECT_EQ(d.code, 404);
  EXPECT_EQ(d.reason, "");  // the engine uses the code's standard phrase
}

TEST_F(GateTest, NoRuleMatchesFallsToTheSafeDefault) {
  make(toml_with(kRules));
  auto r = request("INVITE", "sip:zoe@example.com");
  EXPECT_EQ(decide(*r).action, GateAction::kDefault);
  auto foreign = request("INVITE", "sip:zoe@elsewhere.example");
  EXPECT_EQ(decide(*foreign).action, GateAction::kForbidden);
}

// ---------------------------------------------------------------------------------------------
// Challenges and credentials

// Unauthenticated INVITEs and REGISTERs are challenged; once authenticated, the rules after
// the challenge decide.
constexpr std::string_view kChallengeRules =
    "[[rule]]\nname = \"auth\"\nmethod = [\"INVITE\", \"REGISTER\"]\naction = \"challenge\"\n"
    "[[rule]]\nname = \"reg\"\nmethod = \"REGISTER\"\naction = \"register\"\n"
    "[[rule]]\nname = \"out\"\naction = \"forward\"\ndestination = \"carriers\"\n";

TEST_F(GateTest, InviteIsChallengedWith407ForBothAlgorithms) {
  make(toml_with(kChallengeRules));
  auto r = request("INVITE", "sip:bob@example.com");
  GateDecision d = decide(*r);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_EQ(d.code, 407);
  EXPECT_EQ(d.reason, "Proxy Authentication Required");
  const std::string lines(d.extra_headers);
  EXPECT_EQ(lines.find("Proxy-Authenticate: Digest realm=\"example.com\", nonce=\""), 0u) << lines;
  const std::size_t sha = lines.find("algorithm=SHA-256");
  const std::size_t md5 = lines.find("algorithm=MD5");
  EXPECT_NE(sha, std::string::npos) << lines;
  EXPECT_NE(md5, std::string::npos) << lines;
  EXPECT_LT(sha, md5);  // preferred first
  EXPECT_EQ(lines.find("stale"), std::string::npos);
  EXPECT_EQ(lines.substr(lines.size() - 2), "\r\n");
  EXPECT_EQ(lines.find("WWW-Authenticate"), std::string::npos);
  EXPECT_EQ(nonce_of(lines).size(), auth::kNonceLength);
}

TEST_F(GateTest, RegisterIsChallengedWith401) {
  make(toml_with(kChallengeRules));
  auto r =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:alice@example.com");
  GateDecision d = decide(*r);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_EQ(d.code, 401);
  EXPECT_EQ(d.reason, "Unauthorized");
  const std::string lines(d.extra_headers);
  EXPECT_EQ(lines.find("WWW-Authenticate: Digest realm=\"example.com\""), 0u) << lines;
  EXPECT_EQ(lines.find("Proxy-Authenticate"), std::string::npos);
}

class GateAlgorithmTest : public GateTest, public ::testing::WithParamInterface<Algorithm> {};

TEST_P(GateAlgorithmTest, AnsweredChallengeAuthenticatesAndTheNextRulesDecide) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second = request("INVITE", "sip:bob@example.com",
                        credentials_line("Proxy-Authorization", GetParam(), "alice", "wonderland",
                                         "example.com", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_TRUE(d.authenticated);
  EXPECT_EQ(d.action, GateAction::kForward);
  EXPECT_EQ(d.destination, 0);
}

TEST_P(GateAlgorithmTest, AnsweredRegisterChallenge) {
  make(toml_with(kChallengeRules));
  auto first =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:alice@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second = request("REGISTER", "sip:example.com",
                        credentials_line("Authorization", GetParam(), "alice", "wonderland",
                                         "example.com", nonce, "REGISTER", "sip:example.com"),
                        "sip:alice@example.com", "sip:alice@example.com");
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_TRUE(d.authenticated);
  EXPECT_EQ(d.action, GateAction::kRegister);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, GateAlgorithmTest,
                         ::testing::Values(Algorithm::kSha256, Algorithm::kMd5),
                         [](const auto& info) {
                           return info.param == Algorithm::kMd5 ? std::string("Md5")
                                                                : std::string("Sha256");
                         });

TEST_F(GateTest, WrongPasswordIsChallengedAgain) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "guess",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_FALSE(d.authenticated);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_EQ(d.code, 407);
  EXPECT_EQ(std::string(d.extra_headers).find("stale"), std::string::npos);
  EXPECT_NE(nonce_of(d.extra_headers), nonce);  // a fresh nonce
}

TEST_F(GateTest, CredentialsOfAnotherUserAreAnIdentityMismatch) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  // bob's correct credentials on a request From alice.
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "bob", "builder",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_EQ(d.action, GateAction::kReject);
  EXPECT_EQ(d.code, 403);
  EXPECT_EQ(d.reason, "Forbidden: identity mismatch");
}

TEST_F(GateTest, RegisterIdentityIsTheToUser) {
  make(toml_with(kChallengeRules));
  auto first =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  // alice registering bob's address-of-record: refused.
  auto second = request("REGISTER", "sip:example.com",
                        credentials_line("Authorization", Algorithm::kSha256, "alice", "wonderland",
                                         "example.com", nonce, "REGISTER", "sip:example.com"),
                        "sip:alice@example.com", "sip:bob@example.com");
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_EQ(d.action, GateAction::kReject);
  EXPECT_EQ(d.code, 403);
}

TEST_F(GateTest, ExpiredNonceIsChallengedWithStale) {
  make(toml_with(kChallengeRules));  // nonce_lifetime_s = 300 (default)
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 301'000);
  EXPECT_FALSE(d.authenticated);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  const std::string lines(d.extra_headers);
  EXPECT_NE(lines.find("algorithm=SHA-256, qop=\"auth\", stale=true\r\n"), std::string::npos)
      << lines;
  EXPECT_NE(lines.find("algorithm=MD5, qop=\"auth\", stale=true\r\n"), std::string::npos) << lines;
}

TEST_F(GateTest, ConfiguredNonceLifetime) {
  make(toml_with(kChallengeRules, "", "nonce_lifetime_s = 60\n"));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 61'000);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_NE(std::string(d.extra_headers).find("stale=true"), std::string::npos);
  // Within the lifetime (a fresh nc for the same nonce) it is accepted.
  auto third =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com", 2));
  EXPECT_TRUE(decide(*third, kUntrusted, kT0 + 59'000).authenticated);
}

TEST_F(GateTest, ReplayedCredentialsAreChallengedWithStale) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  EXPECT_TRUE(decide(*second, kUntrusted, kT0 + 1000).authenticated);
  GateDecision d = decide(*second, kUntrusted, kT0 + 2000);  // the same nc again
  EXPECT_FALSE(d.authenticated);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_NE(std::string(d.extra_headers).find("stale=true"), std::string::npos);
}

TEST_F(GateTest, MalformedCredentialsAre400) {
  make(toml_with(kChallengeRules));
  auto r = request("INVITE", "sip:bob@example.com",
                   "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\"\r\n");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kBadRequest);
  EXPECT_EQ(d.code, 400);
  EXPECT_FALSE(d.reason.empty());
}

TEST_F(GateTest, CredentialsForAnotherRealmAreIgnored) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "other.example", nonce, "INVITE", "sip:bob@example.com"));
  GateDecision d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_FALSE(d.authenticated);
  EXPECT_EQ(d.action, GateAction::kChallenge);
}

TEST_F(GateTest, OtherSchemesAndWrongHeaderAreNoCredentials) {
  make(toml_with(kChallengeRules));
  auto basic = request("INVITE", "sip:bob@example.com",
                       "Proxy-Authorization: Basic YWxpY2U6d29uZGVybGFuZA==\r\n");
  EXPECT_EQ(decide(*basic).action, GateAction::kChallenge);
  // An INVITE's credentials belong in Proxy-Authorization, not Authorization.
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto wrong = request("INVITE", "sip:bob@example.com",
                       credentials_line("Authorization", Algorithm::kSha256, "alice", "wonderland",
                                        "example.com", nonce, "INVITE", "sip:bob@example.com"));
  EXPECT_EQ(decide(*wrong, kUntrusted, kT0 + 1000).action, GateAction::kChallenge);
}

TEST_F(GateTest, ChallengeRuleRealm) {
  make(
      toml_with("[[rule]]\nname = \"auth\"\naction = \"challenge\"\nrealm = \"pbx.example\"\n"
                "[[rule]]\nname = \"ok\"\naction = \"reply\"\ncode = 200\n"));
  auto first = request("MESSAGE", "sip:bob@example.com");
  GateDecision d = decide(*first);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  EXPECT_NE(std::string(d.extra_headers).find("realm=\"pbx.example\""), std::string::npos);
  // The users file has alice only in example.com: correct-looking credentials for
  // pbx.example are verified against that realm and fail.
  const std::string nonce = nonce_of(d.extra_headers);
  auto second =
      request("MESSAGE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "pbx.example", nonce, "MESSAGE", "sip:bob@example.com"));
  d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_FALSE(d.authenticated);
  EXPECT_EQ(d.action, GateAction::kChallenge);
}

TEST_F(GateTest, AuthenticatedRequestsAreRelayedByTheSafeDefault) {
  make(
      toml_with("[[rule]]\nname = \"auth\"\nauthenticated = false\nruri_host = "
                "\"elsewhere.example\"\naction = \"challenge\"\n"));
  auto first = request("INVITE", "sip:carol@elsewhere.example");
  GateDecision d = decide(*first);
  ASSERT_EQ(d.action, GateAction::kChallenge);
  const std::string nonce = nonce_of(d.extra_headers);
  auto second =
      request("INVITE", "sip:carol@elsewhere.example",
              credentials_line("Proxy-Authorization", Algorithm::kMd5, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:carol@elsewhere.example"));
  d = decide(*second, kUntrusted, kT0 + 1000);
  EXPECT_TRUE(d.authenticated);
  EXPECT_EQ(d.action, GateAction::kDefault);  // relayed
}

TEST_F(GateTest, NoUsersFileMeansEveryCredentialFails) {
  make(
      "domains = [\"example.com\"]\n[[listen]]\naddress = \"192.0.2.1\"\n"
      "[[rule]]\nname = \"auth\"\naction = \"challenge\"\n");
  EXPECT_EQ(shared_->users.size(), 0u);
  EXPECT_EQ(shared_->realm, "example.com");  // the first domain
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  EXPECT_EQ(decide(*second, kUntrusted, kT0 + 1000).action, GateAction::kChallenge);
}

TEST_F(GateTest, NoScratchSpaceFailsClosed) {
  make(toml_with(kChallengeRules));
  out_.exhausted = true;
  auto r = request("INVITE", "sip:bob@example.com");
  GateDecision d = decide(*r);
  EXPECT_EQ(d.action, GateAction::kError);
  EXPECT_EQ(d.code, 500);
}

// decide() allocates nothing: challenge, authenticated forward with edits, stale, 400, 403.
TEST_F(GateTest, DecideDoesNotAllocate) {
  make(toml_with(
      std::string(kChallengeRules.substr(0, kChallengeRules.find("[[rule]]\nname = \"out\""))) +
      "[[rule]]\nname = \"out\"\naction = \"forward\"\ndestination = \"pbx\"\n"
      "add_header = [\"X-A: 1\"]\nset_ruri_host = \"192.0.2.20\"\n"));
  auto first = request("INVITE", "sip:bob@example.com");
  auto reg =
      request("REGISTER", "sip:example.com", "", "sip:alice@example.com", "sip:alice@example.com");
  auto malformed = request("INVITE", "sip:bob@example.com", "Proxy-Authorization: Digest x\r\n");
  // The Outbox's own scratch allocations are not the gate's: give it room beforehand.
  testing::FakeOutbox out;
  GateDecision d = gate_->decide(first->msg, kUntrusted, out, kT0);
  const std::string nonce = nonce_of(d.extra_headers);
  auto answered =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  auto mismatch =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kMd5, "bob", "builder",
                               "example.com", nonce, "INVITE", "sip:bob@example.com", 5),
              "sip:alice@example.com");

  class NoAllocOutbox : public Outbox {
   public:
    char* scratch(std::size_t bytes) override {
      if (used + bytes > sizeof buffer) return nullptr;
      used += bytes;
      return buffer + used - bytes;
    }
    bool send_from(const NetAddress&, const NetAddress&,
                   std::span<const std::string_view>) override {
      return false;
    }
    char buffer[16384];
    std::size_t used = 0;
  } fixed;

  const uint64_t before = sipwire::testing::allocations().calls;
  const GateDecision challenged = gate_->decide(first->msg, kUntrusted, fixed, kT0);
  const GateDecision challenged_register = gate_->decide(reg->msg, kUntrusted, fixed, kT0);
  const GateDecision forwarded = gate_->decide(answered->msg, kUntrusted, fixed, kT0 + 10);
  const GateDecision replayed = gate_->decide(answered->msg, kUntrusted, fixed, kT0 + 20);
  const GateDecision bad = gate_->decide(malformed->msg, kUntrusted, fixed, kT0);
  const GateDecision forbidden = gate_->decide(mismatch->msg, kUntrusted, fixed, kT0 + 30);
  const uint64_t allocations = sipwire::testing::allocations().calls - before;

  EXPECT_EQ(allocations, 0u);
  {  // the counter counts
    const uint64_t at = sipwire::testing::allocations().calls;
    auto probe = std::make_unique<std::string>(100, 'x');
    EXPECT_GE(sipwire::testing::allocations().calls - at, 1u);
  }
  EXPECT_EQ(challenged.action, GateAction::kChallenge);
  EXPECT_EQ(challenged_register.code, 401);
  EXPECT_EQ(forwarded.action, GateAction::kForward);
  EXPECT_EQ(forwarded.destination, 1);
  EXPECT_EQ(forwarded.edits.size(), 2u);
  EXPECT_EQ(replayed.action, GateAction::kChallenge);
  EXPECT_NE(std::string(replayed.extra_headers).find("stale=true"), std::string::npos);
  EXPECT_EQ(bad.action, GateAction::kBadRequest);
  EXPECT_EQ(forbidden.code, 403);
}

// A reload keeps the nonce secret: a nonce from before it still verifies after.
TEST_F(GateTest, ReloadKeepsTheNonceSecret) {
  make(toml_with(kChallengeRules));
  auto first = request("INVITE", "sip:bob@example.com");
  const std::string nonce = nonce_of(decide(*first).extra_headers);
  GateSharedResult reloaded =
      make_gate_shared(config_from(toml_with(kChallengeRules)), shared_.get());
  ASSERT_TRUE(reloaded.ok()) << reloaded.error;
  PolicyGate gate(reloaded.shared, 3, 99);
  auto second =
      request("INVITE", "sip:bob@example.com",
              credentials_line("Proxy-Authorization", Algorithm::kSha256, "alice", "wonderland",
                               "example.com", nonce, "INVITE", "sip:bob@example.com"));
  EXPECT_TRUE(gate.decide(second->msg, kUntrusted, out_, kT0 + 1000).authenticated);
}

// ---------------------------------------------------------------------------------------------
// make_gate_shared

TEST(MakeGateSharedTest, BadUsersFileNamesItsLine) {
  const std::string path = ::testing::TempDir() + "/bad-users";
  std::ofstream(path) << "# users\nalice example.com SHA-256 nothex\n";
  const ConfigResult c = parse_config(
      "domains = [\"example.com\"]\n[[listen]]\naddress = "
      "\"192.0.2.1\"\n[auth]\nusers_file = \"" +
          path + "\"\n",
      "gate.toml");
  ASSERT_TRUE(c.ok()) << c.error.to_string();
  const GateSharedResult r = make_gate_shared(*c.config);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind(path + ":2: ", 0), 0u) << r.error;
}

TEST(MakeGateSharedTest, MissingUsersFile) {
  const ConfigResult c = parse_config(
      "[[listen]]\naddress = \"192.0.2.1\"\n[auth]\nusers_file = \"/nonexistent/users\"\n",
      "gate.toml");
  ASSERT_TRUE(c.ok()) << c.error.to_string();
  const GateSharedResult r = make_gate_shared(*c.config);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("/nonexistent/users"), std::string::npos) << r.error;
}

TEST(MakeGateSharedTest, ForwardToAnUnknownDestinationSet) {
  const ConfigResult c = parse_config(
      "[[listen]]\naddress = \"192.0.2.1\"\n"
      "[[rule]]\nname = \"out\"\naction = \"forward\"\ndestination = \"nowhere\"\n",
      "gate.toml");
  ASSERT_TRUE(c.ok()) << c.error.to_string();
  const GateSharedResult r = make_gate_shared(*c.config);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("gate.toml:3:", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("destination \"nowhere\" names no [[destination]]"), std::string::npos)
      << r.error;
}

TEST(MakeGateSharedTest, SharedValues) {
  const ConfigResult c = parse_config(
      "domains = [\"example.com\"]\n[[listen]]\naddress = \"192.0.2.1\"\n"
      "[auth]\nrealm = \"sip.example.com\"\nnonce_lifetime_s = 60\n"
      "replay_entries_per_worker = 4096\n"
      "[[destination]]\nname = \"a\"\nhops = [{ address = \"192.0.2.30\" }]\n"
      "[[rule]]\nname = \"c\"\naction = \"challenge\"\nrealm = \"other.example\"\n"
      "[[rule]]\nname = \"f\"\naction = \"forward\"\ndestination = \"a\"\n",
      "gate.toml");
  ASSERT_TRUE(c.ok()) << c.error.to_string();
  const GateSharedResult r = make_gate_shared(*c.config);
  ASSERT_TRUE(r.ok()) << r.error;
  const GateShared& s = *r.shared;
  EXPECT_EQ(s.realm, "sip.example.com");
  EXPECT_EQ(s.realms, (std::vector<std::string>{"sip.example.com", "other.example"}));
  EXPECT_EQ(s.nonce_lifetime_ms, 60'000u);
  EXPECT_EQ(s.replay_entries, 4096u);
  EXPECT_EQ(s.rule_destination, (std::vector<int>{-1, 0}));
  EXPECT_EQ(s.destination_names, (std::vector<std::string>{"a"}));
}

}  // namespace
}  // namespace sipwire::gate
