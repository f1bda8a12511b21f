// ProxyCore with a request gate (the server policy's decisions, faked here) and with flood
// protection: what each decision makes the proxy do on the wire.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_outbox.h"
#include "record_route_text.h"
#include "sipwire/engine/proxy_core.h"

namespace sipwire {
namespace {

using testing::FakeOutbox;

const NetAddress kProxy = NetAddress::ipv4(127, 0, 0, 1, 5060);
const NetAddress kCaller = NetAddress::ipv4(192, 0, 2, 20, 5064);
const NetAddress kOther = NetAddress::ipv4(192, 0, 2, 21, 5064);
const NetAddress kPhone = NetAddress::ipv4(192, 0, 2, 10, 5062);
const NetAddress kHop = NetAddress::ipv4(192, 0, 2, 50, 5060);

std::string request(const std::string& method, const std::string& ruri, int n = 1) {
  return method + " " + ruri + " SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKg" +
         std::to_string(n) + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@localhost>;tag=a1\r\n" +
         "To: <sip:bob@localhost>\r\nCall-ID: g" + std::to_string(n) + "\r\nCSeq: 1 " + method +
         "\r\nContent-Length: 0\r\n\r\n";
}

std::string status_line(const std::string& m) {
  return m.substr(0, m.find("\r\n"));
}

class FakeGate final : public RequestGate {
 public:
  GateDecision decide(const Message& m, const NetAddress&, Outbox&, uint64_t) override {
    ++calls;
    ruri = std::string(m.request_uri_text());
    return next;
  }
  GateDecision next;
  int calls = 0;
  std::string ruri;  // the Request-URI of the last request decided
};

class RequestGateTest : public ::testing::Test {
 protected:
  RequestGateTest() : qsbr_(1), table_(64, qsbr_) {
    settings_.mode = ProxyMode::kStateless;
    settings_.local = kProxy;
    settings_.domains = {"localhost"};
    settings_.destinations = {std::make_shared<DestinationSet>(
        "pool", DestinationAlgorithm::kRoundRobin, std::vector<DestinationHop>{{kHop, 1, 0}},
        HealthSettings{0, 3, 2})};
    qsbr_.online(0);
  }
  ProxyCore& core() {
    if (!core_) core_ = std::make_unique<ProxyCore>(settings_, table_, &gate_);
    return *core_;
  }
  std::vector<FakeOutbox::Sent> send(const std::string& m, const NetAddress& from = kCaller) {
    out_.clear();
    out_.batch([&] { core().handle(m, from, out_, now_ms_); });
    return out_.sent;
  }
  void register_bob() {
    gate_.next = {};
    gate_.next.action = GateAction::kRegister;
    const std::string reg =
        "REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKr1\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:bob@localhost>;tag=b1\r\nTo: <sip:bob@localhost>\r\n"
        "Call-ID: reg-1\r\nCSeq: 1 REGISTER\r\nContact: <sip:bob@192.0.2.10:5062>\r\n"
        "Content-Length: 0\r\n\r\n";
    ASSERT_EQ(status_line(send(reg, kPhone).at(0).bytes), "SIP/2.0 200 OK");
  }

