// RFC 4475, "SIP Torture Test Messages": every message, byte-exact from tests/data/rfc4475/,
// with the outcome the RFC asks of a proxy or registrar. Where the RFC allows a choice, the
// comment says which one sipwire makes (docs/PARSER.md lists them all).
#include <gtest/gtest.h>

#include <string>

#include "sipwire/message.h"
#include "sipwire/params.h"
#include "sipwire/validate.h"
#include "test_data.h"

namespace sipwire {
namespace {

using testing::read_test_file;

struct Parsed {
  std::string bytes;
  Message msg;
  ParseError error;
};

// Message is large (it holds the header index), so tests keep it off the stack.
std::unique_ptr<Parsed> parse_file(const std::string& name) {
  auto p = std::make_unique<Parsed>();
  p->bytes = read_test_file("rfc4475/" + name + ".dat");
  p->error = parse_message(p->bytes, p->msg);
  return p;
}

unsigned count_elements(const Message& m, HeaderId id) {
  HeaderElements it(m, id);
  std::string_view el;
  unsigned n = 0;
  while (it.next(el)) ++n;
  return n;
}

// ---- §3.1.1: valid messages parse, and every field a proxy reads has the right value ----

TEST(Rfc4475Valid, AllValidMessagesParseAndValidate) {
  for (const char* name : {"wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq",
                           "dblreq", "semiuri", "transports", "mpart01", "unreason", "noreason"}) {
    auto p = parse_file(name);
    EXPECT_TRUE(p->error.ok()) << name << ": " << p->error.reason << " at " << p->error.offset;
    EXPECT_TRUE(validate_all(p->msg).ok()) << name;
  }
}

TEST(Rfc4475Valid, ShortTortuousInvite) {
  auto p = parse_file("wsinv");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  const Message& m = p->msg;
  EXPECT_EQ(m.method(), Method::kInvite);
  EXPECT_EQ(m.request_uri_text(), "sip:vivekg@chair-dnrc.example.com;unknownparam");
  EXPECT_EQ(m.request_uri().user, "vivekg");
  EXPECT_EQ(m.request_uri().host, "chair-dnrc.example.com");
  EXPECT_EQ(m.to().uri, "sip:vivekg@chair-dnrc.example.com");
  EXPECT_EQ(m.to().tag(), "1918181833n");
  EXPECT_EQ(m.from().display, "\"J Rosenberg \\\\\\\"\"");
  EXPECT_EQ(m.from().tag(), "98asjd8");
  EXPECT_EQ(m.max_forwards(), 68);
  EXPECT_EQ(m.call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m.content_length(), 150u);
  EXPECT_EQ(m.body().size(), 150u);
  EXPECT_EQ(m.cseq().number, 9u);
  EXPECT_EQ(m.cseq().method, Method::kInvite);
  // "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw"
  EXPECT_EQ(m.top_via().transport, "UDP");
  EXPECT_EQ(m.top_via().host, "192.0.2.2");
  EXPECT_EQ(m.top_via().branch, "390skdjuw");
  EXPECT_FALSE(m.top_via().has_rfc3261_branch());
  EXPECT_EQ(count_elements(m, HeaderId::kVia), 3u);
  EXPECT_EQ(m.count(HeaderId::kSubject), 1u);  // "s :" with an empty value
  EXPECT_EQ(m.value(HeaderId::kSubject), "");
  EXPECT_EQ(m.count(HeaderId::kRoute), 1u);
  EXPECT_GE(m.find_by_name("NewFangledHeader"), 0);
  // The folded Contact: "m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =..."
  HeaderElements contacts(m, HeaderId::kContact);
  std::string_view el;
  ASSERT_TRUE(contacts.next(el));
  NameAddr contact;
  ASSERT_TRUE(parse_contact(el, contact).ok());
  EXPECT_EQ(contact.uri, "sip:jdrosen@example.com");
  std::string_view q;
  ASSERT_TRUE(find_param(contact.params, "q", &q));
  EXPECT_EQ(q, "0.33");
  EXPECT_TRUE(find_param(contact.params, "secondparam"));
}

TEST(Rfc4475Valid, WideRangeOfValidCharacters) {
  auto p = parse_file("intmeth");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  const Message& m = p->msg;
  EXPECT_EQ(m.method(), Method::kExtension);
  EXPECT_EQ(m.method_name(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m.cseq().method_name, m.method_name());
  EXPECT_EQ(m.request_uri().user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_TRUE(m.request_uri().has_password);
  EXPECT_EQ(m.request_uri().password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m.request_uri().host, "example.com");
  EXPECT_EQ(m.top_via().branch, "z9hG4bK-.!%66*_+`'~");
  // The To display name holds quoted-pairs of BEL, NUL and DEL.
  EXPECT_NE(m.to().display.find(std::string_view("\\\0", 2)), std::string_view::npos);
  EXPECT_EQ(m.call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
}

TEST(Rfc4475Valid, EscapesAreKeptAsWritten) {
  auto esc01 = parse_file("esc01");
  ASSERT_TRUE(esc01->error.ok());
  EXPECT_EQ(esc01->msg.request_uri().user, "sips%3Auser%40example.com");
  EXPECT_EQ(esc01->msg.request_uri().host, "example.net");

  auto escnull = parse_file("escnull");
  ASSERT_TRUE(escnull->error.ok());
  EXPECT_EQ(escnull->msg.to().uri, "sip:null-%00-null@example.com");
  EXPECT_EQ(count_elements(escnull->msg, HeaderId::kContact), 2u);

  // "%" in a method is a token character, not an escape: RE%47IST%45R is not REGISTER.
  auto esc02 = parse_file("esc02");
  ASSERT_TRUE(esc02->error.ok());
  EXPECT_EQ(esc02->msg.method(), Method::kExtension);
  EXPECT_EQ(esc02->msg.method_name(), "RE%47IST%45R");
}

TEST(Rfc4475Valid, NoLwsBetweenDisplayNameAndAngle) {
  auto p = parse_file("lwsdisp");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.from().display, "caller");
  EXPECT_EQ(p->msg.from().uri, "sip:caller@example.com");
  EXPECT_EQ(p->msg.from().tag(), "323");
}

TEST(Rfc4475Valid, LongValues) {
  auto p = parse_file("longreq");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  EXPECT_EQ(count_elements(p->msg, HeaderId::kVia), 34u);
  EXPECT_EQ(p->msg.to().display,
            "\"I have a user name of "
            "extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion\"");
  EXPECT_EQ(p->msg.from().uri.substr(0, 37), "sip:amazinglylongcallernameamazinglyl");
  EXPECT_EQ(p->msg.from().tag().size(), 155u);
  EXPECT_GT(p->msg.call_id().size(), 140u);
  const int unknown = p->msg.find_by_name(
      "Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-"
      "Name");
  ASSERT_GE(unknown, 0);
  EXPECT_EQ(p->msg.header(static_cast<std::size_t>(unknown)).id, HeaderId::kOther);
  EXPECT_EQ(p->msg.body().size(), 150u);
}

TEST(Rfc4475Valid, TrailingOctetsInDatagramAreIgnored) {
  auto p = parse_file("dblreq");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.method(), Method::kRegister);
  EXPECT_EQ(p->msg.body().size(), 0u);
  EXPECT_LT(p->msg.size(), p->bytes.size());
  EXPECT_EQ(p->msg.bytes().substr(p->msg.size() - 4), "\r\n\r\n");
}

TEST(Rfc4475Valid, SemicolonsInUserPart) {
  auto p = parse_file("semiuri");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.request_uri().user, "user;par=u%40example.net");
  EXPECT_EQ(p->msg.request_uri().host, "example.com");
}

TEST(Rfc4475Valid, VariedTransports) {
  auto p = parse_file("transports");
  ASSERT_TRUE(p->error.ok());
  HeaderElements it(p->msg, HeaderId::kVia);
  std::string_view el;
  std::string transports;
  while (it.next(el)) {
    Via via;
    ASSERT_TRUE(parse_via(el, via).ok()) << el;
    transports += std::string(via.transport) + " ";
  }
  EXPECT_EQ(transports, "UDP SCTP TLS UNKNOWN TCP ");
}

TEST(Rfc4475Valid, MultipartBodyFramedByContentLength) {
  auto p = parse_file("mpart01");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.body().size(), p->msg.content_length());
  EXPECT_EQ(p->msg.content_length(), 553u);
  EXPECT_EQ(p->msg.count(HeaderId::kContentType), 1u);  // body lines are not header fields
}

TEST(Rfc4475Valid, UnusualAndEmptyReasonPhrases) {
  auto unreason = parse_file("unreason");
  ASSERT_TRUE(unreason->error.ok());
  EXPECT_FALSE(unreason->msg.is_request());
  EXPECT_EQ(unreason->msg.status_code(), 200);
  EXPECT_EQ(unreason->msg.reason_phrase().substr(0, 15), "= 2**3 * 5**2 \xD0");

  auto noreason = parse_file("noreason");
  ASSERT_TRUE(noreason->error.ok());
  EXPECT_EQ(noreason->msg.status_code(), 100);
  EXPECT_EQ(noreason->msg.reason_phrase(), "");
}

// ---- §3.1.2: invalid messages get the status a proxy answers (responses: dropped) ----

struct InvalidCase {
  const char* name;
  uint16_t status;
  bool is_request;  // false: a response, which a proxy drops instead of answering
};

class Rfc4475Invalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(Rfc4475Invalid, RejectedWithTheRightStatus) {
  const InvalidCase& c = GetParam();
  auto p = parse_file(c.name);
  ASSERT_FALSE(p->error.ok()) << c.name << " was accepted";
  EXPECT_EQ(p->error.status, c.status) << c.name << ": " << p->error.reason;
  EXPECT_EQ(p->msg.is_request(), c.is_request) << c.name;
  EXPECT_FALSE(p->error.reason.empty());
  EXPECT_LT(p->error.offset, p->bytes.size());
}

INSTANTIATE_TEST_SUITE_P(
    Section312, Rfc4475Invalid,
    ::testing::Values(InvalidCase{"badinv01", 400, true},   // ";;,;,," in Via
                      InvalidCase{"clerr", 400, true},      // Content-Length past the datagram
                      InvalidCase{"ncl", 400, true},        // Content-Length: -999
                      InvalidCase{"scalar02", 400, true},   // CSeq over 2**31
                      InvalidCase{"scalarlg", 400, false},  // response: dropped
                      InvalidCase{"quotbal", 400, true},    // unterminated quoted display name
                      InvalidCase{"ltgtruri", 400, true},   // <> around the Request-URI
                      InvalidCase{"lwsruri", 400, true},    // LWS inside the Request-URI
                      InvalidCase{"lwsstart", 400, true},   // two SP between elements
                      InvalidCase{"trws", 400, true},       // SP after SIP-Version
                      InvalidCase{"escruri", 400, true},    // headers in the Request-URI
                      InvalidCase{"regbadct", 400, true},   // Contact addr-spec with '?'
                      InvalidCase{"badaspec", 400, true},   // spaces inside <>
                      InvalidCase{"baddn", 400, true},      // unquoted "Bell, Alexander"
                      InvalidCase{"badvers", 505, true},    // SIP/7.0
                      InvalidCase{"mismatch01", 400, true},
                      // Unknown method with a CSeq mismatch: the RFC prefers 501 at proxies.
                      InvalidCase{"mismatch02", 501, true},
                      InvalidCase{"bigcode", 400, false},  // status 4294967301: dropped
                      // §3.3.8 and §3.3.9: structural errors of the same kind.
                      InvalidCase{"multi01", 400, true}, InvalidCase{"mcl01", 400, true},
                      InvalidCase{"insuf", 400, true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Rfc4475Invalid, DefectsAreLocated) {
  // The offset points at the defect, so an operator sees which field is wrong.
  auto trws = parse_file("trws");
  EXPECT_EQ(trws->bytes.substr(trws->error.offset, 4), "  \r\n");
  auto ncl = parse_file("ncl");
  EXPECT_EQ(ncl->bytes.substr(ncl->error.offset, 4), "-999");
  auto badvers = parse_file("badvers");
  EXPECT_EQ(badvers->bytes.substr(badvers->error.offset, 7), "SIP/7.0");
  auto clerr = parse_file("clerr");
  EXPECT_EQ(clerr->bytes.substr(clerr->error.offset, 15), "Content-Length:");
}

TEST(Rfc4475Invalid, BadDateIsForwardedByAProxyButRejectedByStrictValidation) {
  // RFC 3261 §16.3 / RFC 4475 §3.1.2.12: a proxy should not reject a request over its Date;
  // an element that reads Date rejects it.
  auto p = parse_file("baddate");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  const ParseError strict = validate_all(p->msg);
  EXPECT_EQ(strict.status, 400);
  EXPECT_EQ(p->bytes.substr(strict.offset, 16), "Fri, 01 Jan 2010");
}

// ---- §3.2 / §3.3 / §3.4 ----

TEST(Rfc4475Transaction, BranchThatIsOnlyTheMagicCookie) {
  auto p = parse_file("badbranch");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.top_via().branch, "z9hG4bK");
  EXPECT_TRUE(p->msg.top_via().has_rfc3261_branch());
}

TEST(Rfc4475Application, UnknownRequestUriSchemesGet416) {
  for (const char* name : {"unkscm", "novelsc"}) {
    auto p = parse_file(name);
    ASSERT_TRUE(p->error.ok()) << name;  // well-formed: a parser accepts it
    EXPECT_EQ(p->msg.request_uri().kind, UriScheme::kOther);
    EXPECT_EQ(check_request_uri_scheme(p->msg).status, 416) << name;
  }
  auto p = parse_file("novelsc");
  EXPECT_EQ(p->msg.request_uri().scheme, "soap.beep");
}

TEST(Rfc4475Application, UnknownSchemesInHeaderFieldsParse) {
  auto p = parse_file("unksm2");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.to().uri, "isbn:2983792873");
  EXPECT_EQ(p->msg.from().uri, "http://www.example.com");
  EXPECT_EQ(p->msg.from().tag(), "3234233");
  EXPECT_EQ(p->msg.value(HeaderId::kContact), "<name:John_Smith>");
}

TEST(Rfc4475Application, ProxyRequireGets420ListingTheTags) {
  auto p = parse_file("bext01");
  ASSERT_TRUE(p->error.ok());
  const UnsupportedTags u = check_proxy_require(p->msg, {});
  EXPECT_EQ(u.error.status, 420);
  ASSERT_EQ(u.count, 2u);
  EXPECT_EQ(u.tags[0], "noProxiesSupportThis");
  EXPECT_EQ(u.tags[1], "norDoAnyProxiesSupportThis");
  EXPECT_EQ(p->msg.top_via().transport, "TLS");
}

TEST(Rfc4475Application, MessagesAProxyForwardsUnchanged) {
  // Unknown Content-Type, unknown Authorization scheme, unacceptable Accept: not a proxy's
  // business. They parse, pass the proxy checks, and validate.
  for (const char* name : {"invut", "regaut01", "sdp01", "cparam01", "cparam02", "regescrt"}) {
    auto p = parse_file(name);
    ASSERT_TRUE(p->error.ok()) << name << ": " << p->error.reason;
    EXPECT_TRUE(check_request_uri_scheme(p->msg).ok()) << name;
    EXPECT_TRUE(check_max_forwards(p->msg).ok()) << name;
    EXPECT_EQ(check_proxy_require(p->msg, {}).count, 0u) << name;
    EXPECT_TRUE(validate_all(p->msg).ok()) << name;
  }
}

TEST(Rfc4475Application, BroadcastViaResponseParses) {
  auto p = parse_file("bcast");
  ASSERT_TRUE(p->error.ok());
  EXPECT_FALSE(p->msg.is_request());
  HeaderElements vias(p->msg, HeaderId::kVia);
  std::string_view el;
  ASSERT_TRUE(vias.next(el));
  ASSERT_TRUE(vias.next(el));
  Via second;
  ASSERT_TRUE(parse_via(el, second).ok());
  EXPECT_EQ(second.host, "255.255.255.255");  // the suspicious hop a proxy must not send to
}

TEST(Rfc4475Application, ZeroMaxForwardsGets483) {
  auto p = parse_file("zeromf");
  ASSERT_TRUE(p->error.ok());
  EXPECT_EQ(p->msg.max_forwards(), 0);
  EXPECT_EQ(check_max_forwards(p->msg).status, 483);
}

TEST(Rfc4475Application, ContactParametersBelongToTheRightPart) {
  // cparam01: no <>, so ";unknownparam" is a Contact parameter, not a URI parameter.
  auto p1 = parse_file("cparam01");
  ASSERT_TRUE(p1->error.ok());
  NameAddr c1;
  ASSERT_TRUE(parse_contact(p1->msg.value(HeaderId::kContact), c1).ok());
  EXPECT_EQ(c1.uri, "sip:+19725552222@gw1.example.net");
  EXPECT_EQ(c1.params, "unknownparam");
  // cparam02: inside <>, it is part of the URI.
  auto p2 = parse_file("cparam02");
  ASSERT_TRUE(p2->error.ok());
  NameAddr c2;
  ASSERT_TRUE(parse_contact(p2->msg.value(HeaderId::kContact), c2).ok());
  EXPECT_EQ(c2.uri, "sip:+19725552222@gw1.example.net;unknownparam");
  EXPECT_EQ(c2.params, "");
  // regescrt: an escaped header inside <> is legal in a Contact.
  auto p3 = parse_file("regescrt");
  ASSERT_TRUE(p3->error.ok());
  NameAddr c3;
  ASSERT_TRUE(parse_contact(p3->msg.value(HeaderId::kContact), c3).ok());
  EXPECT_EQ(c3.uri, "sip:user@example.com?Route=%3Csip:sip.example.com%3E");
}

TEST(Rfc4475BackwardCompatibility, Rfc2543Invite) {
  auto p = parse_file("inv2543");
  ASSERT_TRUE(p->error.ok()) << p->error.reason;
  const Message& m = p->msg;
  EXPECT_FALSE(m.has_max_forwards());
  EXPECT_FALSE(m.has_content_length());
  EXPECT_TRUE(m.top_via().branch.empty());
  EXPECT_EQ(m.from().tag(), "");
  EXPECT_EQ(m.body().size(), p->bytes.size() - m.header_end());  // the rest of the datagram
}

}  // namespace
}  // namespace sipwire
