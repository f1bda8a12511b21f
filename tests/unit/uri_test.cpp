// parse_uri, classify_host, is_ipv4_address and is_ipv6_address: RFC 3261 §19.1 and §25.1,
// RFC 3966 (tel), RFC 5118 (IPv6).
#include "sipwire/uri.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace sipwire {
namespace {

// Parses `text` expecting success and returns the result.
Uri Parse(std::string_view text) {
  Uri u;
  const ParseError e = parse_uri(text, u);
  EXPECT_TRUE(e.ok()) << "\"" << text << "\": " << e.reason << " at " << e.offset;
  return u;
}

// Parses `text` expecting a 400 and returns the error.
ParseError ParseBad(std::string_view text) {
  Uri u;
  const ParseError e = parse_uri(text, u);
  EXPECT_EQ(e.status, status::kBadRequest) << "\"" << text << "\" was accepted";
  return e;
}

// ---------------------------------------------------------------------------------------------
// Schemes

TEST(UriSchemeTest, SipWithUserHostPort) {
  const Uri u = Parse("sip:alice@atlanta.example.com:5060");
  EXPECT_EQ(u.text, "sip:alice@atlanta.example.com:5060");
  EXPECT_EQ(u.scheme, "sip");
  EXPECT_EQ(u.kind, UriScheme::kSip);
  EXPECT_TRUE(u.is_sip());
  EXPECT_EQ(u.user, "alice");
  EXPECT_FALSE(u.has_password);
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.host, "atlanta.example.com");
  EXPECT_EQ(u.host_kind, HostKind::kName);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 5060);
  EXPECT_EQ(u.params, "");
  EXPECT_FALSE(u.has_headers);
  EXPECT_EQ(u.headers, "");
  EXPECT_EQ(u.opaque, "");
}

TEST(UriSchemeTest, SipWithoutUserOrPort) {
  const Uri u = Parse("sip:registrar.biloxi.com");
  EXPECT_EQ(u.kind, UriScheme::kSip);
  EXPECT_EQ(u.user, "");
  EXPECT_EQ(u.host, "registrar.biloxi.com");
  EXPECT_FALSE(u.has_port);
  EXPECT_EQ(u.port, 0);
}

TEST(UriSchemeTest, Sips) {
  const Uri u = Parse("sips:bob@biloxi.com");
  EXPECT_EQ(u.scheme, "sips");
  EXPECT_EQ(u.kind, UriScheme::kSips);
  EXPECT_TRUE(u.is_sip());
  EXPECT_EQ(u.user, "bob");
  EXPECT_EQ(u.host, "biloxi.com");
}

TEST(UriSchemeTest, SchemeIsCaseInsensitiveAndKeptAsWritten) {
  const Uri sip = Parse("SIP:bob@biloxi.com");
  EXPECT_EQ(sip.scheme, "SIP");
  EXPECT_EQ(sip.kind, UriScheme::kSip);
  EXPECT_EQ(sip.host, "biloxi.com");

  EXPECT_EQ(Parse("SiPs:bob@biloxi.com").kind, UriScheme::kSips);
  EXPECT_EQ(Parse("TEL:+12015550123").kind, UriScheme::kTel);
}

TEST(UriSchemeTest, TelGlobalNumber) {
  const Uri u = Parse("tel:+1-201-555-0123");
  EXPECT_EQ(u.kind, UriScheme::kTel);
  EXPECT_FALSE(u.is_sip());
  EXPECT_EQ(u.user, "+1-201-555-0123");
  EXPECT_EQ(u.host, "");
  EXPECT_EQ(u.host_kind, HostKind::kNone);
  EXPECT_EQ(u.params, "");
}

TEST(UriSchemeTest, TelLocalNumberWithParams) {
  const Uri u = Parse("tel:7042;phone-context=example.com;ext=22");
  EXPECT_EQ(u.kind, UriScheme::kTel);
  EXPECT_EQ(u.user, "7042");
  EXPECT_EQ(u.params, "phone-context=example.com;ext=22");
}

TEST(UriSchemeTest, TelVisualSeparatorsAndLocalDigits) {
  EXPECT_EQ(Parse("tel:+1(201)555.0123").user, "+1(201)555.0123");
  EXPECT_EQ(Parse("tel:*21#;phone-context=+1").user, "*21#");
}

