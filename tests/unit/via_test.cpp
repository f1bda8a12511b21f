// parse_via: one Via element (RFC 3261 §20.42 and §25.1, RFC 3581 rport, RFC 5118 IPv6).
#include "sipwire/via.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace sipwire {
namespace {

Via Parse(std::string_view element) {
  Via v;
  const ParseError e = parse_via(element, v);
  EXPECT_TRUE(e.ok()) << "\"" << element << "\": " << e.reason << " at " << e.offset;
  return v;
}

ParseError ParseBad(std::string_view element) {
  Via v;
  const ParseError e = parse_via(element, v);
  EXPECT_EQ(e.status, status::kBadRequest) << "\"" << element << "\" was accepted";
  return e;
}

TEST(ViaTest, TypicalElement) {
  const Via v = Parse("SIP/2.0/UDP pc33.atlanta.com:5060;branch=z9hG4bK776asdhds;rport");
  EXPECT_EQ(v.protocol, "SIP");
  EXPECT_EQ(v.version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "pc33.atlanta.com");
  EXPECT_EQ(v.host_kind, HostKind::kName);
  EXPECT_TRUE(v.has_port);
  EXPECT_EQ(v.port, 5060);
  EXPECT_EQ(v.branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(v.has_rfc3261_branch());
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.rport, 0);
  EXPECT_EQ(v.params, "branch=z9hG4bK776asdhds;rport");
  EXPECT_EQ(v.received, "");
  EXPECT_EQ(v.maddr, "");
  EXPECT_FALSE(v.has_ttl);
}

TEST(ViaTest, NoPortNoParams) {
  const Via v = Parse("SIP/2.0/TCP 192.0.2.1");
  EXPECT_EQ(v.transport, "TCP");
  EXPECT_EQ(v.host, "192.0.2.1");
  EXPECT_EQ(v.host_kind, HostKind::kIpv4);
  EXPECT_FALSE(v.has_port);
  EXPECT_EQ(v.port, 0);
  EXPECT_EQ(v.params, "");
  EXPECT_EQ(v.branch, "");
  EXPECT_FALSE(v.has_rfc3261_branch());
  EXPECT_FALSE(v.has_rport);
}

TEST(ViaTest, OtherTransportsAreTokens) {
  EXPECT_EQ(Parse("SIP/2.0/TLS h").transport, "TLS");
  EXPECT_EQ(Parse("SIP/2.0/SCTP h").transport, "SCTP");
  EXPECT_EQ(Parse("SIP/2.0/WSS h").transport, "WSS");
  EXPECT_EQ(Parse("SIP/2.0/x-new-transport h").transport, "x-new-transport");
}

TEST(ViaTest, LwsAroundSlashes) {
  const Via v = Parse("SIP / 2.0 / UDP host");
  EXPECT_EQ(v.protocol, "SIP");
  EXPECT_EQ(v.version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "host");
}

TEST(ViaTest, FoldedLines) {
  const Via v = Parse("SIP / 2.0\r\n /UDP host\r\n\t;branch=z9hG4bK1\r\n ;\r\n received=192.0.2.9");
  EXPECT_EQ(v.protocol, "SIP");
  EXPECT_EQ(v.version, "2.0");
  EXPECT_EQ(v.transport, "UDP");
  EXPECT_EQ(v.host, "host");
  EXPECT_EQ(v.branch, "z9hG4bK1");
  EXPECT_EQ(v.received, "192.0.2.9");
}

TEST(ViaTest, FoldBeforeSentBy) {
  const Via v = Parse("SIP/2.0/UDP\r\n host:5060");
  EXPECT_EQ(v.host, "host");
  EXPECT_EQ(v.port, 5060);
}

TEST(ViaTest, LwsAroundColonAndParams) {
  // sent-by = host [ COLON port ]; COLON, SEMI and EQUAL allow SWS around them.
  const Via v = Parse("SIP/2.0/UDP host : 5070 ; branch = z9hG4bKabc ; ttl = 16");
  EXPECT_EQ(v.host, "host");
  EXPECT_EQ(v.port, 5070);
  EXPECT_EQ(v.branch, "z9hG4bKabc");
  EXPECT_TRUE(v.has_ttl);
  EXPECT_EQ(v.ttl, 16);
}

TEST(ViaTest, Ipv6SentByWithPort) {
  const Via v = Parse("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111");
  EXPECT_EQ(v.host, "[2001:db8::9:1]");
  EXPECT_EQ(v.host_kind, HostKind::kIpv6);
  EXPECT_TRUE(v.has_port);
  EXPECT_EQ(v.port, 5070);
  EXPECT_EQ(v.branch, "z9hG4bKas3-111");
}

TEST(ViaTest, Ipv6SentByWithoutPort) {
  const Via v = Parse("SIP/2.0/UDP [::ffff:192.0.2.1]");
  EXPECT_EQ(v.host, "[::ffff:192.0.2.1]");
  EXPECT_EQ(v.host_kind, HostKind::kIpv6);
  EXPECT_FALSE(v.has_port);
}

TEST(ViaTest, ReceivedIpv4) {
  const Via v = Parse("SIP/2.0/UDP h;branch=z9hG4bK1;received=192.0.2.101");
  EXPECT_EQ(v.received, "192.0.2.101");
}

TEST(ViaTest, ReceivedIpv6WithAndWithoutBrackets) {
  // RFC 3261: received = IPv6address (no brackets); RFC 5118 §4.5: accept brackets too.
  EXPECT_EQ(Parse("SIP/2.0/UDP h;received=2001:db8::9:255").received, "2001:db8::9:255");
  EXPECT_EQ(Parse("SIP/2.0/UDP h;received=[2001:db8::9:255]").received, "[2001:db8::9:255]");
  EXPECT_EQ(Parse("SIP/2.0/UDP h;received=::ffff:192.0.2.1").received, "::ffff:192.0.2.1");
}

TEST(ViaTest, ReceivedErrors) {
  ParseBad("SIP/2.0/UDP h;received");
  ParseBad("SIP/2.0/UDP h;received=");
  ParseBad("SIP/2.0/UDP h;received=example.com");
  ParseBad("SIP/2.0/UDP h;received=192.0.2");
  ParseBad("SIP/2.0/UDP h;received=256.0.2.1");
  ParseBad("SIP/2.0/UDP h;received=[2001:db8::1");
  ParseBad("SIP/2.0/UDP h;received=[::1::2]");
  ParseBad("SIP/2.0/UDP h;received=1:2:3:4:5:6:7:8:9");
}

TEST(ViaTest, RportWithValue) {
  const Via v = Parse("SIP/2.0/UDP h;received=192.0.2.1;rport=61234;branch=z9hG4bKx");
  EXPECT_TRUE(v.has_rport);
  EXPECT_EQ(v.rport, 61234);
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_EQ(v.branch, "z9hG4bKx");
}

TEST(ViaTest, RportBounds) {
  EXPECT_EQ(Parse("SIP/2.0/UDP h;rport=65535").rport, 65535);
  EXPECT_TRUE(Parse("SIP/2.0/UDP h;RPORT").has_rport);
  ParseBad("SIP/2.0/UDP h;rport=65536");
  ParseBad("SIP/2.0/UDP h;rport=abc");
  ParseBad("SIP/2.0/UDP h;rport=");
}

TEST(ViaTest, Ttl) {
  const Via zero = Parse("SIP/2.0/UDP h;ttl=0");
  EXPECT_TRUE(zero.has_ttl);
  EXPECT_EQ(zero.ttl, 0);
  EXPECT_EQ(Parse("SIP/2.0/UDP h;ttl=255").ttl, 255);
  ParseBad("SIP/2.0/UDP h;ttl=256");
  ParseBad("SIP/2.0/UDP h;ttl=1000");
  ParseBad("SIP/2.0/UDP h;ttl=-1");
  ParseBad("SIP/2.0/UDP h;ttl=x");
  ParseBad("SIP/2.0/UDP h;ttl");
}

TEST(ViaTest, Maddr) {
  EXPECT_EQ(Parse("SIP/2.0/UDP h;maddr=224.0.1.75;ttl=1").maddr, "224.0.1.75");
  EXPECT_EQ(Parse("SIP/2.0/UDP h;maddr=mcast.example.net").maddr, "mcast.example.net");
  EXPECT_EQ(Parse("SIP/2.0/UDP h;maddr=[ff02::1]").maddr, "[ff02::1]");
  ParseBad("SIP/2.0/UDP h;maddr");
  ParseBad("SIP/2.0/UDP h;maddr=-bad-.com");
  ParseBad("SIP/2.0/UDP h;maddr=1.2.3.256");
}

TEST(ViaTest, ParameterNamesAreCaseInsensitive) {
  const Via v = Parse("SIP/2.0/UDP h;BRANCH=z9hG4bKq;Received=192.0.2.1;TTL=3;MAddr=192.0.2.2");
  EXPECT_EQ(v.branch, "z9hG4bKq");
  EXPECT_EQ(v.received, "192.0.2.1");
  EXPECT_EQ(v.ttl, 3);
  EXPECT_EQ(v.maddr, "192.0.2.2");
}

TEST(ViaTest, Rfc3261BranchCookie) {
  EXPECT_TRUE(Parse("SIP/2.0/UDP h;branch=z9hG4bK").has_rfc3261_branch());
  EXPECT_TRUE(Parse("SIP/2.0/UDP h;branch=z9hG4bK-524287-1").has_rfc3261_branch());
  EXPECT_FALSE(Parse("SIP/2.0/UDP h;branch=776asdhds").has_rfc3261_branch());
  EXPECT_FALSE(Parse("SIP/2.0/UDP h;branch=z9hG4b").has_rfc3261_branch());
  EXPECT_FALSE(Parse("SIP/2.0/UDP h;branch=xz9hG4bK").has_rfc3261_branch());
}

// Inside a message, where bytes past the element can be read: branch and rport as nearly every
// Via writes them are matched by one word compare; any other spelling goes the general way.
// Both must give the same Via.
TEST(ViaTest, BranchAndRportInsideAMessage) {
  const auto in_message = [](std::string element, Via& v) {
    const std::string buffer = element + "\r\nMax-Forwards: 70\r\n\r\n";
    const std::string_view text(buffer.data(), element.size());
    const ParseError e = parse_via(text, v, Source{buffer.data(), buffer.data() + buffer.size()});
    // Views point into `buffer`: compare them before it goes.
    return std::make_pair(e, std::string(v.branch) + "|" + std::string(v.rport_name) + "|" +
                                 std::to_string(v.rport) + "|" + (v.has_rport ? "r" : "-") + "|" +
                                 std::string(v.params));
  };
  // element, then branch | rport name (without a value) | rport value | rport asked | params
  const std::pair<const char*, const char*> cases[] = {
      {"SIP/2.0/UDP h:5060;rport;branch=z9hG4bKa", "z9hG4bKa|rport|0|r|rport;branch=z9hG4bKa"},
      {"SIP/2.0/UDP h;branch=z9hG4bKa;rport", "z9hG4bKa|rport|0|r|branch=z9hG4bKa;rport"},
      {"SIP/2.0/UDP h;Branch=z9hG4bKa;RPort", "z9hG4bKa|RPort|0|r|Branch=z9hG4bKa;RPort"},
      {"SIP/2.0/UDP h;rport=5062;branch=z9hG4bKb;branch=z9hG4bKc",
       "z9hG4bKc||5062|r|rport=5062;branch=z9hG4bKb;branch=z9hG4bKc"},
      {"SIP/2.0/UDP h;rportx;branch=z9hG4bKa", "z9hG4bKa||0|-|rportx;branch=z9hG4bKa"},
      {"SIP/2.0/UDP h;branch=z9hG4bKa;received=192.0.2.1;rport=1",
       "z9hG4bKa||1|r|branch=z9hG4bKa;received=192.0.2.1;rport=1"},
  };
  Via v;
  for (const auto& [element, want] : cases) {
    const auto [error, got] = in_message(element, v);
    EXPECT_TRUE(error.ok()) << element << ": " << error.reason;
    EXPECT_EQ(got, want) << element;
  }
  for (const char* bad :
       {"SIP/2.0/UDP h;branch=;rport", "SIP/2.0/UDP h;branch=\"z9hG4bK1\";rport",
        "SIP/2.0/UDP h;branch=[::1];rport", "SIP/2.0/UDP h;rport=;branch=z9hG4bKa",
        "SIP/2.0/UDP h;rport=70000;branch=z9hG4bKa"})
    EXPECT_EQ(in_message(bad, v).first.status, status::kBadRequest) << bad;
}

TEST(ViaTest, ParameterNamesCutByTheElementsEndAreReadOnlyUpToIt) {
  // The bytes after the element may be readable (the rest of the message) and even spell
  // "branch=" or "rport": the element ends where it ends.
  const std::string buffer = "SIP/2.0/UDP h;branch=z9hG4bKa;rport";
  Via v;
  const std::size_t cut_branch = buffer.find("anch=");
  ASSERT_TRUE(parse_via({buffer.data(), cut_branch}, v,
                        Source{buffer.data(), buffer.data() + buffer.size()})
                  .ok());
  EXPECT_EQ(v.branch, "");
  EXPECT_EQ(v.params, "br");
  const std::size_t cut_rport = buffer.find("ort");
  ASSERT_TRUE(
      parse_via({buffer.data(), cut_rport}, v, Source{buffer.data(), buffer.data() + buffer.size()})
          .ok());
  EXPECT_FALSE(v.has_rport);
  EXPECT_EQ(v.branch, "z9hG4bKa");
  EXPECT_EQ(v.params, "branch=z9hG4bKa;rp");
}

TEST(ViaTest, BranchErrors) {
  ParseBad("SIP/2.0/UDP h;branch");
  ParseBad("SIP/2.0/UDP h;branch=");
  ParseBad("SIP/2.0/UDP h;branch=\"z9hG4bK1\"");  // branch = token
}

TEST(ViaTest, ExtensionParams) {
  const Via v = Parse("SIP/2.0/UDP h;branch=z9hG4bK1;x-tag=\"a;b\";alias;keep=30");
  EXPECT_EQ(v.branch, "z9hG4bK1");
  EXPECT_EQ(v.params, "branch=z9hG4bK1;x-tag=\"a;b\";alias;keep=30");
}

TEST(ViaTest, BadParamOffsetPointsIntoTheParam) {
  // ParseError::offset is the byte offset of the defect: here the "ttl=256" parameter
  // (bytes 14..20), not the start of the element.
  const ParseError ttl = ParseBad("SIP/2.0/UDP h;ttl=256");
  EXPECT_GE(ttl.offset, 14u);
  EXPECT_LE(ttl.offset, 21u);
  const ParseError branch = ParseBad("SIP/2.0/UDP h;x=1;branch=\"q\"");
  EXPECT_GE(branch.offset, 18u);
  EXPECT_LE(branch.offset, 28u);
}

TEST(ViaTest, MissingTransport) {
  EXPECT_EQ(ParseBad("SIP/2.0 h").offset, 7u);
  ParseBad("SIP/2.0/ h");
  ParseBad("SIP/2.0/");
  ParseBad("SIP/UDP h");
  ParseBad("SIP//UDP h");
  ParseBad("/2.0/UDP h");
}

TEST(ViaTest, MissingHost) {
  EXPECT_EQ(ParseBad("SIP/2.0/UDP").offset, 11u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP ").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP ;branch=z9hG4bK1").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP :5060").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP[::1]:5060").offset, 11u);  // LWS before sent-by required
}

