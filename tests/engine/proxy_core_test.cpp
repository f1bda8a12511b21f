// The engine as a phone or a peer sees it: what comes out of the proxy, to where, for each
// rule of RFC 3261 §10.3, §16.3, §16.4, §16.11 and RFC 3581 the engine implements.
#include "sipwire/engine/proxy_core.h"

#include <gtest/gtest.h>

#include <string>

#include "fake_outbox.h"
#include "record_route_text.h"
#include "sipwire/chars.h"
#include "test_data.h"
#include "text_writer.h"

namespace sipwire {
namespace {

using testing::FakeOutbox;

const NetAddress kProxy = NetAddress::ipv4(127, 0, 0, 1, 5060);
const NetAddress kPhone = NetAddress::ipv4(192, 0, 2, 10, 5062);  // registers bob
const NetAddress kCaller = NetAddress::ipv4(192, 0, 2, 20, 5064);

struct Request {
  std::string method = "INVITE";
  std::string ruri = "sip:bob@localhost";
  std::string via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall1;rport";
  std::string from = "<sip:alice@localhost>;tag=a1";
  std::string to = "<sip:bob@localhost>";
  std::string call_id = "call-1@192.0.2.20";
  uint32_t cseq = 1;
  std::string extra;  // more header lines
  std::string max_forwards = "70";

  std::string str() const {
    std::string m = method + " " + ruri + " SIP/2.0\r\nVia: " + via + "\r\n";
    if (!max_forwards.empty()) m += "Max-Forwards: " + max_forwards + "\r\n";
    m += "From: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id +
         "\r\nCSeq: " + std::to_string(cseq) + " " + method + "\r\n" + extra +
         "Content-Length: 0\r\n\r\n";
    return m;
  }
};

Request register_bob(const std::string& contact, uint32_t cseq, const std::string& extra = "") {
  Request r;
  r.method = "REGISTER";
  r.ruri = "sip:localhost";
  r.via = "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKreg" + std::to_string(cseq);
  r.from = "<sip:bob@localhost>;tag=b1";
  r.to = "<sip:bob@localhost>";
  r.call_id = "reg-1@192.0.2.10";
  r.cseq = cseq;
  r.extra = (contact.empty() ? "" : "Contact: " + contact + "\r\n") + extra;
  return r;
}

// bob's BYE to alice (at 192.0.2.20:5064) in the dialog of Request{}'s INVITE, sent from
// `via` with the route set as the header lines `routes`.
Request bye_from_bob(const std::string& via, const std::string& routes) {
  Request bye;
  bye.method = "BYE";
  bye.ruri = "sip:alice@192.0.2.20:5064";
  bye.via = via;
  bye.from = "<sip:bob@localhost>;tag=b9";
  bye.to = "<sip:alice@localhost>;tag=a1";
  bye.extra = routes;
  return bye;
}

// bob's answer (`status`, a status line) to Request{}'s INVITE as forwarded to him
// (`forwarded`, whose Vias it copies), with To tag `tag`.
std::string bob_answers(const std::string& forwarded, std::string_view status,
                        std::string_view tag) {
  const std::size_t via = forwarded.find("Via: ");
  std::string r(status);
  r.append("\r\n").append(forwarded, via, forwarded.find("\r\nMax-Forwards") - via);
  r.append("\r\nFrom: <sip:alice@localhost>;tag=a1\r\nTo: <sip:bob@localhost>;tag=");
  r.append(tag).append("\r\nCall-ID: call-1@192.0.2.20\r\nCSeq: 1 INVITE\r\n");
  r.append("Contact: <sip:bob@192.0.2.11:5062>\r\nContent-Length: 0\r\n\r\n");
  return r;
}

class ProxyCoreTest : public ::testing::Test {
 protected:
  ProxyCoreTest() : qsbr_(1), table_(1024, qsbr_) {
    settings_.local = kProxy;
    settings_.domains = {"localhost"};
    settings_.registrar.min_expires = 60;
    settings_.registrar.max_expires = 3600;
    settings_.registrar.default_expires = 3600;
    settings_.registrar.max_contacts = 2;
    qsbr_.online(0);
  }
  ProxyCore& core() {
    if (!core_) core_ = std::make_unique<ProxyCore>(settings_, table_);
    return *core_;
  }
  // The outbox reads what was sent once the engine has returned, as a backend's batch does.
  const FakeOutbox::Sent& send(const std::string& msg, const NetAddress& from) {
    out_.clear();
    out_.batch([&] { core().handle(msg, from, out_, now_ms_); });
    return out_.only();
  }
  static std::string status_line(const std::string& m) { return m.substr(0, m.find("\r\n")); }
  // The INVITE among what the proxy sent (a stateful one sends 100 Trying upstream too).
  const FakeOutbox::Sent* sent_invite() const {
    for (const auto& s : out_.sent)
      if (s.bytes.starts_with("INVITE ")) return &s;
    return nullptr;
  }

  Qsbr qsbr_;
  LocationTable table_;
  EngineSettings settings_;
  std::unique_ptr<ProxyCore> core_;
  FakeOutbox out_;
  uint64_t now_ms_ = 1'000'000;
};

// ---- registrar (§10.3) ----

TEST_F(ProxyCoreTest, RegisterStoresTheBindingAndListsIt) {
  const auto& r = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=600", 1).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 200 OK");
  EXPECT_NE(r.bytes.find("Contact: <sip:bob@192.0.2.10:5062>;expires=600\r\n"), std::string::npos);
  EXPECT_NE(r.bytes.find("To: <sip:bob@localhost>;tag="), std::string::npos);
  EXPECT_EQ(r.to, NetAddress::ipv4(192, 0, 2, 10, 5062));
  EXPECT_EQ(table_.binding_count(), 1u);
  EXPECT_EQ(core().counters().registrations, 1u);
}

TEST_F(ProxyCoreTest, ARegisterWithManyContactsStoresThemAll) {
  // More Contacts than parse_message keeps parsed (Message::kKeptContacts): the registrar
  // parses the fields itself, with the same result.
  settings_.registrar.max_contacts = 10;
  std::string contacts;
  for (int i = 0; i < 6; ++i)
    contacts += (i ? ", <sip:bob@192.0.2." : "<sip:bob@192.0.2.") + std::to_string(10 + i) + ">";
  const auto& r = send(register_bob(contacts + ";expires=120", 1).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(table_.binding_count(), 6u);
  EXPECT_NE(r.bytes.find("Contact: <sip:bob@192.0.2.15>;expires=120\r\n"), std::string::npos);
  EXPECT_NE(r.bytes.find("Contact: <sip:bob@192.0.2.10>;expires=3600\r\n"), std::string::npos);
}

TEST_F(ProxyCoreTest, Register200CarriesTheDate) {  // §10.3 step 8; phones set clocks by it
  static int64_t wall = 1289690940;                 // RFC 3261's example date
  settings_.wall_clock_s = [] { return wall; };
  const auto& r = send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  EXPECT_NE(r.bytes.find("\r\nDate: Sat, 13 Nov 2010 23:29:00 GMT\r\n"), std::string::npos)
      << r.bytes;
  // Read again once the engine's clock enters another second, not for every message.
  wall += 3600;
  EXPECT_NE(send(register_bob("<sip:bob@192.0.2.10:5062>", 2).str(), kPhone)
                .bytes.find("Date: Sat, 13 Nov 2010 23:29:00 GMT"),
            std::string::npos);
  now_ms_ += 1000;
  EXPECT_NE(send(register_bob("<sip:bob@192.0.2.10:5062>", 3).str(), kPhone)
                .bytes.find("Date: Sun, 14 Nov 2010 00:29:00 GMT"),
            std::string::npos);
  // Refused REGISTERs carry none.
  const auto& refused = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=30", 4).str(), kPhone);
  EXPECT_EQ(status_line(refused.bytes), "SIP/2.0 423 Interval Too Brief");
  EXPECT_EQ(refused.bytes.find("Date:"), std::string::npos);
}

// A phone behind a NAT registers its private address from its NAT's public one: calls reach
// it at the public one (its mapping), with its contact as the Request-URI; a refresh from a
// new mapping moves them. A private contact registered from that same address, and a public
// contact registered from another (a registration made for someone else), are reached as the
// contact says; so is every contact with private_contacts = "contact".
TEST_F(ProxyCoreTest, APrivateContactRegisteredFromElsewhereIsReachedAtItsSource) {
  auto call_to_bob = [&](int n) {
    Request r;
    r.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKnat" + std::to_string(n);
    r.call_id = "nat-" + std::to_string(n) + "@192.0.2.20";
    return send(r.str(), kCaller);
  };
  send(register_bob("<sip:bob@192.168.1.10:5060>", 1).str(), kPhone);
  FakeOutbox::Sent fwd = call_to_bob(1);
  EXPECT_EQ(fwd.to, kPhone);
  EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob@192.168.1.10:5060 SIP/2.0");
  const NetAddress remapped = NetAddress::ipv4(192, 0, 2, 10, 6000);
  send(register_bob("<sip:bob@192.168.1.10:5060>", 2).str(), remapped);
  EXPECT_EQ(call_to_bob(2).to, remapped);
}

// A call between two phones behind NATs: each writes its private address in its Contact, and
// each message came from its NAT's public address. The INVITE's Contact and the 200's go on
// with ";alias=" that address, and the dialog's requests that come back through our
// Record-Route with it in their Request-URI go there, without it. (A Request-URI with an
// alias outside our dialog is routed as it says; a public Contact, or every Contact with
// nat_alias off, goes on as it is.)
TEST_F(ProxyCoreTest, ADialogThroughNatsReachesEachEndWhereItsMessagesCameFrom) {
  const std::string alice_contact = "Contact: <sip:alice@10.0.0.5:5060>\r\n";
  const std::string alice_aliased =
      "Contact: <sip:alice@10.0.0.5:5060;alias=192.0.2.20~5064~1>\r\n";
  const std::string bob_aliased =
      "Contact: <sip:bob@192.168.1.10:5060;alias=192.0.2.10~5062~1>\r\n";
  const std::string our_route =
      "Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20") + "\r\n";
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    core_.reset();
    settings_.mode = mode;
    send(register_bob("<sip:bob@192.168.1.10:5060>", 1).str(), kPhone);
    Request invite;
    invite.extra = alice_contact;
    out_.clear();
    const std::string datagram = invite.str();
    out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
    const FakeOutbox::Sent* fwd = sent_invite();
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->to, kPhone);
    EXPECT_NE(fwd->bytes.find("\r\n" + alice_aliased), std::string::npos) << fwd->bytes;