TEST(UriSchemeTest, TelWithoutDigitsIsError) {
  EXPECT_EQ(ParseBad("tel:+").offset, 4u);
  EXPECT_EQ(ParseBad("tel:").offset, 4u);
  EXPECT_EQ(ParseBad("tel:--").offset, 4u);
}

TEST(UriSchemeTest, TelHeadersAreError) {
  // tel URIs have no "?headers" part (RFC 3966 §3).
  EXPECT_EQ(ParseBad("tel:+12015550123?a=b").offset, 16u);
}

TEST(UriSchemeTest, TelGlobalNumberWithHexDigitsIsError) {
  // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit, and
  // phonedigit = DIGIT / visual-separator: hex digits only belong to local numbers.
  ParseBad("tel:+abc");
}

TEST(UriSchemeTest, TelPlusInsideNumberIsError) {
  // RFC 3966 §3: "+" only starts a global number; it is no phonedigit or visual separator.
  ParseBad("tel:+1+2");
}

TEST(UriSchemeTest, OtherSchemesAreOpaque) {
  const Uri isbn = Parse("isbn:0-395-36341-1");
  EXPECT_EQ(isbn.kind, UriScheme::kOther);
  EXPECT_FALSE(isbn.is_sip());
  EXPECT_EQ(isbn.scheme, "isbn");
  EXPECT_EQ(isbn.opaque, "0-395-36341-1");
  EXPECT_EQ(isbn.host, "");
  EXPECT_EQ(isbn.user, "");

  const Uri http = Parse("http://www.example.com/a/b?x=1&y=%20z");
  EXPECT_EQ(http.kind, UriScheme::kOther);
  EXPECT_EQ(http.scheme, "http");
  EXPECT_EQ(http.opaque, "//www.example.com/a/b?x=1&y=%20z");
  EXPECT_FALSE(http.has_headers);

  const Uri urn = Parse("urn:service:sos");
  EXPECT_EQ(urn.scheme, "urn");
  EXPECT_EQ(urn.opaque, "service:sos");

  const Uri mailto = Parse("mailto:watson@bell-telephone.com");
  EXPECT_EQ(mailto.opaque, "watson@bell-telephone.com");
}

TEST(UriSchemeTest, SchemeCharacters) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  const Uri u = Parse("x-a.b+c1:foo");
  EXPECT_EQ(u.scheme, "x-a.b+c1");
  EXPECT_EQ(u.kind, UriScheme::kOther);
  EXPECT_EQ(u.opaque, "foo");
}

TEST(UriSchemeTest, SchemeErrors) {
  EXPECT_EQ(ParseBad("").offset, 0u);
  EXPECT_EQ(ParseBad("1sip:a@b").offset, 0u);
  EXPECT_EQ(ParseBad(":a@b").offset, 0u);
  EXPECT_EQ(ParseBad("sip").offset, 3u);
  EXPECT_EQ(ParseBad("si p:a@b").offset, 2u);
}

TEST(UriSchemeTest, OpaqueErrors) {
  EXPECT_EQ(ParseBad("mailto:").offset, 7u);
  EXPECT_EQ(ParseBad("http://a/b c").offset, 10u);
  EXPECT_EQ(ParseBad("http://a/b#frag").offset, 10u);
  EXPECT_EQ(ParseBad("urn:a%4").offset, 5u);
  EXPECT_EQ(ParseBad("urn:a%zz").offset, 5u);
  EXPECT_EQ(ParseBad("urn:a\"b").offset, 5u);
}

// ---------------------------------------------------------------------------------------------
// userinfo

TEST(UriUserTest, EscapedUser) {
  const Uri u = Parse("sip:%41lice@example.com");
  EXPECT_EQ(u.user, "%41lice");  // kept as written, not unescaped
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(Parse("sip:a%20b%7e@h").user, "a%20b%7e");
}

TEST(UriUserTest, BadEscapeInUser) {
  const ParseError short_escape = ParseBad("sip:%4@example.com");
  EXPECT_EQ(short_escape.offset, 4u);
  const ParseError non_hex = ParseBad("sip:ab%GG@example.com");
  EXPECT_EQ(non_hex.offset, 6u);
  EXPECT_EQ(ParseBad("sip:ab%@example.com").offset, 6u);
}

TEST(UriUserTest, UserUnreservedCharacters) {
  // user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
  const Uri u = Parse("sip:a&b=c+d$e,f;g?h/i@example.com");
  EXPECT_EQ(u.user, "a&b=c+d$e,f;g?h/i");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.params, "");
  EXPECT_FALSE(u.has_headers);
}

