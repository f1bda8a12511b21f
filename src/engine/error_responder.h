// The answer to a request that failed to parse (RFC 3261 §16.3 step 1, RFC 4475): the status
// and reason of the defect, with the Via, From, To, Call-ID and CSeq lines copied as they are
// (the parser stopped at the defect, so they are found by a tolerant line scan). Without a Via
// no response can be addressed, and none is built.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sipwire/parse_error.h"

namespace sipwire {

// What a datagram that failed to parse is, read from its start line as received: the parse
// may have failed before it read the start line (a bare CR or LF, a message too large), and the
// Message then says nothing about it. CRLFs before the start line are skipped, as the parser
// does (§7.5); a datagram of nothing else is a keepalive (phones behind NATs send "\r\n\r\n"
// over UDP too, though RFC 5626 has STUN there), neither answered nor counted as malformed.
enum class MalformedKind { kRequest, kAck, kResponse, kKeepalive };
MalformedKind classify_malformed(std::string_view datagram);

// Writes the response into `out`; returns its length, or 0 when none can or should be sent.
std::size_t write_error_response(std::string_view datagram, const ParseError& error,
                                 std::span<char> out);

}  // namespace sipwire
