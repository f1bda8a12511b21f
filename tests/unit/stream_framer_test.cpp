// find_frame(): message boundaries on a stream transport (RFC 3261 §18.3) and RFC 5626
// CRLF keepalives.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/stream_framer.h"

namespace sipwire {
namespace {

std::string Request(std::string_view content_length_line, std::string_view body) {
  return "MESSAGE sip:bob@biloxi.example.com SIP/2.0\r\n"
         "Via: SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
         "Max-Forwards: 70\r\n"
         "To: <sip:bob@biloxi.example.com>\r\n"
         "From: <sip:alice@atlanta.example.com>;tag=49583\r\n"
         "Call-ID: asd88asd77a@1.2.3.4\r\n"
         "CSeq: 1 MESSAGE\r\n" +
         std::string(content_length_line) + "\r\n" + std::string(body);
}

std::string WithBody(std::string_view body) {
  return Request("Content-Length: " + std::to_string(body.size()) + "\r\n", body);
}

TEST(StreamFramerTest, OneMessage) {
  const std::string msg = WithBody("Watson, come here.");
  const Frame f = find_frame(msg);
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, msg.size());
  EXPECT_TRUE(f.error.ok());

  // The frame parses as one stream message of the same size.
  Message m;
  ParseOptions stream;
  stream.framing = Framing::kStream;
  ASSERT_TRUE(parse_message(std::string_view(msg).substr(0, f.length), m, stream).ok());
  EXPECT_EQ(m.size(), f.length);
  EXPECT_EQ(m.body(), "Watson, come here.");
}

TEST(StreamFramerTest, MessageWithoutBody) {
  const std::string msg = WithBody("");
  const Frame f = find_frame(msg);
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramerTest, TwoMessagesBackToBack) {
  const std::string first = WithBody("first");
  const std::string second = WithBody("the second body");
  const std::string stream = first + second;
  const Frame f1 = find_frame(stream);
  ASSERT_EQ(f1.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f1.length, first.size());
  const Frame f2 = find_frame(std::string_view(stream).substr(f1.length));
  ASSERT_EQ(f2.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f2.length, second.size());
}

TEST(StreamFramerTest, MessageFollowedByAPartialOne) {
  const std::string first = WithBody("first");
  const std::string stream = first + WithBody("second").substr(0, 30);
  const Frame f = find_frame(stream);
  ASSERT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, first.size());
  EXPECT_EQ(find_frame(std::string_view(stream).substr(f.length)).kind, Frame::Kind::kNeedMore);
}

TEST(StreamFramerTest, EveryPrefixNeedsMore) {
  // Partial start line, partial header block (ending in a CR, in a CRLF pair, ...) and partial
  // body all need more bytes; the whole message is a frame.
  const std::string msg = WithBody("0123456789abcdef");
  for (std::size_t n = 0; n < msg.size(); ++n) {
    const Frame f = find_frame(std::string_view(msg).substr(0, n));
    EXPECT_EQ(f.kind, Frame::Kind::kNeedMore) << "prefix " << n;
  }
  EXPECT_EQ(find_frame(msg).kind, Frame::Kind::kMessage);
}

TEST(StreamFramerTest, PartialBodyNeedsMore) {
  const std::string msg = WithBody("0123456789");
  const Frame f = find_frame(std::string_view(msg).substr(0, msg.size() - 1));
  EXPECT_EQ(f.kind, Frame::Kind::kNeedMore);
  EXPECT_EQ(f.length, 0u);
}

TEST(StreamFramerTest, Ping) {
  Frame f = find_frame("\r\n\r\n");
  EXPECT_EQ(f.kind, Frame::Kind::kPing);
  EXPECT_EQ(f.length, 4u);
  // A ping followed by the next message: only the ping is consumed.
  f = find_frame("\r\n\r\n" + WithBody(""));
  EXPECT_EQ(f.kind, Frame::Kind::kPing);
  EXPECT_EQ(f.length, 4u);
}

TEST(StreamFramerTest, PongThenMessage) {
  const std::string msg = WithBody("x");
  const std::string stream = "\r\n" + msg;
  const Frame f = find_frame(stream);
  EXPECT_EQ(f.kind, Frame::Kind::kPong);
  EXPECT_EQ(f.length, 2u);
  const Frame next = find_frame(std::string_view(stream).substr(f.length));
  EXPECT_EQ(next.kind, Frame::Kind::kMessage);
  EXPECT_EQ(next.length, msg.size());
}

TEST(StreamFramerTest, TooShortToTellPingFromPong) {
  for (std::string_view s : {"\r", "\r\n", "\r\n\r"}) {
    EXPECT_EQ(find_frame(s).kind, Frame::Kind::kNeedMore) << s.size();
  }
}

TEST(StreamFramerTest, BareCrAtStreamStartIsAnError) {
  const Frame f = find_frame("\rINVITE");
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kBadRequest);
}