TEST(UriUserTest, UnreservedMarksInUser) {
  EXPECT_EQ(Parse("sip:-_.!~*'()@h").user, "-_.!~*'()");
  EXPECT_EQ(Parse("sip:+12125551212@gw.example.com;user=phone").user, "+12125551212");
}

TEST(UriUserTest, InvalidCharacterInUserReportsItsOffset) {
  EXPECT_EQ(ParseBad("sip:al\"ice@example.com").offset, 6u);
  EXPECT_EQ(ParseBad("sip:al ice@example.com").offset, 6u);
  EXPECT_EQ(ParseBad("sip:a<b@example.com").offset, 5u);
}

TEST(UriUserTest, EmptyUserIsError) {
  EXPECT_EQ(ParseBad("sip:@example.com").offset, 4u);
  EXPECT_EQ(ParseBad("sip::pw@example.com").offset, 4u);
}

TEST(UriUserTest, SecondAtSignIsError) {
  EXPECT_EQ(ParseBad("sip:a@b@example.com").offset, 7u);
}

TEST(UriUserTest, Password) {
  const Uri u = Parse("sip:alice:secretword@atlanta.com;transport=tcp");
  EXPECT_EQ(u.user, "alice");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "secretword");
  EXPECT_EQ(u.host, "atlanta.com");
  EXPECT_EQ(u.params, "transport=tcp");
}

TEST(UriUserTest, PasswordCharactersAndEscapes) {
  // password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
  const Uri u = Parse("sip:u:a&=+$,%2F-_@h");
  EXPECT_EQ(u.password, "a&=+$,%2F-_");
  EXPECT_TRUE(u.has_password);
}

TEST(UriUserTest, EmptyPasswordIsAllowed) {
  const Uri u = Parse("sip:alice:@atlanta.com");
  EXPECT_TRUE(u.has_password);
  EXPECT_EQ(u.password, "");
  EXPECT_EQ(u.user, "alice");
}

TEST(UriUserTest, PasswordErrors) {
  // ';', '?' and '/' are user-unreserved but not allowed in a password.
  EXPECT_EQ(ParseBad("sip:u:p;w@h").offset, 7u);
  EXPECT_EQ(ParseBad("sip:u:p?w@h").offset, 7u);
  EXPECT_EQ(ParseBad("sip:u:p%4w@h").offset, 7u);
  EXPECT_EQ(ParseBad("sip:u:p:w@h").offset, 7u);
}

// ---------------------------------------------------------------------------------------------
// host

TEST(UriHostTest, Ipv4Host) {
  const Uri u = Parse("sip:alice@192.0.2.4:5070");
  EXPECT_EQ(u.host, "192.0.2.4");
  EXPECT_EQ(u.host_kind, HostKind::kIpv4);
  EXPECT_EQ(u.port, 5070);
}

TEST(UriHostTest, Ipv6ReferenceKeepsBrackets) {
  const Uri u = Parse("sip:[2001:db8::10]:5070");
  EXPECT_EQ(u.host, "[2001:db8::10]");
  EXPECT_EQ(u.host_kind, HostKind::kIpv6);
  EXPECT_TRUE(u.has_port);
  EXPECT_EQ(u.port, 5070);
}

TEST(UriHostTest, Ipv6Forms) {
  EXPECT_EQ(Parse("sip:[::]").host_kind, HostKind::kIpv6);
  EXPECT_EQ(Parse("sip:[::1]").host, "[::1]");
  EXPECT_EQ(Parse("sips:alice@[::ffff:192.0.2.1]").host, "[::ffff:192.0.2.1]");
  EXPECT_EQ(Parse("sip:[2001:db8:0:0:0:0:192.0.2.1]").host_kind, HostKind::kIpv6);
  EXPECT_EQ(Parse("sip:[2001:DB8:0:0:8:800:200C:417A];lr").params, "lr");
}

TEST(UriHostTest, Ipv6ToleratedTripleColonBeforeIpv4) {
  // RFC 5118 §4.10: "2001:db8:::192.0.2.1" stems from an RFC 3261 ABNF bug; accept it.
  const Uri u = Parse("sip:[2001:db8:::192.0.2.1]");
  EXPECT_EQ(u.host, "[2001:db8:::192.0.2.1]");
  EXPECT_EQ(u.host_kind, HostKind::kIpv6);
}

