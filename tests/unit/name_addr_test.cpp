// parse_name_addr, parse_contact, parse_route and parse_qvalue (RFC 3261 §20.10, §20.20,
// §20.34, §25.1; RFC 4475 §3.1.1.4 and §3.1.2.6 style cases).
#include "sipwire/name_addr.h"
#include "sipwire/uri.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sipwire {
namespace {

NameAddr Parse(std::string_view element) {
  NameAddr a;
  const ParseError e = parse_name_addr(element, a);
  EXPECT_TRUE(e.ok()) << "\"" << element << "\": " << e.reason << " at " << e.offset;
  return a;
}

ParseError ParseBad(std::string_view element) {
  NameAddr a;
  const ParseError e = parse_name_addr(element, a);
  EXPECT_EQ(e.status, status::kBadRequest) << "\"" << element << "\" was accepted";
  return e;
}

// ---------------------------------------------------------------------------------------------
// parse_name_addr

TEST(NameAddrTest, QuotedDisplayName) {
  const NameAddr a = Parse("\"Bob Smith\" <sip:bob@biloxi.com>;tag=a6c85cf");
  EXPECT_EQ(a.display, "\"Bob Smith\"");
  EXPECT_EQ(a.uri, "sip:bob@biloxi.com");
  EXPECT_TRUE(a.angle);
  EXPECT_FALSE(a.star);
  EXPECT_EQ(a.params, "tag=a6c85cf");
  EXPECT_EQ(a.tag(), "a6c85cf");
}

TEST(NameAddrTest, QuotedDisplayNameWithEscapes) {
  const NameAddr a = Parse("\"A \\\"quoted\\\" \\\\ name\" <sip:a@b>");
  EXPECT_EQ(a.display, "\"A \\\"quoted\\\" \\\\ name\"");
  EXPECT_EQ(a.uri, "sip:a@b");
}

TEST(NameAddrTest, QuotedDisplayNameSpecialCharacters) {
  // Inside quotes, ',', ';', '<' and '>' are plain text.
  const NameAddr a = Parse("\"Bell, Alexander <x>; y\" <sip:a.g.bell@bell-tel.com>");
  EXPECT_EQ(a.display, "\"Bell, Alexander <x>; y\"");
  EXPECT_EQ(a.uri, "sip:a.g.bell@bell-tel.com");
}

TEST(NameAddrTest, QuotedDisplayNameWithoutSpaceOrEmpty) {
  EXPECT_EQ(Parse("\"A\"<sip:a@b>").display, "\"A\"");
  const NameAddr empty = Parse("\"\" <sip:a@b>");
  EXPECT_EQ(empty.display, "\"\"");
  EXPECT_EQ(empty.uri, "sip:a@b");
}

TEST(NameAddrTest, QuotedDisplayNameFoldedBeforeAngle) {
  const NameAddr a = Parse("\"A\"\r\n <sip:a@b>");
  EXPECT_EQ(a.display, "\"A\"");
  EXPECT_EQ(a.uri, "sip:a@b");
}

TEST(NameAddrTest, QuotedDisplayNameUtf8AndFold) {
  EXPECT_EQ(Parse("\"Jos\xC3\xA9\" <sip:a@b>").display, "\"Jos\xC3\xA9\"");
  EXPECT_EQ(Parse("\"A\r\n B\" <sip:a@b>").display, "\"A\r\n B\"");
}

TEST(NameAddrTest, QuotedDisplayNameWithBareLineBreakIsError) {
  ParseBad("\"A\r\nB\" <sip:a@b>");
  ParseBad("\"A\nB\" <sip:a@b>");
  ParseBad("\"A\\\r\n B\" <sip:a@b>");  // quoted-pair cannot escape CR
}

TEST(NameAddrTest, TokenDisplayName) {
  const NameAddr a = Parse("John Doe <sip:a@b>");
  EXPECT_EQ(a.display, "John Doe");
  EXPECT_EQ(a.uri, "sip:a@b");
  EXPECT_TRUE(a.angle);
}

TEST(NameAddrTest, TokenDisplayNameWithoutLws) {
  const NameAddr a = Parse("caller<sip:a@b>");
  EXPECT_EQ(a.display, "caller");
  EXPECT_EQ(a.uri, "sip:a@b");
  EXPECT_TRUE(a.angle);
}

TEST(NameAddrTest, TokenDisplayNameCharacters) {
  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  const NameAddr a = Parse("Mr.-J!o%h*n_+`'~   Doe\t<sip:a@b>");
  EXPECT_EQ(a.display, "Mr.-J!o%h*n_+`'~   Doe");
}

TEST(NameAddrTest, NoDisplayName) {
  const NameAddr a = Parse("<sip:a@b>");
  EXPECT_EQ(a.display, "");
  EXPECT_EQ(a.uri, "sip:a@b");
  EXPECT_TRUE(a.angle);
  EXPECT_EQ(a.params, "");
  EXPECT_EQ(a.tag(), "");
}

TEST(NameAddrTest, AngleUriParamsStayInsideUri) {
  const NameAddr a = Parse("<sip:p1.example.com;lr;transport=tcp?x=y>;tag=1;foo");
  EXPECT_EQ(a.uri, "sip:p1.example.com;lr;transport=tcp?x=y");
  EXPECT_EQ(a.params, "tag=1;foo");
  EXPECT_EQ(a.tag(), "1");
}

TEST(NameAddrTest, AngleUriWithIpv6) {
  const NameAddr a = Parse("<sip:[2001:db8::10]:5070>");
  EXPECT_EQ(a.uri, "sip:[2001:db8::10]:5070");
}

TEST(NameAddrTest, NonSipUris) {
  EXPECT_EQ(Parse("<tel:+12015550123>").uri, "tel:+12015550123");
  EXPECT_EQ(Parse("\"X\" <http://example.com/a?b=c>").uri, "http://example.com/a?b=c");
  EXPECT_EQ(Parse("urn:service:sos").uri, "urn:service:sos");
}

TEST(NameAddrTest, AddrSpecParamsAreHeaderParams) {
  // RFC 4475 §3.1.1.4 (cparam01): without <>, everything after the URI is a header parameter.
  const NameAddr a = Parse("sip:+1@gw;unknownparam");
  EXPECT_EQ(a.uri, "sip:+1@gw");
  EXPECT_EQ(a.params, "unknownparam");
  EXPECT_FALSE(a.angle);
  EXPECT_EQ(a.display, "");
}

TEST(NameAddrTest, AddrSpecWithTag) {
  const NameAddr a = Parse("sip:alice@atlanta.com;tag=1928301774");
  EXPECT_EQ(a.uri, "sip:alice@atlanta.com");
  EXPECT_EQ(a.tag(), "1928301774");
  EXPECT_FALSE(a.angle);
}

TEST(NameAddrTest, AddrSpecWithLwsBeforeParams) {
  const NameAddr a = Parse("sip:a@b ; tag = x1");
  EXPECT_EQ(a.uri, "sip:a@b");
  EXPECT_EQ(a.tag(), "x1");
}

TEST(NameAddrTest, TagIsCaseInsensitiveAndFirstWins) {
  EXPECT_EQ(Parse("<sip:a@b>;TAG=Abc").tag(), "Abc");
  EXPECT_EQ(Parse("<sip:a@b>;x=1;tag=t1;tag=t2").tag(), "t1");
  EXPECT_EQ(Parse("<sip:a@b>;tagx=1").tag(), "");
}

TEST(NameAddrTest, TagInsideUriIsNotAHeaderTag) {
  EXPECT_EQ(Parse("<sip:a@b;tag=inner>").tag(), "");
}

TEST(NameAddrTest, HeaderParamValues) {
  const NameAddr a = Parse("<sip:a@b>;q=0.7;expires=3600;+sip.instance=\"<urn:uuid:1;2>\";x=[::1]");
  EXPECT_EQ(a.params, "q=0.7;expires=3600;+sip.instance=\"<urn:uuid:1;2>\";x=[::1]");
}

TEST(NameAddrTest, UnterminatedQuote) {
  ParseBad("\"Bob <sip:bob@biloxi.com>");
  ParseBad("\"Bob\\\" <sip:bob@biloxi.com>");
}

TEST(NameAddrTest, QuotedDisplayNameWithoutAngle) {
  EXPECT_EQ(ParseBad("\"Bob\" sip:bob@biloxi.com").offset, 6u);
}

TEST(NameAddrTest, MissingClosingAngle) {
  EXPECT_EQ(ParseBad("<sip:a@b").offset, 8u);
  EXPECT_EQ(ParseBad("Bob <sip:a@b;tag=1").offset, 18u);
}

TEST(NameAddrTest, WhitespaceInsideAngles) {
  // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no white space inside the brackets.
  EXPECT_EQ(ParseBad("< sip:a@b>").offset, 1u);
  EXPECT_EQ(ParseBad("<\tsip:a@b>").offset, 1u);
  ParseBad("<sip:a@b >");
}

TEST(NameAddrTest, UnquotedDisplayNameWithComma) {
  // RFC 4475 §3.1.2.6 style: a display name with non-token characters must be quoted.
  EXPECT_EQ(ParseBad("Bell, Alexander <sip:a.g.bell@bell-tel.com>").offset, 0u);
  ParseBad("J@ne <sip:a@b>");
}

TEST(NameAddrTest, AddrSpecWithHeadersMustUseAngles) {
  EXPECT_EQ(ParseBad("sip:a@b?subject=x").offset, 0u);
  EXPECT_EQ(Parse("<sip:a@b?subject=x>").uri, "sip:a@b?subject=x");
}

TEST(NameAddrTest, AddrSpecWithCommaMustUseAngles) {
  // RFC 3261 §20: "the name-addr form MUST be used if the addr-spec contains a comma,
  // semicolon, or question mark" - also part of parse_name_addr's contract in name_addr.h.
  ParseBad("sip:a,b@example.com");
  EXPECT_EQ(Parse("<sip:a,b@example.com>").uri, "sip:a,b@example.com");
}

TEST(NameAddrTest, AddrSpecWithQuestionMarkMustUseAngles) {
  // RFC 3261 §20, as above: '?' is user-unreserved, so only <> may carry it.
  ParseBad("sip:a?b@example.com");
  EXPECT_EQ(Parse("<sip:a?b@example.com>").uri, "sip:a?b@example.com");
}

TEST(NameAddrTest, AddrSpecSemicolonInUserSplitsOffParams) {
  // "sip:a;b@h" without <> reads as URI "sip:a" and a header parameter "b@h", which is
  // not a valid generic-param.
  ParseBad("sip:a;b@example.com");
}

TEST(NameAddrTest, TrailingGarbage) {
  EXPECT_EQ(ParseBad("<sip:a@b> x").offset, 10u);
  EXPECT_EQ(ParseBad("<sip:a@b>x").offset, 9u);
  EXPECT_EQ(ParseBad("<sip:a@b>;tag=1 2").offset, 16u);
  EXPECT_EQ(ParseBad("sip:a@b x").offset, 8u);
  EXPECT_EQ(ParseBad("<sip:a@b>>").offset, 9u);
}

TEST(NameAddrTest, BadParams) {
  EXPECT_EQ(ParseBad("<sip:a@b>;").offset, 10u);
  EXPECT_EQ(ParseBad("<sip:a@b>;;tag=1").offset, 10u);
  EXPECT_EQ(ParseBad("<sip:a@b>;tag=").offset, 14u);
  ParseBad("<sip:a@b>;x=\"open");
}

TEST(NameAddrTest, BadUris) {
  ParseBad("");
  ParseBad("<>");
  ParseBad("<sip:>");
  ParseBad("<sip:a@b:65536>");
  ParseBad("sip:a@-b");
  ParseBad("\"A\" <sip:a@[::1>");
}

TEST(NameAddrTest, UriErrorOffsetInsideAnglesCountsFromElement) {
  // Offsets count from `origin`, which defaults to the element's data(): the invalid ' ' in
  // the URI is byte 12 of the element.
  const ParseError e = ParseBad("\"A\" <sip:a@b c>");
  EXPECT_EQ(e.offset, 12u);
}

TEST(NameAddrTest, OffsetsCountFromOrigin) {
  const std::string msg = "From: <sip:a@b c>";
  const std::string_view element(msg.data() + 6, msg.size() - 6);
  NameAddr a;
  const ParseError e = parse_name_addr(element, a, msg.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 14u);

  const std::string msg2 = "To: <sip:a@b>;;";
  const ParseError e2 = parse_name_addr(std::string_view(msg2).substr(4), a, msg2.data());
  EXPECT_EQ(e2.status, status::kBadRequest);
  EXPECT_EQ(e2.offset, 14u);
}

// ---------------------------------------------------------------------------------------------
// parse_from_to: the name-addr grammar in full, the URI by its shape only (§16.3)

TEST(FromToTest, AcceptsWhatParseNameAddrAcceptsWithTheSameResult) {
  for (std::string_view element :
       {"\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", "<sip:bob@biloxi.example.com>",
        "Bob <sips:bob@[2001:db8::10]:5061;transport=tls>;tag=a;x=\"q\"",
        "sip:alice@atlanta.example.com;tag=88sja8x", "<tel:+1-201-555-0123>",
        "<http://www.example.com>;tag=3234233", "\"A\\\"B\" <sip:a%20b@c?subject=x>"}) {
    NameAddr full, shape;
    ASSERT_TRUE(parse_name_addr(element, full).ok()) << element;
    const ParseError e = parse_from_to(element, shape);
    ASSERT_TRUE(e.ok()) << element << ": " << e.reason;
    EXPECT_EQ(shape.display, full.display) << element;
    EXPECT_EQ(shape.uri, full.uri) << element;
    EXPECT_EQ(shape.params, full.params) << element;
    EXPECT_EQ(shape.tag(), full.tag()) << element;
    EXPECT_EQ(shape.angle, full.angle) << element;
  }
}

TEST(FromToTest, UriPartsAProxyDoesNotUseAreNotJudged) {
  // A bad port or host inside a From URI: a proxy forwards it unchanged (§16.3); whoever uses
  // the URI parses it and gets the error.
  for (std::string_view element : {"<sip:alice@host:99999>;tag=1", "<sip:alice@-bad-.example>"}) {
    NameAddr a;
    EXPECT_EQ(parse_name_addr(element, a).status, status::kBadRequest) << element;
    const ParseError e = parse_from_to(element, a);
    ASSERT_TRUE(e.ok()) << element << ": " << e.reason;
    Uri uri;
    EXPECT_EQ(parse_uri(a.uri, uri).status, status::kBadRequest) << element;
  }
}

TEST(FromToTest, ShapeErrorsAreStill400) {
  struct Case {
    std::string_view element;
    uint32_t offset;
  };
  for (const Case& c :
       {Case{"<sip:a@b c>", 1}, Case{"< sip:a@b>", 1}, Case{"<alice>", 1}, Case{"<1sip:a@b>", 1},
        Case{"<sip:>", 1}, Case{"<sip:a\"b@c>", 1}, Case{"Bell, Alexander <sip:a@b>;tag=1", 0},
        Case{"<sip:a@b", 8}, Case{"<sip:a@b>;;tag=1", 10}}) {
    NameAddr a;
    const ParseError e = parse_from_to(c.element, a);
    EXPECT_EQ(e.status, status::kBadRequest) << c.element << " was accepted";
    EXPECT_EQ(e.offset, c.offset) << c.element << ": " << e.reason;
  }
}

// ---------------------------------------------------------------------------------------------
// parse_contact

NameAddr ParseContact(std::string_view element) {
  NameAddr a;
  const ParseError e = parse_contact(element, a);
  EXPECT_TRUE(e.ok()) << "\"" << element << "\": " << e.reason << " at " << e.offset;
  return a;
}

void ExpectBadContact(std::string_view element) {
  NameAddr a;
  const ParseError e = parse_contact(element, a);
  EXPECT_EQ(e.status, status::kBadRequest) << "\"" << element << "\" was accepted";
}

TEST(ContactTest, Star) {
  const NameAddr a = ParseContact("*");
  EXPECT_TRUE(a.star);
  EXPECT_EQ(a.uri, "");
  EXPECT_EQ(a.params, "");
  EXPECT_FALSE(a.angle);
}

TEST(ContactTest, StarWithParamsIsError) {
  ExpectBadContact("*;q=1");
  ExpectBadContact("**");
}

TEST(ContactTest, StarIsNotAName) {
  NameAddr a;
  EXPECT_EQ(parse_name_addr("*", a).status, status::kBadRequest);
  EXPECT_EQ(parse_route("*", a).status, status::kBadRequest);
}

TEST(ContactTest, NameAddrContact) {
  const NameAddr a =
      ParseContact("\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7;expires=3600");
  EXPECT_FALSE(a.star);
  EXPECT_EQ(a.display, "\"Mr. Watson\"");
  EXPECT_EQ(a.uri, "sip:watson@worcester.bell-telephone.com");
  EXPECT_EQ(a.params, "q=0.7;expires=3600");
}

TEST(ContactTest, AddrSpecContact) {
  const NameAddr a = ParseContact("sip:alice@192.0.2.4;expires=0");
  EXPECT_EQ(a.uri, "sip:alice@192.0.2.4");
  EXPECT_EQ(a.params, "expires=0");
}

TEST(ContactTest, ValidQValues) {
  for (const char* q : {"0", "0.5", "1", "1.000", "1.", "0.", "0.001", "0.999", "1.0", "1.00"}) {
    const std::string element = std::string("<sip:a@b>;q=") + q;
    NameAddr a;
    EXPECT_TRUE(parse_contact(element, a).ok()) << element;
  }
  EXPECT_TRUE(ParseContact("<sip:a@b>;Q=0.25").params == "Q=0.25");
}

TEST(ContactTest, InvalidQValues) {
  for (const char* q :
       {"1.5", "2", "0.1234", "1.001", "-0.5", ".5", "00.5", "0,5", "abc", "1.0000"}) {
    const std::string element = std::string("<sip:a@b>;q=") + q;
    NameAddr a;
    EXPECT_EQ(parse_contact(element, a).status, status::kBadRequest) << element;
  }
  ExpectBadContact("<sip:a@b>;q");
  ExpectBadContact("<sip:a@b>;q=\"0.5\"");
}

TEST(ContactTest, Expires) {
  EXPECT_EQ(ParseContact("<sip:a@b>;expires=3600").params, "expires=3600");
  EXPECT_EQ(ParseContact("<sip:a@b>;expires=99999999999").params, "expires=99999999999");
  ExpectBadContact("<sip:a@b>;expires=abc");
  ExpectBadContact("<sip:a@b>;expires=-1");
  ExpectBadContact("<sip:a@b>;expires");
  ExpectBadContact("<sip:a@b>;EXPIRES=1h");
}

TEST(ContactTest, QAndExpiresInsideUriAreNotChecked) {
  const NameAddr a = ParseContact("<sip:a@b;q=2;expires=x>");
  EXPECT_EQ(a.uri, "sip:a@b;q=2;expires=x");
  EXPECT_FALSE(a.has_expires);  // URI parameters, not the Contact's
  EXPECT_EQ(a.q, 1000);
}

TEST(ContactTest, TheFirstExpiresAndQAreReadForTheRegistrar) {
  // What a registrar stores: the first of each, whichever parameters sit in between, on the
  // fast path (plain shapes) and on the general one (white space, a quoted-pair).
  for (const char* element :
       {"<sip:a@b>;expires=60;+sip.instance=\"<urn:uuid:1>\";q=0.5;expires=30;q=1",
        "<sip:a@b> ; expires = 60 ; x=\"a\\\"b\" ; q=0.5;expires=30;q=1",
        "sip:a@b;Expires=60;Q=0.5;q=1"}) {
    const NameAddr a = ParseContact(element);
    EXPECT_TRUE(a.has_expires) << element;
    EXPECT_EQ(a.expires, 60u) << element;
    EXPECT_EQ(a.q, 500) << element;
  }
  const NameAddr none = ParseContact("<sip:a@b>;+sip.instance=\"<urn:uuid:1>\"");
  EXPECT_FALSE(none.has_expires);
  EXPECT_EQ(none.q, 1000);
  // Too many seconds to count saturate, as for the Expires header.
  EXPECT_EQ(ParseContact("<sip:a@b>;expires=99999999999").expires, UINT32_MAX);
}

TEST(ContactTest, ContactRejectsWhatNameAddrRejects) {
  ExpectBadContact("<sip:a@b");
  ExpectBadContact("sip:a@b?x=y");
  ExpectBadContact("Bell, Alexander <sip:a@b>");
}

TEST(ContactTest, BadParamOffsetPointsIntoTheParam) {
  const std::string msg = "Contact: <sip:a@b>;q=2";
  const std::string_view element = std::string_view(msg).substr(9);
  NameAddr a;
  const ParseError e = parse_contact(element, a, msg.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  // The defect is the "q=2" parameter (bytes 19..21), not the start of the element.
  EXPECT_GE(e.offset, 19u);
  EXPECT_LE(e.offset, 22u);
}

// ---------------------------------------------------------------------------------------------
// parse_route

TEST(RouteTest, NameAddrRequired) {
  NameAddr a;
  ASSERT_TRUE(parse_route("<sip:p1.example.com;lr>", a).ok());
  EXPECT_EQ(a.uri, "sip:p1.example.com;lr");
  EXPECT_TRUE(a.angle);
  EXPECT_EQ(a.params, "");

  ASSERT_TRUE(parse_route("\"proxy\" <sip:p2.example.com;lr>;x=1", a).ok());
  EXPECT_EQ(a.display, "\"proxy\"");
  EXPECT_EQ(a.params, "x=1");
}

TEST(RouteTest, AddrSpecIsError) {
  NameAddr a;
  const ParseError e = parse_route("sip:p1.example.com;lr", a);
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 0u);
}

TEST(RouteTest, AddrSpecOffsetCountsFromOrigin) {
  const std::string msg = "Route: sip:p1.example.com";
  NameAddr a;
  const ParseError e = parse_route(std::string_view(msg).substr(7), a, msg.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 7u);
}

TEST(RouteTest, MalformedNameAddrIsError) {
  NameAddr a;
  EXPECT_EQ(parse_route("<sip:p1.example.com;lr", a).status, status::kBadRequest);
  EXPECT_EQ(parse_route("<sip:p1.example.com;lr> x", a).status, status::kBadRequest);
}

// The Uri parse_route gives is the one parse_uri gives for its URI text, on the shapes the
// fast path takes and on those it leaves to the general grammar (a display name with a
// quoted-pair, LWS around the brackets, an escaped user, an IPv6 reference).
TEST(RouteTest, ParsedUriIsParseUrisResult) {
  for (std::string_view el : {
           "<sip:10.0.0.2:5070;lr>",
           "<sip:proxy.example.com;lr;transport=udp>",
           "\"a \\\"b\\\"\" <sip:p1.example.com;lr>",
           "x  <sip:p1.example.com;lr>  ;y=1",
           "<sip:us%65r@[2001:db8::1]:5061;lr>",
           "<sips:edge.example.net>",
       }) {
    SCOPED_TRACE(el);
    NameAddr a;
    Uri uri;
    ASSERT_TRUE(parse_route(el, a, uri).ok());
    Uri expected;
    ASSERT_TRUE(parse_uri(a.uri, expected).ok());
    EXPECT_EQ(uri.text, expected.text);
    EXPECT_EQ(uri.kind, expected.kind);
    EXPECT_EQ(uri.user, expected.user);
    EXPECT_EQ(uri.host, expected.host);
    EXPECT_EQ(uri.host_kind, expected.host_kind);
    EXPECT_EQ(uri.port, expected.port);
    EXPECT_EQ(uri.has_port, expected.has_port);
    EXPECT_EQ(uri.params, expected.params);
  }
}

TEST(RouteTest, UriFormRejectsWhatTheOtherRejects) {
  for (std::string_view el : {"sip:p1.example.com;lr", "<sip:p1.example.com;lr", "<sip:a b>",
                              "<sip:p1.example.com:99999>", "<sip:%zz@p1.example.com>"}) {
    SCOPED_TRACE(el);
    NameAddr a, b;
    Uri uri;
    const ParseError with_uri = parse_route(el, a, uri);
    const ParseError without = parse_route(el, b);
    EXPECT_EQ(with_uri.status, status::kBadRequest);
    EXPECT_EQ(with_uri.status, without.status);
    EXPECT_EQ(with_uri.offset, without.offset);
  }
}

// ---------------------------------------------------------------------------------------------
// parse_qvalue

TEST(QValueTest, Valid) {
  unsigned q = 12345;
  EXPECT_TRUE(parse_qvalue("0", q));
  EXPECT_EQ(q, 0u);
  EXPECT_TRUE(parse_qvalue("1", q));
  EXPECT_EQ(q, 1000u);
  EXPECT_TRUE(parse_qvalue("0.5", q));
  EXPECT_EQ(q, 500u);
  EXPECT_TRUE(parse_qvalue("0.05", q));
  EXPECT_EQ(q, 50u);
  EXPECT_TRUE(parse_qvalue("0.123", q));
  EXPECT_EQ(q, 123u);
  EXPECT_TRUE(parse_qvalue("0.999", q));
  EXPECT_EQ(q, 999u);
  EXPECT_TRUE(parse_qvalue("1.000", q));
  EXPECT_EQ(q, 1000u);
  EXPECT_TRUE(parse_qvalue("1.", q));
  EXPECT_EQ(q, 1000u);
  EXPECT_TRUE(parse_qvalue("0.", q));
  EXPECT_EQ(q, 0u);
}

TEST(QValueTest, Invalid) {
  unsigned q = 777;
  for (const char* text : {"", "2", "1.5", "1.001", "1.01", "1.1", "0.1234", "1.0000", ".5", "00",
                           "01", "0..5", "0.5x", "0.a", "-0", "+1", " 0.5", "0.5 ", "0,5"}) {
    EXPECT_FALSE(parse_qvalue(text, q)) << "\"" << text << "\"";
  }
  EXPECT_EQ(q, 777u);  // untouched on failure
}

}  // namespace
}  // namespace sipwire
