// The server policy: every match kind true and false, first match wins, field-anchored
// regexes, the safe default, compile errors and reload, header edits as message bytes.
#include "sipwire/policy/policy.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace sipwire::policy {
namespace {

constexpr std::string_view kHead =
    "domains = [\"example.com\"]\n"
    "[[listen]]\naddress = \"192.0.2.1\"\n";  // rules start at line 4

Config config_with(std::string_view rules) {
  const ConfigResult r = parse_config(std::string(kHead) + std::string(rules), "rules.toml");
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  return r.ok() ? *r.config : Config{};
}

std::unique_ptr<const Policy> compile(std::string_view rules, const PolicyOptions& options = {}) {
  PolicyResult r = Policy::compile(config_with(rules), options);
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  return std::move(r.policy);
}

struct Request {
  std::string bytes;
  Message msg;
};

// A parsed request; `headers` are extra lines, each ending in CRLF.
std::unique_ptr<Request> request(std::string_view method, std::string_view ruri,
                                 std::string_view headers = "",
                                 std::string_view from = "sip:alice@example.com",
                                 std::string_view to = "sip:bob@example.com") {
  auto r = std::make_unique<Request>();
  r->bytes = std::string(method) + " " + std::string(ruri) +
             " SIP/2.0\r\n"
             "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds\r\n"
             "Max-Forwards: 70\r\n"
             "From: \"Alice\" <" +
             std::string(from) +
             ">;tag=1928301774\r\n"
             "To: <" +
             std::string(to) +
             ">\r\n"
             "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
             "CSeq: 314159 " +
             std::string(method) + "\r\n" + std::string(headers) + "Content-Length: 0\r\n\r\n";
  const ParseError e = parse_message(r->bytes, r->msg);
  EXPECT_FALSE(e) << r->bytes << e.reason;
  return r;
}

const NetAddress kSource = NetAddress::ipv4(198, 51, 100, 7, 5060);

class PolicyTest : public ::testing::Test {
 protected:
  // The index of the rule deciding `req`, or -1 when none does.
  int decide(const Policy& policy, const Request& req, const NetAddress& source = kSource,
             Transport transport = Transport::kUdp, bool authenticated = false) {
    EXPECT_TRUE(evaluator_.prepare(policy));
    const Decision d = evaluator_.evaluate(policy, req.msg, source, transport, authenticated);
    EXPECT_NE(d.outcome, Outcome::kError);
    return d.rule_index;
  }
  // Whether a policy of the one rule `match` (match keys only) matches `req`.
  bool matches(std::string_view match, const Request& req, const NetAddress& source = kSource,
               Transport transport = Transport::kUdp, bool authenticated = false) {
    const auto policy =
        compile("[[rule]]\nname = \"r\"\n" + std::string(match) + "\naction = \"lookup\"\n");
    if (!policy) return false;
    return decide(*policy, req, source, transport, authenticated) == 0;
  }
  PolicyEvaluator evaluator_;
};

TEST_F(PolicyTest, Method) {
  const auto invite = request("INVITE", "sip:bob@example.com");
  const auto options = request("OPTIONS", "sip:bob@example.com");
  const auto foo = request("FOO", "sip:bob@example.com");
  EXPECT_TRUE(matches("method = [\"INVITE\", \"MESSAGE\"]", *invite));
  EXPECT_FALSE(matches("method = [\"INVITE\", \"MESSAGE\"]", *options));
  EXPECT_TRUE(matches("method = \"FOO\"", *foo));  // extension methods by name
  EXPECT_FALSE(matches("method = \"FOO\"", *invite));
  EXPECT_FALSE(matches("method = \"invite\"", *invite));  // case-sensitive (§7.1)
}

TEST_F(PolicyTest, RequestUriScheme) {
  const auto sip = request("INVITE", "sip:bob@example.com");
  const auto tel = request("INVITE", "tel:+4930123456");
  EXPECT_TRUE(matches("ruri_scheme = \"sip\"", *sip));
  EXPECT_TRUE(matches("ruri_scheme = \"SIP\"", *sip));  // schemes are case-insensitive
  EXPECT_FALSE(matches("ruri_scheme = \"sip\"", *tel));
  EXPECT_TRUE(matches("ruri_scheme = \"tel\"", *tel));
  EXPECT_FALSE(matches("ruri_scheme = \"si\"", *sip));  // exact, not prefix
}

TEST_F(PolicyTest, RequestUriUser) {
  const auto req = request("INVITE", "sip:+4930123@example.com");
  EXPECT_TRUE(matches("ruri_user = \"+4930123\"", *req));
  EXPECT_FALSE(matches("ruri_user = \"+493012\"", *req));
  EXPECT_TRUE(matches("ruri_user_prefix = \"+49\"", *req));
  EXPECT_FALSE(matches("ruri_user_prefix = \"+44\"", *req));
  EXPECT_FALSE(matches("ruri_user_prefix = \"4930\"", *req));  // prefix from the start
  EXPECT_TRUE(matches("ruri_user_regex = \"^\\\\+49[0-9]+$\"", *req));
  EXPECT_FALSE(matches("ruri_user_regex = \"^[0-9]{4}$\"", *req));
  EXPECT_TRUE(matches("ruri_user_regex = \"301\"", *req));  // unanchored: anywhere in the user
  const auto lower = request("INVITE", "sip:alice@example.com");
  EXPECT_FALSE(matches("ruri_user = \"Alice\"", *lower));  // users compare as written
  EXPECT_TRUE(matches("ruri_user_regex = \"^(?i)ALICE$\"", *lower));
}

TEST_F(PolicyTest, RequestUriHost) {
  const auto req = request("INVITE", "sip:bob@Gw1.Example.COM:5070");
  EXPECT_TRUE(matches("ruri_host = \"gw1.example.com\"", *req));  // case-insensitive
  EXPECT_FALSE(matches("ruri_host = \"example.com\"", *req));
  EXPECT_TRUE(matches("ruri_host_prefix = \"gw1.\"", *req));
  EXPECT_FALSE(matches("ruri_host_prefix = \"gw2.\"", *req));
  EXPECT_TRUE(matches("ruri_host_regex = \"\\\\.Example\\\\.COM$\"", *req));
  EXPECT_FALSE(matches("ruri_host_regex = \"5070\"", *req));  // the port is not the host
  const auto v6 = request("INVITE", "sip:bob@[2001:db8::1]");
  EXPECT_TRUE(matches("ruri_host = \"[2001:db8::1]\"", *v6));
}

TEST_F(PolicyTest, FromAndToUri) {
  const auto req = request("INVITE", "sip:bob@example.com", "", "sip:alice@carrier.example",
                           "sips:bob@example.com");
  EXPECT_TRUE(matches("from_uri_regex = \"@carrier\\\\.example$\"", *req));
  EXPECT_FALSE(matches("from_uri_regex = \"@example\\\\.com$\"", *req));
  EXPECT_TRUE(matches("from_uri = \"sip:alice@carrier.example\"", *req));
  EXPECT_TRUE(matches("from_uri_prefix = \"sip:alice@\"", *req));
  EXPECT_TRUE(matches("to_uri_regex = \"^sips:\"", *req));
  EXPECT_FALSE(matches("to_uri_regex = \"carrier\"", *req));
  EXPECT_TRUE(matches("to_uri = \"sips:bob@example.com\"", *req));
  EXPECT_FALSE(matches("to_uri_prefix = \"sip:\"", *req));
  // The display name and the tag are not part of the URI.
  EXPECT_FALSE(matches("from_uri_regex = \"Alice|tag\"", *req));
}

TEST_F(PolicyTest, HeaderRegexLooksOnlyAtTheNamedHeader) {
  const auto scanner = request("INVITE", "sip:bob@example.com",
                               "User-Agent: friendly-scanner 1.0\r\nSubject: hello\r\n");
  const auto phone = request("INVITE", "sip:bob@example.com",
                             "User-Agent: Phone 2.1\r\nSubject: friendly-scanner\r\n");
  const std::string rule = "header = \"User-Agent\"\nheader_regex = \"friendly-scanner\"";
  EXPECT_TRUE(matches(rule, *scanner));
  EXPECT_FALSE(matches(rule, *phone));  // the text is in Subject, not in User-Agent
  // Any case of the name; compact forms of known headers; every field of the header.
  EXPECT_TRUE(matches("header = \"user-agent\"\nheader_regex = \"^friendly\"", *scanner));
  const auto compact =
      request("INVITE", "sip:bob@example.com", "k: timer\r\nSupported: 100rel\r\n");
  EXPECT_TRUE(matches("header = \"Supported\"\nheader_regex = \"^100rel$\"", *compact));
  EXPECT_TRUE(matches("header = \"Supported\"\nheader_regex = \"^timer$\"", *compact));
  // Unknown (extension) headers by name.
  const auto ext = request("INVITE", "sip:bob@example.com", "X-Tenant: blue\r\n");
  EXPECT_TRUE(matches("header = \"x-tenant\"\nheader_regex = \"^blue$\"", *ext));
  EXPECT_FALSE(matches("header = \"X-Other\"\nheader_regex = \"blue\"", *ext));
}

TEST_F(PolicyTest, AnchorsMeanTheFieldNotTheMessage) {
  const auto req = request("INVITE", "sip:1234@example.com", "Subject: 5678\r\n");
  // "^...$" holds for the user alone, not for some line of the message or the subject.
  EXPECT_TRUE(matches("ruri_user_regex = \"^[0-9]{4}$\"", *req));
  EXPECT_FALSE(matches("ruri_user_regex = \"^[0-9]{3}$\"", *req));
  EXPECT_FALSE(matches("ruri_user_regex = \"^234\"", *req));
  EXPECT_FALSE(matches("ruri_user_regex = \"123$\"", *req));
  // A field's regex cannot reach into another field: "5678" is in Subject only.
  EXPECT_FALSE(matches("ruri_user_regex = \"5678\"", *req));
  EXPECT_FALSE(matches("ruri_host_regex = \"^1234\"", *req));
  EXPECT_FALSE(matches("ruri_host_regex = \"INVITE|SIP/2.0\"", *req));
}

TEST_F(PolicyTest, SourceCidr) {
  const auto req = request("INVITE", "sip:bob@example.com");
  const NetAddress v4 = NetAddress::ipv4(10, 1, 2, 3, 5060);
  const NetAddress v6 = *NetAddress::parse("2001:db8:1::5", 5060);
  const std::string rule = "source = [\"10.0.0.0/8\", \"2001:db8::/32\"]";
  EXPECT_TRUE(matches(rule, *req, v4));
  EXPECT_TRUE(matches(rule, *req, v6));
  EXPECT_FALSE(matches(rule, *req, NetAddress::ipv4(11, 0, 0, 1, 5060)));
  EXPECT_FALSE(matches(rule, *req, *NetAddress::parse("2001:db9::1", 5060)));
  EXPECT_TRUE(matches("source = \"10.1.2.0/23\"", *req, v4));
  EXPECT_FALSE(matches("source = \"10.1.4.0/23\"", *req, v4));
  EXPECT_TRUE(matches("source = \"10.1.2.3\"", *req, v4));  // one address
  EXPECT_FALSE(matches("source = \"10.1.2.4\"", *req, v4));
  EXPECT_TRUE(matches("source = \"0.0.0.0/0\"", *req, v4));
  EXPECT_FALSE(matches("source = \"0.0.0.0/0\"", *req, v6));  // families do not mix
}

TEST_F(PolicyTest, TransportAndAuthenticated) {
  const auto req = request("INVITE", "sip:bob@example.com");
  EXPECT_TRUE(matches("transport = \"udp\"", *req, kSource, Transport::kUdp));
  EXPECT_FALSE(matches("transport = \"udp\"", *req, kSource, Transport::kTls));
  EXPECT_TRUE(matches("transport = \"tls\"", *req, kSource, Transport::kTls));
  EXPECT_TRUE(matches("authenticated = true", *req, kSource, Transport::kUdp, true));
  EXPECT_FALSE(matches("authenticated = true", *req, kSource, Transport::kUdp, false));
  EXPECT_TRUE(matches("authenticated = false", *req, kSource, Transport::kUdp, false));
  EXPECT_FALSE(matches("authenticated = false", *req, kSource, Transport::kUdp, true));
}

TEST_F(PolicyTest, AllKeysOfARuleMustHold) {
  const auto req = request("INVITE", "sip:+4930@example.com", "User-Agent: x\r\n");
  EXPECT_TRUE(matches(
      "method = \"INVITE\"\nruri_user_prefix = \"+49\"\nruri_host = \"example.com\"", *req));
  EXPECT_FALSE(
      matches("method = \"INVITE\"\nruri_user_prefix = \"+49\"\nruri_host = \"other.com\"", *req));
  EXPECT_FALSE(matches("method = \"BYE\"\nruri_user_prefix = \"+49\"", *req));
  EXPECT_FALSE(matches("ruri_user_prefix = \"+49\"\nsource = \"10.0.0.0/8\"", *req));
}

TEST_F(PolicyTest, FirstMatchWinsInFileOrder) {
  const std::string rules = R"([[rule]]
name = "ping"
method = "OPTIONS"
action = "reply"
code = 200
[[rule]]
name = "germany"
ruri_user_prefix = "+49"
action = "forward"
destination = "de"
[[rule]]
name = "berlin"
ruri_user_prefix = "+4930"
action = "forward"
destination = "berlin"
[[rule]]
name = "all"
action = "lookup"
)";
  const auto policy = compile(rules);
  ASSERT_TRUE(policy);
  EXPECT_EQ(decide(*policy, *request("INVITE", "sip:+4930123@example.com")), 1);  // not 2
  EXPECT_EQ(decide(*policy, *request("OPTIONS", "sip:+4930123@example.com")), 0);
  EXPECT_EQ(decide(*policy, *request("INVITE", "sip:alice@example.com")), 3);
  // The same rules with the two prefixes swapped: now the longer prefix decides.
  const auto swapped = compile(R"([[rule]]
name = "berlin"
ruri_user_prefix = "+4930"
action = "forward"
destination = "berlin"
[[rule]]
name = "germany"
ruri_user_prefix = "+49"
action = "forward"
destination = "de"
)");
  ASSERT_TRUE(swapped);
  PolicyEvaluator evaluator;
  ASSERT_TRUE(evaluator.prepare(*swapped));
  const auto berlin = request("INVITE", "sip:+4930123@example.com");
  const Decision d = evaluator.evaluate(*swapped, berlin->msg, kSource, Transport::kUdp, false);
  EXPECT_EQ(d.outcome, Outcome::kRule);
  EXPECT_EQ(d.rule_index, 0);
  ASSERT_NE(d.rule, nullptr);
  EXPECT_EQ(d.rule->name, "berlin");
  EXPECT_EQ(d.rule->action, RuleAction::kForward);
  EXPECT_EQ(d.rule->destination, "berlin");
}

