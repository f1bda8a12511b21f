// RFC 3261 §18.2.1 and RFC 3581: a server notes in the top Via where a request really came
// from, "received=<source ip>" when the sent-by host is not that address (always, when the
// client asked for rport), and "rport=<source port>" when it asked. Responses then reach a
// client behind NAT. Computes the two insertions; the caller applies them to a copy (a
// response) or as edits (a forwarded request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct ViaFix {
  uint32_t top_end = 0;      // where the top Via element ends, as an offset in the message
  uint32_t rport_at = 0;     // where "=port" goes (just after a value-less "rport"); 0: nowhere
  uint32_t received_at = 0;  // where ";received=ip" goes (the element's end); 0: nowhere
  char rport_text[8] = {};   // "=65535"
  std::size_t rport_len = 0;
  char received_text[64] = {};  // ";received=2001:db8::1"
  std::size_t received_len = 0;

  std::string_view rport() const { return {rport_text, rport_len}; }
  std::string_view received() const { return {received_text, received_len}; }
};

// Computes the fix for `msg` received from `source`. False when the top Via cannot be located.
bool compute_via_fix(const Message& msg, const NetAddress& source, ViaFix& fix);

// The address a response to `msg` goes to (§18.2.2 for UDP, RFC 3581): the source address,
// at the source port if the client asked for rport, else at the sent-by port (5060 default).
NetAddress response_destination(const Message& msg, const NetAddress& source);

}  // namespace sipwire