    std::string ok = bob_answers(fwd->bytes, "SIP/2.0 200 OK", "b7");
    ok.replace(ok.find("Contact: "), std::string("Contact: <sip:bob@192.0.2.11:5062>").size(),
               "Contact: <sip:bob@192.168.1.10:5060>");
    const FakeOutbox::Sent up = send(ok, kPhone);
    EXPECT_EQ(status_line(up.bytes), "SIP/2.0 200 OK");
    EXPECT_EQ(up.to, kCaller);
    EXPECT_NE(up.bytes.find("\r\n" + bob_aliased), std::string::npos) << up.bytes;

    // alice's ACK and BYE to bob's remote target, by our Route: to his NAT, without the alias.
    for (const std::string method : {"ACK", "BYE"}) {
      Request r;
      r.method = method;
      r.ruri = "sip:bob@192.168.1.10:5060;alias=192.0.2.10~5062~1";
      r.to = "<sip:bob@localhost>;tag=b7";
      r.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bK" + std::string(method);
      r.extra = our_route;
      const FakeOutbox::Sent s = send(r.str(), kCaller);
      EXPECT_EQ(status_line(s.bytes), method + " sip:bob@192.168.1.10:5060 SIP/2.0");
      EXPECT_EQ(s.to, kPhone);
    }
    // bob's BYE to alice's: to hers.
    Request bye = bye_from_bob("SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKnatbye", our_route);
    bye.ruri = "sip:alice@10.0.0.5:5060;alias=192.0.2.20~5064~1";
    FakeOutbox::Sent b = send(bye.str(), kPhone);
    EXPECT_EQ(status_line(b.bytes), "BYE sip:alice@10.0.0.5:5060 SIP/2.0");
    EXPECT_EQ(b.to, kCaller);
    // Without our Route it is no request of our dialog: the Request-URI's host it is.
    bye.extra.clear();
    bye.via = "SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKnatbye2";
    b = send(bye.str(), kPhone);
    EXPECT_EQ(b.to, NetAddress::ipv4(10, 0, 0, 5, 5060));
    EXPECT_EQ(status_line(b.bytes), "BYE sip:alice@10.0.0.5:5060;alias=192.0.2.20~5064~1 SIP/2.0");
  }
  // A public Contact, and a private one with nat_alias off, go on as they are.
  for (const bool alias : {true, false}) {
    core_.reset();
    settings_.nat_alias = alias;
    Request invite;
    invite.call_id = "nat-off-" + std::to_string(alias);
    invite.extra = alias ? "Contact: <sip:alice@192.0.2.20:5064>\r\n" : alice_contact;
    out_.clear();
    const std::string datagram = invite.str();
    out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
    const FakeOutbox::Sent* fwd = sent_invite();
    ASSERT_NE(fwd, nullptr);
    EXPECT_NE(fwd->bytes.find("\r\n" + invite.extra), std::string::npos) << fwd->bytes;
    EXPECT_EQ(fwd->bytes.find("alias="), std::string::npos) << fwd->bytes;
  }
}

// An alias that does not parse (no port, a port out of range, no address) is no destination:
// the request goes where its Request-URI's host says, the alias left as it was.
TEST_F(ProxyCoreTest, AMalformedNatAliasIsIgnored) {
  settings_.mode = ProxyMode::kStateless;
  int n = 0;
  for (const std::string alias : {"192.0.2.10", "192.0.2.10~99999~1", "x~5062~1", "~5062"}) {
    Request bye =
        bye_from_bob("SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbad" + std::to_string(++n),
                     "Route: <sip:127.0.0.1:5060;lr>\r\n");
    bye.ruri = "sip:alice@10.0.0.5:5060;alias=" + alias;
    const FakeOutbox::Sent b = send(bye.str(), kPhone);
    EXPECT_EQ(b.to, NetAddress::ipv4(10, 0, 0, 5, 5060)) << alias;
    EXPECT_EQ(status_line(b.bytes), "BYE " + bye.ruri + " SIP/2.0") << alias;
  }
}

// An addr-spec Contact becomes a name-addr, or the alias would be a parameter of the header;
// a Contact with URI headers gets it before them; an IPv6 source is written bracketed.
TEST_F(ProxyCoreTest, TheNatAliasIsAUriParameterOfTheContact) {
  settings_.mode = ProxyMode::kStateless;
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  const NetAddress v6 = *NetAddress::parse("2001:db8::20", 5064);
  struct Case {
    std::string contact, expected;
    NetAddress from;
  };
  for (const Case& c : std::vector<Case>{
           {"sip:alice@10.0.0.5;expires=60",
            "<sip:alice@10.0.0.5;alias=192.0.2.20~5064~1>;expires=60", kCaller},
           {"\"Alice\" <sip:alice@10.0.0.5;transport=udp?X-A=b>",
            "\"Alice\" <sip:alice@10.0.0.5;transport=udp;alias=192.0.2.20~5064~1?X-A=b>", kCaller},
           {"<sip:alice@[fd00::5]:5070>", "<sip:alice@[fd00::5]:5070;alias=[2001:db8::20]~5064~1>",
            v6},
           // What the quick look before the parse must not miss: a user part with ';', a quoted
           // display name holding '<', an upper-case scheme.
           {"Alice <sip:alice;x=y@10.0.0.5>",
            "Alice <sip:alice;x=y@10.0.0.5;alias=192.0.2.20~5064~1>", kCaller},
           {"\"A \\\"q\\\" <x>\" <sip:a@10.0.0.5>",
            "\"A \\\"q\\\" <x>\" <sip:a@10.0.0.5;alias=192.0.2.20~5064~1>", kCaller},
           {"SIP:a@192.168.0.9", "<SIP:a@192.168.0.9;alias=192.0.2.20~5064~1>", kCaller},
       }) {
    Request invite;
    invite.call_id = "alias-" + std::to_string(c.contact.size());
    invite.extra = "Contact: " + c.contact + "\r\n";
    const FakeOutbox::Sent fwd = send(invite.str(), c.from);
    EXPECT_NE(fwd.bytes.find("\r\nContact: " + c.expected + "\r\n"), std::string::npos)
        << fwd.bytes;
    Message m;
    EXPECT_TRUE(parse_message(fwd.bytes, m).ok()) << fwd.bytes;
  }
}

// nat_max_expires: a binding reached at its REGISTER's source is granted no longer, so that
// the phone's refreshes keep its NAT's mapping open; others get what they asked for.
TEST_F(ProxyCoreTest, ABindingBehindANatIsGrantedAtMostNatMaxExpires) {
  settings_.registrar.nat_max_expires = 50;
  settings_.registrar.min_expires = 10;
  const auto& natted =
      send(register_bob("<sip:bob@192.168.1.10:5060>;expires=600", 1).str(), kPhone);
  EXPECT_EQ(status_line(natted.bytes), "SIP/2.0 200 OK");
  EXPECT_NE(natted.bytes.find("Contact: <sip:bob@192.168.1.10:5060>;expires=50\r\n"),
            std::string::npos)
      << natted.bytes;
  const auto& both = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=600", 2).str(), kPhone);
  EXPECT_NE(both.bytes.find("Contact: <sip:bob@192.0.2.10:5062>;expires=600\r\n"),
            std::string::npos)
      << both.bytes;
  // A refresh asking for less gets that.
  const auto& shorter =
      send(register_bob("<sip:bob@192.168.1.10:5060>;expires=30", 3).str(), kPhone);
  EXPECT_NE(shorter.bytes.find("Contact: <sip:bob@192.168.1.10:5060>;expires=30\r\n"),
            std::string::npos)
      << shorter.bytes;
}

// A private Contact naming us (a registration that loops or spirals through us on purpose,
// as loop_spiral.sh makes) is us, not a phone behind a NAT: reached as it says.
TEST_F(ProxyCoreTest, APrivateContactNamingUsIsNotTakenForANat) {
  settings_.local = NetAddress::ipv4(10, 0, 0, 2, 5060);
  settings_.domains.push_back("10.0.0.2");  // as the configuration adds it
  Request reg = register_bob("<sip:carol@10.0.0.2:5060>", 1);
  send(reg.str(), NetAddress::ipv4(10, 0, 0, 1, 5062));
  // The INVITE to bob goes to carol at our own address, where it arrives again.
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(10, 0, 0, 2, 5060));
}

// From the private address itself (another port: many phones send from one and listen at
// another), on a network we reach: the contact.
TEST_F(ProxyCoreTest, APrivateContactRegisteredFromItsOwnAddressIsReachedThere) {
  send(register_bob("<sip:bob@10.0.0.9:5060>", 1).str(), NetAddress::ipv4(10, 0, 0, 9, 40000));
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(10, 0, 0, 9, 5060));
}

TEST_F(ProxyCoreTest, APublicContactRegisteredFromElsewhereIsReachedThere) {
  send(register_bob("<sip:bob@198.51.100.7:5080>", 1).str(), kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(198, 51, 100, 7, 5080));
}

TEST_F(ProxyCoreTest, WithPrivateContactsAsWrittenAPrivateContactIsReachedThere) {
  settings_.registrar.private_contacts_at_source = false;
  send(register_bob("<sip:bob@192.168.1.10:5060>", 1).str(), kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 168, 1, 10, 5060));
}

TEST_F(ProxyCoreTest, ExpiryBelowMinimumGets423WithMinExpires) {
  const auto& r = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=30", 1).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 423 Interval Too Brief");
  EXPECT_NE(r.bytes.find("Min-Expires: 60\r\n"), std::string::npos);
  EXPECT_EQ(table_.binding_count(), 0u);
}

