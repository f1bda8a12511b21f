// parse_message(): start lines, header indexing, the routing fields, structure checks and
// framing of the body (RFC 3261 §7, §8.1.1, §18.3, §20, §25).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/message.h"

namespace sipwire {
namespace {

constexpr std::string_view kVia =
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport\r\n";
constexpr std::string_view kMaxForwards = "Max-Forwards: 70\r\n";
constexpr std::string_view kTo = "To: Bob <sip:bob@biloxi.example.com>\r\n";
constexpr std::string_view kFrom =
    "From: \"Alice A\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n";
constexpr std::string_view kCallId = "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n";
constexpr std::string_view kCSeq = "CSeq: 314159 INVITE\r\n";
constexpr std::string_view kContentLength = "Content-Length: 0\r\n";

std::string StandardHeaders() {
  return std::string(kVia) + std::string(kMaxForwards) + std::string(kTo) + std::string(kFrom) +
         std::string(kCallId) + std::string(kCSeq);
}

// An INVITE with the mandatory headers, `extra` header lines, an empty line and `body`.
std::string Invite(std::string_view extra = "", std::string_view body = "") {
  return "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" + StandardHeaders() + std::string(extra) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// Removes the first occurrence of `line` from `text`.
std::string Without(std::string text, std::string_view line) {
  const std::size_t at = text.find(line);
  if (at != std::string::npos) text.erase(at, line.size());
  return text;
}

std::string Response(std::string_view status_line, std::string_view extra = "") {
  return std::string(status_line) + "\r\n" + StandardHeaders() + std::string(extra) +
         std::string(kContentLength) + "\r\n";
}

class MessageTest : public ::testing::Test {
 protected:
  ParseError Parse(std::string text, const ParseOptions& options = {}) {
    buffer_ = std::move(text);
    return parse_message(buffer_, *msg_, options);
  }
  // Offset of `needle` in the current buffer (the first occurrence at or after `from`).
  uint32_t At(std::string_view needle, std::size_t from = 0) const {
    const std::size_t at = buffer_.find(needle, from);
    EXPECT_NE(at, std::string::npos) << needle;
    return static_cast<uint32_t>(at);
  }
  std::vector<std::string_view> Elements(HeaderId id) const {
    std::vector<std::string_view> out;
    HeaderElements it(*msg_, id);
    std::string_view element;
    while (it.next(element)) out.push_back(element);
    return out;
  }

  std::string buffer_;
  std::unique_ptr<Message> msg_ = std::make_unique<Message>();
};

// ---------------------------------------------------------------------------------------------
// Request-Line

TEST_F(MessageTest, ParsesRequestLine) {
  const ParseError err = Parse(Invite());
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  EXPECT_TRUE(msg_->is_request());
  EXPECT_EQ(msg_->method(), Method::kInvite);
  EXPECT_EQ(msg_->method_name(), "INVITE");
  EXPECT_EQ(msg_->request_uri_text(), "sip:bob@biloxi.example.com");
  EXPECT_EQ(msg_->version(), "SIP/2.0");
  EXPECT_EQ(msg_->status_code(), 0);
  EXPECT_EQ(msg_->reason_phrase(), "");
  EXPECT_EQ(msg_->size(), buffer_.size());
  EXPECT_EQ(msg_->bytes(), buffer_);
  EXPECT_EQ(msg_->header_end(), buffer_.size());
  EXPECT_EQ(msg_->body(), "");
}

TEST_F(MessageTest, KnownMethodsAreClassified) {
  const struct {
    std::string_view name;
    Method method;
  } kCases[] = {{"ACK", Method::kAck},
                {"BYE", Method::kBye},
                {"CANCEL", Method::kCancel},
                {"REGISTER", Method::kRegister},
                {"OPTIONS", Method::kOptions},
                {"INFO", Method::kInfo},
                {"PRACK", Method::kPrack},
                {"UPDATE", Method::kUpdate},
                {"SUBSCRIBE", Method::kSubscribe},
                {"NOTIFY", Method::kNotify},
                {"REFER", Method::kRefer},
                {"MESSAGE", Method::kMessage},
                {"PUBLISH", Method::kPublish}};
  for (const auto& c : kCases) {
    std::string text = Invite();
    text.replace(0, 6, c.name);
    const std::size_t cseq = text.find("314159 INVITE");
    text.replace(cseq + 7, 6, c.name);
    const ParseError err = Parse(text);
    ASSERT_TRUE(err.ok()) << c.name << ": " << err.reason;
    EXPECT_EQ(msg_->method(), c.method) << c.name;
    EXPECT_EQ(msg_->method_name(), c.name);
    EXPECT_EQ(msg_->cseq().method, c.method) << c.name;
  }
}

TEST_F(MessageTest, ExtensionMethodIsAccepted) {
  std::string text = Without(Invite(), kCSeq);
  text.replace(0, 6, "NEWMETHOD-x.1");
  text.insert(text.find("Content-Length"), "CSeq: 8 NEWMETHOD-x.1\r\n");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->method(), Method::kExtension);
  EXPECT_EQ(msg_->method_name(), "NEWMETHOD-x.1");
  EXPECT_EQ(msg_->cseq().number, 8u);
  EXPECT_EQ(msg_->cseq().method_name, "NEWMETHOD-x.1");
}

TEST_F(MessageTest, MethodsAreCaseSensitive) {
  // §7.1: "invite" is an extension method, not INVITE.
  std::string text = Invite();
  text.replace(0, 6, "invite");
  text.replace(text.find("314159 INVITE") + 7, 6, "invite");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->method(), Method::kExtension);
  EXPECT_EQ(msg_->method_name(), "invite");
}

TEST_F(MessageTest, RequestLineWhitespaceErrors) {
  const std::string base = Invite();
  const std::string rest = base.substr(base.find("\r\n"));
  const struct {
    std::string_view line;
    uint32_t offset;
  } kCases[] = {
      {"INVITE  sip:bob@biloxi.example.com SIP/2.0", 7},   // two SP after the method
      {"INVITE sip:bob@biloxi.example.com  SIP/2.0", 34},  // two SP before the version
      {"INVITE sip:bob@biloxi.example.com SIP/2.0 ", 41},  // trailing SP
      {"INVITE\tsip:bob@biloxi.example.com SIP/2.0", 6},   // HTAB is not SP
      {" INVITE sip:bob@biloxi.example.com SIP/2.0", 0},   // leading SP
      {"INVITE sip:bob@biloxi.example.com", 33},           // no version
      {"INVITE", 6},                                       // method alone
  };
  for (const auto& c : kCases) {
    const ParseError err = Parse(std::string(c.line) + rest);
    EXPECT_EQ(err.status, status::kBadRequest) << c.line;
    EXPECT_EQ(err.offset, c.offset) << c.line;
    EXPECT_FALSE(err.reason.empty()) << c.line;
  }
}

TEST_F(MessageTest, WhitespaceInsideRequestUriIsRejected) {
  std::string text = Invite();
  text.replace(0, text.find("\r\n"), "INVITE sip:bob@biloxi.example.com; lr SIP/2.0");
  const ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  // Somewhere in "; lr SIP/2.0", not at the method or the URI's start.
  EXPECT_GE(err.offset, 34u);
  EXPECT_LE(err.offset, 37u);
}

TEST_F(MessageTest, RequestUriWithHeadersIsRejected) {
  // §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
  std::string text = Invite();
  text.replace(0, text.find("\r\n"), "INVITE sip:bob@biloxi.example.com?Route=%3Csip:x%3E SIP/2.0");
  EXPECT_EQ(Parse(text).status, status::kBadRequest);
}

TEST_F(MessageTest, RequestUriParts) {
  std::string text = Invite();
  text.replace(0, text.find("\r\n"),
               "INVITE sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr SIP/2.0");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  const Uri& uri = msg_->request_uri();
  EXPECT_EQ(uri.text, "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr");
  EXPECT_EQ(uri.kind, UriScheme::kSips);
  EXPECT_EQ(uri.scheme, "sips");
  EXPECT_EQ(uri.user, "alice");
  EXPECT_TRUE(uri.has_password);
  EXPECT_EQ(uri.password, "secret");
  EXPECT_EQ(uri.host, "atlanta.example.com");
  EXPECT_EQ(uri.host_kind, HostKind::kName);
  EXPECT_TRUE(uri.has_port);
  EXPECT_EQ(uri.port, 5061);
  EXPECT_EQ(uri.params, "transport=tcp;lr");
  EXPECT_FALSE(uri.has_headers);
}

TEST_F(MessageTest, RequestUriIpv6AndTel) {
  std::string text = Invite();
  text.replace(0, text.find("\r\n"), "INVITE sip:[2001:db8::10]:5070 SIP/2.0");
  ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->request_uri().host, "[2001:db8::10]");
  EXPECT_EQ(msg_->request_uri().host_kind, HostKind::kIpv6);
  EXPECT_EQ(msg_->request_uri().port, 5070);
  EXPECT_EQ(msg_->request_uri().user, "");