TEST_F(PolicyTest, SharedPatternsCountForEveryRule) {
  // Two rules with the same pattern share one expression of the database.
  const auto policy = compile(R"([[rule]]
name = "a"
ruri_user = "alice"
transport = "tcp"
action = "lookup"
[[rule]]
name = "b"
ruri_user = "alice"
action = "register"
)");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->pattern_count(), 1u);
  const auto req = request("INVITE", "sip:alice@example.com");
  EXPECT_EQ(decide(*policy, *req, kSource, Transport::kTcp), 0);
  EXPECT_EQ(decide(*policy, *req, kSource, Transport::kUdp), 1);
}

TEST_F(PolicyTest, ChallengeGivesWayToAuthenticatedRequests) {
  const auto policy = compile(R"([[rule]]
name = "auth"
method = "INVITE"
action = "challenge"
[[rule]]
name = "rest"
action = "lookup"
)");
  ASSERT_TRUE(policy);
  const auto req = request("INVITE", "sip:bob@example.com");
  EXPECT_EQ(decide(*policy, *req, kSource, Transport::kUdp, false), 0);
  EXPECT_EQ(decide(*policy, *req, kSource, Transport::kUdp, true), 1);
}

TEST_F(PolicyTest, SafeDefaultIsNoOpenRelay) {
  const auto policy = compile("");  // no rules
  ASSERT_TRUE(policy);
  ASSERT_TRUE(evaluator_.prepare(*policy));
  const auto ours = request("INVITE", "sip:bob@example.com");
  const auto ours_ip = request("INVITE", "sip:bob@192.0.2.1");
  const auto foreign = request("INVITE", "sip:bob@elsewhere.example");
  auto outcome = [&](const Request& r, bool authenticated, const NetAddress& source = kSource) {
    return evaluator_.evaluate(*policy, r.msg, source, Transport::kUdp, authenticated).outcome;
  };
  EXPECT_EQ(outcome(*ours, false), Outcome::kLocal);
  EXPECT_EQ(outcome(*ours_ip, false), Outcome::kLocal);
  EXPECT_EQ(outcome(*foreign, false), Outcome::kForbidden);
  EXPECT_EQ(outcome(*foreign, true), Outcome::kRelay);
  // A maddr sends it where it names (RFC 3261 §16.4): ours only when that is ours too.
  EXPECT_EQ(outcome(*request("INVITE", "sip:bob@example.com;maddr=192.0.2.1"), false),
            Outcome::kLocal);
  const auto elsewhere = request("INVITE", "sip:bob@example.com;lr;maddr=198.51.100.9");
  EXPECT_EQ(outcome(*elsewhere, false), Outcome::kForbidden);
  EXPECT_EQ(outcome(*elsewhere, true), Outcome::kRelay);
  // So does a pre-loaded Route elsewhere (Kamailio's default configuration denies them); one
  // naming us is ours.
  const auto preloaded = request("INVITE", "sip:bob@example.com",
                                 "Route: <sip:198.51.100.9;lr>, <sip:example.com;lr>\r\n");
  EXPECT_EQ(outcome(*preloaded, false), Outcome::kForbidden);
  EXPECT_EQ(outcome(*preloaded, true), Outcome::kRelay);
  EXPECT_EQ(outcome(*request("INVITE", "sip:bob@example.com", "Route: <sip:192.0.2.1:5070;lr>\r\n"),
                    false),
            Outcome::kLocal);
  // Ours first (a phone with us as its outbound proxy) and then one elsewhere: it goes there.
  const auto via_us = request("INVITE", "sip:bob@example.com",
                              "Route: <sip:192.0.2.1;lr>\r\nRoute: <sip:198.51.100.9;lr>\r\n");
  EXPECT_EQ(outcome(*via_us, false), Outcome::kForbidden);
  EXPECT_EQ(outcome(*via_us, true), Outcome::kRelay);
  EXPECT_EQ(outcome(*request("INVITE", "sip:bob@example.com",
                             "Route: <sip:192.0.2.1;lr>, <sip:example.com;lr>\r\n"),
                    false),
            Outcome::kLocal);
  // Trusted sources relay without authentication.
  PolicyOptions options;
  options.trusted_sources.push_back({*NetAddress::parse("198.51.100.0", 0), 24});
  const auto trusting = compile("", options);
  ASSERT_TRUE(trusting);
  ASSERT_TRUE(evaluator_.prepare(*trusting));
  EXPECT_EQ(evaluator_.evaluate(*trusting, foreign->msg, kSource, Transport::kUdp, false).outcome,
            Outcome::kRelay);
  EXPECT_EQ(evaluator_
                .evaluate(*trusting, foreign->msg, NetAddress::ipv4(203, 0, 113, 1, 5060),
                          Transport::kUdp, false)
                .outcome,
            Outcome::kForbidden);
  // A rule that does not match leaves the default in force.
  const auto some =
      compile("[[rule]]\nname = \"r\"\nruri_user = \"nobody\"\naction = \"lookup\"\n");
  ASSERT_TRUE(some);
  ASSERT_TRUE(evaluator_.prepare(*some));
  const Decision d = evaluator_.evaluate(*some, foreign->msg, kSource, Transport::kUdp, false);
  EXPECT_EQ(d.outcome, Outcome::kForbidden);
  EXPECT_EQ(d.rule_index, -1);
  EXPECT_EQ(d.rule, nullptr);
}