TEST_F(ProxyCoreTest, ExpiryAboveMaximumIsShortened) {
  const auto& r = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=99999", 1).str(), kPhone);
  EXPECT_NE(r.bytes.find(";expires=3600\r\n"), std::string::npos) << r.bytes;
}

TEST_F(ProxyCoreTest, ExpiresHeaderAppliesWhenTheContactHasNone) {
  const auto& r =
      send(register_bob("<sip:bob@192.0.2.10:5062>", 1, "Expires: 120\r\n").str(), kPhone);
  EXPECT_NE(r.bytes.find(";expires=120\r\n"), std::string::npos) << r.bytes;
}

TEST_F(ProxyCoreTest, StarWithExpiresZeroRemovesEveryBinding) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  send(register_bob("<sip:bob@192.0.2.11:5062>", 2).str(), kPhone);
  EXPECT_EQ(table_.binding_count(), 2u);
  const auto& r = send(register_bob("*", 3, "Expires: 0\r\n").str(), kPhone);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(r.bytes.find("Contact:"), std::string::npos);
  EXPECT_EQ(table_.binding_count(), 0u);
}

TEST_F(ProxyCoreTest, StarWithoutExpiresZeroIs400) {
  const auto& r = send(register_bob("*", 1).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes).substr(0, 11), "SIP/2.0 400");
}

TEST_F(ProxyCoreTest, OutOfOrderCSeqFromTheSameCallIdIsRefused) {
  send(register_bob("<sip:bob@192.0.2.10:5062>;expires=600", 5).str(), kPhone);
  const auto& r = send(register_bob("<sip:bob@192.0.2.10:5062>;expires=0", 4).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes).substr(0, 11), "SIP/2.0 400");
  EXPECT_EQ(table_.binding_count(), 1u);  // nothing lost
}

TEST_F(ProxyCoreTest, ContactLimitPerAor) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  send(register_bob("<sip:bob@192.0.2.11:5062>", 2).str(), kPhone);
  const auto& r = send(register_bob("<sip:bob@192.0.2.12:5062>", 3).str(), kPhone);
  EXPECT_EQ(status_line(r.bytes).substr(0, 11), "SIP/2.0 403");
  EXPECT_EQ(table_.binding_count(), 2u);
}

TEST_F(ProxyCoreTest, QueryListsBindingsWithoutChangingThem) {
  send(register_bob("<sip:bob@192.0.2.10:5062>;expires=600", 1).str(), kPhone);
  now_ms_ += 100'000;
  const auto& r = send(register_bob("", 2).str(), kPhone);
  EXPECT_NE(r.bytes.find("Contact: <sip:bob@192.0.2.10:5062>;expires=500\r\n"), std::string::npos)
      << r.bytes;
}

TEST_F(ProxyCoreTest, RetransmittedRegisterGetsTheSame200) {
  const std::string reg = register_bob("<sip:bob@192.0.2.10:5062>;expires=600", 1).str();
  const std::string first = send(reg, kPhone).bytes;
  now_ms_ += 500;  // the phone did not see the 200 and sends the REGISTER again
  const std::string again = send(reg, kPhone).bytes;
  EXPECT_EQ(status_line(again), "SIP/2.0 200 OK");
  EXPECT_NE(again.find("Contact: <sip:bob@192.0.2.10:5062>;expires=600\r\n"), std::string::npos)
      << again;
  // Once a newer CSeq refreshed the binding, the old request is refused (§10.3 step 7).
  EXPECT_EQ(status_line(send(register_bob("<sip:bob@192.0.2.10:5062>", 2).str(), kPhone).bytes),
            "SIP/2.0 200 OK");
  EXPECT_EQ(status_line(send(reg, kPhone).bytes).substr(0, 11), "SIP/2.0 400");
}

TEST_F(ProxyCoreTest, NonSipAddressOfRecordIs400) {  // RFC 4475 unksm2
  Request r = register_bob("<sip:bob@192.0.2.10:5062>", 1);
  r.to = "isbn:2983792873";
  EXPECT_EQ(status_line(send(r.str(), kPhone).bytes).substr(0, 11), "SIP/2.0 400");
}

// ---- routing to registered contacts ----

TEST_F(ProxyCoreTest, InviteReachesTheRegisteredContact) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  const auto& fwd = send(Request{}.str(), kCaller);
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 10, 5062));
  EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
  // Our Via on top, the caller's next with received/rport filled in (RFC 3581).
  EXPECT_NE(fwd.bytes.find("\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsw"),
            std::string::npos);
  EXPECT_LT(fwd.bytes.find("Via: SIP/2.0/UDP 127.0.0.1"),
            fwd.bytes.find("Via: SIP/2.0/UDP 192.0.2.20"));
  EXPECT_NE(fwd.bytes.find("branch=z9hG4bKcall1;rport=5064;received=192.0.2.20"), std::string::npos)
      << fwd.bytes;
  EXPECT_NE(fwd.bytes.find("Max-Forwards: 69\r\n"), std::string::npos);
  EXPECT_EQ(core().counters().requests_forwarded, 1u);
}

// §16.6 step 2 and §19.1.1: a REGISTER's Contact may carry headers and a method parameter, a
// Request-URI neither. The binding keeps them (the 200 OK lists the Contact as registered); the
// request forwarded to it, statelessly or by the transaction-stateful proxy, leaves them out.
TEST_F(ProxyCoreTest, AContactsHeadersAndMethodParameterStayOutOfTheRequestUri) {
  const std::string contact =
      "<sip:bob@192.0.2.10:5062;method=INVITE;transport=udp;Method=BYE?Subject=hi&Priority=urgent>";
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    core_.reset();
    settings_.mode = mode;
    const auto& ok = send(register_bob(contact, 1).str(), kPhone);
    EXPECT_NE(ok.bytes.find("Contact: " + contact + ";expires="), std::string::npos) << ok.bytes;

    // Once as registered, once after a refresh (which keeps what the registration found).
    for (uint32_t refresh = 0; refresh < 2; ++refresh) {
      if (refresh > 0) send(register_bob(contact, 2).str(), kPhone);
      Request invite;  // a new call each time, not a retransmission
      invite.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKtrim" + std::to_string(refresh);
      invite.call_id = "trim-" + std::to_string(refresh) + "@192.0.2.20";
      out_.clear();
      const std::string datagram = invite.str();  // lives until the batch is read
      out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
      const FakeOutbox::Sent* fwd = sent_invite();
      ASSERT_NE(fwd, nullptr);
      EXPECT_EQ(status_line(fwd->bytes), "INVITE sip:bob@192.0.2.10:5062;transport=udp SIP/2.0");
      Message m;
      EXPECT_TRUE(parse_message(fwd->bytes, m).ok()) << fwd->bytes;
    }

    send(register_bob("*", 3, "Expires: 0\r\n").str(), kPhone);  // the next round starts clean
  }
}

TEST_F(ProxyCoreTest, AUserPartWithASemicolonIsKeptWhole) {
  // user-unreserved allows ';' in the user part: "alice;method=x" is a user name, not a
  // parameter, and reaches the Request-URI unchanged.
  send(register_bob("<sip:bob;method=x@192.0.2.10:5062;lr?X=1>", 1).str(), kPhone);
  const auto& fwd = send(Request{}.str(), kCaller);
  EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob;method=x@192.0.2.10:5062;lr SIP/2.0");
}

TEST_F(ProxyCoreTest, OurBranchNamesTheShardThatWroteIt) {
  settings_.shard = 0x2a;
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  const auto& fwd = send(Request{}.str(), kCaller);
  const std::size_t b = fwd.bytes.find("branch=z9hG4bKsw2a");
  ASSERT_NE(b, std::string::npos) << fwd.bytes;
  const std::string branch = fwd.bytes.substr(b + 7, fwd.bytes.find("\r\n", b) - b - 7);
  EXPECT_EQ(branch_shard(branch), 0x2a);
  EXPECT_EQ(branch_shard("z9hG4bKcall1"), -1);
  EXPECT_EQ(branch_shard("z9hG4bKswzz"), -1);
}

TEST_F(ProxyCoreTest, RefreshRemovalAndExpiryChangeWhatAnInviteReaches) {
  send(register_bob("<sip:bob@192.0.2.10:5062>;expires=120", 1).str(), kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 10, 5062));
  // Refresh at a new address (same Call-ID, higher CSeq): the old contact stays until removed.
  send(register_bob("<sip:bob@192.0.2.10:5062>;expires=0, <sip:bob@192.0.2.30:5070>;expires=120", 2)
           .str(),
       kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 30, 5070));
  // Expiry: 121 s later nothing is registered, and the AOR is known: 480.
  now_ms_ += 121'000;
  EXPECT_EQ(status_line(send(Request{}.str(), kCaller).bytes),
            "SIP/2.0 480 Temporarily Unavailable");
  // An AOR that never registered: 404.
  Request carol;
  carol.ruri = "sip:carol@localhost";
  EXPECT_EQ(status_line(send(carol.str(), kCaller).bytes), "SIP/2.0 404 Not Found");
}

TEST_F(ProxyCoreTest, ANamedContactIsReachedWhereItRegisteredFromEvenAfterItMoves) {
  // A contact with a host name (or behind NAT) is reached at the REGISTER's source address,
  // resolved when it registers; a refresh from another address moves it there.
  send(register_bob("<sip:bob@phone.example.net>", 1).str(), kPhone);
  const auto& first = send(Request{}.str(), kCaller);
  EXPECT_EQ(first.to, kPhone);
  EXPECT_EQ(status_line(first.bytes), "INVITE sip:bob@phone.example.net SIP/2.0");
  const NetAddress moved = NetAddress::ipv4(198, 51, 100, 7, 40000);
  send(register_bob("<sip:bob@phone.example.net>", 2).str(), moved);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, moved);
}

