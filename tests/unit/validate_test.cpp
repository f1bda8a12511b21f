// validate_all() and the proxy checks of RFC 3261 §16.3 (steps 2, 3 and 6).
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/validate.h"

namespace sipwire {
namespace {

std::string Request(std::string_view method, std::string_view ruri, std::string_view extra) {
  return std::string(method) + " " + std::string(ruri) +
         " SIP/2.0\r\n"
         "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@biloxi.example.com>\r\n"
         "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
         "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
         "CSeq: 1 " +
         std::string(method) + "\r\n" + std::string(extra) + "Content-Length: 0\r\n\r\n";
}

class ValidateTest : public ::testing::Test {
 protected:
  // Parses (which must succeed) and validates.
  ParseError Validate(std::string_view extra, std::string_view method = "INVITE",
                      std::string_view ruri = "sip:bob@biloxi.example.com") {
    Load(Request(method, ruri, extra));
    return validate_all(*msg_);
  }
  void Load(std::string text) {
    buffer_ = std::move(text);
    const ParseError err = parse_message(buffer_, *msg_);
    ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset << " in\n" << buffer_;
  }
  uint32_t At(std::string_view needle) const {
    const std::size_t at = buffer_.find(needle);
    EXPECT_NE(at, std::string::npos) << needle;
    return static_cast<uint32_t>(at);
  }