TEST_F(PolicyTest, UnpreparedEvaluatorFailsClosed) {
  const auto policy = compile("[[rule]]\nname = \"r\"\nruri_user = \"bob\"\naction = \"lookup\"\n");
  ASSERT_TRUE(policy);
  PolicyEvaluator fresh;
  const auto req = request("INVITE", "sip:bob@example.com");
  EXPECT_EQ(fresh.evaluate(*policy, req->msg, kSource, Transport::kUdp, false).outcome,
            Outcome::kError);
}

TEST_F(PolicyTest, SubjectHoldsOnlyTheFieldsRulesNeed) {
  const auto policy = compile(
      "[[rule]]\nname = \"r\"\nruri_user = \"x\"\nheader = \"X-A\"\nheader_regex = \"y\"\n"
      "action = \"lookup\"\n");
  ASSERT_TRUE(policy);
  const auto req =
      request("INVITE", "sip:bob@example.com", "X-A: one\r\nSubject: no\r\nx-a: two\r\n");
  decide(*policy, *req);
  EXPECT_EQ(evaluator_.last_subject(),
            "\x01"
            "1\nbob\n\x01"
            "5\none\n\x01"
            "5\ntwo\n");
}

// --- compile errors and reload -----------------------------------------------------------------

TEST(PolicyCompileTest, ConfigErrorsNameTheLine) {
  const std::string head(kHead);
  auto error = [&](std::string_view rules) {
    const ConfigResult r = parse_config(head + std::string(rules), "rules.toml");
    return r.ok() ? std::string("accepted") : r.error.to_string();
  };
  EXPECT_EQ(error("[[rule]]\nname = \"r\"\nruri_user_regex = \"(a)\\\\1\"\naction = \"lookup\"\n"),
            "rules.toml:6:19: rule[0].ruri_user_regex \"(a)\\1\" is not a regular expression "
            "Hyperscan accepts: Back-references are unsupported.");
  EXPECT_EQ(error("[[rule]]\nname = \"r\"\naction = \"deny\"\n"),
            "rules.toml:6:10: rule[0].action \"deny\" is not one of \"register\", \"lookup\", "
            "\"forward\", \"redirect\", \"reject\", \"challenge\", \"reply\"");
  EXPECT_EQ(error("[[rule]]\nname = \"ok\"\naction = \"lookup\"\n"
                  "[[rule]]\nname = \"r\"\naction = \"reject\"\n"),
            "rules.toml:7:1: rule[1].code is required in [[rule]]");
}

