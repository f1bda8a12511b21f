// How the I/O-free engine sends: a datagram is gathered from segments (views of the received
// bytes, and text the engine writes into scratch space), so forwarding a message never copies
// it into a new buffer in the engine. Each I/O backend implements an Outbox: the socket
// backend with sendmmsg iovecs, the DPDK backend with mbuf edits.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sipwire/net_address.h"

namespace sipwire {

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Scratch bytes for text the engine inserts (a Via, a response). Valid until the backend
  // flushes the current batch, which it does only after the engine returns. nullptr when the
  // batch's scratch space is exhausted: the engine then drops the send and counts it.
  virtual char* scratch(std::size_t bytes) = 0;

  // The engine wrote only `used` bytes of `block`, the scratch it asked for last: the rest may
  // serve the next request. A response asks for 4 KiB and fills a tenth of it; without this a
  // burst of them spreads over megabytes, and out of the cache. Optional for an outbox.
  virtual void scratch_used(const char* block, std::size_t used) {
    (void)block;
    (void)used;
  }

  // Queues one datagram to `to`, the concatenation of `segments` (views of the received
  // datagram or of scratch space; at most kMaxSegments). Returns false when the batch is
  // full (the backend flushes and the engine may retry) or the datagram is too large. It
  // leaves from the listen address the datagram being handled came in at, when that is of
  // `to`'s family, else from the first listen address of that family.
  bool send(const NetAddress& to, std::span<const std::string_view> segments) {
    return send_from(NetAddress{}, to, segments);
  }
  // The same from listen address `from` when it is of `to`'s family (invalid, of the other
  // family or not ours: as send): what is sent later, from a timer or on a response, for a
  // request that came in at `from`, leaves from where the request came in, as what was sent
  // while handling it did.
  virtual bool send_from(const NetAddress& from, const NetAddress& to,
                         std::span<const std::string_view> segments) = 0;

  static constexpr std::size_t kMaxSegments = 16;
};

}  // namespace sipwire