  text.replace(0, text.find("\r\n"), "INVITE tel:+1-201-555-0123 SIP/2.0");
  err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->request_uri().kind, UriScheme::kTel);
  EXPECT_EQ(msg_->request_uri_text(), "tel:+1-201-555-0123");
}

// ---------------------------------------------------------------------------------------------
// Status-Line

TEST_F(MessageTest, ParsesStatusLine) {
  const ParseError err = Parse(Response("SIP/2.0 180 Ringing"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_FALSE(msg_->is_request());
  EXPECT_EQ(msg_->status_code(), 180);
  EXPECT_EQ(msg_->reason_phrase(), "Ringing");
  EXPECT_EQ(msg_->version(), "SIP/2.0");
  EXPECT_EQ(msg_->request_uri_text(), "");
  EXPECT_EQ(msg_->method_name(), "");
}

TEST_F(MessageTest, StatusCodeRange) {
  for (int code : {100, 199, 200, 302, 486, 500, 603, 699}) {
    const std::string line = "SIP/2.0 " + std::to_string(code) + " Some Reason";
    const ParseError err = Parse(Response(line));
    ASSERT_TRUE(err.ok()) << line << ": " << err.reason;
    EXPECT_EQ(msg_->status_code(), code);
    EXPECT_EQ(msg_->reason_phrase(), "Some Reason");
  }
}

TEST_F(MessageTest, StatusCodeOutOfRangeOrWrongLength) {
  for (std::string_view line : {"SIP/2.0 099 Too Low", "SIP/2.0 000 Zero", "SIP/2.0 700 Too High",
                                "SIP/2.0 999 Way Too High", "SIP/2.0 20 OK", "SIP/2.0 2000 OK",
                                "SIP/2.0 20x OK", "SIP/2.0 OK", "SIP/2.0"}) {
    const ParseError err = Parse(Response(line));
    EXPECT_EQ(err.status, status::kBadRequest) << line;
  }
  EXPECT_EQ(Parse(Response("SIP/2.0 700 Too High")).offset, 8u);
  EXPECT_EQ(Parse(Response("SIP/2.0 2000 OK")).offset, 8u);
}

TEST_F(MessageTest, EmptyReasonPhrase) {
  // Reason-Phrase = *(...): it may be empty, the SP before it may not (RFC 4475 noreason).
  const ParseError err = Parse(Response("SIP/2.0 100 "));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->status_code(), 100);
  EXPECT_EQ(msg_->reason_phrase(), "");
}

TEST_F(MessageTest, Utf8AndPunctuationInReasonPhrase) {
  const std::string reason =
      "Gut \xC3\xBC"
      "ber \xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB; 50% off, ok?";
  const ParseError err = Parse(Response("SIP/2.0 200 " + reason));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->reason_phrase(), reason);
}

TEST_F(MessageTest, ControlCharacterInReasonPhraseIsRejected) {
  const ParseError err = Parse(Response(std::string("SIP/2.0 200 O\x01K", 15)));
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, 13u);
}

// ---------------------------------------------------------------------------------------------
// SIP-Version

TEST_F(MessageTest, VersionIsCaseInsensitive) {
  std::string text = Invite();
  text.replace(text.find("SIP/2.0"), 7, "sip/2.0");
  ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->version(), "sip/2.0");

  err = Parse(Response("sip/2.0 200 OK"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_FALSE(msg_->is_request());
  EXPECT_EQ(msg_->status_code(), 200);
}

TEST_F(MessageTest, OtherVersionIs505) {
  std::string text = Invite();
  text.replace(text.find("SIP/2.0"), 7, "SIP/3.0");
  ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kVersionNotSupported);
  EXPECT_EQ(err.offset, 34u);

  text = Invite();
  text.replace(text.find("SIP/2.0"), 7, "SIP/7.10");
  EXPECT_EQ(Parse(text).status, status::kVersionNotSupported);

  err = Parse(Response("SIP/3.0 200 OK"));
  EXPECT_EQ(err.status, status::kVersionNotSupported);
  EXPECT_EQ(err.offset, 0u);
}