TEST(UriHostTest, BadIpv6References) {
  EXPECT_EQ(ParseBad("sip:[2001:db8::10").offset, 4u);
  EXPECT_EQ(ParseBad("sip:alice@[1:2:3:4:5:6:7:8:9]").offset, 10u);
  EXPECT_EQ(ParseBad("sip:[::1::2]").offset, 4u);
  EXPECT_EQ(ParseBad("sip:[]").offset, 4u);
  EXPECT_EQ(ParseBad("sip:[2001:db8::g]").offset, 4u);
  EXPECT_EQ(ParseBad("sip:[12345::1]").offset, 4u);
  EXPECT_EQ(ParseBad("sip:2001:db8::1").offset, 4u);  // IPv6 without brackets
  EXPECT_EQ(ParseBad("sip:[::1]x").offset, 9u);
}

TEST(UriHostTest, HostnameRules) {
  EXPECT_EQ(Parse("sip:a").host_kind, HostKind::kName);
  EXPECT_EQ(Parse("sip:example.com.").host, "example.com.");  // trailing dot allowed
  EXPECT_EQ(Parse("sip:example.com.").host_kind, HostKind::kName);
  EXPECT_EQ(Parse("sip:1-a.b-2.x3").host, "1-a.b-2.x3");
  EXPECT_EQ(Parse("sip:example.com.:5060").port, 5060);
}

TEST(UriHostTest, HostnameErrors) {
  EXPECT_EQ(ParseBad("sip:").offset, 4u);
  EXPECT_EQ(ParseBad("sip:alice@").offset, 10u);
  EXPECT_EQ(ParseBad("sip:-a.com").offset, 4u);
  EXPECT_EQ(ParseBad("sip:a-.com").offset, 4u);
  EXPECT_EQ(ParseBad("sip:a..com").offset, 4u);
  EXPECT_EQ(ParseBad("sip:.com").offset, 4u);
  EXPECT_EQ(ParseBad("sip:a.1com").offset, 4u);  // toplabel starts with a letter
  EXPECT_EQ(ParseBad("sip:123").offset, 4u);
  EXPECT_EQ(ParseBad("sip:1.2.3").offset, 4u);
  EXPECT_EQ(ParseBad("sip:256.1.1.1").offset, 4u);
  EXPECT_EQ(ParseBad("sip:a_b.com").offset, 5u);  // '_' ends the host: invalid character
}

TEST(UriHostTest, PortBounds) {
  const Uri zero = Parse("sip:h:0");
  EXPECT_TRUE(zero.has_port);
  EXPECT_EQ(zero.port, 0);
  EXPECT_EQ(Parse("sip:h:65535").port, 65535);
  EXPECT_EQ(Parse("sip:[::1]:1").port, 1);
}

TEST(UriHostTest, PortErrors) {
  EXPECT_EQ(ParseBad("sip:h:65536").status, status::kBadRequest);
  EXPECT_EQ(ParseBad("sip:h:99999999999").status, status::kBadRequest);
  EXPECT_EQ(ParseBad("sip:h:4294972356").status, status::kBadRequest);  // 2**32 + 5060
  EXPECT_EQ(ParseBad("sip:h:").offset, 6u);
  EXPECT_EQ(ParseBad("sip:h:x").offset, 6u);
  EXPECT_EQ(ParseBad("sip:h:50a").offset, 8u);
  EXPECT_EQ(ParseBad("sip:h:-1").offset, 6u);
}

// ---------------------------------------------------------------------------------------------
// uri-parameters and headers

TEST(UriParamsTest, CommonParameters) {
  const Uri u = Parse("sip:p1.example.com;lr;transport=tcp;maddr=239.255.255.1;ttl=15");
  EXPECT_EQ(u.host, "p1.example.com");
  EXPECT_EQ(u.params, "lr;transport=tcp;maddr=239.255.255.1;ttl=15");
  EXPECT_FALSE(u.has_headers);
}

TEST(UriParamsTest, ParamCharactersAndEscapes) {
  // paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $
  const Uri u = Parse("sip:h;x=[a]/b:c&d+e$f;y%3B=%20");
  EXPECT_EQ(u.params, "x=[a]/b:c&d+e$f;y%3B=%20");
}

