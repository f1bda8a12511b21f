// The stateful proxy (RFC 3261 §16) as the caller and the called phones see it: what goes out,
// to where, and when, with a fake Outbox and a fake clock driving the transaction timers.
#include "stateful_proxy.h"

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
const NetAddress kPhoneA = NetAddress::ipv4(192, 0, 2, 10, 5062);
const NetAddress kPhoneB = NetAddress::ipv4(192, 0, 2, 11, 5062);

std::string invite(const std::string& method = "INVITE", const std::string& branch = "call1",
                   uint32_t cseq = 1) {
  return method + " sip:bob@localhost SIP/2.0\r\n" +
         "Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bK" + branch + ";rport\r\n" +
         "Max-Forwards: 70\r\nFrom: <sip:alice@localhost>;tag=a1\r\nTo: <sip:bob@localhost>\r\n" +
         "Call-ID: call-1@192.0.2.20\r\nCSeq: " + std::to_string(cseq) + " " + method +
         "\r\nContact: <sip:alice@192.0.2.20:5064>\r\nContent-Length: 0\r\n\r\n";
}

std::string header_line(const std::string& m, const std::string& name) {
  const std::size_t at = m.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  return m.substr(at + 2, m.find("\r\n", at + 2) - at - 2);
}

std::string status_line(const std::string& m) {
  return m.substr(0, m.find("\r\n"));
}

// A phone's response to a request the proxy forwarded: its Vias, From, To (with the phone's
// tag), Call-ID and CSeq copied (§8.2.6).
std::string response_to(const std::string& req, int code, const std::string& reason,
                        const std::string& tag, const std::string& extra = "") {
  std::string r = "SIP/2.0 " + std::to_string(code) + " " + reason + "\r\n";
  std::size_t at = 0;
  while ((at = req.find("\r\nVia: ", at)) != std::string::npos) {
    r += req.substr(at + 2, req.find("\r\n", at + 2) - at - 2) + "\r\n";
    at += 2;
  }
  r += header_line(req, "From") + "\r\n" + header_line(req, "To");
  if (code > 100) r += ";tag=" + tag;
  r += "\r\n" + header_line(req, "Call-ID") + "\r\n" + header_line(req, "CSeq") + "\r\n" + extra +
       "Content-Length: 0\r\n\r\n";
  return r;
}

std::string branch_of(const std::string& m) {
  const std::size_t b = m.find("branch=");
  return m.substr(b + 7, m.find_first_of(";\r", b) - b - 7);
}

class StatefulProxyTest : public ::testing::Test {
 protected:
  StatefulProxyTest() : qsbr_(1), table_(1024, qsbr_) {
    settings_.mode = ProxyMode::kStateful;
    settings_.local = kProxy;
    settings_.domains = {"localhost"};
    settings_.registrar.max_contacts = 4;
    settings_.transactions.capacity = 64;
    settings_.message_store_bytes = 1 << 20;
    qsbr_.online(0);
  }
  ProxyCore& core() {
    if (!core_) core_ = std::make_unique<ProxyCore>(settings_, table_);
    return *core_;
  }
  const StatefulProxy& proxy() { return *core().stateful(); }
  // Everything the proxy sent for this datagram, in order.
  // One datagram, then the tick the data plane runs once the batch is sent.
  // The outbox reads what was sent only once the engine has returned, as a backend's batch
  // does (FakeOutbox::batch).
  std::vector<FakeOutbox::Sent> send(const std::string& msg, const NetAddress& from) {
    out_.clear();
    out_.batch([&] { core().handle(msg, from, out_, now_ms_); });
    out_.batch([&] { core().tick(out_, now_ms_); });
    return out_.sent;
  }
  std::vector<FakeOutbox::Sent> advance(uint64_t ms) {
    out_.clear();
    now_ms_ += ms;
    out_.batch([&] { core().tick(out_, now_ms_); });
    return out_.sent;
  }
  // bob's REGISTER of `contacts`, sent from `phone` with its own Call-ID (`n` tells them apart).
  void register_bob(const std::string& contacts, int n = 1, const NetAddress& phone = kPhoneA) {
    const std::string id = std::to_string(n);
    const std::string reg =
        "REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKr" + id +
        "\r\nMax-Forwards: 70\r\nFrom: <sip:bob@localhost>;tag=b" + id +
        "\r\nTo: <sip:bob@localhost>\r\nCall-ID: reg-" + id +
        "\r\nCSeq: 1 REGISTER\r\nContact: " + contacts + "\r\nContent-Length: 0\r\n\r\n";
    ASSERT_EQ(status_line(send(reg, phone).at(0).bytes), "SIP/2.0 200 OK");
  }
  // Sends the caller's INVITE to a registered bob; returns the INVITEs forwarded, checking
  // that the caller got 100 Trying first.
  std::vector<FakeOutbox::Sent> call(const std::string& request = invite()) {
    auto sent = send(request, kCaller);
    EXPECT_GE(sent.size(), 2u);
    if (sent.empty()) return sent;
    EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 100 Trying");
    EXPECT_EQ(sent[0].to, kCaller);
    sent.erase(sent.begin());
    return sent;
  }