TEST_F(MessageTest, MalformedVersionIs400) {
  for (std::string_view version :
       {"SIP/2", "SIP/2.", "SIP/.0", "SIP/", "SIP2.0", "HTTP/1.1", "SIP/2.0a", "SIP/a.0"}) {
    std::string text = Invite();
    text.replace(text.find("SIP/2.0"), 7, version);
    const ParseError err = Parse(text);
    EXPECT_EQ(err.status, status::kBadRequest) << version;
    EXPECT_EQ(err.offset, 34u) << version;
  }
  EXPECT_EQ(Parse(Response("SIP/2 200 OK")).status, status::kBadRequest);
}

// ---------------------------------------------------------------------------------------------
// Lines and framing of the header block

TEST_F(MessageTest, LeadingCrlfsAreIgnored) {
  const std::string invite = Invite("", "hello");
  const ParseError err = Parse("\r\n\r\n\r\n" + invite);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->method(), Method::kInvite);
  EXPECT_EQ(msg_->header(0).offset, 6 + invite.find("Via:"));
  EXPECT_EQ(msg_->header_end(), 6 + invite.size() - 5);
  EXPECT_EQ(msg_->body(), "hello");
  EXPECT_EQ(msg_->size(), buffer_.size());
}

TEST_F(MessageTest, BareLfLineEndingIsRejected) {
  std::string text = Invite();
  const std::size_t first_crlf = text.find("\r\n");
  text.erase(first_crlf, 1);  // start line ends in LF alone
  ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, first_crlf);

  text = Invite();
  const std::size_t in_to = text.find("\r\n", text.find("To:"));
  text.erase(in_to, 1);
  err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, in_to);
}

TEST_F(MessageTest, BareCrIsRejected) {
  std::string text = Invite();
  const std::size_t at = text.find("Bob");
  text.insert(at, "\r");
  ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, at);

  text = Invite();
  const std::size_t end = text.find("\r\n", text.find("Call-ID"));
  text.erase(end + 1, 1);  // "...com\rCSeq"
  err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, end);
}

TEST_F(MessageTest, BareCrOrLfAnywhereInHeaderBlockIs400) {
  const std::string msg = Invite("", "body");
  const std::size_t header_end = msg.size() - 4;
  for (std::size_t i = 1; i < header_end; ++i) {
    if (msg[i] == '\r' || msg[i] == '\n') continue;
    for (char c : {'\r', '\n'}) {
      std::string bad = msg;
      bad[i] = c;
      const ParseError err = Parse(bad);
      EXPECT_EQ(err.status, status::kBadRequest) << "byte " << i;
      EXPECT_EQ(err.offset, i) << "byte " << i << (c == '\r' ? " CR" : " LF");
    }
  }
}

TEST_F(MessageTest, BareLfInBodyIsNotAnError) {
  const std::string body = "line1\nline2\rline3\n";
  const ParseError err = Parse(Invite("", body));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->body(), body);
}

TEST_F(MessageTest, MissingEmptyLineIsRejected) {
  std::string text = Invite();
  text.resize(text.size() - 2);  // header block ends with a CRLF but no empty line
  const ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, text.size());
}

TEST_F(MessageTest, MessageLargerThanMaxSizeIs513) {
  const std::string text = Invite("", std::string(200, 'x'));
  ParseOptions options;
  options.max_message_size = text.size() - 1;
  EXPECT_EQ(Parse(text, options).status, status::kMessageTooLarge);
  options.max_message_size = text.size();
  const ParseError err = Parse(text, options);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->body().size(), 200u);
}

TEST_F(MessageTest, MoreThanMaxHeadersIs513) {
  // Start line, 7 standard fields (Content-Length included), and the rest X- fields.
  std::string extra;
  for (std::size_t i = 0; i < Message::kMaxHeaders - 7; ++i)
    extra += "X-H" + std::to_string(i) + ": v\r\n";
  ParseError err = Parse(Invite(extra));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->header_count(), Message::kMaxHeaders);

  extra += "X-One-Too-Many: v\r\n";
  err = Parse(Invite(extra));
  EXPECT_EQ(err.status, status::kMessageTooLarge);
}

TEST_F(MessageTest, MoreThanMaxLinesIs513) {
  std::string extra = "Subject: a\r\n";
  for (std::size_t i = 0; i < Message::kMaxLines; ++i) extra += " b\r\n";
  EXPECT_EQ(Parse(Invite(extra)).status, status::kMessageTooLarge);
}

// ---------------------------------------------------------------------------------------------
// Header fields: names, compact forms, values

TEST_F(MessageTest, HeaderNamesAreCaseInsensitive) {
  std::string text =
      "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
      "vIA: SIP/2.0/TCP host.example.com;branch=z9hG4bKx\r\n"
      "CALL-ID: abc@def\r\n"
      "from: <sip:a@b.example.com>;tag=1\r\n"
      "TO: <sip:c@d.example.com>\r\n"
      "cseq: 1 OPTIONS\r\n"
      "MAX-forwards: 10\r\n"
      "content-LENGTH: 0\r\n"
      "\r\n";
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  ASSERT_EQ(msg_->header_count(), 7u);
  const HeaderId kIds[] = {HeaderId::kVia,          HeaderId::kCallId, HeaderId::kFrom,
                           HeaderId::kTo,           HeaderId::kCSeq,   HeaderId::kMaxForwards,
                           HeaderId::kContentLength};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(msg_->header(i).id, kIds[i]) << i;
  EXPECT_EQ(msg_->header(1).name, "CALL-ID");
  EXPECT_EQ(msg_->call_id(), "abc@def");
  EXPECT_EQ(msg_->max_forwards(), 10);
  EXPECT_EQ(msg_->top_via().transport, "TCP");
}

TEST_F(MessageTest, CompactFormsAreIndexedUnderTheirIds) {
  std::string text =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
      "f: <sip:alice@atlanta.example.com>;tag=88\r\n"
      "T: <sip:bob@biloxi.example.com>\r\n"
      "i: compact@atlanta\r\n"
      "CSeq: 1 INVITE\r\n"
      "m: <sip:alice@pc33.atlanta.example.com>\r\n"
      "c: application/sdp\r\n"
      "k: 100rel\r\n"
      "s: lunch\r\n"
      "e: gzip\r\n"
      "o: presence\r\n"
      "u: dialog\r\n"
      "r: <sip:carol@example.com>\r\n"
      "b: <sip:dave@example.com>\r\n"
      "x: 1800\r\n"
      "a: *;audio\r\n"
      "j: *;video\r\n"
      "d: proxy\r\n"
      "y: abc\r\n"
      "V: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n"
      "l: 4\r\n"
      "\r\n"
      "v=0\n";
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  const HeaderId kIds[] = {HeaderId::kVia,
                           HeaderId::kFrom,
                           HeaderId::kTo,
                           HeaderId::kCallId,
                           HeaderId::kCSeq,
                           HeaderId::kContact,
                           HeaderId::kContentType,
                           HeaderId::kSupported,
                           HeaderId::kSubject,
                           HeaderId::kContentEncoding,
                           HeaderId::kEvent,
                           HeaderId::kAllowEvents,
                           HeaderId::kReferTo,
                           HeaderId::kReferredBy,
                           HeaderId::kSessionExpires,
                           HeaderId::kAcceptContact,
                           HeaderId::kRejectContact,
                           HeaderId::kRequestDisposition,
                           HeaderId::kIdentity,
                           HeaderId::kVia,
                           HeaderId::kContentLength};
  ASSERT_EQ(msg_->header_count(), std::size(kIds));
  for (std::size_t i = 0; i < std::size(kIds); ++i)
    EXPECT_EQ(msg_->header(i).id, kIds[i]) << msg_->header(i).name;
  EXPECT_EQ(msg_->count(HeaderId::kVia), 2u);
  EXPECT_EQ(msg_->call_id(), "compact@atlanta");
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "lunch");
  EXPECT_EQ(msg_->content_length(), 4u);
  EXPECT_EQ(msg_->body(), "v=0\n");
  EXPECT_EQ(msg_->from().tag(), "88");
  EXPECT_EQ(msg_->to().uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(msg_->top_via().branch, "z9hG4bKnashds8");
}