TEST(UriParamsTest, ParamErrors) {
  EXPECT_EQ(ParseBad("sip:h;").offset, 6u);         // empty name at the end
  EXPECT_EQ(ParseBad("sip:h;;lr").offset, 6u);      // empty name between
  EXPECT_EQ(ParseBad("sip:h;=x").offset, 6u);       // value without a name
  EXPECT_EQ(ParseBad("sip:h;x=").offset, 8u);       // pvalue = 1*paramchar
  EXPECT_EQ(ParseBad("sip:h;x=%4").offset, 8u);     // bad escape in value
  EXPECT_EQ(ParseBad("sip:h;x%GG=1").offset, 7u);   // bad escape in name
  EXPECT_EQ(ParseBad("sip:h;x=a b").offset, 9u);    // space
  EXPECT_EQ(ParseBad("sip:h;x=\"a\"").offset, 8u);  // no quoted strings in URIs
}

TEST(UriParamsTest, Headers) {
  const Uri u =
      Parse("sip:alice@atlanta.com;maddr=239.255.255.1?subject=project%20x&priority=urgent");
  EXPECT_EQ(u.params, "maddr=239.255.255.1");
  EXPECT_TRUE(u.has_headers);
  EXPECT_EQ(u.headers, "subject=project%20x&priority=urgent");
}

TEST(UriParamsTest, HeadersWithoutParams) {
  const Uri u = Parse("sip:h?a=b&c=d");
  EXPECT_EQ(u.params, "");
  EXPECT_TRUE(u.has_headers);
  EXPECT_EQ(u.headers, "a=b&c=d");
}

TEST(UriParamsTest, HeaderWithEmptyValue) {
  // hvalue = *( hnv-unreserved / unreserved / escaped )
  const Uri u = Parse("sip:h?body=");
  EXPECT_TRUE(u.has_headers);
  EXPECT_EQ(u.headers, "body=");
}

TEST(UriParamsTest, HeaderErrors) {
  EXPECT_EQ(ParseBad("sip:h?a").offset, 7u);      // header without '='
  EXPECT_EQ(ParseBad("sip:h?").offset, 6u);       // empty
  EXPECT_EQ(ParseBad("sip:h?=b").offset, 6u);     // empty hname
  EXPECT_EQ(ParseBad("sip:h?a=b&").offset, 10u);  // empty header after '&'
  EXPECT_EQ(ParseBad("sip:h?a=%4").offset, 8u);   // bad escape
  EXPECT_EQ(ParseBad("sip:h?a=b c").offset, 9u);
  EXPECT_EQ(ParseBad("sip:h?a=b;lr").offset, 9u);  // params cannot follow headers
}

TEST(UriParamsTest, InvalidCharacterAfterHostReportsItsOffset) {
  EXPECT_EQ(ParseBad("sip:alice@atlanta.com x").offset, 21u);
  EXPECT_EQ(ParseBad("sip:alice@atlanta.com>").offset, 21u);
}

TEST(UriParamsTest, OffsetsCountFromOrigin) {
  const std::string buffer = "To: <sip:h:x>";
  const std::string_view uri(buffer.data() + 5, 7);  // "sip:h:x"
  Uri u;
  const ParseError e = parse_uri(uri, u, buffer.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 11u);
}

TEST(UriParamsTest, ParseResetsPreviousResult) {
  Uri u;
  ASSERT_TRUE(parse_uri("sip:a:b@h:5;lr?x=y", u).ok());
  ASSERT_TRUE(parse_uri("sip:h2", u).ok());
  EXPECT_EQ(u.user, "");
  EXPECT_FALSE(u.has_password);
  EXPECT_FALSE(u.has_port);
  EXPECT_EQ(u.params, "");
  EXPECT_FALSE(u.has_headers);
  EXPECT_EQ(u.host, "h2");
}

// ---------------------------------------------------------------------------------------------
// classify_host, is_ipv4_address, is_ipv6_address

TEST(HostSyntaxTest, Ipv4Addresses) {
  EXPECT_TRUE(is_ipv4_address("0.0.0.0"));
  EXPECT_TRUE(is_ipv4_address("255.255.255.255"));
  EXPECT_TRUE(is_ipv4_address("192.0.2.1"));
  EXPECT_TRUE(is_ipv4_address("010.001.1.1"));  // 1*3DIGIT

  EXPECT_FALSE(is_ipv4_address(""));
  EXPECT_FALSE(is_ipv4_address("1.2.3"));
  EXPECT_FALSE(is_ipv4_address("1.2.3.4.5"));
  EXPECT_FALSE(is_ipv4_address("1.2.3.4."));
  EXPECT_FALSE(is_ipv4_address(".1.2.3.4"));
  EXPECT_FALSE(is_ipv4_address("1..3.4"));
  EXPECT_FALSE(is_ipv4_address("256.1.1.1"));
  EXPECT_FALSE(is_ipv4_address("1.2.3.256"));
  EXPECT_FALSE(is_ipv4_address("0001.2.3.4"));
  EXPECT_FALSE(is_ipv4_address("1.2.3.a"));
  EXPECT_FALSE(is_ipv4_address(" 1.2.3.4"));
}