TEST_F(ProxyCoreTest, AnIpLiteralContactIsReachedAtItsOwnAddressWhateverTheSource) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  // The refresh comes from elsewhere (a NAT rebinding): the literal contact still decides.
  send(register_bob("<sip:bob@192.0.2.10:5062>", 2).str(), NetAddress::ipv4(203, 0, 113, 5, 999));
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 10, 5062));
  // Changed to a named contact in a refresh: from then on, its source.
  send(register_bob("<sip:bob@192.0.2.10:5062>;expires=0, <sip:bob@phone.example.net>", 3).str(),
       kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, kPhone);
}

TEST_F(ProxyCoreTest, ABindingWithAPathIsReachedThroughItsFirstHop) {
  // RFC 3327: the edge proxy that added Path is the next hop, not the contact.
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1,
                    "Path: <sip:edge@192.0.2.99:5070;lr>, <sip:core@192.0.2.98;lr>\r\n")
           .str(),
       kPhone);
  const auto& fwd = send(Request{}.str(), kCaller);
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 99, 5070)) << fwd.bytes;
  EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
}

TEST_F(ProxyCoreTest, PathFieldsAreJoinedInTheirOrder) {
  // RFC 3327 §5.3: Path fields apart (another field between them) are one list, in order; the
  // 200 OK echoes it.
  const auto& ok = send(register_bob("<sip:bob@192.0.2.10:5062>", 1,
                                     "Path: <sip:edge@192.0.2.99:5070;lr>\r\n"
                                     "User-Agent: phone\r\n"
                                     "Path: <sip:core@192.0.2.98;lr>\r\n")
                            .str(),
                        kPhone);
  EXPECT_NE(ok.bytes.find("\r\nPath: <sip:edge@192.0.2.99:5070;lr>, <sip:core@192.0.2.98;lr>\r\n"),
            std::string::npos)
      << ok.bytes;
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 99, 5070));
}

TEST_F(ProxyCoreTest, OurResponsesCopyEveryViaInOrder) {  // §8.2.6.2
  // Via fields apart (other fields between them), one of them a list: the answer has each, in
  // order, the top one with received/rport filled in.
  Request options;
  options.method = "OPTIONS";
  options.ruri = "sip:localhost";
  options.extra =
      "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKp1, SIP/2.0/UDP "
      "198.51.100.2;branch=z9hG4bKp2\r\n"
      "Accept: application/sdp\r\n"
      "Via: SIP/2.0/UDP 198.51.100.3:5080;branch=z9hG4bKp3\r\n";
  const auto& ok = send(options.str(), kCaller);
  ASSERT_EQ(status_line(ok.bytes), "SIP/2.0 200 OK");
  const std::string vias =
      "\r\nVia: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall1;rport=5064;received=192.0.2.20\r\n"
      "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKp1, SIP/2.0/UDP "
      "198.51.100.2;branch=z9hG4bKp2\r\n"
      "Via: SIP/2.0/UDP 198.51.100.3:5080;branch=z9hG4bKp3\r\n";
  EXPECT_NE(ok.bytes.find(vias), std::string::npos) << ok.bytes;
}

TEST_F(ProxyCoreTest, HighestQValueWins) {
  send(register_bob("<sip:bob@192.0.2.10:5062>;q=0.5, <sip:bob@192.0.2.11:5062>;q=0.9", 1).str(),
       kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 11, 5062));
}

TEST_F(ProxyCoreTest, RedirectModeAnswers302WithTheContacts) {
  settings_.mode = ProxyMode::kRedirect;
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  const auto& r = send(Request{}.str(), kCaller);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 302 Moved Temporarily");
  EXPECT_NE(r.bytes.find("Contact: <sip:bob@192.0.2.10:5062>\r\n"), std::string::npos);
  EXPECT_EQ(r.to, NetAddress::ipv4(192, 0, 2, 20, 5064));  // rport: back to the source port
}

// ---- §16.3 validation ----

TEST_F(ProxyCoreTest, MaxForwardsZeroGets483) {
  Request r;
  r.max_forwards = std::string(1, '0');  // (= "0" trips GCC 12's -Wrestrict false positive)
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes), "SIP/2.0 483 Too Many Hops");
}

// Max-Forwards 0 stops forwarding (§16.3 step 3); a request we answer ourselves is no hop.
TEST_F(ProxyCoreTest, MaxForwardsZeroStopsForwardingOnly) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  Request options;  // a keepalive to our address, with no hop to spare
  options.method = "OPTIONS";
  options.ruri = "sip:127.0.0.1:5060";
  options.max_forwards = "0";
  EXPECT_EQ(status_line(send(options.str(), kCaller).bytes), "SIP/2.0 200 OK");
  // An OPTIONS for bob would be forwarded: it is answered here, as its final recipient would,
  // with what we support (and nothing reaches bob's phone).
  options.ruri = "sip:bob@localhost";
  options.call_id = "options-2@192.0.2.20";
  const auto& ours = send(options.str(), kCaller);
  EXPECT_EQ(status_line(ours.bytes), "SIP/2.0 200 OK");
  EXPECT_NE(ours.bytes.find("\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\n"),
            std::string::npos)
      << ours.bytes;
  EXPECT_EQ(ours.to, NetAddress::ipv4(192, 0, 2, 20, 5064));
  // ... unless it requires what we do not support.
  options.call_id = "options-3@192.0.2.20";
  options.extra = "Require: foo\r\n";
  EXPECT_EQ(status_line(send(options.str(), kCaller).bytes), "SIP/2.0 420 Bad Extension");
  // A REGISTER for our domain is registered: the registrar is its final recipient.
  Request reg = register_bob("<sip:bob@192.0.2.12:5062>", 2);
  reg.max_forwards = "0";
  EXPECT_EQ(status_line(send(reg.str(), kPhone).bytes), "SIP/2.0 200 OK");
  // A REGISTER for another domain would be forwarded: 483.
  settings_.routes = {{"example.net", NetAddress::ipv4(192, 0, 2, 60, 5060)}};
  core_.reset();
  reg.ruri = "sip:example.net";
  reg.to = reg.from = "<sip:bob@example.net>";
  reg.call_id = "reg-2@192.0.2.10";
  EXPECT_EQ(status_line(send(reg.str(), kPhone).bytes), "SIP/2.0 483 Too Many Hops");
  reg.max_forwards = "1";
  EXPECT_EQ(send(reg.str(), kPhone).to, NetAddress::ipv4(192, 0, 2, 60, 5060));
}

TEST_F(ProxyCoreTest, MissingMaxForwardsIsAdded) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  Request r;
  r.max_forwards = "";
  EXPECT_NE(send(r.str(), kCaller).bytes.find("Max-Forwards: 70\r\n"), std::string::npos);
}

TEST_F(ProxyCoreTest, UnknownRequestUriSchemeGets416) {
  Request r;
  r.ruri = "http://example.com/";
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes), "SIP/2.0 416 Unsupported URI Scheme");
}

TEST_F(ProxyCoreTest, UnsupportedProxyRequireGets420ListingIt) {
  Request r;
  r.extra = "Proxy-Require: path, foo\r\n";
  const auto& resp = send(r.str(), kCaller);
  EXPECT_EQ(status_line(resp.bytes), "SIP/2.0 420 Bad Extension");
  EXPECT_NE(resp.bytes.find("Unsupported: foo\r\n"), std::string::npos);
}