  std::string buffer_;
  std::unique_ptr<Message> msg_ = std::make_unique<Message>();
};

TEST_F(ValidateTest, WellFormedMessagePasses) {
  const ParseError err = Validate(
      "Contact: \"Alice\" <sip:alice@pc33.atlanta.example.com>;q=0.5;expires=3600\r\n"
      "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
      "Record-Route: <sip:rr.example.com;lr>\r\n"
      "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
      "Expires: 3600\r\n"
      "Require: 100rel\r\n"
      "Proxy-Require: foo, bar\r\n"
      "Supported: timer, path\r\n"
      "Allow: INVITE, ACK, BYE\r\n"
      "Content-Type: application/sdp;charset=utf-8\r\n"
      "Retry-After: 120 (in a meeting) ;duration=3600\r\n"
      "Warning: 301 isi.edu \"Incompatible network address type 'E.164'\"\r\n"
      "Timestamp: 54\r\n");
  EXPECT_TRUE(err.ok()) << err.reason << " at " << err.offset;
}

TEST_F(ValidateTest, FromAndToUrisAreParsedInFull) {
  // parse_message checks only the shape of From and To URIs (a proxy forwards them as they
  // are, §16.3); validate_all parses them and points at the defect.
  std::string text = Request("OPTIONS", "sip:bob@biloxi.example.com", "");
  const std::string good_from = "From: <sip:alice@atlanta.example.com>";
  text.replace(text.find(good_from), good_from.size(), "From: <sip:alice@atlanta:99999>");
  Load(text);
  EXPECT_EQ(msg_->from().uri, "sip:alice@atlanta:99999");
  ParseError e = validate_all(*msg_);
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_GE(e.offset, At(":99999"));  // at the port
  EXPECT_LE(e.offset, At(":99999") + 6);

  text = Request("OPTIONS", "sip:bob@biloxi.example.com", "");
  const std::string good_to = "To: <sip:bob@biloxi.example.com>";
  text.replace(text.find(good_to), good_to.size(), "To: <sip:bob@-biloxi>");
  Load(text);
  e = validate_all(*msg_);
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, At("-biloxi"));
}

TEST_F(ValidateTest, EmptySupportedIsLegal) {
  const ParseError err = Validate("Supported:\r\n");
  EXPECT_TRUE(err.ok()) << err.reason;
}

TEST_F(ValidateTest, ContactQValue) {
  for (std::string_view q : {"0", "1", "0.5", "0.123", "1.000", "1.", "0."}) {
    const ParseError err = Validate("Contact: <sip:a@b.example.com>;q=" + std::string(q) + "\r\n");
    EXPECT_TRUE(err.ok()) << "q=" << q << ": " << err.reason;
  }
  for (std::string_view q : {"1.5", "2", "0.1234", "1.001", "abc", ".5", "-0.5"}) {
    const ParseError err = Validate("Contact: <sip:a@b.example.com>;q=" + std::string(q) + "\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << "q=" << q;
    EXPECT_EQ(err.offset, At("q=")) << "q=" << q;  // the offset names the parameter
  }
}

TEST_F(ValidateTest, ContactExpires) {
  EXPECT_TRUE(Validate("Contact: <sip:a@b.example.com>;expires=0\r\n").ok());
  EXPECT_TRUE(Validate("Contact: <sip:a@b.example.com>;expires=99999999999\r\n").ok());
  for (std::string_view e : {"abc", "-1", "1.5", "60s"}) {
    const ParseError err =
        Validate("Contact: <sip:a@b.example.com>;expires=" + std::string(e) + "\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << "expires=" << e;
  }
}

TEST_F(ValidateTest, SecondContactIsChecked) {
  const ParseError err =
      Validate("Contact: <sip:a@one.example.com>\r\nContact: <sip:a@two.example.com>;q=7\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("q=7"));
}

TEST_F(ValidateTest, StarContactMustStandAlone) {
  // §10.2.2: "*" with Expires 0 and no other contact.
  EXPECT_TRUE(
      Validate("Contact: *\r\nExpires: 0\r\n", "REGISTER", "sip:registrar.example.com").ok());
  ParseError err =
      Validate("Contact: *, <sip:a@b.example.com>\r\n", "REGISTER", "sip:registrar.example.com");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("Contact"));
  err = Validate("Contact: <sip:a@b.example.com>\r\nContact: *\r\n", "REGISTER",
                 "sip:registrar.example.com");
  EXPECT_EQ(err.status, status::kBadRequest);
}

TEST_F(ValidateTest, EmptyContactElement) {
  const ParseError err = Validate("Contact: <sip:a@b.example.com>, , <sip:c@d.example.com>\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
}

TEST_F(ValidateTest, RouteNeedsAngleBrackets) {
  for (std::string_view name : {"Route", "Record-Route", "Path", "Service-Route"}) {
    ParseError err = Validate(std::string(name) + ": sip:p1.example.com;lr\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << name;
    EXPECT_EQ(err.offset, At("sip:p1")) << name;
    err = Validate(std::string(name) + ": <sip:p1.example.com;lr>\r\n");
    EXPECT_TRUE(err.ok()) << name << ": " << err.reason;
  }
  // Every element is checked, not just the first.
  const ParseError err = Validate("Route: <sip:p1.example.com;lr>, sip:p2.example.com\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("sip:p2"));
}

TEST_F(ValidateTest, Date) {
  EXPECT_TRUE(Validate("Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n").ok());
  EXPECT_TRUE(Validate("Date: Thu, 21 Feb 2002 13:02:03 GMT\r\n").ok());
  // §20.17: the date is always GMT (RFC 4475 baddate uses EST).
  for (std::string_view date : {"Fri, 01 Jan 2010 16:00:00 EST", "Sat, 13 Nov 2010 23:29:00 UTC",
                                "Sat, 13 Nov 2010 23:29:00", "13 Nov 2010 23:29:00 GMT",
                                "Sat 13 Nov 2010 23:29:00 GMT", "Sat, 13 nov 2010 23:29:00 GMT",
                                "Xyz, 13 Nov 2010 23:29:00 GMT", "Sat, 1 Nov 2010 23:29:00 GMT"}) {
    const ParseError err = Validate("Date: " + std::string(date) + "\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << date;
    EXPECT_EQ(err.offset, At(date)) << date;
  }
}

TEST_F(ValidateTest, ExpiresAndMinExpires) {
  EXPECT_TRUE(Validate("Expires: 0\r\n").ok());
  EXPECT_TRUE(Validate("Expires: 4294967296\r\n").ok());  // above 2**32-1 reads as 2**32-1
  ParseError err = Validate("Expires: soon\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("soon"));
  err = Validate("Expires: -1\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  err = Validate("Min-Expires: 1h\r\n", "REGISTER", "sip:registrar.example.com");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("1h"));
}

TEST_F(ValidateTest, OptionTagsMustBeTokens) {
  for (std::string_view name : {"Require", "Proxy-Require", "Supported", "Unsupported"}) {
    ParseError err = Validate(std::string(name) + ": 100rel, foo bar\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << name;
    EXPECT_EQ(err.offset, At("foo bar")) << name;
    err = Validate(std::string(name) + ": 100rel, timer\r\n");
    EXPECT_TRUE(err.ok()) << name << ": " << err.reason;
  }
  EXPECT_EQ(Validate("Require: a;b\r\n").status, status::kBadRequest);
  EXPECT_EQ(Validate("Require: \"quoted\"\r\n").status, status::kBadRequest);
  EXPECT_EQ(Validate("Require:\r\n").status, status::kBadRequest);
  EXPECT_EQ(Validate("Allow: INVITE, <BYE>\r\n").status, status::kBadRequest);
}

TEST_F(ValidateTest, ContentType) {
  for (std::string_view ct : {"application/sdp", "multipart/mixed;boundary=unique-boundary-1",
                              "text/plain ; charset=\"utf-8\""}) {
    EXPECT_TRUE(Validate("Content-Type: " + std::string(ct) + "\r\n").ok()) << ct;
  }
  for (std::string_view ct : {"application", "application/", "/sdp", "application/sdp;",
                              "application/sdp extra", "appli cation/sdp"}) {
    const ParseError err = Validate("Content-Type: " + std::string(ct) + "\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << ct;
    EXPECT_GE(err.offset, At(ct)) << ct;
  }
}

TEST_F(ValidateTest, RetryAfter) {
  EXPECT_TRUE(Validate("Retry-After: 18000;duration=3600\r\n").ok());
  EXPECT_EQ(Validate("Retry-After: later\r\n").status, status::kBadRequest);
  EXPECT_EQ(Validate("Retry-After: 10 (unterminated\r\n").status, status::kBadRequest);
}

TEST_F(ValidateTest, WarningCodeIsThreeDigits) {
  EXPECT_TRUE(Validate("Warning: 399 example.com \"Noise\"\r\n").ok());
  for (std::string_view w : {"3011 isi.edu \"text\"", "31 isi.edu \"text\"", "abc isi.edu \"x\""}) {
    const ParseError err = Validate("Warning: " + std::string(w) + "\r\n");
    EXPECT_EQ(err.status, status::kBadRequest) << w;
    EXPECT_EQ(err.offset, At(w)) << w;
  }
  // The second element of the list is checked too.
  const ParseError err = Validate("Warning: 301 a.example.com \"x\", 3010 b.example.com \"y\"\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("3010"));
}

TEST_F(ValidateTest, EveryViaValueIsChecked) {
  // parse_message reads only the top Via; validate_all reads them all.
  ParseError err = Validate("Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n");
  EXPECT_TRUE(err.ok()) << err.reason;

  err = Validate("Via: SIP/2.0/UDP\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_GE(err.offset, At("Via: SIP/2.0/UDP\r\n"));

  err = Validate("Via: SIP/2.0/UDP ok.example.com;branch=z9hG4bK2, SIP/2.0/UDP bad_host\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_GE(err.offset, At("SIP/2.0/UDP bad_host"));

  err = Validate("Via: SIP/2.0/UDP ok.example.com;ttl=256\r\n");
  EXPECT_EQ(err.status, status::kBadRequest);
}

// ---------------------------------------------------------------------------------------------
// §16.3 step 2: Request-URI scheme

TEST_F(ValidateTest, RequestUriSchemeSipSipsTelAreRoutable) {
  for (std::string_view ruri : {"sip:bob@biloxi.example.com", "sips:bob@biloxi.example.com",
                                "tel:+1-201-555-0123", "SIP:bob@biloxi.example.com"}) {
    Load(Request("INVITE", ruri, ""));
    const ParseError err = check_request_uri_scheme(*msg_);
    EXPECT_TRUE(err.ok()) << ruri << ": " << err.reason;
  }
}

TEST_F(ValidateTest, OtherRequestUriSchemeIs416) {
  for (std::string_view ruri : {"http://www.example.com/", "mailto:bob@example.com",
                                "im:bob@example.com", "unknownscheme:x"}) {
    Load(Request("INVITE", ruri, ""));
    const ParseError err = check_request_uri_scheme(*msg_);
    EXPECT_EQ(err.status, status::kUnsupportedUriScheme) << ruri;
    EXPECT_EQ(err.offset, 7u) << ruri;  // "INVITE "
  }
}

// ---------------------------------------------------------------------------------------------
// §16.3 step 3: Max-Forwards

std::string WithMaxForwards(std::string text, std::string_view replacement) {
  const std::string line = "Max-Forwards: 70\r\n";
  text.replace(text.find(line), line.size(), replacement);
  return text;
}

TEST_F(ValidateTest, MaxForwardsZeroIs483) {
  Load(WithMaxForwards(Request("INVITE", "sip:bob@biloxi.example.com", ""), "Max-Forwards: 0\r\n"));
  const ParseError err = check_max_forwards(*msg_);
  EXPECT_EQ(err.status, status::kTooManyHops);
  EXPECT_EQ(err.offset, At("Max-Forwards: 0") + 14);
}

TEST_F(ValidateTest, MaxForwardsAbsentOrPositiveIsFine) {
  Load(WithMaxForwards(Request("INVITE", "sip:bob@biloxi.example.com", ""), ""));
  EXPECT_TRUE(check_max_forwards(*msg_).ok());
  Load(WithMaxForwards(Request("INVITE", "sip:bob@biloxi.example.com", ""), "Max-Forwards: 1\r\n"));
  EXPECT_TRUE(check_max_forwards(*msg_).ok());
  Load(Request("INVITE", "sip:bob@biloxi.example.com", ""));
  EXPECT_TRUE(check_max_forwards(*msg_).ok());
}

// ---------------------------------------------------------------------------------------------
// §16.3 step 6: Proxy-Require

constexpr std::array<std::string_view, 2> kSupported = {"foo", "Path"};

TEST_F(ValidateTest, ProxyRequireAbsent) {
  Load(Request("INVITE", "sip:bob@biloxi.example.com", ""));
  const UnsupportedTags out = check_proxy_require(*msg_, kSupported);
  EXPECT_EQ(out.count, 0u);
  EXPECT_TRUE(out.error.ok());
  EXPECT_FALSE(out.truncated);
}

TEST_F(ValidateTest, ProxyRequireSupportedCaseInsensitively) {
  Load(Request("INVITE", "sip:bob@biloxi.example.com", "Proxy-Require: FOO, path\r\n"));
  const UnsupportedTags out = check_proxy_require(*msg_, kSupported);
  EXPECT_EQ(out.count, 0u);
  EXPECT_TRUE(out.error.ok()) << out.error.reason;
}

TEST_F(ValidateTest, ProxyRequireUnsupportedTagsListedInOrder) {
  Load(Request("INVITE", "sip:bob@biloxi.example.com",
               "Proxy-Require: zeta, foo, alpha\r\nProxy-Require: path, mid\r\n"));
  const UnsupportedTags out = check_proxy_require(*msg_, kSupported);
  ASSERT_EQ(out.count, 3u);
  EXPECT_EQ(out.tags[0], "zeta");
  EXPECT_EQ(out.tags[1], "alpha");
  EXPECT_EQ(out.tags[2], "mid");
  EXPECT_EQ(out.error.status, status::kBadExtension);
  EXPECT_EQ(out.error.offset, At("zeta"));
  EXPECT_FALSE(out.truncated);
}

TEST_F(ValidateTest, ProxyRequireWithNothingSupported) {
  Load(Request("INVITE", "sip:bob@biloxi.example.com", "Proxy-Require: foo\r\n"));
  const UnsupportedTags out = check_proxy_require(*msg_, {});
  ASSERT_EQ(out.count, 1u);
  EXPECT_EQ(out.tags[0], "foo");
  EXPECT_EQ(out.error.status, status::kBadExtension);
}

TEST_F(ValidateTest, ProxyRequireTruncatesAfterMax) {
  std::string tags;
  for (std::size_t i = 0; i < UnsupportedTags::kMax + 3; ++i)
    tags += (i ? ", t" : "t") + std::to_string(i);
  Load(Request("INVITE", "sip:bob@biloxi.example.com", "Proxy-Require: " + tags + "\r\n"));
  const UnsupportedTags out = check_proxy_require(*msg_, kSupported);
  EXPECT_EQ(out.count, UnsupportedTags::kMax);
  EXPECT_TRUE(out.truncated);
  EXPECT_EQ(out.tags[0], "t0");
  EXPECT_EQ(out.tags[UnsupportedTags::kMax - 1], "t15");
  EXPECT_EQ(out.error.status, status::kBadExtension);
}

TEST_F(ValidateTest, MalformedProxyRequireIs400) {
  Load(Request("INVITE", "sip:bob@biloxi.example.com", "Proxy-Require: foo, b@d\r\n"));
  const UnsupportedTags out = check_proxy_require(*msg_, kSupported);
  EXPECT_EQ(out.error.status, status::kBadRequest);
  EXPECT_EQ(out.error.offset, At("b@d"));
}

}  // namespace
}  // namespace sipwire
