// An Outbox that keeps what the engine sends: each datagram's bytes (segments joined) and
// its destination, so tests assert exactly what would go on the wire.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/engine/outbox.h"

namespace sipwire::testing {

class FakeOutbox : public Outbox {
 public:
  struct Sent {
    NetAddress to;
    std::string bytes;
    NetAddress from;  // the listen address the engine asked to send from (invalid: none)
  };

  char* scratch(std::size_t bytes) override {
    arenas_.emplace_back(bytes, '\0');
    return arenas_.back().data();
  }
  bool send_from(const NetAddress& from, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
    if (segments.size() > kMaxSegments) return false;
    if (in_batch_) {
      pending_.push_back({to, {segments.begin(), segments.end()}, from});
      return true;
    }
    sent.push_back({to, join(segments), from});
    return true;
  }
  // Runs `engine_call` as one batch of a backend: send() keeps the segments' views and they are
  // read only once the call has returned, as the socket backend's sendmmsg reads them. A segment
  // that pointed into the engine's stack (rather than the received datagram, scratch or the
  // message store) then no longer holds its bytes: the dead stack is overwritten first. The
  // caller's datagram must live until batch() returns, as a backend's receive buffers do.
  template <class EngineCall>
  void batch(EngineCall&& engine_call) {
    in_batch_ = true;
    engine_call();
    in_batch_ = false;
    overwrite_dead_stack();
    for (const Pending& p : pending_) sent.push_back({p.to, join(p.segments), p.from});
    pending_.clear();
  }
  // The only datagram sent (tests that expect exactly one).
  const Sent& only() const {
    static const Sent none{};
    return sent.size() == 1 ? sent.front() : none;
  }
  void clear() {
    sent.clear();
    pending_.clear();
    arenas_.clear();
  }

  std::vector<Sent> sent;

 private:
  struct Pending {
    NetAddress to;
    std::vector<std::string_view> segments;
    NetAddress from;
  };
  static std::string join(std::span<const std::string_view> segments) {
    std::string joined;
    for (std::string_view s : segments) joined += s;
    return joined;
  }
  // Fills the stack below the caller's frame, where the engine's frames were, with a byte no
  // SIP message the tests send holds.
  [[gnu::noinline]] static void overwrite_dead_stack() {
    volatile char fill[64 * 1024];
    for (std::size_t i = 0; i < sizeof fill; ++i) fill[i] = '\x7F';  // volatile: kept
  }

  bool in_batch_ = false;
  std::vector<Pending> pending_;
  std::vector<std::string> arenas_;
};

}  // namespace sipwire::testing
