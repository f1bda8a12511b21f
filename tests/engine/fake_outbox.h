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
  };

  char* scratch(std::size_t bytes) override {
    arenas_.emplace_back(bytes, '\0');
    return arenas_.back().data();
  }
  bool send(const NetAddress& to, std::span<const std::string_view> segments) override {
    if (segments.size() > kMaxSegments) return false;
    if (defer_until_flush) {
      pending_.push_back({to, {segments.begin(), segments.end()}});
      return true;
    }
    sent.push_back({to, join(segments)});
    return true;
  }
  // With defer_until_flush, send() keeps the segments' views and flush() reads them, as the
  // socket backend's sendmmsg does after the engine has returned: a segment that pointed into
  // the engine's stack (rather than the received datagram, scratch or the message store) no
  // longer holds its bytes. The caller flushes after the engine's call returns, and before the
  // tick that lets the message store reuse released slots.
  // Runs `engine_call` as one batch of a backend: what it sends is read once it has returned.
  template <class EngineCall>
  void batch(EngineCall&& engine_call) {
    defer_until_flush = true;
    engine_call();
    flush();
    defer_until_flush = false;
  }
  void flush() {
    overwrite_dead_stack();
    for (const Pending& p : pending_) sent.push_back({p.to, join(p.segments)});
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
  bool defer_until_flush = false;

 private:
  struct Pending {
    NetAddress to;
    std::vector<std::string_view> segments;
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

  std::vector<Pending> pending_;
  std::vector<std::string> arenas_;
};

}  // namespace sipwire::testing
