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

// Writes the response into `out`; returns its length, or 0 when none can or should be sent.
std::size_t write_error_response(std::string_view datagram, const ParseError& error,
                                 std::span<char> out);

}  // namespace sipwire