TEST(PolicyCompileTest, PolicyCompileErrorNamesThePattern) {
  // A Config built by hand (not read from a file) can hold a pattern Hyperscan refuses; the
  // compile error then names the place the pattern records.
  Config config =
      config_with("[[rule]]\nname = \"r\"\nruri_user_regex = \"ok\"\naction = \"lookup\"\n");
  config.source = "hand.toml";
  config.rules[0].patterns[0].text = "(?<=a)b";  // lookbehind: not in Hyperscan
  const PolicyResult r = Policy::compile(config);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.file, "hand.toml");
  EXPECT_EQ(r.error.line, 6u);
  EXPECT_EQ(r.error.column, 19u);
  EXPECT_NE(r.error.message.find("pattern \"(?<=a)b\""), std::string::npos) << r.error.message;
}

TEST(PolicyCompileTest, FailedReloadKeepsTheRunningPolicy) {
  std::unique_ptr<const Policy> running =
      compile("[[rule]]\nname = \"ping\"\nmethod = \"OPTIONS\"\naction = \"reply\"\ncode = 200\n");
  ASSERT_TRUE(running);
  PolicyEvaluator evaluator;
  ASSERT_TRUE(evaluator.prepare(*running));

  // The reload: a new file with a bad rule. Nothing replaces the running policy.
  Config next =
      config_with("[[rule]]\nname = \"x\"\nruri_user_regex = \"ok\"\naction = \"lookup\"\n");
  next.rules[0].patterns[0].text = "a{2,1}";
  PolicyResult reloaded = Policy::compile(next);
  ASSERT_FALSE(reloaded.ok());
  if (reloaded.ok()) running = std::move(reloaded.policy);

  const auto ping = request("OPTIONS", "sip:bob@example.com");
  const Decision d = evaluator.evaluate(*running, ping->msg, kSource, Transport::kUdp, false);
  EXPECT_EQ(d.outcome, Outcome::kRule);
  EXPECT_EQ(d.rule->name, "ping");

  // A good reload swaps; the evaluator, prepared for both, serves both.
  PolicyResult good =
      Policy::compile(config_with("[[rule]]\nname = \"deny\"\naction = \"reject\"\ncode = 403\n"));
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(evaluator.prepare(*good.policy));
  EXPECT_EQ(evaluator.evaluate(*good.policy, ping->msg, kSource, Transport::kUdp, false).rule->name,
            "deny");
  EXPECT_EQ(evaluator.evaluate(*running, ping->msg, kSource, Transport::kUdp, false).rule->name,
            "ping");
}