  Qsbr qsbr_;
  LocationTable table_;
  EngineSettings settings_;
  FakeGate gate_;
  std::unique_ptr<ProxyCore> core_;
  FakeOutbox out_;
  uint64_t now_ms_ = 1'000'000;
};

TEST_F(RequestGateTest, DefaultKeepsTheProxysOwnHandling) {
  register_bob();
  gate_.next = {};
  const auto sent = send(request("INVITE", "sip:bob@localhost"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhone);
}

TEST_F(RequestGateTest, RejectReplyAndForbiddenAnswerWithoutForwarding) {
  gate_.next.action = GateAction::kReject;
  gate_.next.code = 488;
  gate_.next.reason = "Not Acceptable Here";
  EXPECT_EQ(status_line(send(request("INVITE", "sip:x@example.net")).at(0).bytes),
            "SIP/2.0 488 Not Acceptable Here");
  gate_.next.action = GateAction::kReply;
  gate_.next.code = 200;
  gate_.next.reason = "OK";
  EXPECT_EQ(status_line(send(request("OPTIONS", "sip:ping@localhost")).at(0).bytes),
            "SIP/2.0 200 OK");
  gate_.next = {};
  gate_.next.action = GateAction::kForbidden;
  const auto sent = send(request("INVITE", "sip:x@192.0.2.99"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 403 Forbidden: relaying not allowed");
  EXPECT_EQ(core().counters().relay_refused, 1u);
}

TEST_F(RequestGateTest, ARuleWithoutAReasonGetsTheCodesStandardPhrase) {
  gate_.next.action = GateAction::kReject;
  gate_.next.code = 488;  // reason left out of the [[rule]]
  EXPECT_EQ(status_line(send(request("INVITE", "sip:x@example.net")).at(0).bytes),
            "SIP/2.0 488 Not Acceptable Here");
  gate_.next.code = 499;  // a code RFC 3261 does not name: its class's phrase
  EXPECT_EQ(status_line(send(request("INVITE", "sip:x@example.net", 2)).at(0).bytes),
            "SIP/2.0 499 Request Failure");
}

TEST_F(RequestGateTest, ChallengeCarriesTheGatesHeaders) {
  gate_.next.action = GateAction::kChallenge;
  gate_.next.code = 407;
  gate_.next.extra_headers = "Proxy-Authenticate: Digest realm=\"localhost\", nonce=\"n\"\r\n";
  const auto sent = send(request("INVITE", "sip:bob@localhost"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 407 Proxy Authentication Required");
  EXPECT_NE(
      sent[0].bytes.find("\r\nProxy-Authenticate: Digest realm=\"localhost\", nonce=\"n\"\r\n"),
      std::string::npos);
  EXPECT_EQ(core().counters().challenged, 1u);
}

TEST_F(RequestGateTest, ForwardGoesToTheDestinationSetWithTheRulesHeaderEdits) {
  const std::string inv = request("INVITE", "sip:800@carrier.example");
  gate_.next.action = GateAction::kForward;
  gate_.next.destination = 0;
  // The rule adds a header before the first one (offsets are the received message's).
  const auto first_header = static_cast<uint32_t>(inv.find("\r\nVia:") + 2);
  gate_.next.edits.add(first_header, 0, "X-Policy: trunk\r\n");
  const auto sent = send(inv);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kHop);
  EXPECT_NE(sent[0].bytes.find("\r\nX-Policy: trunk\r\n"), std::string::npos) << sent[0].bytes;
  EXPECT_EQ(status_line(sent[0].bytes), "INVITE sip:800@carrier.example SIP/2.0");
}

// A rule's headers go in where our pre-loaded Route comes out: both at the first header.
TEST_F(RequestGateTest, TheRulesHeadersGoInWhereOurPreloadedRouteComesOut) {
  register_bob();
  std::string inv = request("INVITE", "sip:bob@localhost", 3);
  inv.insert(inv.find("Via:"), "Route: <sip:127.0.0.1:5060;lr>\r\n");
  gate_.next = {};
  gate_.next.action = GateAction::kLookup;
  gate_.next.edits.add(static_cast<uint32_t>(inv.find("Route:")), 0, "X-Policy: trunk\r\n");
  const auto sent = send(inv);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhone);
  EXPECT_NE(sent[0].bytes.find("\r\nX-Policy: trunk\r\nVia: SIP/2.0/UDP 192.0.2.20:5064"),
            std::string::npos)
      << sent[0].bytes;
  EXPECT_EQ(sent[0].bytes.find("\r\nRoute:"), std::string::npos) << sent[0].bytes;
  Message m;
  EXPECT_TRUE(parse_message(sent[0].bytes, m).ok()) << sent[0].bytes;
  EXPECT_EQ(m.count(HeaderId::kVia), 2u);
}

// A Request-URI whose maddr names us goes to the set without it, its port and transport
// (RFC 3261 §16.4), or the hop would send it back.
TEST_F(RequestGateTest, ForwardWritesTheRequestUriWithoutOurMaddr) {
  gate_.next.action = GateAction::kForward;
  gate_.next.destination = 0;
  const auto sent = send(request("INVITE", "sip:800@carrier.example;maddr=127.0.0.1;user=phone"));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kHop);
  EXPECT_EQ(status_line(sent[0].bytes), "INVITE sip:800@carrier.example;user=phone SIP/2.0");
  // Another's maddr stays: the set was chosen for it.
  const auto other = send(request("INVITE", "sip:800@carrier.example;maddr=192.0.2.99", 2));
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].to, kHop);
  EXPECT_EQ(status_line(other[0].bytes), "INVITE sip:800@carrier.example;maddr=192.0.2.99 SIP/2.0");
}

TEST_F(RequestGateTest, LookupAndRedirect) {
  register_bob();
  gate_.next = {};
  gate_.next.action = GateAction::kLookup;
  EXPECT_EQ(send(request("INVITE", "sip:bob@localhost")).at(0).to, kPhone);
  EXPECT_EQ(status_line(send(request("INVITE", "sip:carol@localhost", 2)).at(0).bytes),
            "SIP/2.0 404 Not Found");
  static const std::vector<std::string> contacts = {"sip:bob@192.0.2.77"};
  gate_.next.action = GateAction::kRedirect;
  gate_.next.code = 302;
  gate_.next.contacts = contacts;
  const auto sent = send(request("INVITE", "sip:bob@localhost", 3));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 302 Moved Temporarily");
  EXPECT_NE(sent[0].bytes.find("\r\nContact: <sip:bob@192.0.2.77>\r\n"), std::string::npos);
}

TEST_F(RequestGateTest, InDialogRequestsWithOurRouteSkipTheGate) {
  gate_.next.action = GateAction::kForbidden;
  std::string bye = request("BYE", "sip:bob@192.0.2.10:5062");
  bye.insert(bye.find("Max-Forwards"), "Route: " + our_route_uri("127.0.0.1:5060", "g1") + "\r\n");
  bye.insert(bye.find("\r\nCall-ID"), ";tag=b2");  // the To tag: inside a dialog
  const auto sent = send(bye);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhone);
  EXPECT_EQ(gate_.calls, 0);
}

// A request that claims a dialog of ours (a To tag, our Route) without our Record-Route's
// signature for its Call-ID was not routed by a Record-Route of ours: its sender made the Route
// up (or copied one of another dialog), so the gate decides it like any request from outside.
// Else anyone could relay anything by adding a To tag and our address as Route.
TEST_F(RequestGateTest, AnInDialogRequestWhoseRouteWeDidNotSignIsDecidedByTheGate) {
  gate_.next.action = GateAction::kForbidden;
  const std::string routes[] = {
      "<sip:127.0.0.1:5060;lr>",                              // no signature
      our_route_uri("127.0.0.1:5060", "another-call"),        // another dialog's
      "<sip:127.0.0.1:5060;lr;sw=0000000000000000>",          // a guess
      our_route_uri("127.0.0.1:5060", "g1", RouteKey{1, 2}),  // another key's
  };
  for (const std::string& route : routes) {
    std::string bye = request("BYE", "sip:victim@198.51.100.77");
    bye.insert(bye.find("Max-Forwards"), "Route: " + route + "\r\n");
    bye.insert(bye.find("\r\nCall-ID"), ";tag=b2");
    gate_.calls = 0;
    const auto sent = send(bye);
    ASSERT_EQ(sent.size(), 1u) << route;
    EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 403 Forbidden: relaying not allowed") << route;
    EXPECT_EQ(gate_.calls, 1) << route;
  }
}

// A strict router (RFC 2543) inside the dialog puts our Record-Route URI in the Request-URI
// and the remote target last in Route (§16.4): that came by our Record-Route too, when the URI
// carries our signature.
TEST_F(RequestGateTest, InDialogRequestsFromAStrictRouterSkipTheGate) {
  gate_.next.action = GateAction::kForbidden;
  std::string uri = our_route_uri("127.0.0.1:5060", "g1");
  uri = uri.substr(1, uri.size() - 2);  // without the brackets
  std::string bye = request("BYE", uri);
  bye.insert(bye.find("Max-Forwards"), "Route: <sip:bob@192.0.2.10:5062>\r\n");
  std::string in_dialog = bye;
  in_dialog.insert(in_dialog.find("\r\nCall-ID"), ";tag=b2");
  auto sent = send(in_dialog);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "BYE sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(sent[0].to, kPhone);
  EXPECT_EQ(gate_.calls, 0);
  sent = send(bye);  // no To tag: not in a dialog
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 403 Forbidden: relaying not allowed");
  EXPECT_EQ(gate_.calls, 1);
  // Our URI unsigned in the Request-URI: decided.
  std::string unsigned_bye = request("BYE", "sip:127.0.0.1:5060;lr");
  unsigned_bye.insert(unsigned_bye.find("Max-Forwards"), "Route: <sip:bob@192.0.2.10:5062>\r\n");
  unsigned_bye.insert(unsigned_bye.find("\r\nCall-ID"), ";tag=b2");
  gate_.calls = 0;
  sent = send(unsigned_bye);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 403 Forbidden: relaying not allowed");
  EXPECT_EQ(gate_.calls, 1);
}

// Our Route pre-loaded on a request outside a dialog (a phone with us as its outbound proxy)
// does not skip the gate: else adding it would skip authentication and relay anywhere.
TEST_F(RequestGateTest, OurRoutePreloadedOutsideADialogIsDecidedByTheGate) {
  gate_.next.action = GateAction::kForbidden;
  for (const std::string method : {"INVITE", "BYE", "REGISTER"}) {
    std::string m = request(method, "sip:bob@192.0.2.10:5062");
    m.insert(m.find("Max-Forwards"), "Route: <sip:127.0.0.1:5060;lr>\r\n");
    gate_.calls = 0;
    const auto sent = send(m);
    ASSERT_EQ(sent.size(), 1u) << method;
    EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 403 Forbidden: relaying not allowed") << method;
    EXPECT_EQ(gate_.calls, 1) << method;
  }
}

// ---- flood protection ----

// The gate decides on the request as received: a strict router as the next hop (§16.6 step
// 6) has the Request-URI rewritten only after the decision.
TEST_F(RequestGateTest, TheGateSeesTheRequestUriAsReceivedBeforeAStrictRouterRewrite) {
  std::string m = request("INVITE", "sip:bob@example.net");
  m.insert(m.find("Max-Forwards"), "Route: <sip:192.0.2.50:5080>\r\n");
  const auto sent = send(m);
  EXPECT_EQ(gate_.ruri, "sip:bob@example.net");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "INVITE sip:192.0.2.50:5080 SIP/2.0");
  EXPECT_NE(sent[0].bytes.find("Route: <sip:bob@example.net>\r\n"), std::string::npos);
}