TEST_F(ProxyCoreTest, RequireTagsAreCheckedWhereTheProxyAnswersItself) {
  // §10.3 step 2: the registrar refuses an extension it does not support, naming it...
  const auto& r =
      send(register_bob("<sip:bob@192.0.2.10:5062>", 1, "Require: gruu, path\r\n").str(), kPhone);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 420 Bad Extension");
  EXPECT_NE(r.bytes.find("Unsupported: gruu\r\n"), std::string::npos) << r.bytes;
  EXPECT_EQ(table_.binding_count(), 0u);
  // ...accepts the ones it does,
  EXPECT_EQ(
      status_line(
          send(register_bob("<sip:bob@192.0.2.10:5062>", 2, "Require: path\r\n").str(), kPhone)
              .bytes),
      "SIP/2.0 200 OK");
  // and a proxied request's Require is the far end's business (§16: proxies ignore it).
  Request invite;
  invite.extra = "Require: 100rel\r\n";
  EXPECT_EQ(status_line(send(invite.str(), kCaller).bytes),
            "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
}

TEST_F(ProxyCoreTest, LoopIs482AndSpiralIsForwarded) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  Request r;
  const std::string first = send(r.str(), kCaller).bytes;
  // The forwarded request comes back unchanged, through another hop: a loop.
  const std::size_t b = first.find("Via: SIP/2.0/UDP 127.0.0.1");
  const std::string ours = first.substr(b + 5, first.find("\r\n", b) - b - 5);
  Request looped = r;
  looped.via = "SIP/2.0/UDP 192.0.2.99;branch=z9hG4bKhop2, " + ours + ", " + r.via;
  EXPECT_EQ(status_line(send(looped.str(), kCaller).bytes), "SIP/2.0 482 Loop Detected");
  // Our Via as the only one, and ours behind the client's in one field: loops too.
  Request alone = r;
  alone.via = ours;
  EXPECT_EQ(status_line(send(alone.str(), kCaller).bytes), "SIP/2.0 482 Loop Detected");
  Request behind = r;
  behind.via = "SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKhop2;rport, " + ours;
  EXPECT_EQ(status_line(send(behind.str(), kCaller).bytes), "SIP/2.0 482 Loop Detected");
  // The same path with a new Request-URI is a spiral: forwarded.
  Request spiral = looped;
  spiral.ruri = "sip:bob@127.0.0.1";
  EXPECT_EQ(status_line(send(spiral.str(), kCaller).bytes),
            "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
}

// ---- both IP families (RFC 6157 §3.1) ----

// A proxy listening on IPv4 and IPv6: a request leaves from the address of its next hop's
// family, so that is what its Via names (else an IPv6-only callee answers an IPv4 address it
// cannot reach), and one that crosses families is record-routed once for each side.
// A listen address's advertise (a NAT's public address, a name; or what a wildcard stands
// for), with or without a port of its own (a NAT forwarding its public port 5080 to our
// 5060): our Via and Record-Route name it, and it is us in the Route of what comes back, in a
// Request-URI and in the Via of a response; so is the listen address at its own port, which
// hosts on the inside use.
TEST_F(ProxyCoreTest, TheAdvertisedHostIsWhatWeNameAndRecognise) {
  settings_.domains.push_back("127.0.0.1");  // as the configuration adds them
  settings_.domains.push_back("203.0.113.5");
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  for (const uint16_t port : {uint16_t{0}, uint16_t{5080}}) {
    const std::string ours = port == 0 ? "203.0.113.5:5060" : "203.0.113.5:5080";
    SCOPED_TRACE(ours);
    core_.reset();
    settings_.local_name = {"203.0.113.5", port};
    const FakeOutbox::Sent fwd = send(Request{}.str(), kCaller);
    EXPECT_EQ(fwd.to, kPhone);
    EXPECT_NE(fwd.bytes.find("\r\nVia: SIP/2.0/UDP " + ours + ";branch=z9hG4bKsw"),
              std::string::npos)
        << fwd.bytes;
    EXPECT_NE(
        fwd.bytes.find("\r\nRecord-Route: " + our_route_uri(ours, "call-1@192.0.2.20") + "\r\n"),
        std::string::npos)
        << fwd.bytes;
    EXPECT_EQ(fwd.bytes.find("127.0.0.1"), std::string::npos) << fwd.bytes;

    // bob's 180 comes back by our Via...
    const FakeOutbox::Sent r = send(bob_answers(fwd.bytes, "SIP/2.0 180 Ringing", "b9"), kPhone);
    EXPECT_EQ(status_line(r.bytes), "SIP/2.0 180 Ringing");
    EXPECT_EQ(r.to, kCaller);

    // ...and his BYE by the route set: our Route goes (by what we advertise, or by the listen
    // address at its own port), and it is routed onwards by its URI.
    for (const std::string& route :
         {"Route: <sip:" + ours + ";lr>\r\n", std::string("Route: <sip:127.0.0.1:5060;lr>\r\n")}) {
      const FakeOutbox::Sent b =
          send(bye_from_bob("SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye1", route).str(), kPhone);
      EXPECT_EQ(status_line(b.bytes), "BYE sip:alice@192.0.2.20:5064 SIP/2.0") << route;
      EXPECT_EQ(b.to, kCaller) << route;
      EXPECT_EQ(b.bytes.find("Route:"), std::string::npos) << b.bytes;
    }

    // A keepalive to the advertised address is ours to answer.
    Request options;
    options.method = "OPTIONS";
    options.ruri = "sip:" + ours;
    options.call_id = "ka-1@192.0.2.20";
    EXPECT_EQ(status_line(send(options.str(), kCaller).bytes), "SIP/2.0 200 OK");
  }
}

// Two addresses of one family: a request forwarded in the family it came in leaves from the
// address it came in at (the backends send so), which our Via and Record-Route name; both
// addresses are us in a Route. Stateless and stateful (whose branch started now does the same).
TEST_F(ProxyCoreTest, ARequestIsNamedByTheAddressItCameInAt) {
  const NetAddress second = NetAddress::ipv4(198, 51, 100, 1, 5070);
  settings_.local_more = {{second, {}}};
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    core_.reset();
    settings_.mode = mode;
    send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
    for (const bool at_second : {true, false}) {
      Request invite;
      invite.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKin" + std::to_string(at_second);
      invite.call_id = "in-" + std::to_string(at_second) + "@192.0.2.20";
      out_.clear();
      const std::string datagram = invite.str();
      out_.batch(
          [&] { core().handle(datagram, kCaller, at_second ? second : kProxy, out_, now_ms_); });
      const FakeOutbox::Sent* fwd = sent_invite();
      ASSERT_NE(fwd, nullptr);
      const std::string ours = at_second ? "198.51.100.1:5070" : "127.0.0.1:5060";
      EXPECT_NE(fwd->bytes.find("\r\nVia: SIP/2.0/UDP " + ours + ";branch=z9hG4bKsw"),
                std::string::npos)
          << fwd->bytes;
      EXPECT_NE(
          fwd->bytes.find("\r\nRecord-Route: " + our_route_uri(ours, invite.call_id) + "\r\nVia: "),
          std::string::npos)
          << fwd->bytes;
    }
  }
  // bob's BYE by that route set: the second address's Route is ours to take off.
  const FakeOutbox::Sent b = send(bye_from_bob("SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKbye2",
                                               "Route: <sip:198.51.100.1:5070;lr>\r\n")
                                      .str(),
                                  kPhone);
  EXPECT_EQ(status_line(b.bytes), "BYE sip:alice@192.0.2.20:5064 SIP/2.0");
  EXPECT_EQ(b.to, NetAddress::ipv4(192, 0, 2, 20, 5064));
  EXPECT_EQ(b.bytes.find("Route:"), std::string::npos) << b.bytes;
}

// What the stateful proxy sends later for a request that came in at the second address
// (a retransmission from Timer A, the next forking group started on a response, the final
// response going up) leaves from that address too, and the later branch's Via names it, as
// what it sent while handling the request did.
TEST_F(ProxyCoreTest, WhatIsSentLaterLeavesFromWhereTheRequestCameIn) {
  const NetAddress second = NetAddress::ipv4(198, 51, 100, 1, 5070);
  settings_.local_more = {{second, {}}};
  settings_.mode = ProxyMode::kStateful;
  send(register_bob("<sip:bob@192.0.2.10:5062>;q=0.9, <sip:bob@192.0.2.11:5062>;q=0.5", 1).str(),
       kPhone);
  const NetAddress first_contact = NetAddress::ipv4(192, 0, 2, 10, 5062);
  const NetAddress second_contact = NetAddress::ipv4(192, 0, 2, 11, 5062);
  out_.clear();
  const std::string datagram = Request{}.str();
  out_.batch([&] { core().handle(datagram, kCaller, second, out_, now_ms_); });
  const FakeOutbox::Sent* fwd = sent_invite();
  ASSERT_NE(fwd, nullptr);
  EXPECT_EQ(fwd->to, first_contact);
  EXPECT_EQ(fwd->from, second);
  const std::string invite = fwd->bytes;

  // Timer A: the INVITE again, from the second address.
  out_.clear();
  now_ms_ += 500;
  out_.batch([&] { core().tick(out_, now_ms_); });
  ASSERT_EQ(out_.sent.size(), 1u);
  EXPECT_EQ(out_.sent[0].to, first_contact);
  EXPECT_EQ(out_.sent[0].from, second);
  EXPECT_EQ(out_.sent[0].bytes, invite);

  // The first contact is busy (its response comes in at the first address): the ACK to it,
  // and the next group's INVITE, named by and sent from the second address.
  const std::string busy = bob_answers(invite, "SIP/2.0 486 Busy Here", "b1");
  out_.clear();
  out_.batch([&] { core().handle(busy, first_contact, kProxy, out_, now_ms_); });
  const FakeOutbox::Sent* next = sent_invite();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->to, second_contact);
  EXPECT_EQ(next->from, second);
  EXPECT_NE(next->bytes.find("\r\nVia: SIP/2.0/UDP 198.51.100.1:5070;branch=z9hG4bKsw"),
            std::string::npos)
      << next->bytes;
  for (const FakeOutbox::Sent& s : out_.sent) {
    if (s.bytes.starts_with("ACK ")) {
      EXPECT_EQ(s.from, second);
    }
  }

  // Its 200 goes up to the caller from the second address.
  const std::string ok = bob_answers(next->bytes, "SIP/2.0 200 OK", "b2");
  out_.clear();
  out_.batch([&] { core().handle(ok, second_contact, kProxy, out_, now_ms_); });
  ASSERT_EQ(out_.sent.size(), 1u);
  EXPECT_EQ(status_line(out_.sent[0].bytes), "SIP/2.0 200 OK");
  EXPECT_EQ(out_.sent[0].to, kCaller);
  EXPECT_EQ(out_.sent[0].from, second);
}

// An IPv6 address advertised is bracketed where a URI or a Via writes it.
TEST_F(ProxyCoreTest, AnAdvertisedIpv6AddressIsBracketed) {
  settings_.local_other_family = *NetAddress::parse("::", 5060);
  settings_.local_other_name = {"2001:db8::5", 0};
  const NetAddress phone6 = *NetAddress::parse("2001:db8::10", 5062);
  Request reg = register_bob("<sip:bob@[2001:db8::10]:5062>", 1);
  reg.via = "SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bKreg6";
  ASSERT_EQ(status_line(send(reg.str(), phone6).bytes), "SIP/2.0 200 OK");
  const FakeOutbox::Sent fwd = send(Request{}.str(), kCaller);
  EXPECT_NE(fwd.bytes.find("\r\nVia: SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bKsw"),
            std::string::npos)
      << fwd.bytes;
  EXPECT_NE(
      fwd.bytes.find(
          "\r\nRecord-Route: " + our_route_uri("[2001:db8::5]:5060", "call-1@192.0.2.20") +
          "\r\nRecord-Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20") + "\r\n"),
      std::string::npos)
      << fwd.bytes;
}