TEST(ViaTest, BadHosts) {
  EXPECT_EQ(ParseBad("SIP/2.0/UDP -h.com").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP 1.2.3").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP [2001:db8::1").status, status::kBadRequest);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP [1:2:3:4:5:6:7:8:9]").offset, 12u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP 2001:db8::1").status, status::kBadRequest);
}

TEST(ViaTest, BadPort) {
  ParseBad("SIP/2.0/UDP h:");
  ParseBad("SIP/2.0/UDP h:65536");
  ParseBad("SIP/2.0/UDP h:abc");
  ParseBad("SIP/2.0/UDP h:;branch=z9hG4bK1");
  ParseBad("SIP/2.0/UDP [::1]:");
  EXPECT_EQ(Parse("SIP/2.0/UDP h:65535").port, 65535);
  EXPECT_EQ(Parse("SIP/2.0/UDP h:0").port, 0);
}

TEST(ViaTest, EmptyParams) {
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h;;branch=z9hG4bK1").offset, 14u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h;").offset, 14u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h;branch=z9hG4bK1;").offset, 30u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h;=x").offset, 14u);
  ParseBad("SIP/2.0/UDP h;x=");
  ParseBad("SIP/2.0/UDP h;x=\"unterminated");
}

TEST(ViaTest, GarbageAfterElement) {
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h x").offset, 14u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h:5060 x").offset, 19u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h;branch=z9hG4bK1 x").offset, 30u);
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h, SIP/2.0/UDP g").offset, 13u);  // not split first
  EXPECT_EQ(ParseBad("SIP/2.0/UDP h@x").offset, 13u);
}

