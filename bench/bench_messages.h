// Realistic RFC 3261 messages shared by the parser benchmarks.
//
// All messages use CRLF line ends and carry an exact Content-Length, so
// every parser under test (ours and the peer libraries) must accept them.
#pragma once

#include <array>
#include <string_view>

namespace sipwire::bench {

// REGISTER from a desk phone (~535 bytes, no body).
extern const std::string_view kRegister;
// Softphone INVITE with a single-stream audio SDP offer (~840 bytes).
extern const std::string_view kInviteSdp;
// 200 OK to an INVITE travelling back through two proxies: three Vias,
// two Record-Routes and an SDP answer (~1190 bytes).
extern const std::string_view kOk200RecordRoute;
// OPTIONS keepalive (~285 bytes, no body).
extern const std::string_view kOptions;
// IMS-style INVITE with a long header set and audio+video SDP (~4090 bytes).
extern const std::string_view kInviteLarge;

struct NamedMessage {
  std::string_view name;
  std::string_view bytes;
};

// Every message above, in a fixed order, for table-driven benchmarks.
extern const std::array<NamedMessage, 5> kAllMessages;

}  // namespace sipwire::bench