  Qsbr qsbr_;
  LocationTable table_;
  EngineSettings settings_;
  std::unique_ptr<ProxyCore> core_;
  FakeOutbox out_;
  uint64_t now_ms_ = 1'000'000;
};

// ---- one branch ----

TEST_F(StatefulProxyTest, InviteGets100TryingAndIsForwarded) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, kPhoneA);
  EXPECT_EQ(status_line(fwd[0].bytes), "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(branch_of(fwd[0].bytes).substr(0, 9), "z9hG4bKsw");
  EXPECT_NE(
      fwd[0].bytes.find("Record-Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20")),
      std::string::npos);
  EXPECT_EQ(proxy().counters().server_transactions, 1u);
  EXPECT_EQ(proxy().table().live(), 2u);  // server + client
}

// Listening on IPv4 and IPv6 (RFC 6157 §3.1): a branch to an IPv6 contact names our IPv6
// address in its Via, so the answer can come back in that family, and a request that crosses
// families is record-routed for each side.
TEST_F(StatefulProxyTest, ABranchToTheOtherIpFamilyNamesWhereItLeaves) {
  settings_.local_other_family = *NetAddress::parse("2001:db8::1", 5060);
  const NetAddress phone6 = *NetAddress::parse("2001:db8::10", 5062);
  register_bob("<sip:bob@[2001:db8::10]:5062>", 1, phone6);
  const auto fwd = call();
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, phone6);
  EXPECT_NE(fwd[0].bytes.find("\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKsw"),
            std::string::npos)
      << fwd[0].bytes;
  EXPECT_NE(
      fwd[0].bytes.find(
          "\r\nRecord-Route: " + our_route_uri("[2001:db8::1]:5060", "call-1@192.0.2.20") +
          "\r\nRecord-Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20") + "\r\n"),
      std::string::npos)
      << fwd[0].bytes;
  // bob's 200 comes back through that Via and goes on to the caller.
  const auto ok = send(response_to(fwd[0].bytes, 200, "OK", "b1"), phone6);
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(status_line(ok[0].bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(ok[0].to, kCaller);
}

TEST_F(StatefulProxyTest, RetransmittedRequestIsAbsorbedAndAnsweredWithTheLastResponse) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  auto again = send(invite(), kCaller);
  ASSERT_EQ(again.size(), 1u);  // the 100 again, nothing forwarded
  EXPECT_EQ(status_line(again[0].bytes), "SIP/2.0 100 Trying");
  send(response_to(fwd[0].bytes, 180, "Ringing", "p1"), kPhoneA);
  again = send(invite(), kCaller);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(status_line(again[0].bytes), "SIP/2.0 180 Ringing");
  EXPECT_EQ(proxy().counters().retransmissions_absorbed, 2u);
}

TEST_F(StatefulProxyTest, StrictRoutedRfc2543RetransmissionIsAbsorbed) {  // §17.2.3, §16.4
  // An RFC 2543 client (no magic cookie: the Request-URI is part of the transaction's key)
  // behind a strict router. The proxy moves the last Route into the Request-URI before it
  // forwards; the retransmission still arrives with the old one and must match the same
  // transaction, not start a second one and be forwarded again.
  const std::string bye =
      "BYE sip:127.0.0.1:5060;lr SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.20:5064;branch=old2543\r\n"
      "Max-Forwards: 70\r\nFrom: <sip:alice@localhost>;tag=a1\r\n"
      "To: <sip:bob@localhost>;tag=b2\r\nCall-ID: call-2543@192.0.2.20\r\nCSeq: 2 BYE\r\n"
      "Route: <sip:bob@192.0.2.10:5062>\r\nContent-Length: 0\r\n\r\n";
  const auto fwd = send(bye, kCaller);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(status_line(fwd[0].bytes), "BYE sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(fwd[0].to, kPhoneA);
  EXPECT_TRUE(send(bye, kCaller).empty());  // absorbed: nothing to answer yet
  EXPECT_EQ(proxy().counters().retransmissions_absorbed, 1u);
  EXPECT_EQ(proxy().counters().server_transactions, 1u);
  // The phone's 200 goes back to the caller, and a later retransmission gets it again.
  ASSERT_EQ(send(response_to(fwd[0].bytes, 200, "OK", "p1"), kPhoneA).size(), 1u);
  const auto again = send(bye, kCaller);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(status_line(again[0].bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(again[0].to, kCaller);
}

TEST_F(StatefulProxyTest, BranchRetransmitsOnTimerAUntilAnswered) {  // §17.1.1.2
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  EXPECT_TRUE(advance(499).empty());
  auto re = advance(1);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].bytes, fwd[0].bytes);  // the same bytes, the same branch
  EXPECT_EQ(re[0].to, kPhoneA);
  EXPECT_TRUE(advance(999).empty());
  EXPECT_EQ(advance(1).size(), 1u);  // 2 x T1 later
  send(response_to(fwd[0].bytes, 180, "Ringing", "p1"), kPhoneA);
  EXPECT_TRUE(advance(10'000).empty());
}

TEST_F(StatefulProxyTest, ResponsesGoUpstreamWithoutOurVia) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  auto up = send(response_to(fwd[0].bytes, 180, "Ringing", "p1"), kPhoneA);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].to, kCaller);
  EXPECT_EQ(status_line(up[0].bytes), "SIP/2.0 180 Ringing");
  EXPECT_EQ(up[0].bytes.find("127.0.0.1:5060;branch"), std::string::npos);
  EXPECT_NE(up[0].bytes.find("Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall1"),
            std::string::npos);
  const std::string ok = response_to(fwd[0].bytes, 200, "OK", "p1");
  up = send(ok, kPhoneA);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(status_line(up[0].bytes), "SIP/2.0 200 OK");
  // The 2xx ended the branch and the context; the server transaction waits Accepted (RFC 6026)
  // with no copy kept. The 200's retransmission still reaches the caller.
  EXPECT_EQ(proxy().table().live(), 1u);
  EXPECT_EQ(proxy().live_contexts(), 0u);
  EXPECT_EQ(proxy().store().counters().in_use, 0u);
  up = send(ok, kPhoneA);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].to, kCaller);
  advance(32'000);
  EXPECT_EQ(proxy().table().live(), 0u);  // Timer L
}

