// SIP messages for the matching tests, built field by field and parsed with the real parser.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sipwire/message.h"

namespace sipwire::testing {

struct RequestText {
  std::string method = "INVITE";
  std::string ruri = "sip:bob@example.com";
  std::string via = "SIP/2.0/UDP client.example.org:5060;branch=z9hG4bKabc1";
  std::string from = "<sip:alice@example.org>;tag=f1";
  std::string to = "<sip:bob@example.com>";
  std::string call_id = "call-1@client.example.org";
  uint32_t cseq = 1;
  std::string cseq_method;  // "" means the request's method

  std::string str() const {
    return method + " " + ruri + " SIP/2.0\r\nVia: " + via +
           "\r\nMax-Forwards: 70\r\nFrom: " + from + "\r\nTo: " + to + "\r\nCall-ID: " + call_id +
           "\r\nCSeq: " + std::to_string(cseq) + " " +
           (cseq_method.empty() ? method : cseq_method) + "\r\nContent-Length: 0\r\n\r\n";
  }
};

struct ResponseText {
  int status = 200;
  std::string via = "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1";
  std::string to = "<sip:bob@example.com>;tag=t9";
  std::string cseq_method = "INVITE";

  std::string str() const {
    return "SIP/2.0 " + std::to_string(status) + " Whatever\r\nVia: " + via +
           "\r\nFrom: <sip:alice@example.org>;tag=f1\r\nTo: " + to +
           "\r\nCall-ID: call-1@client.example.org\r\nCSeq: 1 " + cseq_method +
           "\r\nContent-Length: 0\r\n\r\n";
  }
};

// A parsed message that owns its bytes.
class Parsed {
 public:
  explicit Parsed(std::string text) : text_(std::move(text)), msg_(std::make_unique<Message>()) {
    const ParseError e = parse_message(text_, *msg_);
    EXPECT_TRUE(e.ok()) << e.reason << "\n" << text_;
  }
  explicit Parsed(const RequestText& r) : Parsed(r.str()) {}
  explicit Parsed(const ResponseText& r) : Parsed(r.str()) {}
  const Message& operator*() const { return *msg_; }
  operator const Message&() const { return *msg_; }

 private:
  std::string text_;
  std::unique_ptr<Message> msg_;
};

}  // namespace sipwire::testing