// --- header edits ------------------------------------------------------------------------------

std::string edited(const Policy& policy, const Request& req, bool* ok = nullptr) {
  MessageEdits edits;
  const bool fits = add_header_edits(policy, 0, req.msg, edits);
  if (ok != nullptr) *ok = fits;
  std::array<std::string_view, 2 * MessageEdits::kMaxEdits + 1> segments;
  const std::size_t n = edits.render(req.msg.bytes(), segments);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += segments[i];
  return out;
}

// Fields the edit tests below leave as they are.
constexpr std::string_view kKeptFields =
    "Max-Forwards: 70\r\n"
    "From: <sip:a@example.com>;tag=1\r\n"
    "To: <sip:b@example.com>\r\n"
    "Call-ID: c1\r\n";

TEST(HeaderEditsTest, AddRemoveAndRewrite) {
  const auto policy = compile(R"([[rule]]
name = "edit"
action = "forward"
destination = "pstn"
add_header = ["X-Tenant: blue", "X-Route: a"]
remove_header = ["X-Secret", "Subject"]
set_ruri_user = "+4930123"
set_ruri_host = "192.0.2.20"
)");
  ASSERT_TRUE(policy);
  const std::string bytes =
      "INVITE sip:030123@gw.example.com:5070;user=phone SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\n"
      "X-Secret: 1\r\n"
      "s: folded\r\n  subject\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:a@example.com>;tag=1\r\n"
      "To: <sip:b@example.com>\r\n"
      "Call-ID: c1\r\n"
      "x-secret:2\r\n"
      "CSeq: 1 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  Request req;
  req.bytes = bytes;
  ASSERT_FALSE(parse_message(req.bytes, req.msg));
  bool ok = false;
  EXPECT_EQ(edited(*policy, req, &ok),
            "INVITE sip:+4930123@192.0.2.20:5070;user=phone SIP/2.0\r\n"
            "X-Tenant: blue\r\n"
            "X-Route: a\r\n"
            "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\n" +
                std::string(kKeptFields) + "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(ok);
}

TEST(HeaderEditsTest, ARemovedFieldGoesWithItsFoldsOfWhiteSpace) {
  // Trailing LWS is not part of a value, folds included: the removed field's continuation lines
  // go with it, or the first would be left as a continuation line right after the start line.
  const auto policy = compile(
      "[[rule]]\nname = \"e\"\naction = \"lookup\"\nremove_header = [\"X-Secret\", \"Subject\"]\n");
  ASSERT_TRUE(policy);
  Request req;
  req.bytes =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "X-Secret: 1\r\n  \r\n"
      "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\n"
      "Subject:\r\n \r\n\t\r\n" +
      std::string(kKeptFields) + "CSeq: 1 INVITE\r\nX-Secret: 2\r\n \r\nContent-Length: 0\r\n\r\n";
  ASSERT_FALSE(parse_message(req.bytes, req.msg));
  const std::string out = edited(*policy, req);
  EXPECT_EQ(out,
            "INVITE sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1\r\n" +
                std::string(kKeptFields) + "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  Message m;
  EXPECT_FALSE(parse_message(out, m));
}

TEST(HeaderEditsTest, UserInsertedWhenTheUriHasNone) {
  const auto policy =
      compile("[[rule]]\nname = \"e\"\naction = \"lookup\"\nset_ruri_user = \"alice\"\n");
  ASSERT_TRUE(policy);
  const auto req = request("OPTIONS", "sip:example.com");
  const std::string out = edited(*policy, *req);
  EXPECT_EQ(out.substr(0, out.find("\r\n")), "OPTIONS sip:alice@example.com SIP/2.0");
  EXPECT_EQ(out.size(), req->bytes.size() + 6);
}

TEST(HeaderEditsTest, NoEditsLeaveTheMessageAlone) {
  const auto policy = compile("[[rule]]\nname = \"e\"\naction = \"lookup\"\n");
  ASSERT_TRUE(policy);
  const auto req = request("INVITE", "sip:bob@example.com", "X-Secret: 1\r\n");
  EXPECT_EQ(edited(*policy, *req), req->bytes);
}

TEST(HeaderEditsTest, HostOfATelUriCannotBeReplaced) {
  const auto policy =
      compile("[[rule]]\nname = \"e\"\naction = \"lookup\"\nset_ruri_host = \"example.com\"\n");
  ASSERT_TRUE(policy);
  const auto req = request("INVITE", "tel:+4930123");
  MessageEdits edits;
  EXPECT_FALSE(add_header_edits(*policy, 0, req->msg, edits));
}

}  // namespace
}  // namespace sipwire::policy