TEST_F(ProxyCoreTest, ARequestCrossingIpFamiliesNamesWhereItLeavesAndIsRecordRoutedTwice) {
  settings_.local_other_family = *NetAddress::parse("2001:db8::1", 5060);
  const NetAddress phone6 = *NetAddress::parse("2001:db8::10", 5062);
  Request reg = register_bob("<sip:bob@[2001:db8::10]:5062>", 1);
  reg.via = "SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bKreg6";
  ASSERT_EQ(status_line(send(reg.str(), phone6).bytes), "SIP/2.0 200 OK");

  // The IPv4 caller's INVITE goes to bob over IPv6.
  const FakeOutbox::Sent fwd = send(Request{}.str(), kCaller);
  EXPECT_EQ(fwd.to, phone6);
  EXPECT_NE(fwd.bytes.find("\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKsw"),
            std::string::npos)
      << fwd.bytes;
  // bob's side first (his route set starts with it), the caller's below (hers ends with it).
  EXPECT_NE(
      fwd.bytes.find(
          "\r\nRecord-Route: " + our_route_uri("[2001:db8::1]:5060", "call-1@192.0.2.20") +
          "\r\nRecord-Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20") + "\r\n"),
      std::string::npos)
      << fwd.bytes;

  // bob's BYE carries that route set: both entries are ours, and both go.
  for (const std::string routes :
       {"Route: <sip:[2001:db8::1]:5060;lr>, <sip:127.0.0.1:5060;lr>\r\n",
        "Route: <sip:[2001:db8::1]:5060;lr>\r\n"
        "Route: <sip:127.0.0.1:5060;lr>\r\n"}) {
    const Request bye = bye_from_bob(
        "SIP/2.0/UDP [2001:db8::10]:5062;branch=z9hG4bKbye" + std::to_string(routes.size()),
        routes);
    const FakeOutbox::Sent b = send(bye.str(), phone6);
    EXPECT_EQ(status_line(b.bytes), "BYE sip:alice@192.0.2.20:5064 SIP/2.0");
    EXPECT_EQ(b.to, kCaller);
    EXPECT_EQ(b.bytes.find("Route:"), std::string::npos) << b.bytes;
    EXPECT_NE(b.bytes.find("\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch="), std::string::npos);
  }

  // An IPv6 caller's INVITE stays in IPv6: one Record-Route, our IPv6 Via...
  const NetAddress caller6 = *NetAddress::parse("2001:db8::20", 5064);
  Request inv6;
  inv6.via = "SIP/2.0/UDP [2001:db8::20]:5064;branch=z9hG4bKcall6";
  inv6.call_id = "call-6@2001:db8::20";
  const FakeOutbox::Sent f6 = send(inv6.str(), caller6);
  EXPECT_EQ(f6.to, phone6);
  EXPECT_NE(f6.bytes.find("\r\nRecord-Route: " + our_route_uri("[2001:db8::1]:5060", inv6.call_id) +
                          "\r\nVia: "),
            std::string::npos)
      << f6.bytes;
  EXPECT_EQ(f6.bytes.find("127.0.0.1"), std::string::npos) << f6.bytes;
  // ...by which bob's answer comes back (a stateless proxy routes responses by Via alone).
  const std::size_t via = f6.bytes.find("Via: ");
  const std::size_t vias_end = f6.bytes.find("\r\nMax-Forwards");
  const std::string ringing = "SIP/2.0 180 Ringing\r\n" + f6.bytes.substr(via, vias_end - via) +
                              "\r\nFrom: <sip:alice@localhost>;tag=a1\r\nTo: <sip:bob@localhost>"
                              ";tag=b9\r\nCall-ID: call-6@2001:db8::20\r\nCSeq: 1 INVITE\r\n"
                              "Content-Length: 0\r\n\r\n";
  const FakeOutbox::Sent r = send(ringing, phone6);
  EXPECT_EQ(status_line(r.bytes), "SIP/2.0 180 Ringing");
  EXPECT_EQ(r.to, caller6);
}

// Our addresses are each with its own port: our IPv4 address with the IPv6 one's port is not us.
TEST_F(ProxyCoreTest, OurAddressWithTheOtherOnesPortIsNotUs) {
  settings_.local_other_family = *NetAddress::parse("2001:db8::1", 5062);
  Request bye;
  bye.method = "BYE";
  bye.ruri = "sip:alice@192.0.2.20:5064";
  bye.to = "<sip:alice@localhost>;tag=a1";
  bye.extra = "Route: <sip:[2001:db8::1]:5062;lr>, <sip:127.0.0.1:5062;lr>\r\n";
  const FakeOutbox::Sent b = send(bye.str(), kCaller);
  EXPECT_EQ(b.to, NetAddress::ipv4(127, 0, 0, 1, 5062));  // the next hop, not ours to remove
  EXPECT_NE(b.bytes.find("\r\nRoute: <sip:127.0.0.1:5062;lr>\r\n"), std::string::npos) << b.bytes;
  // With its own port it is ours: both Routes go, and the Request-URI decides.
  bye.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKbye2";
  bye.extra = "Route: <sip:[2001:db8::1]:5062;lr>, <sip:127.0.0.1:5060;lr>\r\n";
  const FakeOutbox::Sent c = send(bye.str(), kCaller);
  EXPECT_EQ(c.to, kCaller);
  EXPECT_EQ(c.bytes.find("Route:"), std::string::npos) << c.bytes;
}

TEST_F(ProxyCoreTest, RetransmissionAndCancelGetTheInvitesBranch) {
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  auto branch_of = [](const std::string& m) {
    const std::size_t b = m.find("branch=z9hG4bKsw");
    return m.substr(b, m.find("\r\n", b) - b);
  };
  Request invite;
  const std::string a = send(invite.str(), kCaller).bytes;
  const std::string again = send(invite.str(), kCaller).bytes;
  Request cancel = invite;
  cancel.method = "CANCEL";
  const std::string c = send(cancel.str(), kCaller).bytes;
  EXPECT_EQ(branch_of(a), branch_of(again));
  EXPECT_EQ(branch_of(a), branch_of(c));
  Request other = invite;
  other.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall2;rport";
  EXPECT_NE(branch_of(a), branch_of(send(other.str(), kCaller).bytes));
}

// ---- §16.4 Route, foreign domains ----

TEST_F(ProxyCoreTest, OurRouteIsPoppedAndTheNextFollowed) {
  Request r;
  r.ruri = "sip:bob@example.net";
  r.extra = "Route: <sip:127.0.0.1:5060;lr>, <sip:192.0.2.50:5080;lr>\r\n";
  const auto& fwd = send(r.str(), kCaller);
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 50, 5080));
  EXPECT_NE(fwd.bytes.find("Route: <sip:192.0.2.50:5080;lr>\r\n"), std::string::npos) << fwd.bytes;
  EXPECT_EQ(fwd.bytes.find("\r\nRoute: <sip:127.0.0.1:5060;lr>"), std::string::npos);
  EXPECT_EQ(fwd.bytes.find(", <sip:192.0.2.50"), std::string::npos);
}

// maddr (RFC 3261 §16.4, §19.1.1; RFC 3263 §4): a Request-URI or Route with a maddr goes to
// the maddr; one whose maddr names us (at the port it came in at) is processed as if it were
// not there, and a Request-URI of another domain is then forwarded without it, its port and
// its transport parameter, or its next hop would send it back to us. Both modes.
TEST_F(ProxyCoreTest, MaddrSaysWhereARequestGoesUnlessItNamesUs) {
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    core_.reset();
    settings_.mode = mode;
    send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
    int call = 0;
    // The INVITE the proxy forwards for a request to `ruri` with header lines `extra`.
    auto forward = [&](const std::string& ruri, const std::string& extra = "") {
      Request r;
      r.ruri = ruri;
      r.extra = extra;
      r.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKm" + std::to_string(++call);
      r.call_id = "m-" + std::to_string(call) + "@192.0.2.20";
      out_.clear();
      const std::string datagram = r.str();
      out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
      const FakeOutbox::Sent* fwd = sent_invite();
      return fwd != nullptr ? *fwd : FakeOutbox::Sent{};
    };
    // Another domain's URI with a maddr: to the maddr, at the URI's port, the URI as it is
    // (the next hop strips its own maddr).
    FakeOutbox::Sent fwd = forward("sip:carol@example.org;maddr=192.0.2.30");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 30, 5060));
    EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:carol@example.org;maddr=192.0.2.30 SIP/2.0");
    fwd = forward("sip:carol@example.org:5070;maddr=192.0.2.30");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 30, 5070));
    fwd = forward("sip:carol@example.org;maddr=[2001:db8::30]");
    EXPECT_EQ(fwd.to, *NetAddress::parse("2001:db8::30", 5060));
    // Our domain with another's maddr: not ours to look up, it goes to the maddr.
    fwd = forward("sip:bob@localhost;maddr=192.0.2.31");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 31, 5060));
    // Our maddr at our port: as without it, bob's binding.
    fwd = forward("sip:bob@localhost;maddr=127.0.0.1");
    EXPECT_EQ(fwd.to, kPhone);
    EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob@192.0.2.10:5062 SIP/2.0");
    // Our maddr for another domain: to that domain at the default port, without the maddr,
    // port and transport (the other parameters kept).
    fwd = forward("sip:carol@192.0.2.40:5060;transport=udp;maddr=127.0.0.1;user=phone");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 40, 5060));
    EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:carol@192.0.2.40;user=phone SIP/2.0");
    // A Route with a maddr: to the maddr; ours by its maddr: popped.
    fwd =
        forward("sip:carol@example.org", "Route: <sip:proxy2.example.org;lr;maddr=192.0.2.50>\r\n");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 50, 5060));
    fwd = forward("sip:carol@192.0.2.41",
                  "Route: <sip:localhost;maddr=127.0.0.1;lr>, <sip:192.0.2.51:5080;lr>\r\n");
    EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 51, 5080));
    EXPECT_EQ(fwd.bytes.find("maddr"), std::string::npos) << fwd.bytes;
  }
}

// A registered Contact with a maddr is reached at the maddr (not at the REGISTER's source).
TEST_F(ProxyCoreTest, AContactsMaddrIsWhereItIsReached) {
  send(register_bob("<sip:bob@bob-phone.example;maddr=192.0.2.60>", 1).str(), kPhone);
  const auto& fwd = send(Request{}.str(), kCaller);
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 60, 5060));
  EXPECT_EQ(status_line(fwd.bytes), "INVITE sip:bob@bob-phone.example;maddr=192.0.2.60 SIP/2.0");
}