TEST(ViaTest, TrailingLwsIsAllowed) {
  const Via v = Parse("SIP/2.0/UDP h;branch=z9hG4bK1 \r\n ");
  EXPECT_EQ(v.branch, "z9hG4bK1");
}

TEST(ViaTest, OffsetsCountFromOrigin) {
  const std::string msg = "Via: SIP/2.0/UDP h x";
  const std::string_view element(msg.data() + 5, msg.size() - 5);
  Via v;
  const ParseError e = parse_via(element, v, msg.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 19u);
}

TEST(ViaTest, ParseResetsPreviousResult) {
  Via v;
  ASSERT_TRUE(
      parse_via("SIP/2.0/UDP h:1;branch=z9hG4bK1;rport=2;ttl=3;maddr=h;received=192.0.2.1", v)
          .ok());
  ASSERT_TRUE(parse_via("SIP/2.0/TCP g", v).ok());
  EXPECT_EQ(v.host, "g");
  EXPECT_FALSE(v.has_port);
  EXPECT_EQ(v.branch, "");
  EXPECT_FALSE(v.has_rport);
  EXPECT_FALSE(v.has_ttl);
  EXPECT_EQ(v.maddr, "");
  EXPECT_EQ(v.received, "");
  EXPECT_EQ(v.params, "");
}

}  // namespace
}  // namespace sipwire
