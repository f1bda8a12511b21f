// Message boundaries on a stream transport (TCP, TLS): RFC 3261 §18.3 frames each message by
// its Content-Length, which is mandatory there. RFC 5626 keepalives (CRLF CRLF ping, CRLF
// pong) between messages are recognised so the transport can answer a ping with a pong.
#pragma once

#include <cstddef>
#include <string_view>

#include "sipwire/parse_error.h"

namespace sipwire {

struct Frame {
  enum class Kind {
    kNeedMore,  // not a whole message yet: read more bytes
    kMessage,   // stream[0, length) is one message: parse it with Framing::kStream
    kPing,      // stream[0, 4) is a CRLF CRLF ping: consume it, answer CRLF
    kPong,      // stream[0, 2) is a CRLF pong: consume it
    kError,     // unrecoverable framing error: answer `error.status` if a request, then close
  };
  Kind kind = Kind::kNeedMore;
  std::size_t length = 0;
  ParseError error;
};

// Looks at the front of a connection's receive buffer. Never reads past `stream`; a message
// (or a header block still without its end) larger than `max_message_size` is an error (513)
// so a peer cannot make the buffer grow without bound.
Frame find_frame(std::string_view stream, std::size_t max_message_size = 65535);

}  // namespace sipwire