TEST(HostSyntaxTest, Ipv6Addresses) {
  EXPECT_TRUE(is_ipv6_address("::"));
  EXPECT_TRUE(is_ipv6_address("::1"));
  EXPECT_TRUE(is_ipv6_address("1::"));
  EXPECT_TRUE(is_ipv6_address("2001:db8::10"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:7:8"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:7::"));
  EXPECT_TRUE(is_ipv6_address("::2:3:4:5:6:7:8"));
  EXPECT_TRUE(is_ipv6_address("FFFF:abcd:0:0:0:0:0:1"));
  EXPECT_TRUE(is_ipv6_address("::ffff:192.0.2.1"));
  EXPECT_TRUE(is_ipv6_address("::192.0.2.1"));
  EXPECT_TRUE(is_ipv6_address("1:2:3:4:5:6:192.0.2.1"));
  EXPECT_TRUE(is_ipv6_address("2001:db8:::192.0.2.1"));  // RFC 5118 §4.10

  EXPECT_FALSE(is_ipv6_address(""));
  EXPECT_FALSE(is_ipv6_address(":"));
  EXPECT_FALSE(is_ipv6_address(":::"));
  EXPECT_FALSE(is_ipv6_address(":1"));
  EXPECT_FALSE(is_ipv6_address("1:"));
  EXPECT_FALSE(is_ipv6_address("1:2"));
  EXPECT_FALSE(is_ipv6_address("[::1]"));  // brackets are not part of the address
  EXPECT_FALSE(is_ipv6_address("::1::2"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7:8::"));
  EXPECT_FALSE(is_ipv6_address("1::2:3:4:5:6:7:8"));  // "::" must stand for a group
  EXPECT_FALSE(is_ipv6_address("12345::1"));
  EXPECT_FALSE(is_ipv6_address("2001:db8::g"));
  EXPECT_FALSE(is_ipv6_address("1::2:"));
  EXPECT_FALSE(is_ipv6_address("2001:db8:::1"));  // third colon only before a dotted quad
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:6:7:192.0.2.1"));
  EXPECT_FALSE(is_ipv6_address("1:2:3:4:5:192.0.2.1"));
  EXPECT_FALSE(is_ipv6_address("::ffff:192.0.2"));
  EXPECT_FALSE(is_ipv6_address("::ffff:192.0.2.256"));
  EXPECT_FALSE(is_ipv6_address("192.0.2.1"));
}

TEST(HostSyntaxTest, ClassifyHost) {
  EXPECT_EQ(classify_host("example.com"), HostKind::kName);
  EXPECT_EQ(classify_host("Example.COM."), HostKind::kName);
  EXPECT_EQ(classify_host("a"), HostKind::kName);
  EXPECT_EQ(classify_host("192.0.2.1"), HostKind::kIpv4);
  EXPECT_EQ(classify_host("[2001:db8::1]"), HostKind::kIpv6);
  EXPECT_EQ(classify_host("[::ffff:192.0.2.1]"), HostKind::kIpv6);

  EXPECT_EQ(classify_host(""), HostKind::kNone);
  EXPECT_EQ(classify_host("."), HostKind::kNone);
  EXPECT_EQ(classify_host("2001:db8::1"), HostKind::kNone);  // needs brackets as a host
  EXPECT_EQ(classify_host("[2001:db8::1"), HostKind::kNone);
  EXPECT_EQ(classify_host("[192.0.2.1]"), HostKind::kNone);
  EXPECT_EQ(classify_host("[]"), HostKind::kNone);
  EXPECT_EQ(classify_host("1.2.3.4.5"), HostKind::kNone);
  EXPECT_EQ(classify_host("example.123"), HostKind::kNone);
  EXPECT_EQ(classify_host("ex_ample.com"), HostKind::kNone);
  EXPECT_EQ(classify_host("example-.com"), HostKind::kNone);
  EXPECT_EQ(classify_host("example.com.."), HostKind::kNone);
}

}  // namespace
}  // namespace sipwire