TEST(StreamFramerTest, MissingContentLengthIs400) {
  const Frame f = find_frame(Request("", ""));
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kBadRequest);
  EXPECT_FALSE(f.error.reason.empty());
}

TEST(StreamFramerTest, MalformedContentLengthIs400) {
  for (std::string_view value : {"-5", "abc", "", "5x", "1 2", "4294967296"}) {
    const std::string msg = Request("Content-Length: " + std::string(value) + "\r\n", "hello");
    const Frame f = find_frame(msg);
    EXPECT_EQ(f.kind, Frame::Kind::kError) << "'" << value << "'";
    EXPECT_EQ(f.error.status, status::kBadRequest) << "'" << value << "'";
    EXPECT_EQ(f.error.offset, msg.find("Content-Length")) << "'" << value << "'";
  }
}

TEST(StreamFramerTest, TwoContentLengthFieldsAreAnError) {
  for (std::string_view lines :
       {"Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5\r\nl: 3\r\n",
        "l: 5\r\ncontent-length: 5\r\n"}) {
    const std::string msg = Request(lines, "hello");
    const Frame f = find_frame(msg);
    EXPECT_EQ(f.kind, Frame::Kind::kError) << lines;
    EXPECT_EQ(f.error.status, status::kBadRequest) << lines;
    EXPECT_EQ(f.error.offset, msg.find("\r\n", msg.find(lines)) + 2) << lines;
  }
}

TEST(StreamFramerTest, CompactAndCaseInsensitiveContentLength) {
  for (std::string_view line :
       {"l: 5\r\n", "L:5\r\n", "content-length: 5\r\n", "CONTENT-LENGTH \t: 5 \r\n"}) {
    const std::string msg = Request(line, "hello");
    const Frame f = find_frame(msg + "NEXT");
    EXPECT_EQ(f.kind, Frame::Kind::kMessage) << line;
    EXPECT_EQ(f.length, msg.size()) << line;
  }
}

TEST(StreamFramerTest, OtherHeadersNamedLikeContentLengthDoNotCount) {
  const std::string msg = Request("Content-Length-X: 99\r\nX-Content-Length: 99\r\nl: 2\r\n", "ok");
  const Frame f = find_frame(msg);
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramerTest, MessageOverMaxSizeIs513) {
  const std::string msg = WithBody(std::string(100, 'b'));
  // The Content-Length alone tells the message is too large: no need to wait for the body.
  Frame f = find_frame(std::string_view(msg).substr(0, msg.size() - 100), msg.size() - 1);
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kMessageTooLarge);
  f = find_frame(msg, msg.size() - 1);
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kMessageTooLarge);
  // Exactly the maximum is fine.
  f = find_frame(msg, msg.size());
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

TEST(StreamFramerTest, UnterminatedHeaderBlockOverMaxSizeIs513) {
  std::string endless = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n";
  while (endless.size() < 1000)
    endless += "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
  Frame f = find_frame(endless, 500);
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kMessageTooLarge);
  // Below the maximum, the same bytes just need more.
  f = find_frame(endless, 65535);
  EXPECT_EQ(f.kind, Frame::Kind::kNeedMore);
  // A header line that never ends is bounded too.
  f = find_frame(std::string(800, 'A'), 500);
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kMessageTooLarge);
}

TEST(StreamFramerTest, BareLfInHeaderBlockIs400) {
  std::string msg = WithBody("");
  const std::size_t lf = msg.find("\r\n", msg.find("Max-Forwards"));
  msg.erase(lf, 1);
  const Frame f = find_frame(msg);
  EXPECT_EQ(f.kind, Frame::Kind::kError);
  EXPECT_EQ(f.error.status, status::kBadRequest);
  EXPECT_EQ(f.error.offset, lf);
}

TEST(StreamFramerTest, BareCrOrLfAnywhereInHeaderBlockIs400) {
  const std::string msg = WithBody("body");
  const std::size_t header_end = msg.size() - 4;
  for (std::size_t i = 1; i < header_end; ++i) {
    if (msg[i] == '\r' || msg[i] == '\n') continue;
    for (char c : {'\r', '\n'}) {
      std::string bad = msg;
      bad[i] = c;
      const Frame f = find_frame(bad);
      EXPECT_EQ(f.kind, Frame::Kind::kError) << "byte " << i << (c == '\r' ? " CR" : " LF");
      EXPECT_EQ(f.error.status, status::kBadRequest) << "byte " << i;
      EXPECT_EQ(f.error.offset, i) << "byte " << i << (c == '\r' ? " CR" : " LF");
    }
  }
}

TEST(StreamFramerTest, BinaryBodyIsNotScanned) {
  const std::string body("\n\r\0\r\r\n\n", 7);
  const std::string msg = WithBody(body);
  const Frame f = find_frame(msg + WithBody(""));
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.length, msg.size());
}

}  // namespace
}  // namespace sipwire
