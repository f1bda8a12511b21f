// RFC 5118, the IPv6 torture messages, byte-exact from tests/data/rfc5118/: accepted and
// rejected as the RFC says, with the IPv6 values a proxy routes by.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sipwire/message.h"
#include "sipwire/validate.h"
#include "test_data.h"

namespace sipwire {
namespace {

struct Parsed {
  std::string bytes;
  Message msg;
  ParseError error;
};

// Three of the RFC's messages declare a Content-Length their own SDP bodies do not have
// (tests/data/rfc5118/README.md). These cases are about IPv6 syntax, so `fix_length` sets the
// Content-Length to the body actually present before parsing.
std::unique_ptr<Parsed> parse_file(const std::string& name, bool fix_length = false) {
  auto p = std::make_unique<Parsed>();
  p->bytes = testing::read_test_file("rfc5118/" + name + ".dat");
  if (fix_length) {
    const std::size_t body = p->bytes.find("\r\n\r\n") + 4;
    const std::size_t cl = p->bytes.find("Content-Length: ");
    const std::size_t eol = p->bytes.find("\r\n", cl);
    p->bytes.replace(cl + 16, eol - cl - 16, std::to_string(p->bytes.size() - body));
  }
  p->error = parse_message(p->bytes, p->msg);
  return p;
}

TEST(Rfc5118, ValidIpv6RequestUri) {  // §4.1
  auto p = parse_file("ipv6-good");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(p->msg.request_uri().host, "[2001:db8::10]");
  EXPECT_EQ(p->msg.request_uri().host_kind, HostKind::kIpv6);
  EXPECT_FALSE(p->msg.request_uri().has_port);
  EXPECT_EQ(p->msg.top_via().host, "[2001:db8::9:1]");
  EXPECT_EQ(p->msg.top_via().host_kind, HostKind::kIpv6);
  EXPECT_TRUE(validate_all(p->msg).ok());
}

TEST(Rfc5118, Ipv6WithoutBracketsIsRejected) {  // §4.2
  auto p = parse_file("ipv6-bad");
  EXPECT_EQ(p->error.status, 400);
  EXPECT_TRUE(p->msg.is_request());
}

TEST(Rfc5118, PortAmbiguousIsPartOfTheAddress) {  // §4.3
  auto p = parse_file("port-ambiguous");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(p->msg.request_uri().host, "[2001:db8::10:5070]");
  EXPECT_FALSE(p->msg.request_uri().has_port);
}

TEST(Rfc5118, PortUnambiguous) {  // §4.4
  auto p = parse_file("port-unambiguous");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(p->msg.request_uri().host, "[2001:db8::10]");
  EXPECT_TRUE(p->msg.request_uri().has_port);
  EXPECT_EQ(p->msg.request_uri().port, 5070);
}

TEST(Rfc5118, ViaReceivedWithAndWithoutBrackets) {  // §4.5: accept both, for robustness
  auto with = parse_file("via-received-param-with-delim");
  ASSERT_TRUE(with->error.ok()) << with->error.reason;
  EXPECT_EQ(with->msg.top_via().received, "[2001:db8::9:255]");
  auto without = parse_file("via-received-param-no-delim");
  ASSERT_TRUE(without->error.ok()) << without->error.reason;
  EXPECT_EQ(without->msg.top_via().received, "2001:db8::9:255");
  EXPECT_EQ(without->msg.top_via().branch, "z9hG4bKas3");
}

TEST(Rfc5118, Ipv6InSdp) {  // §4.6
  // As the RFC prints it, the body is 17 bytes shorter than its Content-Length: over UDP that
  // is §18.3's "packet ends before the end of the body", answered 400.
  EXPECT_EQ(parse_file("ipv6-in-sdp")->error.status, 400);
  auto p = parse_file("ipv6-in-sdp", true);
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(p->msg.top_via().host, "[2001:db8::20]");
  EXPECT_NE(p->msg.body().find("c=IN IP6 2001:db8::20"), std::string_view::npos);
}

TEST(Rfc5118, MultipleIpVersionsInVias) {  // §4.7
  auto p = parse_file("mult-ip-in-header");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  HeaderElements it(p->msg, HeaderId::kVia);
  std::string_view el;
  Via via[3];
  for (Via& v : via) {
    ASSERT_TRUE(it.next(el));
    ASSERT_TRUE(parse_via(el, v).ok()) << el;
  }
  EXPECT_FALSE(it.next(el));
  EXPECT_EQ(via[0].host, "[2001:db8::9:1]");
  EXPECT_EQ(via[0].port, 6050);
  EXPECT_EQ(via[1].host_kind, HostKind::kIpv4);
  EXPECT_EQ(via[2].transport, "TCP");
  EXPECT_EQ(via[2].host, "[2001:db8::9:255]");
  EXPECT_EQ(via[2].received, "192.0.2.200");
  EXPECT_TRUE(validate_all(p->msg).ok());
}

TEST(Rfc5118, MultipleIpVersionsInSdp) {  // §4.8
  auto p = parse_file("mult-ip-in-sdp", true);
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_NE(p->msg.body().find("c=IN IP6 2001:db8::1"), std::string_view::npos);
}

TEST(Rfc5118, Ipv4MappedIpv6) {  // §4.9
  auto p = parse_file("ipv4-mapped-ipv6", true);
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(p->msg.top_via().host, "[::ffff:192.0.2.10]");
  EXPECT_EQ(p->msg.top_via().port, 19823);
  NameAddr contact;
  ASSERT_TRUE(parse_contact(p->msg.value(HeaderId::kContact), contact).ok());
  Uri uri;
  ASSERT_TRUE(parse_uri(contact.uri, uri).ok());
  EXPECT_EQ(uri.host, "[::ffff:192.0.2.2]");
  EXPECT_EQ(uri.host_kind, HostKind::kIpv6);
}

TEST(Rfc5118, ThreeColonFormIsToleratedAndTwoColonFormAccepted) {  // §4.10
  auto bug = parse_file("ipv6-bug-abnf-3-colons");
  ASSERT_TRUE(bug->error.ok()) << bug->error.reason;
  EXPECT_EQ(bug->msg.request_uri().host, "[2001:db8:::192.0.2.1]");
  EXPECT_EQ(bug->msg.request_uri().host_kind, HostKind::kIpv6);
  auto good = parse_file("ipv6-correct-abnf-2-colons");
  ASSERT_TRUE(good->error.ok()) << good->error.reason;
  EXPECT_EQ(good->msg.request_uri().host, "[2001:db8::192.0.2.1]");
}

}  // namespace
}  // namespace sipwire