TEST_F(RequestGateTest, ASourceOverItsRateGets503WithRetryAfterAndOthersAreServed) {
  settings_.flood.enabled = true;
  settings_.flood.limits.rate_milli_per_s = 10'000;  // 10/s
  settings_.flood.limits.burst = 10;
  settings_.flood.limits.hash_seed = 1;
  gate_.next.action = GateAction::kReply;
  gate_.next.code = 200;
  gate_.next.reason = "OK";
  int ok = 0, limited = 0;
  for (int i = 0; i < 100; ++i) {  // 100 in one second: 10x the rate
    now_ms_ += 10;
    const std::string line =
        status_line(send(request("OPTIONS", "sip:p@localhost", i)).at(0).bytes);
    if (line == "SIP/2.0 200 OK") ++ok;
    if (line == "SIP/2.0 503 Service Unavailable: rate limit") ++limited;
    if (i % 10 == 0) {  // a well-behaved source, at its rate, in the same second
      EXPECT_EQ(
          status_line(send(request("OPTIONS", "sip:p@localhost", 1000 + i), kOther).at(0).bytes),
          "SIP/2.0 200 OK");
    }
  }
  EXPECT_EQ(ok, 19);  // the burst, then the refill of 10/s over the second
  EXPECT_EQ(limited, 81);
  EXPECT_EQ(core().counters().rate_limited, 81u);
  out_.clear();
  const std::string options = request("OPTIONS", "sip:p@localhost", 500);
  out_.batch([&] { core().handle(options, kCaller, out_, now_ms_); });
  ASSERT_EQ(out_.sent.size(), 1u);
  EXPECT_NE(out_.sent[0].bytes.find("\r\nRetry-After: 1\r\n"), std::string::npos);
}

TEST_F(RequestGateTest, FloodDropModeAnswersNothing) {
  settings_.flood.enabled = true;
  settings_.flood.limits.rate_milli_per_s = 1'000;
  settings_.flood.limits.burst = 1;
  settings_.flood.limits.hash_seed = 1;
  settings_.flood.drop = true;
  gate_.next.action = GateAction::kReply;
  gate_.next.code = 200;
  gate_.next.reason = "OK";
  EXPECT_EQ(send(request("OPTIONS", "sip:p@localhost", 1)).size(), 1u);
  EXPECT_TRUE(send(request("OPTIONS", "sip:p@localhost", 2)).empty());
  EXPECT_EQ(core().counters().rate_limited, 1u);
}

}  // namespace
}  // namespace sipwire
