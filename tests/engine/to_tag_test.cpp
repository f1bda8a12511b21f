// The To tag the proxy puts on its own responses: 16 hex digits of a hash of the Call-ID and
// From tag, lowest nibble first, so a retransmitted request is answered with the same tag by
// any worker, with no state. Checked against that rule written out digit by digit.
#include <gtest/gtest.h>

#include <string>

#include "response_writer.h"
#include "sipwire/message.h"

namespace sipwire {
namespace {

std::string Request(const std::string& call_id, const std::string& from_tag) {
  return "OPTIONS sip:localhost SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
         "From: <sip:a@localhost>;tag=" +
         from_tag + "\r\nTo: <sip:localhost>\r\nCall-ID: " + call_id +
         "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
}

std::string TagOf(const std::string& text) {
  Message m;
  EXPECT_TRUE(parse_message(text, m).ok());
  char tag[16];
  write_to_tag(m, tag);
  return std::string(tag, sizeof tag);
}

std::string Expected(const std::string& call_id, const std::string& from_tag) {
  uint64_t h = fnv1a(from_tag, fnv1a(call_id));
  std::string out;
  for (int i = 0; i < 16; ++i, h >>= 4) out += "0123456789abcdef"[h & 15];
  return out;
}

TEST(ToTag, SixteenHexDigitsOfTheHashLowestNibbleFirst) {
  for (const auto& [call_id, from_tag] :
       {std::pair<std::string, std::string>{"a84b4c76e66710@pc33.example.com", "1928301774"},
        {"x", "1"},
        {"4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10", "c3a91f0b5d4e4b2a9e1c"}})
    EXPECT_EQ(TagOf(Request(call_id, from_tag)), Expected(call_id, from_tag)) << call_id;
}

TEST(ToTag, SameDialogSameTagOtherDialogOtherTag) {
  EXPECT_EQ(TagOf(Request("c1@h", "t1")), TagOf(Request("c1@h", "t1")));
  EXPECT_NE(TagOf(Request("c1@h", "t1")), TagOf(Request("c2@h", "t1")));
  EXPECT_NE(TagOf(Request("c1@h", "t1")), TagOf(Request("c1@h", "t2")));
}

}  // namespace
}  // namespace sipwire
