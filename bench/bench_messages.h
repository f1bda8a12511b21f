// Realistic RFC 3261 messages shared by the parser benchmarks.
//
// All messages use CRLF line ends and carry an exact Content-Length, so
// every parser under test (ours and the peer libraries) must accept them.
#pragma once

#include <array>
#include <string>
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

// Bob's answer to Alice's INVITE (kInviteSdp) as his phone sends it: a 180 Ringing, or with
// `ok` a 200 OK with kOk200RecordRoute's SDP. `vias` are the Via (and Record-Route) lines the
// forwarded INVITE carried, CRLF-terminated, as a UAS copies them; `call_id` and `contact`
// (a name-addr) are his.
std::string callee_answer(bool ok, std::string_view vias, std::string_view call_id,
                          std::string_view contact);

}  // namespace sipwire::bench