TEST_F(StatefulProxyTest, InviteRetransmittedAfterThe2xxIsAbsorbed) {  // RFC 6026
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  send(response_to(fwd[0].bytes, 200, "OK", "p1"), kPhoneA);
  EXPECT_TRUE(send(invite(), kCaller).empty());  // not a new transaction to the phone
  EXPECT_EQ(proxy().counters().retransmissions_absorbed, 1u);
  // An RFC 2543 caller's ACK of the 2xx with the INVITE's branch is still forwarded.
  std::string ack = invite("ACK");
  ack.replace(ack.find("To: <sip:bob@localhost>"), 23, "To: <sip:bob@localhost>;tag=p1");
  const auto sent = send(ack, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhoneA);
  // A late CANCEL is answered 200 and goes nowhere.
  const auto cancel = send(invite("CANCEL"), kCaller);
  ASSERT_EQ(cancel.size(), 1u);
  EXPECT_EQ(cancel[0].to, kCaller);
}

TEST_F(StatefulProxyTest, AckOf2xxIsForwardedStatelessly) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  send(response_to(fwd[0].bytes, 200, "OK", "p1"), kPhoneA);
  std::string ack = invite("ACK", "ack1");
  ack.replace(ack.find("To: <sip:bob@localhost>"), 23, "To: <sip:bob@localhost>;tag=p1");
  const auto sent = send(ack, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhoneA);
  EXPECT_EQ(status_line(sent[0].bytes), "ACK sip:bob@192.0.2.10:5062 SIP/2.0");
}

TEST_F(StatefulProxyTest, FinalErrorIsAckedHopByHopAndItsAckAbsorbed) {  // §17.1.1.3, §17.2.1
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  const std::string busy = response_to(fwd[0].bytes, 486, "Busy Here", "p1");
  auto sent = send(busy, kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, kPhoneA);  // our ACK first
  EXPECT_EQ(status_line(sent[0].bytes), "ACK sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(header_line(sent[0].bytes, "CSeq"), "CSeq: 1 ACK");
  EXPECT_EQ(header_line(sent[0].bytes, "To"), "To: <sip:bob@localhost>;tag=p1");
  EXPECT_EQ(branch_of(sent[0].bytes), branch_of(fwd[0].bytes));
  EXPECT_EQ(sent[1].to, kCaller);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 486 Busy Here");
  // The phone resends its 486: ACKed again, not relayed again.
  sent = send(busy, kPhoneA);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes).substr(0, 3), "ACK");
  // The caller's ACK for the 486 (same branch as its INVITE) ends at the proxy.
  std::string ack = invite("ACK");
  ack.replace(ack.find("To: <sip:bob@localhost>"), 23, "To: <sip:bob@localhost>;tag=p1");
  EXPECT_TRUE(send(ack, kCaller).empty());
  EXPECT_EQ(proxy().counters().acks_absorbed, 1u);
  // The server transaction resends the 486 until the ACK (Timer G), then everything ends.
  advance(40'000);
  advance(0);  // the next tick recycles what the last one released
  EXPECT_EQ(proxy().table().live(), 0u);
  EXPECT_EQ(proxy().store().counters().in_use, 0u);
}

TEST_F(StatefulProxyTest, FinalErrorIsResentUntilTheCallerAcks) {  // Timer G
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  send(response_to(fwd[0].bytes, 486, "Busy Here", "p1"), kPhoneA);
  const auto re = advance(500);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].to, kCaller);
  EXPECT_EQ(status_line(re[0].bytes), "SIP/2.0 486 Busy Here");
}