// A continuation line of white space alone after a field is trailing LWS. The fields a
// response copies must not bring its CRLF along (an empty line there ended the response's
// header block before From), and a field the proxy removes goes with its folds.
TEST_F(ProxyCoreTest, AFoldOfWhiteSpaceAfterAFieldLeavesWhatIsSentWellFormed) {
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    SCOPED_TRACE(mode == ProxyMode::kStateless ? "stateless" : "stateful");
    core_.reset();
    settings_.mode = mode;
    Request r;
    r.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKfold1,\r\n   ";
    r.to = "<sip:bob@localhost>\r\n\t";
    const auto& no_one = send(r.str(), kCaller);  // Bob is not registered
    EXPECT_EQ(status_line(no_one.bytes), "SIP/2.0 404 Not Found") << no_one.bytes;
    EXPECT_NE(no_one.bytes.find("\r\nFrom: <sip:alice@localhost>;tag=a1\r\n"), std::string::npos);
    EXPECT_EQ(no_one.bytes.find("\r\n\r\n"), no_one.bytes.size() - 4) << no_one.bytes;
    Message m;
    EXPECT_TRUE(parse_message(no_one.bytes, m).ok()) << no_one.bytes;

    Request routed;
    routed.ruri = "sip:bob@example.net";
    routed.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKfold2";
    routed.extra = "Route: <sip:127.0.0.1:5060;lr>\r\n  \r\nRoute: <sip:192.0.2.50:5080;lr>\r\n";
    out_.clear();
    const std::string datagram = routed.str();  // lives until the batch is read
    out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
    const FakeOutbox::Sent* fwd = sent_invite();
    ASSERT_NE(fwd, nullptr);
    EXPECT_EQ(fwd->to, NetAddress::ipv4(192, 0, 2, 50, 5080));
    EXPECT_EQ(fwd->bytes.find("\r\nRoute: <sip:127.0.0.1"), std::string::npos) << fwd->bytes;
    EXPECT_NE(fwd->bytes.find("\r\nCSeq: 1 INVITE\r\nRoute: <sip:192.0.2.50:5080;lr>\r\n"),
              std::string::npos)
        << fwd->bytes;
    EXPECT_TRUE(parse_message(fwd->bytes, m).ok()) << fwd->bytes;
  }
}

// §16.6 step 6: a next hop whose Route URI has no lr is a strict router (RFC 2543), which
// routes by the Request-URI. It gets its own URI there, and the Request-URI goes last in
// Route; the request still goes to it.
TEST_F(ProxyCoreTest, AStrictRouterNextGetsItsUriAsTheRequestUri) {
  struct Case {
    std::string route_lines;  // as received
    std::string routes_out;   // the Route lines forwarded
  };
  const Case cases[] = {
      // the only Route: replaced by the Request-URI
      {"Route: <sip:192.0.2.50:5080>\r\n", "Route: <sip:bob@example.net>\r\n"},
      // more after it, in the same field and in another
      {"Route: <sip:192.0.2.50:5080>, <sip:192.0.2.51;lr>\r\n",
       "Route: <sip:192.0.2.51;lr>, <sip:bob@example.net>\r\n"},
      {"Route: <sip:192.0.2.50:5080>\r\nRoute: <sip:192.0.2.51;lr>\r\n",
       "Route: <sip:192.0.2.51;lr>, <sip:bob@example.net>\r\n"},
      // after our own Route, which goes too
      {"Route: <sip:127.0.0.1:5060;lr>, <sip:192.0.2.50:5080>\r\n",
       "Route: <sip:bob@example.net>\r\n"},
      {"Route: <sip:127.0.0.1:5060;lr>\r\nRoute: <sip:192.0.2.50:5080>, <sip:192.0.2.51;lr>\r\n",
       "Route: <sip:192.0.2.51;lr>, <sip:bob@example.net>\r\n"},
  };
  for (const ProxyMode mode : {ProxyMode::kStateless, ProxyMode::kStateful}) {
    core_.reset();
    settings_.mode = mode;
    int call = 0;
    for (const Case& c : cases) {
      SCOPED_TRACE(c.route_lines);
      Request r;
      r.ruri = "sip:bob@example.net";
      r.via = "SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKstrict" + std::to_string(++call);
      r.call_id = "strict-" + std::to_string(call);
      r.extra = c.route_lines;
      out_.clear();
      const std::string datagram = r.str();  // lives until the batch is read
      out_.batch([&] { core().handle(datagram, kCaller, out_, now_ms_); });
      const FakeOutbox::Sent* fwd = sent_invite();
      ASSERT_NE(fwd, nullptr);
      EXPECT_EQ(fwd->to, NetAddress::ipv4(192, 0, 2, 50, 5080));
      EXPECT_EQ(status_line(fwd->bytes), "INVITE sip:192.0.2.50:5080 SIP/2.0");
      std::string routes;
      for (std::size_t at = fwd->bytes.find("\r\nRoute: "); at != std::string::npos;
           at = fwd->bytes.find("\r\nRoute: ", at + 2))
        routes += fwd->bytes.substr(at + 2, fwd->bytes.find("\r\n", at + 2) - at);
      EXPECT_EQ(routes, c.routes_out) << fwd->bytes;
      Message m;
      EXPECT_TRUE(parse_message(fwd->bytes, m).ok()) << fwd->bytes;
    }
  }
}

TEST_F(ProxyCoreTest, StrictRoutedRequestGetsItsRequestUriBack) {  // §16.4
  // A strict router put our Record-Route URI in the Request-URI and the remote target last.
  Request r;
  r.method = "BYE";
  r.ruri = "sip:127.0.0.1:5060;lr";
  r.to = "<sip:bob@localhost>;tag=b2";
  r.extra = "Route: <sip:192.0.2.50:5080;lr>, <sip:bob@192.0.2.10:5062>\r\n";
  const auto& fwd = send(r.str(), kCaller);
  EXPECT_EQ(status_line(fwd.bytes), "BYE sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 50, 5080));  // the next Route, loose
  EXPECT_NE(fwd.bytes.find("\r\nRoute: <sip:192.0.2.50:5080;lr>\r\n"), std::string::npos)
      << fwd.bytes;
  // Our own address without a user and without Route is an ordinary request to us.
  Request options;
  options.method = "OPTIONS";
  options.ruri = "sip:127.0.0.1:5060";
  EXPECT_EQ(status_line(send(options.str(), kCaller).bytes), "SIP/2.0 200 OK");
}

TEST_F(ProxyCoreTest, RecordRouteOnRequestsThatMayStartADialog) {  // §16.6 step 4
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  const std::string rr =
      "\r\nRecord-Route: " + our_route_uri("127.0.0.1:5060", "call-1@192.0.2.20") + "\r\n";
  EXPECT_NE(send(Request{}.str(), kCaller).bytes.find(rr), std::string::npos);
  Request bye;  // inside a dialog (To tag): its route set is fixed already
  bye.method = "BYE";
  bye.to = "<sip:bob@localhost>;tag=b2";
  bye.cseq = 2;
  EXPECT_EQ(send(bye.str(), kCaller).bytes.find("Record-Route"), std::string::npos);
}

TEST_F(ProxyCoreTest, RecordRouteCanBeTurnedOff) {
  settings_.record_route = false;
  send(register_bob("<sip:bob@192.0.2.10:5062>", 1).str(), kPhone);
  EXPECT_EQ(send(Request{}.str(), kCaller).bytes.find("Record-Route"), std::string::npos);
}

TEST_F(ProxyCoreTest, ForeignDomainsUseStaticRoutesOrAreRefused) {
  settings_.routes = {{"example.net", NetAddress::ipv4(192, 0, 2, 60, 5060)}};
  Request r;
  r.ruri = "sip:bob@example.net";
  EXPECT_EQ(send(r.str(), kCaller).to, NetAddress::ipv4(192, 0, 2, 60, 5060));
  r.ruri = "sip:bob@elsewhere.example";
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes).substr(0, 11), "SIP/2.0 404");
  core_.reset();
  settings_.reject_foreign_domains = true;
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes).substr(0, 11), "SIP/2.0 403");
  // Our domain with a maddr elsewhere goes elsewhere: foreign too. With our maddr, ours.
  r.ruri = "sip:bob@localhost;maddr=192.0.2.31";
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes).substr(0, 11), "SIP/2.0 403");
  r.ruri = "sip:bob@localhost;maddr=127.0.0.1";
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes), "SIP/2.0 404 Not Found");
}

// A request inside a dialog we record-routed goes to the remote target the dialog learnt (a
// Contact: an address, no domain of ours) whatever reject_foreign_domains says, or with it on
// no call through us could be ACKed or hung up. Without our Route, or outside a dialog, the
// same Request-URI is another domain's: refused.
TEST_F(ProxyCoreTest, RejectForeignDomainsLetsRequestsInOurDialogsPass) {
  settings_.reject_foreign_domains = true;
  Request bye;
  bye.method = "BYE";
  bye.ruri = "sip:bob@192.0.2.10:5062";
  bye.to = "<sip:bob@localhost>;tag=b2";
  bye.cseq = 2;
  bye.extra = "Route: " + our_route_uri("127.0.0.1:5060", bye.call_id) + "\r\n";
  const auto& fwd = send(bye.str(), kCaller);
  EXPECT_EQ(status_line(fwd.bytes), "BYE sip:bob@192.0.2.10:5062 SIP/2.0");
  EXPECT_EQ(fwd.to, NetAddress::ipv4(192, 0, 2, 10, 5062));
  bye.extra.clear();
  EXPECT_EQ(status_line(send(bye.str(), kCaller).bytes),
            "SIP/2.0 403 Forbidden: domain not served here");
  // Our Route without our signature: no Record-Route of ours put it there.
  bye.extra = "Route: <sip:127.0.0.1:5060;lr>\r\n";
  EXPECT_EQ(status_line(send(bye.str(), kCaller).bytes),
            "SIP/2.0 403 Forbidden: domain not served here");
  bye.extra = "Route: " + our_route_uri("127.0.0.1:5060", bye.call_id) + "\r\n";
  bye.to = "<sip:bob@localhost>";
  EXPECT_EQ(status_line(send(bye.str(), kCaller).bytes),
            "SIP/2.0 403 Forbidden: domain not served here");
}

TEST_F(ProxyCoreTest, OptionsToTheProxyIsAnswered) {
  Request r;
  r.method = "OPTIONS";
  r.ruri = "sip:127.0.0.1:5060";
  const auto& resp = send(r.str(), kCaller);
  EXPECT_EQ(status_line(resp.bytes), "SIP/2.0 200 OK");
  EXPECT_NE(resp.bytes.find("Allow: "), std::string::npos);
}