TEST_F(MessageTest, NamesThatOnlyBeginLikeCommonOnesAreOtherHeaders) {
  // The commonest names are matched by their first bytes and the colon right after them:
  // a longer name with the same beginning, or white space before the colon, is not them.
  const ParseError err =
      Parse(Invite("Contacts: <sip:x@example.com>\r\n"
                   "Content-Lengthy: 9\r\n"
                   "Content-Types: text/plain\r\n"
                   "From-Tag: 77\r\n"
                   "CSeqs: 2 INVITE\r\n"
                   "Via-Note: none\r\n"
                   "Max-Forwardsx: 3\r\n"
                   "Record-Routes: <sip:p.example.com;lr>\r\n"
                   "Routex: <sip:q.example.com;lr>\r\n"
                   "Expires2: 60\r\n"
                   "Allowed: INVITE\r\n"
                   "User-Agents: x\r\n"
                   "Supported2: timer\r\n"
                   "Call-IDs: second\r\n"
                   "Tos: nobody\r\n"
                   "Route : <sip:r.example.com;lr>\r\n"
                   "Expires:30\r\n"));
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  EXPECT_EQ(msg_->count(HeaderId::kOther), 15u);
  EXPECT_EQ(msg_->count(HeaderId::kContact), 0u);
  EXPECT_EQ(msg_->count(HeaderId::kContentLength), 1u);
  EXPECT_EQ(msg_->count(HeaderId::kFrom), 1u);
  EXPECT_EQ(msg_->count(HeaderId::kCSeq), 1u);
  EXPECT_EQ(msg_->count(HeaderId::kCallId), 1u);
  EXPECT_EQ(msg_->count(HeaderId::kTo), 1u);
  EXPECT_EQ(msg_->count(HeaderId::kRecordRoute), 0u);
  EXPECT_EQ(msg_->value(HeaderId::kRoute), "<sip:r.example.com;lr>");
  EXPECT_EQ(msg_->value(HeaderId::kExpires), "30");
  EXPECT_EQ(msg_->max_forwards(), 70);
  EXPECT_EQ(msg_->content_length(), 0u);
  EXPECT_EQ(msg_->cseq().number, 314159u);
}

TEST_F(MessageTest, WhitespaceBeforeColon) {
  const ParseError err = Parse(Invite("Subject \t :  \tlunch at noon \t\r\n"));
  ASSERT_TRUE(err.ok()) << err.reason;
  const int i = msg_->find(HeaderId::kSubject);
  ASSERT_GE(i, 0);
  const HeaderField f = msg_->header(static_cast<std::size_t>(i));
  EXPECT_EQ(f.name, "Subject");
  EXPECT_EQ(f.value, "lunch at noon");
  EXPECT_EQ(f.offset, At("Subject"));
  EXPECT_EQ(f.id, HeaderId::kSubject);
}

TEST_F(MessageTest, EmptyHeaderValue) {
  const ParseError err = Parse(Invite("Subject:\r\nX-Empty:   \r\n"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_TRUE(msg_->has(HeaderId::kSubject));
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "");
  const int x = msg_->find_by_name("x-empty");
  ASSERT_GE(x, 0);
  EXPECT_EQ(msg_->header(static_cast<std::size_t>(x)).value, "");
}

TEST_F(MessageTest, MalformedHeaderLines) {
  // No colon.
  ParseError err = Parse(Invite("Subject lunch\r\n"));
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("lunch"));
  // Not a token before the colon.
  err = Parse(Invite("Sub[ject]: lunch\r\n"));
  EXPECT_EQ(err.status, status::kBadRequest);
  // Empty name.
  err = Parse(Invite(": lunch\r\n"));
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("\r\n: lunch") + 2);
}

TEST_F(MessageTest, FoldedHeaderValueSpansLines) {
  const ParseError err =
      Parse(Invite("Subject: first\r\n second\r\n\tthird  \r\nX-After: yes\r\n"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "first\r\n second\r\n\tthird");
  const int after = msg_->find_by_name("X-After");
  ASSERT_GE(after, 0);
  EXPECT_EQ(msg_->header(static_cast<std::size_t>(after)).value, "yes");
  EXPECT_EQ(msg_->header(static_cast<std::size_t>(after)).offset, At("X-After"));
}

TEST_F(MessageTest, AFoldOfOnlyWhiteSpaceEndsNoValue) {
  // A continuation line of white space alone is trailing LWS: neither it nor the CRLF before it
  // is part of the value. (A value ending in CRLF, copied into a response before the writer's
  // own CRLF, made an empty line there and cut the response's header block short.)
  std::string text = Without(Invite(), kVia);
  text.insert(text.find("\r\n") + 2,
              "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8,\r\n   \r\n"
              "Subject: lunch \r\n\t\r\n \r\n");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  EXPECT_EQ(msg_->value(HeaderId::kVia),
            "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8,");
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "lunch");
  EXPECT_EQ(msg_->top_via().branch, "z9hG4bKnashds8");
  // A value of white space and folds alone is empty.
  ASSERT_TRUE(Parse(Invite("Subject:\r\n \r\n\t\r\n")).ok());
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "");
}

