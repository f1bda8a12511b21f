// libFuzzer target: the whole engine, as the data plane drives it. Each input is split into
// datagrams at "\n---\n"; they go in order to two ProxyCores, a stateless one and a stateful
// one (transactions, forking; its timers run between datagrams), each with its registrar and
// location service, so REGISTERs made by earlier datagrams shape what later ones reach. Besides
// crashes and sanitizer reports it fails when the engine sends something impossible: an empty
// datagram, too many segments, or (stateless) a segment outside both the input and the scratch
// it was given. The stateful proxy also sends copies from its own message store.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/engine/proxy_core.h"

namespace {
using namespace sipwire;

class CheckingOutbox : public Outbox {
 public:
  CheckingOutbox(std::string_view input, bool own_copies)
      : input_(input), own_copies_(own_copies) {}
  char* scratch(std::size_t bytes) override {
    arenas_.emplace_back(new char[bytes]);
    sizes_.push_back(bytes);
    return arenas_.back().get();
  }
  bool send(const NetAddress& to, std::span<const std::string_view> segments) override {
    if (!to.valid() || segments.empty() || segments.size() > kMaxSegments) std::abort();
    std::size_t total = 0;
    for (std::string_view s : segments) {
      if (!own_copies_ && !owned(s)) std::abort();
      total += s.size();
    }
    if (total == 0) std::abort();
    return true;
  }

 private:
  bool inside(std::string_view s, const char* b, std::size_t n) const {
    return s.data() >= b && s.data() + s.size() <= b + n;
  }
  bool owned(std::string_view s) const {
    if (inside(s, input_.data(), input_.size())) return true;
    for (std::size_t i = 0; i < arenas_.size(); ++i)
      if (inside(s, arenas_[i].get(), sizes_[i])) return true;
    return false;
  }
  std::string_view input_;
  bool own_copies_;
  std::vector<std::unique_ptr<char[]>> arenas_;
  std::vector<std::size_t> sizes_;
};

struct World {
  Qsbr qsbr{1};
  LocationTable table{64, qsbr};
  std::unique_ptr<ProxyCore> core;
  explicit World(ProxyMode mode) {
    EngineSettings s;
    s.mode = mode;
    s.transactions.capacity = 256;
    s.message_store_bytes = 4 << 20;
    s.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
    s.domains = {"localhost", "example.com"};
    s.routes = {{"example.net", NetAddress::ipv4(127, 0, 0, 2, 5060)}};
    s.registrar.max_contacts = 4;
    qsbr.online(0);
    core = std::make_unique<ProxyCore>(s, table);
  }
};
}  // namespace

void run(World& world, std::string_view in, bool stateful) {
  const NetAddress source =
      NetAddress::ipv4(192, 0, 2, static_cast<uint8_t>(in.size() % 250), 5062);
  std::size_t pos = 0;
  uint64_t now = 1'000'000 + in.size() * 997;
  while (pos <= in.size()) {
    std::size_t end = in.find("\n---\n", pos);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view datagram = in.substr(pos, end - pos);
    CheckingOutbox out(datagram, stateful);
    world.core->handle(datagram, source, out, now);
    now += 1000;
    CheckingOutbox timers({}, stateful);
    world.core->tick(timers, now);  // retransmissions, timeouts: what the wait let fire
    pos = end + 5;
  }
  world.qsbr.quiescent(0);
  world.table.sweep(world.table.writer(0), now, 64);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Bindings and transactions persist across inputs, as in a running proxy.
  static World* stateless = new World(ProxyMode::kStateless);
  static World* stateful = new World(ProxyMode::kStateful);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  run(*stateless, in, false);
  run(*stateful, in, true);
  return 0;
}