// With an IPv4 and an IPv6 listen address, the configuration lists both IPs among our domains
// (without brackets); a request to the IPv6 one, written [..] in its URI, is ours too.
TEST_F(ProxyCoreTest, OptionsToOurOtherAddressInBracketsIsAnswered) {
  settings_.domains = {"localhost", "127.0.0.1", "2001:db8::2"};
  Request r;
  r.method = "OPTIONS";
  r.ruri = "sip:[2001:db8::2]:5060";
  EXPECT_EQ(status_line(send(r.str(), kCaller).bytes), "SIP/2.0 200 OK");
}

// ---- responses ----

TEST_F(ProxyCoreTest, ResponsesGoBackByTheViaTheyCarry) {
  const std::string resp =
      "SIP/2.0 180 Ringing\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsw0123456789abcdef-01234567\r\n"
      "Via: SIP/2.0/UDP 192.0.2.20:5064;branch=z9hG4bKcall1;rport=40000;received=198.51.100.7\r\n"
      "From: <sip:alice@localhost>;tag=a1\r\nTo: <sip:bob@localhost>;tag=b9\r\n"
      "Call-ID: call-1@192.0.2.20\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  const auto& fwd = send(resp, kPhone);
  EXPECT_EQ(fwd.to, NetAddress::ipv4(198, 51, 100, 7, 40000));
  EXPECT_EQ(fwd.bytes.find("127.0.0.1:5060"), std::string::npos);
  EXPECT_EQ(fwd.bytes.substr(0, 21), "SIP/2.0 180 Ringing\r\n");
  EXPECT_EQ(fwd.bytes.size(),
            resp.size() - (resp.find("Via: SIP/2.0/UDP 192") - resp.find("Via:")));
}

TEST_F(ProxyCoreTest, ResponsesNotForUsAreDropped) {
  const std::string resp =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.77;branch=z9hG4bKx\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  out_.clear();
  out_.batch([&] { core().handle(resp, kPhone, out_, now_ms_); });
  EXPECT_TRUE(out_.sent.empty());
  EXPECT_EQ(core().counters().dropped, 1u);
}

// ---- malformed input ----

TEST_F(ProxyCoreTest, MalformedRequestGetsItsErrorAtTheSource) {
  Request r;
  r.extra = "Content-Length: 5\r\n";  // a second Content-Length
  const auto& resp = send(r.str(), kCaller);
  EXPECT_EQ(status_line(resp.bytes), "SIP/2.0 400 Multiple Content-Length header fields");
  EXPECT_EQ(resp.to, kCaller);
  EXPECT_NE(resp.bytes.find("Call-ID: call-1@192.0.2.20\r\n"), std::string::npos);
  EXPECT_EQ(core().counters().malformed_requests, 1u);
}

// A parse can fail before it reads the start line (the line scan finds a bare LF, or the
// datagram is over max_message_size). Whether it is a request, and an ACK, is then read from
// the datagram: the answer must not depend on what the proxy handled before it.
TEST_F(ProxyCoreTest, ARequestThatFailsBeforeItsStartLineIsAnsweredWhateverCameBefore) {
  settings_.max_message_size = 1000;
  Request bare_lf;
  bare_lf.extra = "Subject: a\nb\r\n";
  Request too_large;
  too_large.extra = "Subject: " + std::string(1000, 'x') + "\r\n";
  Request ack = bare_lf;
  ack.method = "ACK";
  const std::string response =
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.20:5064;"
      "branch=z9hG4bKx\r\nFrom: <sip:a@localhost>;tag=1\r\nTo: "
      "<sip:b@localhost>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
      "Content-Length: 0\r\n\r\n";
  struct Case {
    std::string datagram;
    std::string status;  // empty: nothing is sent
  };
  const Case cases[] = {
      {"\r\n" + bare_lf.str(), "SIP/2.0 400 Bare CR or LF in header"},
      {too_large.str(), "SIP/2.0 513 Message too large"},
      {ack.str(), ""},
      {response.substr(0, 40) + "\n" + response.substr(40), ""},
  };
  const std::string before[] = {"", response, Request{}.str()};
  for (const std::string& first : before) {
    for (const Case& c : cases) {
      SCOPED_TRACE("after \"" + first.substr(0, 20) + "\": " + c.datagram.substr(0, 40));
      core_.reset();
      out_.clear();
      if (!first.empty()) out_.batch([&] { core().handle(first, kPhone, out_, now_ms_); });
      out_.clear();
      out_.batch([&] { core().handle(c.datagram, kCaller, out_, now_ms_); });
      if (c.status.empty()) {
        EXPECT_TRUE(out_.sent.empty()) << out_.sent.front().bytes;
        continue;
      }
      ASSERT_EQ(out_.sent.size(), 1u);
      EXPECT_EQ(status_line(out_.sent.front().bytes), c.status);
      EXPECT_EQ(out_.sent.front().to, kCaller);
    }
  }
}

TEST_F(ProxyCoreTest, ACrlfKeepaliveIsIgnoredAndNotCountedAsMalformed) {
  // Phones behind NATs send CRLFs over UDP to keep the binding open: no answer, and no noise
  // in the malformed counters an operator watches.
  for (const char* keepalive : {"\r\n\r\n", "\r\n", "\r\n\r\n\r\n\r\n"}) {
    out_.clear();
    out_.batch([&] { core().handle(keepalive, kPhone, out_, now_ms_); });
    EXPECT_TRUE(out_.sent.empty());
  }
  EXPECT_EQ(core().counters().keepalives, 3u);
  EXPECT_EQ(core().counters().malformed_requests, 0u);
  EXPECT_EQ(core().counters().malformed_responses, 0u);
  EXPECT_EQ(core().counters().dropped, 0u);
  // Anything else is a malformed message, as before.
  out_.clear();
  const std::string garbage = "\r\n\r\nX";
  out_.batch([&] { core().handle(garbage, kPhone, out_, now_ms_); });
  EXPECT_EQ(core().counters().keepalives, 3u);
  EXPECT_EQ(core().counters().malformed_requests, 1u);
}

TEST_F(ProxyCoreTest, AFieldWithABareCrOrLfStaysOutOfTheErrorResponse) {
  // Copied, a bare LF would be a line end to some receivers and not to others; a bare CR the
  // same. The 400 leaves such a field out and keeps the others, folds included.
  for (const std::string bad :
       {"<sip:bob@localhost>\nX-Injected: 1", "<sip:bob@localhost>\rX: 1"}) {
    Request r;
    r.to = bad;
    r.from = "<sip:alice@localhost>;tag=a1\r\n  ;x=folded";
    const auto& resp = send(r.str(), kCaller);
    EXPECT_EQ(status_line(resp.bytes).substr(0, 11), "SIP/2.0 400") << resp.bytes;
    EXPECT_EQ(resp.bytes.find("\r\nTo:"), std::string::npos) << resp.bytes;
    EXPECT_EQ(resp.bytes.find("X-Injected"), std::string::npos) << resp.bytes;
    EXPECT_NE(resp.bytes.find("\r\nFrom: <sip:alice@localhost>;tag=a1\r\n  ;x=folded\r\n"),
              std::string::npos)
        << resp.bytes;
    EXPECT_NE(resp.bytes.find("\r\nVia: " + r.via + "\r\n"), std::string::npos) << resp.bytes;
  }
}

TEST_F(ProxyCoreTest, ResponsesToTortureMessagesKeepToTheGrammar) {
  // The status line of every response stays within the Reason-Phrase grammar, though the
  // defects it names contain '<' or '"'. A response to a well-formed request parses whole;
  // one to a malformed request copies its From/To/Call-ID/CSeq (§8.2.6), defects included.
  for (const auto& path : testing::torture_files()) {
    const std::string request = testing::read_file(path);
    Message parsed;
    const bool request_ok = parse_message(request, parsed).ok();
    out_.clear();
    out_.batch([&] { core().handle(request, kCaller, out_, now_ms_); });
    for (const auto& sent : out_.sent) {
      if (sent.bytes.rfind("SIP/2.0 ", 0) != 0) continue;  // forwarded requests
      const std::string line = status_line(sent.bytes);
      for (char c : line.substr(12))
        EXPECT_TRUE(chars::is(c, chars::kReason)) << path.filename() << ": " << line;
      // Line ends are CRLF and nothing else, whatever the request held: a receiver that takes a
      // bare LF as a line end must read the same fields as one that does not. (Other control
      // bytes may be there: intmeth's To holds quoted-pairs of BEL, NUL and DEL.)
      const std::string& b = sent.bytes;
      for (std::size_t i = 0; i < b.size(); ++i) {
        const auto c = static_cast<unsigned char>(b[i]);
        if (c == '\r') {
          EXPECT_TRUE(i + 1 < b.size() && b[i + 1] == '\n')
              << path.filename() << ": bare CR at " << i;
        } else if (c == '\n') {
          EXPECT_TRUE(i > 0 && b[i - 1] == '\r') << path.filename() << ": bare LF at " << i;
        }
      }
      Message m;
      const ParseError e = parse_message(sent.bytes, m);
      if (request_ok) {
        EXPECT_TRUE(e.ok()) << path.filename() << ": " << e.reason << " in " << line;
      }
    }
  }
  // Whatever a reason says, its bytes outside the grammar go out %-escaped.
  char buf[64];
  TextWriter w(buf);
  w.put_reason("a<b\"c%d");
  EXPECT_EQ(w.view(), "a%3Cb%22c%25d");
}

TEST_F(ProxyCoreTest, MalformedResponseAndGarbageWithoutViaAreDropped) {
  out_.clear();
  const std::string bad_status = "SIP/2.0 99999 x\r\n\r\n", noise(300, '\x01');
  out_.batch([&] { core().handle(bad_status, kPhone, out_, now_ms_); });
  out_.batch([&] { core().handle(noise, kPhone, out_, now_ms_); });
  EXPECT_TRUE(out_.sent.empty());
}

}  // namespace
}  // namespace sipwire