TEST_F(MessageTest, FoldedRoutingFieldsAreParsed) {
  std::string text = Without(Without(Without(Invite(), kVia), kTo), kMaxForwards);
  text.insert(text.find("\r\n") + 2,
              "Via: SIP/2.0/UDP\r\n    folded.example.com:5070\r\n ;branch=z9hG4bKfold\r\n"
              "To:\r\n Bob\r\n <sip:bob@biloxi.example.com>\r\n"
              "Max-Forwards:\r\n 42\r\n");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  EXPECT_EQ(msg_->top_via().host, "folded.example.com");
  EXPECT_EQ(msg_->top_via().port, 5070);
  EXPECT_EQ(msg_->top_via().branch, "z9hG4bKfold");
  EXPECT_EQ(msg_->to().uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(msg_->max_forwards(), 42);
}

TEST_F(MessageTest, FoldOnTheLastHeaderLineBelongsToIt) {
  // The line before the empty line continues the field before it; no field is made of it.
  std::string text = Invite();
  text.replace(text.find("Content-Length: 0\r\n"), 19, "Content-Length:\r\n 0\r\n");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  EXPECT_EQ(msg_->value(HeaderId::kContentLength), "0");
  EXPECT_EQ(msg_->header(msg_->header_count() - 1).name, "Content-Length");
  const std::size_t folded_count = msg_->header_count();
  ASSERT_TRUE(Parse(Invite()).ok());
  EXPECT_EQ(folded_count, msg_->header_count());
}

TEST_F(MessageTest, ContinuationLineAfterStartLineIsRejected) {
  std::string text = Invite();
  const std::size_t at = text.find("\r\n") + 2;
  text.insert(at, " folded-start\r\n");
  const ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, at);
}

// ---------------------------------------------------------------------------------------------
// Structure: mandatory and single-value fields, CSeq, Max-Forwards

TEST_F(MessageTest, MissingMandatoryHeaderIs400) {
  for (std::string_view line : {kVia, kTo, kFrom, kCallId, kCSeq}) {
    const ParseError err = Parse(Without(Invite(), line));
    EXPECT_EQ(err.status, status::kBadRequest) << line;
    EXPECT_FALSE(err.reason.empty());
    const ParseError response_err = Parse(Without(Response("SIP/2.0 200 OK"), line));
    EXPECT_EQ(response_err.status, status::kBadRequest) << line;
  }
}

TEST_F(MessageTest, MissingMaxForwardsIsAcceptedAndReported) {
  // §16.6 step 3: a proxy adds Max-Forwards to a request without one.
  ParseError err = Parse(Without(Invite(), kMaxForwards));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_FALSE(msg_->has_max_forwards());
  EXPECT_EQ(msg_->max_forwards(), -1);
  err = Parse(Invite());
  ASSERT_TRUE(err.ok());
  EXPECT_TRUE(msg_->has_max_forwards());
  EXPECT_EQ(msg_->max_forwards(), 70);
}

TEST_F(MessageTest, DuplicateSingleValueHeaderIs400) {
  // Each extra field goes after CSeq; the error names the second field of that name.
  const struct {
    std::string_view extra;
    std::string_view original;
  } kCases[] = {
      {"Call-ID: other@host\r\n", kCallId},
      {"CSeq: 314159 INVITE\r\n", kCSeq},
      {"From: <sip:x@y.example.com>;tag=2\r\n", kFrom},
      {"To: <sip:x@y.example.com>\r\n", kTo},
      {"Max-Forwards: 70\r\n", kMaxForwards},
      {"Content-Length: 0\r\n", kContentLength},
      {"i: other@host\r\n", kCallId},
      {"f: <sip:x@y.example.com>;tag=3\r\n", kFrom},
      {"t: <sip:z@y.example.com>\r\n", kTo},
      {"l: 0\r\n", kContentLength},
  };
  for (const auto& c : kCases) {
    const ParseError err = Parse(Invite(c.extra));
    EXPECT_EQ(err.status, status::kBadRequest) << c.extra;
    const uint32_t extra_at = static_cast<uint32_t>(buffer_.find(c.extra, At(kCSeq) + 1));
    const uint32_t original_at = static_cast<uint32_t>(buffer_.rfind(c.original));
    EXPECT_EQ(err.offset, std::max(extra_at, original_at)) << c.extra;
  }
}

TEST_F(MessageTest, FromAndToUrisAreCheckedForTheirShapeOnly) {
  // §16.3: a proxy ignores, and forwards unchanged, the parts it does not use. A From URI with
  // a port out of range still parses; its URI text is there for whoever parses it.
  std::string text = Invite();
  const std::string from_uri = "sip:alice@atlanta.example.com";
  text.replace(text.find(from_uri), from_uri.size(), "sip:alice@atlanta.example.com:99999");
  ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->from().uri, "sip:alice@atlanta.example.com:99999");
  EXPECT_EQ(msg_->from().tag(), "1928301774");

  // What breaks the name-addr around the URI is still a 400 at the URI: white space, a quote,
  // a missing scheme.
  for (std::string_view bad :
       {"sip:bob@bi loxi.example.com", "sip:bob\"@biloxi.example.com", "bob.biloxi.example.com"}) {
    text = Invite();
    const std::string to_uri = "sip:bob@biloxi.example.com>";
    const std::size_t at = text.find(to_uri);
    text.replace(at, to_uri.size(), std::string(bad) + ">");
    err = Parse(text);
    EXPECT_EQ(err.status, status::kBadRequest) << bad;
    EXPECT_EQ(err.offset, at) << bad << ": " << err.reason;
  }
}

TEST_F(MessageTest, ViaAndContactMayRepeat) {
  const ParseError err =
      Parse(Invite("Via: SIP/2.0/TCP second.example.com;branch=z9hG4bK2\r\n"
                   "Contact: <sip:a@one.example.com>\r\nContact: <sip:a@two.example.com>\r\n"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->count(HeaderId::kVia), 2u);
  EXPECT_EQ(msg_->count(HeaderId::kContact), 2u);
  EXPECT_EQ(msg_->find(HeaderId::kVia), 0);
  // The top Via is the first field, not the last.
  EXPECT_EQ(msg_->top_via().host, "pc33.atlanta.example.com");
  EXPECT_EQ(msg_->value(HeaderId::kContact), "<sip:a@one.example.com>");
}

TEST_F(MessageTest, CSeqMethodMismatch) {
  std::string text = Invite();
  text.replace(text.find("314159 INVITE") + 7, 6, "BYE");
  ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("BYE"));

  // Methods compare case-sensitively.
  text = Invite();
  text.replace(text.find("314159 INVITE") + 7, 6, "invite");
  EXPECT_EQ(Parse(text).status, status::kBadRequest);

  // RFC 4475 mismatch02: an unknown method answers 501.
  text = Invite();
  text.replace(0, 6, "NEWMETHOD");
  err = Parse(text);
  EXPECT_EQ(err.status, 501);
  EXPECT_EQ(err.offset, At("INVITE"));
}

