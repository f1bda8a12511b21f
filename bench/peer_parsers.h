// Adapters around peer SIP parsers (oSIP and Sofia-SIP) so benchmarks can
// compare sipwire's parser against them on the same bytes.
//
// The C headers of the peer libraries stay in peer_parsers.cpp; this header
// only needs <string_view>.
#pragma once

#include <string_view>

namespace sipwire::bench {

// One-time global setup the peers need: oSIP's parser_init(), without which
// oSIP crashes. Idempotent and thread-safe. osip_parse() calls it itself;
// calling it up front keeps the one-off cost out of the first measured
// iteration.
void peer_parsers_init();

// Fully parses `msg` with oSIP (osip_message_init/parse/free), as a stack
// built on oSIP does for every received message. Returns true if the
// message parsed and has a start line, Call-ID, CSeq and at least one Via.
// Debian's libosip2 is built with tracing, so failures log to stderr.
bool osip_parse(std::string_view msg);

// Fully parses `msg` with Sofia-SIP the way its transport layer handles a
// datagram: copy into a fresh msg_t's receive buffer, mark end of stream,
// msg_extract(). Returns true if the message is complete, every header the
// parser knows parsed without error, and the start line, Call-ID, CSeq and
// Via are present.
bool sofia_parse(std::string_view msg);

}  // namespace sipwire::bench
