// An Outbox that keeps what the engine sends: each datagram's bytes (segments joined) and
// its destination, so tests assert exactly what would go on the wire.
#pragma once

#include <string>
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
    std::string joined;
    for (std::string_view s : segments) joined += s;
    sent.push_back({to, std::move(joined)});
    return true;
  }
  // The only datagram sent (tests that expect exactly one).
  const Sent& only() const {
    static const Sent none{};
    return sent.size() == 1 ? sent.front() : none;
  }
  void clear() {
    sent.clear();
    arenas_.clear();
  }

  std::vector<Sent> sent;

 private:
  std::vector<std::string> arenas_;
};

}  // namespace sipwire::testing