TEST_F(MessageTest, ResponseCSeqMethodIsFree) {
  std::string text = Response("SIP/2.0 200 OK");
  text.replace(text.find("314159 INVITE") + 7, 6, "BYE");
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->cseq().method, Method::kBye);
  EXPECT_EQ(msg_->cseq().number, 314159u);
}

TEST_F(MessageTest, MalformedCSeq) {
  for (std::string_view cseq : {"CSeq: INVITE\r\n", "CSeq: 1INVITE\r\n", "CSeq: 1 INVITE x\r\n",
                                "CSeq: 2147483648 INVITE\r\n", "CSeq: -1 INVITE\r\n"}) {
    std::string text = Without(Invite(), kCSeq);
    text.insert(text.find("Content-Length"), cseq);
    EXPECT_EQ(Parse(text).status, status::kBadRequest) << cseq;
  }
  std::string text = Without(Invite(), kCSeq);
  text.insert(text.find("Content-Length"), "CSeq: 2147483647 INVITE\r\n");
  ASSERT_TRUE(Parse(text).ok());
  EXPECT_EQ(msg_->cseq().number, 2147483647u);
}

TEST_F(MessageTest, MaxForwardsValues) {
  for (std::string_view value : {"0", "1", "255"}) {
    std::string text = Without(Invite(), kMaxForwards);
    text.insert(text.find("Content-Length"), "Max-Forwards: " + std::string(value) + "\r\n");
    const ParseError err = Parse(text);
    ASSERT_TRUE(err.ok()) << value << ": " << err.reason;
    EXPECT_EQ(msg_->max_forwards(), std::stoi(std::string(value)));
  }
  for (std::string_view value : {"256", "1000", "abc", "-1", "7 0", "70a", "99999999999"}) {
    std::string text = Without(Invite(), kMaxForwards);
    text.insert(text.find("Content-Length"), "Max-Forwards: " + std::string(value) + "\r\n");
    const ParseError err = Parse(text);
    EXPECT_EQ(err.status, status::kBadRequest) << value;
    EXPECT_EQ(err.offset, At(std::string(value) + "\r\n", At("Max-Forwards"))) << value;
  }
}

TEST_F(MessageTest, MalformedCallIdIs400) {
  std::string text = Without(Invite(), kCallId);
  text.insert(text.find("Content-Length"), "Call-ID: a b\r\n");
  EXPECT_EQ(Parse(text).status, status::kBadRequest);
}

// ---------------------------------------------------------------------------------------------
// Content-Length and the body (§18.3, §20.14)

TEST_F(MessageTest, BodyFramedByContentLength) {
  const ParseError err = Parse(Invite("Content-Type: text/plain\r\n", "0123456789"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_TRUE(msg_->has_content_length());
  EXPECT_EQ(msg_->content_length(), 10u);
  EXPECT_EQ(msg_->body(), "0123456789");
  EXPECT_EQ(msg_->header_end(), buffer_.size() - 10);
  EXPECT_EQ(msg_->size(), buffer_.size());
}

TEST_F(MessageTest, BodyShorterThanContentLengthIs400) {
  std::string text = Invite("", "0123456789");
  text.resize(text.size() - 1);
  const ParseError err = Parse(text);
  EXPECT_EQ(err.status, status::kBadRequest);
  EXPECT_EQ(err.offset, At("Content-Length"));
}

TEST_F(MessageTest, BytesBeyondContentLengthAreIgnored) {
  const std::string invite = Invite("", "abc");
  const ParseError err = Parse(invite + "trailing garbage\r\n");
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->body(), "abc");
  EXPECT_EQ(msg_->size(), invite.size());
  EXPECT_LT(msg_->size(), buffer_.size());
  EXPECT_EQ(msg_->bytes(), invite);
}

TEST_F(MessageTest, MissingContentLengthOnDatagramTakesTheRest) {
  const std::string text = Without(Invite(), "Content-Length: 0\r\n") + "the whole rest\r\n";
  const ParseError err = Parse(text);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_FALSE(msg_->has_content_length());
  EXPECT_EQ(msg_->body(), "the whole rest\r\n");
  EXPECT_EQ(msg_->size(), text.size());
}

TEST_F(MessageTest, MissingContentLengthOnStreamIs400) {
  const std::string text = Without(Invite(), "Content-Length: 0\r\n");
  ParseOptions stream;
  stream.framing = Framing::kStream;
  EXPECT_EQ(Parse(text, stream).status, status::kBadRequest);
  const ParseError err = Parse(Invite("", "xyz"), stream);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->body(), "xyz");
}