TEST_F(StatefulProxyTest, NoAnswerAt64T1Gives408) {  // Timer B, §16.7 step 6
  register_bob("<sip:bob@192.0.2.10:5062>");
  call();
  std::vector<FakeOutbox::Sent> sent;
  for (int i = 0; i < 320 && sent.empty(); ++i) {
    for (auto& s : advance(100))
      if (s.to == kCaller) sent.push_back(s);
  }
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 408 Request Timeout");
  EXPECT_EQ(now_ms_ - 1'000'000, 32'000u);
  EXPECT_EQ(proxy().counters().branch_timeouts, 1u);
}

TEST_F(StatefulProxyTest, AResponseWithOnlyOurViaIsNotRelayed) {  // §16.7 step 3
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  // A broken phone answers with our Via alone: its 180 stops here; its 486 is answered by us.
  std::string ringing = response_to(fwd[0].bytes, 180, "Ringing", "p1");
  const std::size_t caller_via = ringing.find("Via: SIP/2.0/UDP 192.0.2.20");
  ringing.erase(caller_via, ringing.find("\r\n", caller_via) + 2 - caller_via);
  EXPECT_TRUE(send(ringing, kPhoneA).empty());
  std::string busy = response_to(fwd[0].bytes, 486, "Busy Here", "p1");
  const std::size_t at = busy.find("Via: SIP/2.0/UDP 192.0.2.20");
  busy.erase(at, busy.find("\r\n", at) + 2 - at);
  const auto sent = send(busy, kPhoneA);
  ASSERT_EQ(sent.size(), 2u);  // our ACK, and a 486 of our own with the caller's Via
  EXPECT_EQ(sent[1].to, kCaller);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 486 Busy Here");
  EXPECT_NE(sent[1].bytes.find("Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall1"),
            std::string::npos);
  EXPECT_EQ(sent[1].bytes.find("127.0.0.1:5060;branch"), std::string::npos);
  EXPECT_EQ(proxy().counters().viafree_responses, 2u);
}

TEST_F(StatefulProxyTest, AResponseListingBothViasInOneFieldIsRelayed) {  // §7.3.1
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  // "Via: ours, the caller's" in one field: the caller's Via is still there to go back by.
  std::string ringing = response_to(fwd[0].bytes, 180, "Ringing", "p1");
  const std::size_t caller_via = ringing.find("\r\nVia: SIP/2.0/UDP 192.0.2.20");
  ASSERT_NE(caller_via, std::string::npos);
  ringing.replace(caller_via, 7, ", ");  // "\r\nVia: " -> ", "
  ASSERT_EQ(ringing.find("Via:", ringing.find("Via:") + 4), std::string::npos) << ringing;
  const auto sent = send(ringing, kPhoneA);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 180 Ringing");
  EXPECT_NE(sent[0].bytes.find("192.0.2.20:5064;branch=z9hG4bKcall1"), std::string::npos);
  EXPECT_EQ(sent[0].bytes.find("127.0.0.1:5060;branch"), std::string::npos) << sent[0].bytes;
  EXPECT_EQ(proxy().counters().viafree_responses, 0u);
}

TEST_F(StatefulProxyTest, OnlyA503Gives500) {  // §16.7 step 6
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  const auto sent = send(response_to(fwd[0].bytes, 503, "Service Unavailable", "p1"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 500 Server Internal Error");
}

// ---- forking ----

TEST_F(StatefulProxyTest, EqualQContactsAreForkedInParallelAndA2xxWins) {
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  ASSERT_EQ(fwd.size(), 2u);
  EXPECT_NE(branch_of(fwd[0].bytes), branch_of(fwd[1].bytes));
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  auto sent = send(response_to(fwd[a].bytes, 486, "Busy Here", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 1u);  // only our ACK: the caller waits for the other branch
  EXPECT_EQ(status_line(sent[0].bytes).substr(0, 3), "ACK");
  sent = send(response_to(fwd[b].bytes, 200, "OK", "pb"), kPhoneB);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 200 OK");
}

TEST_F(StatefulProxyTest, BestResponseIsTheLowestClass) {  // §16.7 step 6
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  send(response_to(fwd[a].bytes, 503, "Service Unavailable", "pa"), kPhoneA);
  const auto sent = send(response_to(fwd[b].bytes, 404, "Not Found", "pb"), kPhoneB);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 404 Not Found");
}

TEST_F(StatefulProxyTest, ChallengesOfEveryBranchAreMerged) {  // §16.7 step 7
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  send(response_to(fwd[a].bytes, 401, "Unauthorized", "pa",
                   "WWW-Authenticate: Digest realm=\"a.example\", nonce=\"1\"\r\n"),
       kPhoneA);
  const auto sent =
      send(response_to(fwd[b].bytes, 407, "Proxy Authentication Required", "pb",
                       "Proxy-Authenticate: Digest realm=\"b.example\", nonce=\"2\"\r\n"),
           kPhoneB);
  ASSERT_EQ(sent.size(), 2u);
  const std::string& up = sent[1].bytes;
  EXPECT_EQ(status_line(up).substr(0, 11), "SIP/2.0 401");
  EXPECT_NE(up.find("WWW-Authenticate: Digest realm=\"a.example\""), std::string::npos) << up;
  EXPECT_NE(up.find("Proxy-Authenticate: Digest realm=\"b.example\""), std::string::npos) << up;
  // Once, the challenges inserted where our Via came out made the rest of the response come up
  // twice; it is one response with the caller's Via alone.
  Message m;
  ASSERT_TRUE(parse_message(up, m).ok()) << up;
  EXPECT_EQ(m.count(HeaderId::kVia), 1u) << up;
  EXPECT_EQ(m.count(HeaderId::kCallId), 1u) << up;
}

TEST_F(StatefulProxyTest, MergedChallengesGoUpIntactWhenTheStoreHasNoRoomForThem) {
  // The smallest store: four slots of each size. Eight answered MESSAGEs whose 3 KB 200s their
  // server transactions keep for Timer J take every slot of 8 KiB and 64 KiB. The merged 401
  // of a forked INVITE then has no slot to be kept in for retransmission: it still goes up
  // once, and whole (its challenges were once written on the stack and sent from there, which
  // a backend that sends after the engine has returned would not have read back).
  settings_.message_store_bytes = 1;
  register_bob("<sip:bob@192.0.2.10:5062>");
  for (int i = 0; i < 8; ++i) {
    const auto fwd = send(invite("MESSAGE", "fill" + std::to_string(i)), kCaller);
    ASSERT_EQ(fwd.size(), 1u);
    std::string pad = "X-Pad: ";
    pad.append(3000, 'p').append("\r\n");
    const auto up = send(response_to(fwd[0].bytes, 200, "OK", std::to_string(i), pad), kPhoneA);
    ASSERT_EQ(up.size(), 1u);
    ASSERT_EQ(status_line(up[0].bytes), "SIP/2.0 200 OK");
  }
  register_bob("<sip:bob@192.0.2.11:5062>", 2, kPhoneB);  // a second phone, its own Call-ID
  const auto fwd = call();
  ASSERT_EQ(fwd.size(), 2u);
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  // A challenge header with a long nonce, built by appending (g++ 12 warns on a chain of +).
  auto challenge = [](const char* name, const char* realm) {
    std::string h = name;
    h.append(": Digest realm=\"").append(realm).append("\", nonce=\"");
    h.append(1200, 'n').append("\"\r\n");
    return h;
  };
  const std::string www = challenge("WWW-Authenticate", "a.example");
  const std::string proxy_auth = challenge("Proxy-Authenticate", "b.example");
  send(response_to(fwd[a].bytes, 401, "Unauthorized", "pa", www), kPhoneA);
  const uint64_t exhausted = proxy().store().counters().exhausted;
  const auto sent = send(
      response_to(fwd[b].bytes, 407, "Proxy Authentication Required", "pb", proxy_auth), kPhoneB);
  EXPECT_GT(proxy().store().counters().exhausted, exhausted);  // the merged 401 found no slot
  ASSERT_EQ(sent.size(), 2u);  // the ACK of the 407, the merged 401 upstream
  const std::string& up = sent[1].bytes;
  EXPECT_EQ(sent[1].to, kCaller);
  EXPECT_EQ(status_line(up).substr(0, 11), "SIP/2.0 401");
  EXPECT_NE(up.find(www), std::string::npos) << up;
  EXPECT_NE(up.find(proxy_auth), std::string::npos) << up;
  EXPECT_EQ(up.find('\x7F'), std::string::npos);  // no byte of a dead stack frame
}

TEST_F(StatefulProxyTest, A2xxCancelsTheOtherRingingBranches) {  // §16.7 step 10
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  send(response_to(fwd[a].bytes, 180, "Ringing", "pa"), kPhoneA);
  send(response_to(fwd[b].bytes, 180, "Ringing", "pb"), kPhoneB);
  const auto sent = send(response_to(fwd[a].bytes, 200, "OK", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  const auto& cancel = sent[0].to == kPhoneB ? sent[0] : sent[1];
  const auto& ok = sent[0].to == kPhoneB ? sent[1] : sent[0];
  EXPECT_EQ(ok.to, kCaller);
  EXPECT_EQ(status_line(cancel.bytes), "CANCEL sip:bob@192.0.2.11:5062 SIP/2.0");
  EXPECT_EQ(branch_of(cancel.bytes), branch_of(fwd[b].bytes));
  EXPECT_EQ(header_line(cancel.bytes, "CSeq"), "CSeq: 1 CANCEL");
  EXPECT_EQ(header_line(cancel.bytes, "To"), "To: <sip:bob@localhost>");
  EXPECT_EQ(proxy().counters().cancels_sent, 1u);
  // The cancelled branch's 200 to the CANCEL stops at the proxy; its 487 is ACKed, not relayed.
  EXPECT_TRUE(send(response_to(cancel.bytes, 200, "OK", "pb"), kPhoneB).empty());
  const auto end = send(response_to(fwd[b].bytes, 487, "Request Terminated", "pb"), kPhoneB);
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(status_line(end[0].bytes).substr(0, 3), "ACK");
}

TEST_F(StatefulProxyTest, A6xxCancelsTheOthersAndIsChosen) {
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  send(response_to(fwd[b].bytes, 180, "Ringing", "pb"), kPhoneB);
  auto sent = send(response_to(fwd[a].bytes, 603, "Decline", "pa"), kPhoneA);
  bool cancelled = false;
  for (const auto& s : sent) cancelled |= s.to == kPhoneB && s.bytes.rfind("CANCEL", 0) == 0;
  EXPECT_TRUE(cancelled);
  sent = send(response_to(fwd[b].bytes, 487, "Request Terminated", "pb"), kPhoneB);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 603 Decline");
}

TEST_F(StatefulProxyTest, ABranchIsNotCancelledBeforeItAnswered) {  // §9.1
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto fwd = call();
  const std::size_t a = fwd[0].to == kPhoneA ? 0 : 1, b = 1 - a;
  auto sent = send(response_to(fwd[a].bytes, 200, "OK", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 1u);  // the 200 only: branch b has not answered yet
  sent = send(response_to(fwd[b].bytes, 180, "Ringing", "pb"), kPhoneB);
  ASSERT_EQ(sent.size(), 1u);  // now its CANCEL; its 180 is not relayed after the 200
  EXPECT_EQ(status_line(sent[0].bytes), "CANCEL sip:bob@192.0.2.11:5062 SIP/2.0");
}

TEST_F(StatefulProxyTest, A100TryingIsEnoughToCancel) {  // §9.1: any provisional response
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  EXPECT_TRUE(send(response_to(fwd[0].bytes, 100, "Trying", ""), kPhoneA).empty());  // hop by hop
  const auto sent = send(invite("CANCEL"), kCaller);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_line(sent[1].bytes), "CANCEL sip:bob@192.0.2.10:5062 SIP/2.0");
}

TEST_F(StatefulProxyTest, LowerQContactsAreTriedOneGroupAfterAnother) {
  register_bob("<sip:bob@192.0.2.10:5062>;q=1.0, <sip:bob@192.0.2.11:5062>;q=0.5");
  const auto fwd = call();
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, kPhoneA);
  auto sent = send(response_to(fwd[0].bytes, 486, "Busy Here", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);  // the ACK to A, then the INVITE to B
  EXPECT_EQ(sent[1].to, kPhoneB);
  EXPECT_EQ(status_line(sent[1].bytes), "INVITE sip:bob@192.0.2.11:5062 SIP/2.0");
  EXPECT_NE(branch_of(sent[1].bytes), branch_of(fwd[0].bytes));
  const auto up = send(response_to(sent[1].bytes, 200, "OK", "pb"), kPhoneB);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(status_line(up[0].bytes), "SIP/2.0 200 OK");
}

TEST_F(StatefulProxyTest, ASixXxEndsSequentialForking) {
  register_bob("<sip:bob@192.0.2.10:5062>;q=1.0, <sip:bob@192.0.2.11:5062>;q=0.5");
  const auto fwd = call();
  const auto sent = send(response_to(fwd[0].bytes, 600, "Busy Everywhere", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].to, kCaller);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 600 Busy Everywhere");
}

// ---- CANCEL from the caller (§16.10) ----

TEST_F(StatefulProxyTest, CallersCancelIsAnsweredAndSentToEveryBranch) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  send(response_to(fwd[0].bytes, 180, "Ringing", "p1"), kPhoneA);
  auto sent = send(invite("CANCEL"), kCaller);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(header_line(sent[0].bytes, "CSeq"), "CSeq: 1 CANCEL");
  EXPECT_EQ(sent[1].to, kPhoneA);
  EXPECT_EQ(status_line(sent[1].bytes), "CANCEL sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(branch_of(sent[1].bytes), branch_of(fwd[0].bytes));
  EXPECT_EQ(proxy().counters().cancels_received, 1u);
  EXPECT_TRUE(send(response_to(sent[1].bytes, 200, "OK", "p1"), kPhoneA).empty());
  sent = send(response_to(fwd[0].bytes, 487, "Request Terminated", "p1"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 487 Request Terminated");
  EXPECT_EQ(sent[1].to, kCaller);
}

TEST_F(StatefulProxyTest, UnknownCancelIsForwardedStatelessly) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto sent = send(invite("CANCEL", "other"), kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhoneA);
  EXPECT_EQ(status_line(sent[0].bytes), "CANCEL sip:bob@192.0.2.10:5062 SIP/2.0");
}

// ---- Timer C (§16.8) ----

TEST_F(StatefulProxyTest, TimerCCancelsARingingBranch) {
  settings_.transactions.timers.timer_c_ms = 60'000;
  register_bob("<sip:bob@192.0.2.10:5062>");
  const auto fwd = call();
  send(response_to(fwd[0].bytes, 180, "Ringing", "p1"), kPhoneA);
  EXPECT_TRUE(advance(59'000).empty());
  send(response_to(fwd[0].bytes, 183, "Session Progress", "p1"), kPhoneA);  // restarts C
  EXPECT_TRUE(advance(59'000).empty());
  const auto sent = advance(1'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "CANCEL sip:bob@192.0.2.10:5062 SIP/2.0");
}

// ---- non-INVITE ----

TEST_F(StatefulProxyTest, NonInviteIsProxiedStatefullyWithout100) {
  register_bob("<sip:bob@192.0.2.10:5062>");
  const std::string msg = invite("MESSAGE", "msg1");
  auto sent = send(msg, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kPhoneA);
  EXPECT_EQ(sent[0].bytes.find("Record-Route"), std::string::npos);  // no dialog
  const auto re = advance(500);                                      // Timer E
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].bytes, sent[0].bytes);
  const auto up = send(response_to(sent[0].bytes, 200, "OK", "p1"), kPhoneA);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].to, kCaller);
  // The caller resends: the stored 200 answers it.
  const auto again = send(msg, kCaller);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(status_line(again[0].bytes), "SIP/2.0 200 OK");
}

TEST_F(StatefulProxyTest, AnsweredNonInviteKeepsOnlyItsFinalResponse) {
  // Timer J keeps an answered BYE's server transaction (and its context) for 64*T1: only the
  // final response is kept for that long, not the request copies beside it.
  register_bob("<sip:bob@192.0.2.10:5062>");
  const std::string bye = invite("BYE", "bye1", 2);
  auto sent = send(bye, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  // The BYE as received, its target, and the BYE as forwarded.
  EXPECT_EQ(proxy().store().counters().in_use, 3u);
  const std::string ok = response_to(sent[0].bytes, 200, "OK", "p1");
  ASSERT_EQ(send(ok, kPhoneA).size(), 1u);
  advance(0);  // the tick that recycles what the last batch released
  EXPECT_EQ(proxy().store().counters().in_use, 1u);  // the 200, which answers retransmissions
  EXPECT_EQ(proxy().live_contexts(), 1u);            // until the branch's Timer K
  // A retransmitted BYE gets the 200 again; the phone's retransmitted 200 goes nowhere new.
  sent = send(bye, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 200 OK");
  EXPECT_TRUE(send(ok, kPhoneA).empty());
  EXPECT_TRUE(advance(5'000).empty());  // Timer K ends the branch: nothing is resent
  // The context ended with its branch; the server transaction, detached, still answers.
  EXPECT_EQ(proxy().live_contexts(), 0u);
  EXPECT_EQ(proxy().table().live(), 1u);
  sent = send(bye, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 200 OK");
  advance(32'000);  // Timer J
  advance(0);
  EXPECT_EQ(proxy().table().live(), 0u);
  EXPECT_EQ(proxy().live_contexts(), 0u);
  EXPECT_EQ(proxy().store().counters().in_use, 0u);
}

TEST_F(StatefulProxyTest, ANonInviteAnsweredWithoutABranchEndsItsContextAtOnce) {
  // Room for the server transaction only: the branch cannot start, the 503 it counts as goes
  // upstream as 500 (§16.7 step 6), and the context ends then; the server transaction, alone,
  // answers the caller's retransmission until Timer J.
  settings_.transactions.capacity = 1;
  register_bob("<sip:bob@192.0.2.10:5062>");
  const std::string msg = invite("MESSAGE", "msg3");
  auto sent = send(msg, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].to, kCaller);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 500 Server Internal Error");
  EXPECT_EQ(proxy().live_contexts(), 0u);
  sent = send(msg, kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 500 Server Internal Error");
  advance(32'000);
  advance(0);
  EXPECT_EQ(proxy().table().live(), 0u);
  EXPECT_EQ(proxy().store().counters().in_use, 0u);
}

TEST_F(StatefulProxyTest, ForkedNonInviteKeepsTheRequestOfABranchStillOut) {
  // A MESSAGE forked to two phones; one answers 200 at once, the other never: the silent
  // branch keeps retransmitting its own copy (Timer E) until Timer F.
  register_bob("<sip:bob@192.0.2.10:5062>, <sip:bob@192.0.2.11:5062>");
  const auto sent = send(invite("MESSAGE", "msg2"), kCaller);
  ASSERT_EQ(sent.size(), 2u);
  const std::size_t a = sent[0].to == kPhoneA ? 0 : 1;
  ASSERT_EQ(send(response_to(sent[a].bytes, 200, "OK", "p1"), kPhoneA).size(), 1u);
  const auto re = advance(500);
  ASSERT_EQ(re.size(), 1u);
  EXPECT_EQ(re[0].to, kPhoneB);
  EXPECT_EQ(re[0].bytes, sent[1 - a].bytes);
}

// ---- limits ----

TEST_F(StatefulProxyTest, FullTransactionPoolGives503WithRetryAfter) {
  settings_.transactions.capacity = 4;  // two INVITEs: a server and a client each
  register_bob("<sip:bob@192.0.2.10:5062>");
  call(invite("INVITE", "c1"));
  call(invite("INVITE", "c2"));
  const auto sent = send(invite("INVITE", "c3"), kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes).substr(0, 11), "SIP/2.0 503");
  EXPECT_NE(sent[0].bytes.find("\r\nRetry-After: 5\r\n"), std::string::npos);
  EXPECT_EQ(proxy().counters().overloaded, 1u);
}

}  // namespace
}  // namespace sipwire

namespace sipwire {
namespace {

// ---- destination sets: failover within the transaction ----

class FailoverTest : public StatefulProxyTest {
 protected:
  FailoverTest() {
    set_ = std::make_shared<DestinationSet>(
        "pbx", DestinationAlgorithm::kPriority,
        std::vector<DestinationHop>{{kPhoneA, 1, 1}, {kPhoneB, 1, 2}}, HealthSettings{0, 3, 2});
    settings_.destinations = {set_};
    settings_.routes = {{"pbx.example", {}, 0}};
  }
  static std::string to_pbx(const std::string& branch = "fo1") {
    std::string m = invite("INVITE", branch);
    m.replace(m.find("sip:bob@localhost SIP/2.0"), 17, "sip:100@pbx.example");
    return m;
  }
  std::shared_ptr<DestinationSet> set_;
};

TEST_F(FailoverTest, A503FromAHopFailsOverToTheNextInTheSameTransaction) {
  const auto fwd = call(to_pbx());
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, kPhoneA);  // priority 1 first
  const auto sent = send(response_to(fwd[0].bytes, 503, "Service Unavailable", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);  // the ACK to A, the INVITE to B; nothing to the caller
  EXPECT_EQ(sent[0].to, kPhoneA);
  EXPECT_EQ(sent[1].to, kPhoneB);
  EXPECT_EQ(status_line(sent[1].bytes), "INVITE sip:100@pbx.example SIP/2.0");
  EXPECT_NE(branch_of(sent[1].bytes), branch_of(fwd[0].bytes));
  const auto up = send(response_to(sent[1].bytes, 200, "OK", "pb"), kPhoneB);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].to, kCaller);
  EXPECT_EQ(status_line(up[0].bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(proxy().counters().failovers, 1u);
}

// A Request-URI of the set's domain with a maddr of ours (§16.4) reaches every hop without
// it, the hop failed over to as well.
TEST_F(FailoverTest, TheHopFailedOverToGetsTheRequestUriWithoutOurMaddr) {
  std::string m = to_pbx();
  m.replace(m.find("sip:100@pbx.example"), 19, "sip:100@pbx.example;maddr=127.0.0.1");
  const auto fwd = call(m);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, kPhoneA);
  EXPECT_EQ(status_line(fwd[0].bytes), "INVITE sip:100@pbx.example SIP/2.0");
  const auto sent = send(response_to(fwd[0].bytes, 503, "Service Unavailable", "pa"), kPhoneA);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].to, kPhoneB);
  EXPECT_EQ(status_line(sent[1].bytes), "INVITE sip:100@pbx.example SIP/2.0");
}

TEST_F(FailoverTest, ATimeoutFailsOverAndWhenEveryHopFailedTheBestFailureGoesUp) {
  call(to_pbx());
  std::vector<FakeOutbox::Sent> to_b;
  for (int i = 0; i < 330 && to_b.empty(); ++i)
    for (auto& s : advance(100))
      if (s.to == kPhoneB) to_b.push_back(s);
  ASSERT_EQ(to_b.size(), 1u);  // Timer B on A (32 s): B gets the INVITE
  const auto sent = send(response_to(to_b[0].bytes, 503, "Service Unavailable", "pb"), kPhoneB);
  ASSERT_EQ(sent.size(), 2u);
  // A's timeout (408) and B's 503: the lowest class wins (§16.7 step 6).
  EXPECT_EQ(status_line(sent[1].bytes), "SIP/2.0 408 Request Timeout");
}

TEST_F(FailoverTest, HopsThatAreDownAreSkippedAndNoneUpGives503) {
  set_->record_probe(0, false);
  set_->record_probe(0, false);
  set_->record_probe(0, false);  // A down
  const auto fwd = call(to_pbx());
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to, kPhoneB);
  for (int i = 0; i < 3; ++i) set_->record_probe(1, false);  // B down too
  const auto sent = send(to_pbx("fo2"), kCaller);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(status_line(sent[0].bytes), "SIP/2.0 503 Service Unavailable: no destination is up");
}

}  // namespace
}  // namespace sipwire