TEST_F(MessageTest, MalformedContentLengthIs400) {
  for (std::string_view value : {"-1", "abc", "1 2", "4294967296", ""}) {
    std::string text = Without(Invite(), kContentLength);
    text.insert(text.size() - 2, "Content-Length: " + std::string(value) + "\r\n");
    EXPECT_EQ(Parse(text).status, status::kBadRequest) << "'" << value << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// Accessors

TEST_F(MessageTest, AccessorsForPresentAndAbsentFields) {
  const ParseError err = Parse(Invite("X-Custom-Header: custom value\r\nSubject: hi\r\n"));
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_TRUE(msg_->has(HeaderId::kSubject));
  EXPECT_EQ(msg_->count(HeaderId::kSubject), 1u);
  EXPECT_EQ(msg_->value(HeaderId::kSubject), "hi");
  EXPECT_EQ(msg_->find(HeaderId::kSubject), 7);
  EXPECT_EQ(msg_->find(HeaderId::kOther), 6);
  EXPECT_EQ(msg_->count(HeaderId::kOther), 1u);

  EXPECT_FALSE(msg_->has(HeaderId::kRoute));
  EXPECT_EQ(msg_->count(HeaderId::kRoute), 0u);
  EXPECT_EQ(msg_->find(HeaderId::kRoute), -1);
  EXPECT_EQ(msg_->value(HeaderId::kRoute), "");

  EXPECT_EQ(msg_->find_by_name("x-custom-header"), 6);
  EXPECT_EQ(msg_->find_by_name("X-CUSTOM-HEADER"), 6);
  EXPECT_EQ(msg_->find_by_name("call-id"), 4);
  EXPECT_EQ(msg_->find_by_name("X-Custom"), -1);
  EXPECT_EQ(msg_->find_by_name("X-Absent"), -1);

  const HeaderField f = msg_->header(6);
  EXPECT_EQ(f.id, HeaderId::kOther);
  EXPECT_EQ(f.name, "X-Custom-Header");
  EXPECT_EQ(f.value, "custom value");
  EXPECT_EQ(f.offset, At("X-Custom-Header"));
  EXPECT_EQ(msg_->header(0).offset, At("Via:"));
  EXPECT_EQ(msg_->header_count(), 9u);
}

TEST_F(MessageTest, TopViaFromAndTo) {
  const ParseError err = Parse(Invite());
  ASSERT_TRUE(err.ok()) << err.reason;
  const Via& via = msg_->top_via();
  EXPECT_EQ(via.protocol, "SIP");
  EXPECT_EQ(via.version, "2.0");
  EXPECT_EQ(via.transport, "UDP");
  EXPECT_EQ(via.host, "pc33.atlanta.example.com");
  EXPECT_TRUE(via.has_port);
  EXPECT_EQ(via.port, 5066);
  EXPECT_EQ(via.branch, "z9hG4bK776asdhds");
  EXPECT_TRUE(via.has_rfc3261_branch());
  EXPECT_TRUE(via.has_rport);
  EXPECT_EQ(via.rport, 0);

  EXPECT_EQ(msg_->from().display, "\"Alice A\"");
  EXPECT_EQ(msg_->from().uri, "sip:alice@atlanta.example.com");
  EXPECT_TRUE(msg_->from().angle);
  EXPECT_EQ(msg_->from().tag(), "1928301774");
  EXPECT_EQ(msg_->to().display, "Bob");
  EXPECT_EQ(msg_->to().uri, "sip:bob@biloxi.example.com");
  EXPECT_EQ(msg_->to().tag(), "");
  EXPECT_EQ(msg_->call_id(), "a84b4c76e66710@pc33.atlanta.example.com");
  EXPECT_EQ(msg_->cseq().number, 314159u);
  EXPECT_EQ(msg_->cseq().method, Method::kInvite);
}

TEST_F(MessageTest, MalformedTopViaIs400) {
  std::string text = Without(Invite(), kVia);
  text.insert(text.find("\r\n") + 2, "Via: SIP/2.0/UDP\r\n");
  EXPECT_EQ(Parse(text).status, status::kBadRequest);
}

TEST_F(MessageTest, HeaderElementsIterateAcrossAndWithinFields) {
  const ParseError err = Parse(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1 , SIP/2.0/TCP "
      "b.example.com;branch=z9hG4bK2\r\n"
      "To: <sip:bob@biloxi.example.com>;tag=x\r\n"
      "v: SIP/2.0/TLS c.example.com;branch=z9hG4bK3\r\n"
      "From: <sip:alice@atlanta.example.com>;tag=y\r\n"
      "Via: SIP/2.0/UDP d.example.com\r\n ;branch=z9hG4bK4,SIP/2.0/UDP e.example.com\r\n"
      "Call-ID: c@d\r\nCSeq: 1 INVITE\r\n"
      "Contact: \"Doe, John\" <sip:j@x.example.com;a=b,c>, <sip:k@y.example.com>\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  const std::vector<std::string_view> vias = Elements(HeaderId::kVia);
  ASSERT_EQ(vias.size(), 5u);
  EXPECT_EQ(vias[0], "SIP/2.0/UDP a.example.com;branch=z9hG4bK1");
  EXPECT_EQ(vias[1], "SIP/2.0/TCP b.example.com;branch=z9hG4bK2");
  EXPECT_EQ(vias[2], "SIP/2.0/TLS c.example.com;branch=z9hG4bK3");
  EXPECT_EQ(vias[3], "SIP/2.0/UDP d.example.com\r\n ;branch=z9hG4bK4");
  EXPECT_EQ(vias[4], "SIP/2.0/UDP e.example.com");
  EXPECT_EQ(msg_->top_via().host, "a.example.com");
  EXPECT_EQ(msg_->count(HeaderId::kVia), 3u);

  const std::vector<std::string_view> contacts = Elements(HeaderId::kContact);
  ASSERT_EQ(contacts.size(), 2u);
  EXPECT_EQ(contacts[0], "\"Doe, John\" <sip:j@x.example.com;a=b,c>");
  EXPECT_EQ(contacts[1], "<sip:k@y.example.com>");

  EXPECT_TRUE(Elements(HeaderId::kRoute).empty());
}

TEST_F(MessageTest, FieldsOfAnIdAreTheFieldsWithThatIdInOrder) {
  const ParseError err = Parse(
      "SIP/2.0 200 OK\r\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "Record-Route: <sip:p1.example.com;lr>\r\n"
      "v: SIP/2.0/TLS c.example.com;branch=z9hG4bK3\r\n"
      "To: <sip:bob@biloxi.example.com>;tag=x\r\n"
      "From: <sip:alice@atlanta.example.com>;tag=y\r\n"
      "VIA: SIP/2.0/UDP d.example.com\r\n ;branch=z9hG4bK4, SIP/2.0/UDP e.example.com\r\n"
      "Call-ID: c@d\r\nCSeq: 1 INVITE\r\n"
      "Record-Route: <sip:p2.example.com;lr>\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(err.ok()) << err.reason << " at " << err.offset;
  std::vector<std::string_view> names, values;
  for (const HeaderField f : msg_->fields(HeaderId::kVia)) {
    EXPECT_EQ(f.id, HeaderId::kVia);
    names.push_back(f.name);
    values.push_back(f.value);
  }
  EXPECT_EQ(names, (std::vector<std::string_view>{"Via", "v", "VIA"}));
  EXPECT_EQ(
      values,
      (std::vector<std::string_view>{
          "SIP/2.0/UDP a.example.com;branch=z9hG4bK1", "SIP/2.0/TLS c.example.com;branch=z9hG4bK3",
          "SIP/2.0/UDP d.example.com\r\n ;branch=z9hG4bK4, SIP/2.0/UDP e.example.com"}));

  values.clear();
  for (const HeaderField f : msg_->fields(HeaderId::kRecordRoute)) values.push_back(f.value);
  EXPECT_EQ(values,
            (std::vector<std::string_view>{"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"}));

  std::size_t routes = 0;
  for (const HeaderField f : msg_->fields(HeaderId::kRoute)) routes += f.value.size() + 1;
  EXPECT_EQ(routes, 0u);
}

TEST_F(MessageTest, ARegistersContactsAreKeptParsed) {
  const std::string reg =
      "REGISTER sip:biloxi.example.com SIP/2.0\r\n" + std::string(kVia) +
      std::string(kMaxForwards) +
      "To: <sip:bob@biloxi.example.com>\r\nFrom: <sip:bob@biloxi.example.com>;tag=1\r\n" +
      std::string(kCallId) + "CSeq: 1 REGISTER\r\n";
  ASSERT_TRUE(Parse(reg + "Contact: <sip:bob@192.0.2.4>;expires=60;+sip.instance=\"<urn:x>\", "
                          "\"Bob\" <sip:bob@192.0.2.5>\r\nContact: <sip:bob@192.0.2.6>;q=0.5\r\n"
                          "Content-Length: 0\r\n\r\n")
                  .ok());
  ASSERT_TRUE(msg_->contacts_kept());
  ASSERT_EQ(msg_->contacts().size(), 3u);
  EXPECT_EQ(msg_->contacts()[0].uri, "sip:bob@192.0.2.4");
  EXPECT_EQ(msg_->contacts()[0].params, "expires=60;+sip.instance=\"<urn:x>\"");
  EXPECT_EQ(msg_->contacts()[1].display, "\"Bob\"");
  EXPECT_EQ(msg_->contacts()[2].params, "q=0.5");
  // "*" is kept as such.
  ASSERT_TRUE(Parse(reg + "Contact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n").ok());
  ASSERT_TRUE(msg_->contacts_kept());
  ASSERT_EQ(msg_->contacts().size(), 1u);
  EXPECT_TRUE(msg_->contacts()[0].star);
  // More than kKeptContacts: the first ones only, and contacts_kept() says to parse again.
  std::string many = reg + "Contact: ";
  for (int i = 0; i < 6; ++i)
    many += (i ? ", <sip:bob@192.0.2." : "<sip:bob@192.0.2.") + std::to_string(10 + i) + ">";
  ASSERT_TRUE(Parse(many + "\r\nContent-Length: 0\r\n\r\n").ok());
  EXPECT_FALSE(msg_->contacts_kept());
  EXPECT_EQ(msg_->contacts().size(), Message::kKeptContacts);
  // Other requests' Contacts are not parsed by parse_message, and none is kept from before.
  ASSERT_TRUE(Parse(Invite("Contact: <sip:alice@192.0.2.1>\r\n")).ok());
  EXPECT_FALSE(msg_->contacts_kept());
  EXPECT_TRUE(msg_->contacts().empty());
}

// ---------------------------------------------------------------------------------------------
// Reuse

TEST_F(MessageTest, ReusedMessageHoldsOnlyTheSecondParse) {
  // The first buffer outlives the test, so a stale view into it is a wrong value, not UB.
  const std::string first = Invite(
      "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bK2\r\n"
      "Route: <sip:p1.example.com;lr>\r\nSubject: first\r\nX-First: 1\r\n",
      "first body");
  ParseError err = parse_message(first, *msg_);
  ASSERT_TRUE(err.ok()) << err.reason;
  ASSERT_EQ(msg_->count(HeaderId::kVia), 2u);

  const std::string second =
      "SIP/2.0 404 Not Found\r\n"
      "Via: SIP/2.0/TCP other.example.com;branch=z9hG4bKsecond\r\n"
      "To: <sip:x@other.example.com>;tag=t2\r\n"
      "From: <sip:y@other.example.com>;tag=f2\r\n"
      "Call-ID: second@other\r\n"
      "CSeq: 2 OPTIONS\r\n"
      "\r\n";
  err = Parse(second);
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_FALSE(msg_->is_request());
  EXPECT_EQ(msg_->status_code(), 404);
  EXPECT_EQ(msg_->reason_phrase(), "Not Found");
  EXPECT_EQ(msg_->header_count(), 5u);
  EXPECT_EQ(msg_->count(HeaderId::kVia), 1u);
  EXPECT_FALSE(msg_->has(HeaderId::kRoute));
  EXPECT_FALSE(msg_->has(HeaderId::kSubject));
  EXPECT_FALSE(msg_->has(HeaderId::kMaxForwards));
  EXPECT_FALSE(msg_->has(HeaderId::kContentLength));
  EXPECT_EQ(msg_->find_by_name("X-First"), -1);
  EXPECT_FALSE(msg_->has_max_forwards());
  EXPECT_FALSE(msg_->has_content_length());
  EXPECT_EQ(msg_->body(), "");
  EXPECT_EQ(msg_->size(), second.size());
  EXPECT_EQ(msg_->method_name(), "");
  EXPECT_EQ(msg_->request_uri_text(), "");
  EXPECT_EQ(msg_->request_uri().text, "") << "request_uri() still holds the first message's URI";
  EXPECT_EQ(msg_->request_uri().host, "");
  EXPECT_EQ(msg_->top_via().host, "other.example.com");
  EXPECT_EQ(msg_->top_via().has_rport, false);
  EXPECT_EQ(msg_->from().tag(), "f2");
  EXPECT_EQ(msg_->to().tag(), "t2");
  EXPECT_EQ(msg_->call_id(), "second@other");
  EXPECT_EQ(msg_->cseq().number, 2u);
  EXPECT_EQ(msg_->cseq().method, Method::kOptions);
}

// tag-param = "tag" EQUAL token (§25.1): a To or From tag with no value, or a quoted one,
// is refused (a response would add a second tag after it); a token of any shape is a tag.
TEST_F(MessageTest, FromAndToTagsMustBeTokens) {
  for (std::string_view to :
       {"To: <sip:bob@biloxi.example.com>;tag\r\n", "To: <sip:bob@biloxi.example.com>;tag;x=1\r\n",
        "To: <sip:bob@biloxi.example.com>;TAG=\"quoted\"\r\n",
        "To: sip:bob@biloxi.example.com;tag\r\n"}) {
    const std::string text = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" + std::string(kVia) +
                             std::string(kMaxForwards) + std::string(to) + std::string(kFrom) +
                             std::string(kCallId) + std::string(kCSeq) +
                             std::string(kContentLength) + "\r\n";
    const ParseError e = Parse(text);
    EXPECT_EQ(e.status, status::kBadRequest) << to;
    EXPECT_EQ(e.reason, "Malformed tag parameter") << to;
  }
  std::string text = Invite();  // the standard From, its tag valueless
  text.replace(text.find(";tag=1928301774"), 15, ";tag");
  EXPECT_EQ(Parse(text).reason, "Malformed tag parameter");
  // Tokens: '.', '!', '%', '*', '_', '+', '`', '\'', '~' and '-' are token characters.
  text = Invite();
  text.replace(text.find(";tag=1928301774"), 15, ";tag=a.b!c%d*e_f+g`h'i~j-k");
  ASSERT_TRUE(Parse(text).ok());
  EXPECT_EQ(msg_->from().tag(), "a.b!c%d*e_f+g`h'i~j-k");
}

TEST_F(MessageTest, ReuseAfterAFailedParse) {
  ASSERT_EQ(Parse("garbage\r\n\r\n").status, status::kBadRequest);
  const ParseError err = Parse(Invite());
  ASSERT_TRUE(err.ok()) << err.reason;
  EXPECT_EQ(msg_->method(), Method::kInvite);
  EXPECT_EQ(msg_->header_count(), 7u);
}

}  // namespace
}  // namespace sipwire
