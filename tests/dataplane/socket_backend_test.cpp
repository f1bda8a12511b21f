// The socket backend on real loopback sockets: client UDP sockets talk to a running backend
// whose handlers echo, count or misbehave on purpose. Every wait is bounded (poll with a
// timeout, deadlines on stats), so a broken backend fails a test instead of hanging it.
#include "dataplane/socket_backend.h"
#include "dataplane/scratch_arena.h"
#include "dataplane/shard_router.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sipwire::dataplane {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kReceiveTimeoutMs = 3000;

const NetAddress kLoopback4 = NetAddress::ipv4(127, 0, 0, 1, 0);
NetAddress Loopback6() {
  return *NetAddress::parse("::1", 0);
}

// The test's own sockaddr conversion (through text), independent of the backend's.
socklen_t ToSockaddr(const NetAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  const std::string ip = a.ip_string();
  if (a.is_ipv6()) {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(out);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(a.port);
    inet_pton(AF_INET6, ip.c_str(), &sin6.sin6_addr);
    return sizeof sin6;
  }
  auto& sin = reinterpret_cast<sockaddr_in&>(out);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(a.port);
  inet_pton(AF_INET, ip.c_str(), &sin.sin_addr);
  return sizeof sin;
}

std::string SockaddrText(const sockaddr_storage& s) {
  char ip[INET6_ADDRSTRLEN] = {};
  if (s.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(s);
    inet_ntop(AF_INET6, &sin6.sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(sin6.sin6_port));
  }
  const auto& sin = reinterpret_cast<const sockaddr_in&>(s);
  inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(sin.sin_port));
}

// A plain UDP socket bound to `at` (port 0: any), without SO_REUSEPORT; -1 when it cannot.
int PlainSocket(const NetAddress& at) {
  const int fd = ::socket(at.is_ipv6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage s;
  const socklen_t len = ToSockaddr(at, s);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&s), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool CanBind(const NetAddress& at) {
  const int fd = PlainSocket(at);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

struct Datagram {
  std::string bytes;
  std::string from;  // "127.0.0.1:40000" or "[::1]:40000"
};

// A test peer: one UDP socket, sends and receives with bounded waits.
class Client {
 public:
  explicit Client(const NetAddress& bind_to) : fd_(PlainSocket(bind_to)) {
    sockaddr_storage s;
    socklen_t len = sizeof s;
    if (fd_ >= 0) ::getsockname(fd_, reinterpret_cast<sockaddr*>(&s), &len);
    address_ = fd_ >= 0 ? SockaddrText(s) : "";
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int fd() const { return fd_; }
  const std::string& address() const { return address_; }

  bool send_to(const NetAddress& to, std::string_view bytes) const {
    sockaddr_storage s;
    const socklen_t len = ToSockaddr(to, s);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&s), len) ==
           static_cast<ssize_t>(bytes.size());
  }

  // The next datagram, or nothing when none arrives within `timeout_ms`.
  std::optional<Datagram> receive(int timeout_ms = kReceiveTimeoutMs) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::nullopt;
    return receive_now();
  }

  // A datagram already waiting, or nothing.
  std::optional<Datagram> receive_now() const {
    std::string buffer(65536, '\0');
    sockaddr_storage s;
    socklen_t len = sizeof s;
    const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                 reinterpret_cast<sockaddr*>(&s), &len);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(n));
    return Datagram{std::move(buffer), SockaddrText(s)};
  }

 private:
  int fd_;
  std::string address_;
};

// Runs a backend on its own thread for the test's duration; stops and joins on destruction.
class Running {
 public:
  Running(SocketBackend& backend, std::function<PacketHandler&(unsigned)> handler_for)
      : handler_for_(std::move(handler_for)), thread_([this, &backend] {
          backend.run(handler_for_, stop_);
          returned_.store(true);
        }) {}
  ~Running() { stop(); }

  // Sets the stop flag and joins; returns how long run() took to return.
  milliseconds stop() {
    const auto start = Clock::now();
    stop_.store(true);
    if (!thread_.joinable()) return milliseconds(0);
    // A run() that ignores stop would hang the test: fail loudly instead. The thread cannot
    // be abandoned (it uses the backend and the handlers), so end the process.
    while (!returned_.load() && Clock::now() - start < milliseconds(10000)) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    if (!returned_.load()) {
      std::fprintf(stderr, "FATAL: run() did not return within 10 s of stop\n");
      std::abort();
    }
    thread_.join();
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  }
  bool returned() const { return returned_.load(); }

 private:
  std::function<PacketHandler&(unsigned)> handler_for_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

// Waits until `condition` holds or `timeout` passes; returns whether it held.
bool Eventually(const std::function<bool()>& condition, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return condition();
}

WorkerStats Total(const SocketBackend& backend) {
  WorkerStats t;
  for (unsigned w = 0; w < backend.workers(); ++w) {
    const WorkerStats s = backend.stats(w);
    t.rx_datagrams += s.rx_datagrams;
    t.rx_bytes += s.rx_bytes;
    t.tx_datagrams += s.tx_datagrams;
    t.tx_bytes += s.tx_bytes;
    t.tx_errors += s.tx_errors;
    t.rx_truncated += s.rx_truncated;
    t.batches += s.batches;
    t.tx_refused += s.tx_refused;
    t.scratch_exhausted += s.scratch_exhausted;
    t.handovers_out += s.handovers_out;
    t.handovers_in += s.handovers_in;
    t.handover_drops += s.handover_drops;
    t.handover_oversize += s.handover_oversize;
  }
  return t;
}

std::unique_ptr<SocketBackend> Open(SocketBackendOptions options) {
  std::string error;
  auto backend = SocketBackend::open(options, error);
  EXPECT_NE(backend, nullptr) << error;
  return backend;
}

// Base for test handlers: records the thread each callback runs on and counts ticks.
class RecordingHandler : public PacketHandler {
 public:
  void on_datagram(std::string_view bytes, const NetAddress& from, const NetAddress& local,
                   Outbox& out) override {
    check_thread();
    datagrams.fetch_add(1);
    if (!burst_open_) unannounced.fetch_add(1);
    handle(bytes, from, local, out);
  }
  void on_tick(Outbox& out) override {
    check_thread();
    ticks.fetch_add(1);
    burst_open_ = false;
    tick(out);
  }
  // The backend announces each burst before its datagrams (the shard reads its clock there).
  void on_burst() override {
    check_thread();
    bursts.fetch_add(1);
    burst_open_ = true;
  }
  virtual void handle(std::string_view, const NetAddress&, const NetAddress&, Outbox&) {}
  virtual void tick(Outbox&) {}

  std::thread::id thread;  // set by the handler_for call
  std::atomic<int> datagrams{0};
  std::atomic<int> ticks{0};
  std::atomic<int> wrong_thread{0};
  std::atomic<int> bursts{0};
  std::atomic<int> unannounced{0};  // datagrams with no on_burst since the last tick

 private:
  bool burst_open_ = false;  // only the worker's thread touches it
  void check_thread() {
    if (std::this_thread::get_id() != thread) wrong_thread.fetch_add(1);
  }
};

// One handler per worker, handed out by handler_for on the worker's thread.
template <typename Handler>
class Handlers {
 public:
  explicit Handlers(unsigned workers) {
    for (unsigned w = 0; w < workers; ++w) handlers_.push_back(std::make_unique<Handler>());
  }
  std::function<PacketHandler&(unsigned)> factory() {
    return [this](unsigned w) -> PacketHandler& {
      const std::lock_guard lock(mutex_);
      calls_.push_back(w);
      handlers_.at(w)->thread = std::this_thread::get_id();
      return *handlers_.at(w);
    };
  }
  Handler& operator[](unsigned w) { return *handlers_.at(w); }
  std::vector<unsigned> calls() {
    const std::lock_guard lock(mutex_);
    return calls_;
  }
  int total_datagrams() const {
    int n = 0;
    for (const auto& h : handlers_) n += h->datagrams.load();
    return n;
  }
  int wrong_thread() const {
    int n = 0;
    for (const auto& h : handlers_) n += h->wrong_thread.load();
    return n;
  }

 private:
  std::vector<std::unique_ptr<Handler>> handlers_;
  std::mutex mutex_;
  std::vector<unsigned> calls_;
};

// Sends back each datagram, gathered from two segments: "echo:" written into scratch space,
// and a view of the received bytes.
class EchoHandler : public RecordingHandler {
 public:
  static constexpr std::string_view kPrefix = "echo:";
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress& local,
              Outbox& out) override {
    if (local != expected_local(from)) wrong_local.fetch_add(1);
    char* p = out.scratch(kPrefix.size());
    if (p == nullptr) {
      failed_sends.fetch_add(1);
      return;
    }
    std::memcpy(p, kPrefix.data(), kPrefix.size());
    const std::string_view segments[] = {std::string_view(p, kPrefix.size()), bytes};
    if (!out.send(from, segments)) failed_sends.fetch_add(1);
  }
  // Set by the test: which bound address each family's datagrams must arrive on.
  std::map<NetAddress::Family, NetAddress> locals;
  std::atomic<int> wrong_local{0};
  std::atomic<int> failed_sends{0};

 private:
  NetAddress expected_local(const NetAddress& from) const {
    const auto it = locals.find(from.family);
    return it == locals.end() ? NetAddress{} : it->second;
  }
};

std::string Payload(std::size_t client, std::size_t seq) {
  // Built by appending: g++ 12 gives a false -Wrestrict on "c" + std::to_string(...).
  std::string p = "c";
  p += std::to_string(client);
  p += "-s";
  p += std::to_string(seq);
  p += '-';
  p.append((client * 131 + seq * 17) % 1200, static_cast<char>('a' + seq % 26));
  return p;
}

// Each client keeps up to `window` datagrams in flight to `server` until it has sent
// `per_client`; every reply must be "echo:" + the datagram, in order, from `server`.
// Returns the payload bytes sent, or fails the test.
uint64_t EchoExchange(const std::vector<std::unique_ptr<Client>>& clients, const NetAddress& server,
                      std::size_t per_client, std::size_t window) {
  struct Peer {
    std::deque<std::string> in_flight;
    std::size_t sent = 0;
    std::size_t received = 0;
  };
  std::vector<Peer> peers(clients.size());
  const std::string expected_from = server.to_string();
  uint64_t bytes = 0;
  std::size_t done = 0;
  std::vector<pollfd> fds;
  while (done < clients.size()) {
    fds.clear();
    for (std::size_t c = 0; c < clients.size(); ++c) {
      Peer& peer = peers[c];
      while (peer.sent < per_client && peer.in_flight.size() < window) {
        peer.in_flight.push_back(Payload(c, peer.sent++));
        EXPECT_TRUE(clients[c]->send_to(server, peer.in_flight.back()));
        bytes += peer.in_flight.back().size();
      }
      fds.push_back({clients[c]->fd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), kReceiveTimeoutMs) <= 0) {
      ADD_FAILURE() << "no reply within " << kReceiveTimeoutMs << " ms; " << done << " of "
                    << clients.size() << " clients done";
      return bytes;
    }
    for (std::size_t c = 0; c < clients.size(); ++c) {
      if (!(fds[c].revents & POLLIN)) continue;
      Peer& peer = peers[c];
      while (auto d = clients[c]->receive_now()) {
        if (peer.in_flight.empty()) {
          ADD_FAILURE() << "unexpected datagram " << d->bytes.substr(0, 40);
          return bytes;
        }
        const std::string_view reply = d->bytes;
        EXPECT_TRUE(reply.starts_with(EchoHandler::kPrefix) &&
                    reply.substr(EchoHandler::kPrefix.size()) == peer.in_flight.front())
            << "client " << c << " got \"" << reply.substr(0, 60) << "\"";
        EXPECT_EQ(d->from, expected_from);
        peer.in_flight.pop_front();
        if (++peer.received == per_client) ++done;
      }
    }
  }
  return bytes;
}

TEST(SocketBackendTest, EchoesDatagramsGatheredFromScratchAndReceivedBytes) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  ASSERT_NE(server.port, 0);

  Handlers<EchoHandler> handlers(2);
  for (unsigned w = 0; w < 2; ++w) handlers[w].locals = {{NetAddress::Family::kIpv4, server}};

  // Many source ports, so SO_REUSEPORT's flow hash sends some to each worker.
  constexpr std::size_t kClients = 32, kPerClient = 250, kWindow = 8;
  std::vector<std::unique_ptr<Client>> clients;
  for (std::size_t c = 0; c < kClients; ++c) {
    clients.push_back(std::make_unique<Client>(kLoopback4));
    ASSERT_GE(clients.back()->fd(), 0);
  }

  uint64_t bytes = 0;
  double seconds = 0;
  {
    Running running(*backend, handlers.factory());
    const auto start = Clock::now();
    bytes = EchoExchange(clients, server, kPerClient, kWindow);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    running.stop();
    EXPECT_TRUE(running.returned());
  }
  constexpr uint64_t kTotal = kClients * kPerClient;
  std::printf("[   INFO   ] %llu echoes (%zu clients, window %zu) in %.3f s: %.0f round trips/s\n",
              static_cast<unsigned long long>(kTotal), kClients, kWindow, seconds,
              static_cast<double>(kTotal) / seconds);

  const WorkerStats total = Total(*backend);
  EXPECT_EQ(total.rx_datagrams, kTotal);
  EXPECT_EQ(total.rx_bytes, bytes);
  EXPECT_EQ(total.tx_datagrams, kTotal);
  EXPECT_EQ(total.tx_bytes, bytes + kTotal * EchoHandler::kPrefix.size());
  EXPECT_EQ(total.tx_errors, 0u);
  EXPECT_EQ(total.tx_refused, 0u);
  EXPECT_GE(total.batches, 1u);
  EXPECT_LE(total.batches, kTotal);
  for (unsigned w = 0; w < 2; ++w) {
    EXPECT_GT(backend->stats(w).rx_datagrams, 0u) << "worker " << w << " got no traffic";
    EXPECT_EQ(backend->stats(w).rx_datagrams, static_cast<uint64_t>(handlers[w].datagrams.load()));
    EXPECT_EQ(handlers[w].wrong_local.load(), 0);
    EXPECT_EQ(handlers[w].failed_sends.load(), 0);
  }
  EXPECT_EQ(handlers.wrong_thread(), 0);
}

TEST(SocketBackendTest, ServesIpv4AndIpv6SideBySide) {
  if (!CanBind(Loopback6())) GTEST_SKIP() << "::1 cannot be bound on this machine";
  SocketBackendOptions options;
  options.listen = {kLoopback4, Loopback6()};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server4 = backend->bound_addresses().at(0);
  const NetAddress server6 = backend->bound_addresses().at(1);
  EXPECT_EQ(server4.family, NetAddress::Family::kIpv4);
  EXPECT_EQ(server6.family, NetAddress::Family::kIpv6);
  EXPECT_EQ(server6.ip_string(), "::1");
  ASSERT_NE(server6.port, 0);

  Handlers<EchoHandler> handlers(2);
  for (unsigned w = 0; w < 2; ++w) {
    handlers[w].locals = {{NetAddress::Family::kIpv4, server4},
                          {NetAddress::Family::kIpv6, server6}};
  }
  std::vector<std::unique_ptr<Client>> clients4, clients6;
  for (int c = 0; c < 8; ++c) {
    clients4.push_back(std::make_unique<Client>(kLoopback4));
    clients6.push_back(std::make_unique<Client>(Loopback6()));
    ASSERT_GE(clients6.back()->fd(), 0);
  }
  Running running(*backend, handlers.factory());
  EchoExchange(clients6, server6, 50, 4);  // replies must come from [::1]:port
  EchoExchange(clients4, server4, 50, 4);
  running.stop();

  EXPECT_EQ(Total(*backend).tx_datagrams, 800u);
  for (unsigned w = 0; w < 2; ++w) EXPECT_EQ(handlers[w].wrong_local.load(), 0);
}

// Counts what it is given, keeps the size of each datagram, and sends nothing.
class SilentHandler : public RecordingHandler {
 public:
  void handle(std::string_view bytes, const NetAddress&, const NetAddress&, Outbox&) override {
    bytes_seen.fetch_add(bytes.size());
  }
  std::atomic<uint64_t> bytes_seen{0};
};

TEST(SocketBackendTest, CountsReceivedDatagramsWhenNothingIsSent) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<SilentHandler> handlers(2);
  Running running(*backend, handlers.factory());

  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < 4; ++c) clients.push_back(std::make_unique<Client>(kLoopback4));
  constexpr uint64_t kCount = 400;
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < kCount; ++i) {
    const std::string p(100 + i, 'x');
    ASSERT_TRUE(clients[i % clients.size()]->send_to(server, p));
    bytes += p.size();
  }
  ASSERT_TRUE(Eventually([&] { return Total(*backend).rx_datagrams == kCount; }))
      << "received " << Total(*backend).rx_datagrams << " of " << kCount;
  running.stop();

  const WorkerStats total = Total(*backend);
  EXPECT_EQ(total.rx_bytes, bytes);
  EXPECT_EQ(handlers[0].bytes_seen.load() + handlers[1].bytes_seen.load(), bytes);
  EXPECT_EQ(handlers.total_datagrams(), static_cast<int>(kCount));
  EXPECT_EQ(handlers[0].unannounced.load() + handlers[1].unannounced.load(), 0);
  EXPECT_GE(handlers[0].bursts.load() + handlers[1].bursts.load(), 1);
  EXPECT_EQ(total.tx_datagrams, 0u);
  EXPECT_EQ(total.tx_bytes, 0u);
  EXPECT_EQ(total.tx_errors, 0u);
  EXPECT_EQ(total.rx_truncated, 0u);
  EXPECT_GE(total.batches, 1u);
  EXPECT_LE(total.batches, kCount);
  EXPECT_EQ(backend->stats(2).rx_datagrams, 0u) << "no third worker";
  for (const auto& c : clients) EXPECT_FALSE(c->receive(20).has_value()) << "nothing was sent";
}

// The two passes of PacketHandler::prepare over sockets: each datagram of a burst is prepared
// before any of the burst is handled, with its slot and the same bytes, and they are handled
// in the order one client sent them.
class TwoPassHandler : public RecordingHandler {
 public:
  void prepare(unsigned slot, std::string_view bytes) override {
    if (slot == 0) {
      prepared_.clear();
      handled_in_pass_ = 0;
    }
    if (slot != prepared_.size() || handled_in_pass_ != 0) misordered.fetch_add(1);
    prepared_.push_back(bytes);
  }
  void on_prepared(unsigned slot, std::string_view bytes, const NetAddress& from,
                   const NetAddress& local, Outbox& out) override {
    if (slot >= prepared_.size() || prepared_[slot].data() != bytes.data() ||
        slot != handled_in_pass_)
      misordered.fetch_add(1);
    ++handled_in_pass_;
    order.emplace_back(bytes);
    on_datagram(bytes, from, local, out);
  }
  std::atomic<int> misordered{0};
  std::vector<std::string> order;  // the worker's thread writes it; read after stop()

 private:
  std::vector<std::string_view> prepared_;
  unsigned handled_in_pass_ = 0;
};

TEST(SocketBackendTest, ABurstIsPreparedWholeBeforeAnyOfItIsHandledInTheOrderItCame) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 1;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<TwoPassHandler> handlers(1);
  Client client(kLoopback4);
  constexpr int kCount = 100;  // more than a burst's slots, however they are read
  std::vector<std::string> sent;
  for (int i = 0; i < kCount; ++i) {
    sent.emplace_back("d");
    sent.back() += std::to_string(i);
    ASSERT_TRUE(client.send_to(server, sent.back()));
  }
  Running running(*backend, handlers.factory());
  ASSERT_TRUE(Eventually([&] { return Total(*backend).rx_datagrams == kCount; }))
      << "received " << Total(*backend).rx_datagrams << " of " << kCount;
  running.stop();
  EXPECT_EQ(handlers[0].misordered.load(), 0);
  EXPECT_EQ(handlers[0].order, sent);
  EXPECT_EQ(handlers[0].unannounced.load(), 0);
}

TEST(SocketBackendTest, TicksWithoutTraffic) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<SilentHandler> handlers(2);
  Running running(*backend, handlers.factory());
  std::this_thread::sleep_for(milliseconds(300));
  running.stop();
  // At least every 10 ms means 30 in 300 ms; a loaded machine may lose a few wakeups.
  for (unsigned w = 0; w < 2; ++w) {
    EXPECT_GE(handlers[w].ticks.load(), 15) << "worker " << w;
    EXPECT_EQ(handlers[w].datagrams.load(), 0);
  }
  EXPECT_EQ(handlers.wrong_thread(), 0);
}

TEST(SocketBackendTest, CallsHandlerForOncePerWorkerOnTheWorkersThread) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<SilentHandler> handlers(2);
  {
    Running running(*backend, handlers.factory());
    ASSERT_TRUE(Eventually([&] { return handlers[0].ticks > 0 && handlers[1].ticks > 0; }));
  }
  std::vector<unsigned> calls = handlers.calls();
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<unsigned>{0, 1}));
  EXPECT_NE(handlers[0].thread, handlers[1].thread);
  EXPECT_NE(handlers[0].thread, std::this_thread::get_id());
  EXPECT_EQ(handlers.wrong_thread(), 0);  // every callback ran on its handler_for thread
}

TEST(SocketBackendTest, StopEndsRunPromptly) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<SilentHandler> handlers(2);
  Running running(*backend, handlers.factory());
  ASSERT_TRUE(Eventually([&] { return handlers[0].ticks > 0 && handlers[1].ticks > 0; }));
  EXPECT_FALSE(running.returned());
  const milliseconds took = running.stop();
  EXPECT_TRUE(running.returned());
  EXPECT_LT(took.count(), 250) << "run() took " << took.count() << " ms to return after stop";
}

TEST(SocketBackendTest, RunPropagatesAHandlerForFailureAndStopsTheOtherWorkers) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  SilentHandler survivor;
  const std::atomic<bool> never{false};
  const auto start = Clock::now();
  EXPECT_THROW(backend->run(
                   [&](unsigned w) -> PacketHandler& {
                     if (w == 1) throw std::runtime_error("shard 1 failed");
                     survivor.thread = std::this_thread::get_id();
                     return survivor;
                   },
                   never),
               std::runtime_error);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

TEST(SocketBackendTest, PortInUseIsAnErrorNamingTheAddress) {
  const int holder = PlainSocket(kLoopback4);  // no SO_REUSEPORT: nobody may share its port
  ASSERT_GE(holder, 0);
  sockaddr_storage s;
  socklen_t len = sizeof s;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&s), &len), 0);
  const std::string taken = SockaddrText(s);

  SocketBackendOptions options;
  options.listen = {*NetAddress::parse_host_port(taken)};
  options.workers = 2;
  std::string error;
  const std::string in_use = "cannot bind " + taken +
                             ": Address already in use (another process, perhaps another "
                             "sipwire, listens there)";
  EXPECT_EQ(SocketBackend::open(options, error), nullptr);
  EXPECT_EQ(error, in_use);

  // The same when it is the second listen address: the first one's sockets are released.
  options.listen = {kLoopback4, *NetAddress::parse_host_port(taken)};
  error.clear();
  EXPECT_EQ(SocketBackend::open(options, error), nullptr);
  EXPECT_EQ(error, in_use);
  ::close(holder);
}

TEST(SocketBackendTest, ASecondSipwireOnTheSamePortIsRefused) {
  // Both would set SO_REUSEPORT, so the kernel alone would let the second one bind and take a
  // share of the first one's traffic: the backend checks the port is free before binding.
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  std::string error;
  auto first = SocketBackend::open(options, error);
  ASSERT_NE(first, nullptr) << error;
  options.listen = first->bound_addresses();
  auto second = SocketBackend::open(options, error);
  EXPECT_EQ(second, nullptr);
  EXPECT_NE(error.find("Address already in use (another process, perhaps another sipwire"),
            std::string::npos)
      << error;
}

TEST(SocketBackendTest, RefusesInvalidOptions) {
  auto expect_error = [](SocketBackendOptions options, const std::string& expected) {
    std::string error;
    EXPECT_EQ(SocketBackend::open(options, error), nullptr);
    EXPECT_EQ(error, expected);
  };
  SocketBackendOptions good;
  good.listen = {kLoopback4};
  SocketBackendOptions o = good;
  o.listen.clear();
  expect_error(o, "no listen address");
  o = good;
  o.listen.push_back(NetAddress{});
  expect_error(o, "invalid listen address");
  o = good;
  o.workers = 0;
  expect_error(o, "workers must be at least 1");
  o = good;
  o.batch = 0;
  expect_error(o, "batch must be 1 to 512");
  o.batch = 513;
  expect_error(o, "batch must be 1 to 512");
  o = good;
  o.max_datagram = 65536;
  expect_error(o, "max_datagram must be 1 to 65535");
}

TEST(SocketBackendTest, LargeDatagramRoundTrips) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<EchoHandler> handlers(2);
  for (unsigned w = 0; w < 2; ++w) handlers[w].locals = {{NetAddress::Family::kIpv4, server}};
  Running running(*backend, handlers.factory());

  Client client(kLoopback4);
  std::string big(60000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(client.send_to(server, big));
    const auto reply = client.receive();
    ASSERT_TRUE(reply.has_value()) << "round " << round;
    ASSERT_EQ(reply->bytes.size(), big.size() + EchoHandler::kPrefix.size());
    EXPECT_TRUE(reply->bytes == std::string(EchoHandler::kPrefix) + big) << "round " << round;
  }
  running.stop();
  EXPECT_EQ(Total(*backend).rx_bytes, 3 * big.size());
  EXPECT_EQ(Total(*backend).rx_truncated, 0u);
}

// Probes send()'s limits on the first datagram of each batch, then answers "done".
class LimitsHandler : public RecordingHandler {
 public:
  void handle(std::string_view, const NetAddress& from, const NetAddress&, Outbox& out) override {
    char* p = out.scratch(65508);
    if (p == nullptr) return;
    std::memset(p, 'z', 65508);
    const std::string_view over[] = {{p, 65000}, {p + 65000, 508}};
    const std::string_view limit[] = {{p, 65000}, {p + 65000, 507}};
    std::vector<std::string_view> many(Outbox::kMaxSegments + 1, std::string_view(p, 1));
    too_large = out.send(from, over);
    too_many_segments = out.send(from, many);
    wrong_family = out.send(*NetAddress::parse_host_port("[::1]:5060"), limit);
    largest = out.send(from, limit);
    max_segments = out.send(from, std::span(many).first(Outbox::kMaxSegments));
  }
  std::atomic<bool> too_large{true}, too_many_segments{true}, wrong_family{true};
  std::atomic<bool> largest{false}, max_segments{false};
};

TEST(SocketBackendTest, SendRefusesWhatItCannotSend) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};  // no IPv6 socket
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<LimitsHandler> handlers(1);
  Running running(*backend, handlers.factory());
  Client client(kLoopback4);
  ASSERT_TRUE(client.send_to(backend->bound_addresses().at(0), "probe"));
  const auto largest = client.receive();
  ASSERT_TRUE(largest.has_value());
  EXPECT_EQ(largest->bytes, std::string(65507, 'z'));
  const auto sixteen = client.receive();
  ASSERT_TRUE(sixteen.has_value());
  EXPECT_EQ(sixteen->bytes, std::string(16, 'z'));
  running.stop();

  EXPECT_FALSE(handlers[0].too_large);
  EXPECT_FALSE(handlers[0].too_many_segments);
  EXPECT_FALSE(handlers[0].wrong_family);
  EXPECT_TRUE(handlers[0].largest);
  EXPECT_TRUE(handlers[0].max_segments);
  EXPECT_EQ(backend->stats(0).tx_refused, 3u);
  EXPECT_EQ(backend->stats(0).tx_datagrams, 2u);
  EXPECT_EQ(backend->stats(0).tx_bytes, 65507u + 16u);
}

// Answers each datagram with 20 numbered replies: more than the outbox holds with batch 4.
class FanOutHandler : public RecordingHandler {
 public:
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress&,
              Outbox& out) override {
    for (int i = 0; i < 20; ++i) {
      char* p = out.scratch(3);
      if (p == nullptr) return;
      p[0] = 'r';
      p[1] = static_cast<char>('a' + i);
      p[2] = ':';
      const std::string_view segments[] = {{p, 3}, bytes};
      if (!out.send(from, segments)) refused.fetch_add(1);
    }
  }
  std::atomic<int> refused{0};
};

TEST(SocketBackendTest, FullOutboxFlushesInsideSendAndKeepsOrder) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.batch = 4;  // the outbox holds 8
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<FanOutHandler> handlers(1);
  Running running(*backend, handlers.factory());
  Client client(kLoopback4);
  ASSERT_TRUE(client.send_to(backend->bound_addresses().at(0), "x"));
  for (int i = 0; i < 20; ++i) {
    const auto reply = client.receive();
    ASSERT_TRUE(reply.has_value()) << "reply " << i;
    EXPECT_EQ(reply->bytes, std::string("r") + static_cast<char>('a' + i) + ":x");
  }
  running.stop();
  EXPECT_EQ(handlers[0].refused.load(), 0);
  EXPECT_EQ(backend->stats(0).tx_datagrams, 20u);
}

// Takes almost all of an 8 KiB scratch arena (one batch slot's worth) for each datagram and
// echoes it back.
class ScratchHandler : public RecordingHandler {
 public:
  static constexpr std::size_t kFill = ScratchArena::kPerMessage - 192;
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress&,
              Outbox& out) override {
    char* p = out.scratch(kFill);
    if (p == nullptr) {
      no_scratch.fetch_add(1);
      return;
    }
    if (out.scratch(200) != nullptr) second_fit.fetch_add(1);
    std::memset(p, 's', kFill);
    const std::string_view segments[] = {{p, kFill}, bytes};
    out.send(from, segments);
  }
  std::atomic<int> no_scratch{0}, second_fit{0};
};

TEST(SocketBackendTest, ScratchIsBoundedAndResetAfterEachBatch) {
  // A configured size below ScratchArena::kPerMessage a batch slot is raised to it, and no
  // further: here one slot.
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.batch = 1;
  options.scratch_bytes = 4096;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  Handlers<ScratchHandler> handlers(1);
  Running running(*backend, handlers.factory());
  Client client(kLoopback4);
  for (int i = 0; i < 3; ++i) {  // one at a time: each in its own batch
    ASSERT_TRUE(client.send_to(backend->bound_addresses().at(0), std::to_string(i)));
    const auto reply = client.receive();
    ASSERT_TRUE(reply.has_value()) << "datagram " << i;
    EXPECT_EQ(reply->bytes, std::string(ScratchHandler::kFill, 's') + std::to_string(i));
  }
  running.stop();
  EXPECT_EQ(handlers[0].no_scratch.load(), 0);
  EXPECT_EQ(handlers[0].second_fit.load(), 0);
  EXPECT_EQ(backend->stats(0).scratch_exhausted, 3u);
}

TEST(SocketBackendTest, HandsOnATruncatedDatagramCutAndCountsIt) {
  // Cut to max_datagram: the engine behind it (one byte more than its max_message_size, see
  // config_mapping) sees it as too large and answers 513; dropped, it would get no answer.
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.max_datagram = 1000;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<EchoHandler> handlers(1);
  handlers[0].locals = {{NetAddress::Family::kIpv4, server}};
  Running running(*backend, handlers.factory());
  Client client(kLoopback4);
  ASSERT_TRUE(client.send_to(server, std::string(1500, 'L')));
  ASSERT_TRUE(client.send_to(server, std::string(1000, 'S')));
  const auto cut = client.receive();
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->bytes, "echo:" + std::string(1000, 'L'));
  const auto whole = client.receive();
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->bytes, "echo:" + std::string(1000, 'S'));
  running.stop();
  EXPECT_EQ(backend->stats(0).rx_truncated, 1u);
  EXPECT_EQ(backend->stats(0).rx_datagrams, 2u);
  EXPECT_EQ(handlers[0].datagrams.load(), 2);
}

// Echoes at once, and on the next tick sends "tick" to the last peer: a send with no
// datagram in hand.
class LaterHandler : public EchoHandler {
 public:
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress& local,
              Outbox& out) override {
    EchoHandler::handle(bytes, from, local, out);
    pending = from;
    came_in_at = local;
  }
  void tick(Outbox& out) override {
    if (!pending.valid()) return;
    const std::string_view segments[] = {"tick"};
    if (ask_ingress() ? out.send_from(came_in_at, pending, segments) : out.send(pending, segments))
      pending = NetAddress{};
  }
  virtual bool ask_ingress() const { return false; }
  NetAddress pending;  // worker thread only
  NetAddress came_in_at;
};

// The same, but the tick's send asks to leave from the address the datagram came in at
// (Outbox::send_from), as the stateful proxy's retransmissions do.
class LaterFromHandler : public LaterHandler {
 public:
  bool ask_ingress() const override { return true; }
};

// A datagram to the second of two addresses: the echo leaves from it; the tick's "tick" from
// `tick_from` (0: the first address, 1: the second).
template <class Handler>
void ExpectEchoAndTickFrom(std::size_t tick_from) {
  const NetAddress second_ip = NetAddress::ipv4(127, 0, 0, 2, 0);
  if (!CanBind(second_ip)) GTEST_SKIP() << "127.0.0.2 cannot be bound on this machine";
  SocketBackendOptions options;
  options.listen = {kLoopback4, second_ip};
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress first = backend->bound_addresses().at(0);
  const NetAddress second = backend->bound_addresses().at(1);
  Handlers<Handler> handlers(1);
  Running running(*backend, handlers.factory());
  Client client(kLoopback4);

  ASSERT_TRUE(client.send_to(second, "to-second"));
  auto reply = client.receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->bytes, "echo:to-second");
  EXPECT_EQ(reply->from, second.to_string());
  reply = client.receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->bytes, "tick");
  EXPECT_EQ(reply->from, backend->bound_addresses().at(tick_from).to_string());

  ASSERT_TRUE(client.send_to(first, "to-first"));
  reply = client.receive();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->bytes, "echo:to-first");
  EXPECT_EQ(reply->from, first.to_string());
}

TEST(SocketBackendTest, RepliesLeaveFromTheSocketTheRequestCameIn) {
  // The tick's send has no ingress socket: it leaves from the first of its family.
  ExpectEchoAndTickFrom<LaterHandler>(0);
}

TEST(SocketBackendTest, ALaterSendLeavesFromTheAddressItAsksFor) {
  ExpectEchoAndTickFrom<LaterFromHandler>(1);
}

// ---- Shard affinity: each datagram reaches the worker the shard router names ----

// A branch this proxy would create on shard `shard` (see branch_shard in proxy_core.h).
std::string OurBranch(unsigned shard) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b = "z9hG4bKsw";
  b += kHex[shard >> 4];
  b += kHex[shard & 15];
  b += "0123456789abcd-89abcdef";
  return b;
}

std::string SipRequest(std::string_view method, std::string_view branch, std::string_view call_id) {
  std::string m(method);
  m += " sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=";
  m += branch;
  m += "\r\nMax-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
       "Call-ID: ";
  m += call_id;
  m += "\r\nCSeq: 1 ";
  m += method;
  m += "\r\nContent-Length: 0\r\n\r\n";
  return m;
}

std::string SipResponse(unsigned shard, std::string_view call_id) {
  std::string m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=" + OurBranch(shard);
  m += "\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKclient\r\nCall-ID: ";
  m += call_id;
  m += "\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
  return m;
}

// Echoes (so a client can pace itself and the reply's path is checked) and records what it got.
class AffinityHandler : public EchoHandler {
 public:
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress& local,
              Outbox& out) override {
    {
      const std::lock_guard lock(mutex_);
      got_.emplace_back(bytes);
    }
    EchoHandler::handle(bytes, from, local, out);
  }
  std::vector<std::string> got() {
    const std::lock_guard lock(mutex_);
    return got_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> got_;
};

SocketBackendOptions AffinityOptions(unsigned workers) {
  SocketBackendOptions options;
  options.listen = {kLoopback4};
  options.workers = workers;
  options.shard_affinity = true;
  return options;
}

TEST(ShardAffinityTest, EveryDatagramReachesTheWorkerTheRouterNames) {
  for (const unsigned workers : {2u, 3u, 4u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    auto backend = Open(AffinityOptions(workers));
    ASSERT_NE(backend, nullptr);
    const NetAddress server = backend->bound_addresses().at(0);
    Handlers<AffinityHandler> handlers(workers);
    for (unsigned w = 0; w < workers; ++w)
      handlers[w].locals = {{NetAddress::Family::kIpv4, server}};

    // Many source ports, so the kernel spreads them over the workers' sockets and most
    // datagrams are read by a worker that does not own them.
    constexpr std::size_t kClients = 24, kRounds = 20;
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t c = 0; c < kClients; ++c) {
      clients.push_back(std::make_unique<Client>(kLoopback4));
      ASSERT_GE(clients.back()->fd(), 0);
    }
    // What each message is, and the worker that must get it, worked out here from its kind.
    std::map<std::string, unsigned> expected;
    auto message = [&](std::size_t c, std::size_t r) {
      const std::string id = std::to_string(c) + "-" + std::to_string(r);
      const std::string invite_branch =
          "z9hG4bK-inv-" + std::to_string(c) + "-" + std::to_string(r & ~std::size_t{3});
      std::string m;
      unsigned owner = 0;
      switch (r % 4) {
        case 0:  // an INVITE: by its Call-ID
          m = SipRequest("INVITE", invite_branch, "call-" + id);
          owner = static_cast<unsigned>(route_hash("call-" + id) % workers);
          break;
        case 1:  // a BYE of that call, with a branch of its own: by the same Call-ID
          m = SipRequest("BYE", invite_branch + "-bye",
                         "call-" + std::to_string(c) + "-" + std::to_string(r - 1));
          owner = static_cast<unsigned>(
              route_hash("call-" + std::to_string(c) + "-" + std::to_string(r - 1)) % workers);
          break;
        case 2:  // an RFC 2543 request: by the Call-ID
          m = SipRequest("OPTIONS", "old-" + id, "old-call-" + id);
          owner = static_cast<unsigned>(route_hash("old-call-" + id) % workers);
          break;
        default:  // a response to a request shard (c + r) forwarded: to that shard
          owner = static_cast<unsigned>((c + r) % workers);
          m = SipResponse(owner, "resp-" + id);
          break;
      }
      expected[m] = owner;
      return m;
    };

    {
      Running running(*backend, handlers.factory());
      // Each round, every client sends one message and waits for its echo.
      for (std::size_t r = 0; r < kRounds; ++r) {
        std::vector<std::string> sent(kClients);
        for (std::size_t c = 0; c < kClients; ++c) {
          sent[c] = message(c, r);
          ASSERT_TRUE(clients[c]->send_to(server, sent[c]));
        }
        for (std::size_t c = 0; c < kClients; ++c) {
          const auto reply = clients[c]->receive();
          ASSERT_TRUE(reply.has_value()) << "client " << c << " round " << r;
          EXPECT_EQ(reply->bytes, "echo:" + sent[c]);
          EXPECT_EQ(reply->from, server.to_string());
        }
      }
      running.stop();
    }

    constexpr uint64_t kTotal = kClients * kRounds;
    std::map<std::string, int> seen;
    for (unsigned w = 0; w < workers; ++w) {
      for (const std::string& m : handlers[w].got()) {
        ++seen[m];
        const auto it = expected.find(m);
        ASSERT_NE(it, expected.end()) << "unknown datagram " << m.substr(0, 60);
        EXPECT_EQ(it->second, w) << m.substr(0, 60);
      }
      EXPECT_EQ(handlers[w].wrong_local.load(), 0);
      EXPECT_EQ(handlers[w].failed_sends.load(), 0);
      // What the handler got: what its sockets read, less what it handed over, plus what it
      // was handed.
      const WorkerStats s = backend->stats(w);
      EXPECT_EQ(static_cast<uint64_t>(handlers[w].datagrams.load()),
                s.rx_datagrams - s.handovers_out + s.handovers_in)
          << "worker " << w;
    }
    EXPECT_EQ(seen.size(), kTotal);
    for (const auto& [m, n] : seen) EXPECT_EQ(n, 1) << m.substr(0, 60);
    EXPECT_EQ(handlers.wrong_thread(), 0);

    const WorkerStats total = Total(*backend);
    EXPECT_EQ(total.rx_datagrams, kTotal);
    EXPECT_EQ(total.tx_datagrams, kTotal);
    EXPECT_GT(total.handovers_out, 0u);
    EXPECT_EQ(total.handovers_in, total.handovers_out);
    EXPECT_EQ(total.handover_drops, 0u);  // at most kClients in flight, far below a ring
    EXPECT_EQ(total.handover_oversize, 0u);
  }
}

TEST(ShardAffinityTest, WithoutAffinityEachWorkerHandlesWhatItReads) {
  SocketBackendOptions options = AffinityOptions(3);
  options.shard_affinity = false;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<AffinityHandler> handlers(3);
  for (unsigned w = 0; w < 3; ++w) handlers[w].locals = {{NetAddress::Family::kIpv4, server}};
  constexpr std::size_t kClients = 16;
  {
    Running running(*backend, handlers.factory());
    for (std::size_t c = 0; c < kClients; ++c) {
      Client client(kLoopback4);
      // A response naming shard 2: with affinity it would go there; without, it stays.
      const std::string m = SipResponse(2, "no-affinity-" + std::to_string(c));
      ASSERT_TRUE(client.send_to(server, m));
      const auto reply = client.receive();
      ASSERT_TRUE(reply.has_value());
      EXPECT_EQ(reply->bytes, "echo:" + m);
    }
    running.stop();
  }
  const WorkerStats total = Total(*backend);
  EXPECT_EQ(total.rx_datagrams, kClients);
  EXPECT_EQ(total.handovers_out + total.handovers_in + total.handover_drops, 0u);
  for (unsigned w = 0; w < 3; ++w)
    EXPECT_EQ(static_cast<uint64_t>(handlers[w].datagrams.load()), backend->stats(w).rx_datagrams);
}

// Blocks its worker on the first datagram until the test releases it (bounded: 10 s).
class BlockingHandler : public AffinityHandler {
 public:
  void handle(std::string_view bytes, const NetAddress& from, const NetAddress& local,
              Outbox& out) override {
    AffinityHandler::handle(bytes, from, local, out);
    const auto deadline = Clock::now() + milliseconds(10000);
    while (!release.load() && Clock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
  }
  std::atomic<bool> release{false};
};

TEST(ShardAffinityTest, AFullRingDropsAndCounts) {
  SocketBackendOptions options = AffinityOptions(2);
  options.handover_slots = 2;
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<BlockingHandler> handlers(2);
  constexpr std::size_t kClients = 32, kPerClient = 8;
  constexpr uint64_t kTotal = kClients * kPerClient;
  std::set<std::string> sent;
  {
    Running running(*backend, handlers.factory());
    // Every datagram belongs to worker 1, which blocks on the first it gets: what worker 0
    // reads fills the 2-slot ring, and the rest is dropped.
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t c = 0; c < kClients; ++c) {
      clients.push_back(std::make_unique<Client>(kLoopback4));
      for (std::size_t i = 0; i < kPerClient; ++i) {
        const std::string m = SipResponse(1, std::to_string(c) + "-" + std::to_string(i));
        sent.insert(m);
        ASSERT_TRUE(clients.back()->send_to(server, m));
      }
    }
    EXPECT_TRUE(Eventually([&] { return backend->stats(0).handover_drops > 0; }));
    handlers[1].release.store(true);
    handlers[0].release.store(true);
    // Everything is read, and what was not dropped reaches worker 1.
    EXPECT_TRUE(Eventually([&] {
      const WorkerStats t = Total(*backend);
      return t.rx_datagrams == kTotal &&
             static_cast<uint64_t>(handlers[1].datagrams.load()) + t.handover_drops == kTotal;
    }));
    running.stop();
  }
  const WorkerStats w0 = backend->stats(0), w1 = backend->stats(1);
  EXPECT_GT(w0.handover_drops, 0u);
  EXPECT_EQ(w1.handover_drops, 0u);
  EXPECT_EQ(w0.handovers_out + w0.handover_drops, w0.rx_datagrams);
  EXPECT_EQ(w1.handovers_in, w0.handovers_out);
  EXPECT_EQ(handlers[0].datagrams.load(), 0);
  // Worker 1 got each datagram not dropped, once.
  const std::vector<std::string> got = handlers[1].got();
  const std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(distinct.size(), got.size());
  EXPECT_EQ(got.size() + w0.handover_drops, kTotal);
  for (const std::string& m : got) EXPECT_TRUE(sent.count(m)) << m.substr(0, 60);
}

TEST(ShardAffinityTest, ADatagramLongerThanASlotIsHandledWhereItArrivedAndCounted) {
  SocketBackendOptions options = AffinityOptions(2);
  options.handover_slot_bytes = 64;  // shorter than any of these messages
  auto backend = Open(options);
  ASSERT_NE(backend, nullptr);
  const NetAddress server = backend->bound_addresses().at(0);
  Handlers<AffinityHandler> handlers(2);
  for (unsigned w = 0; w < 2; ++w) handlers[w].locals = {{NetAddress::Family::kIpv4, server}};
  constexpr std::size_t kClients = 32;
  {
    Running running(*backend, handlers.factory());
    std::vector<std::unique_ptr<Client>> clients;
    for (std::size_t c = 0; c < kClients; ++c) {
      clients.push_back(std::make_unique<Client>(kLoopback4));
      const std::string m = SipResponse(1, "big-" + std::to_string(c));
      ASSERT_GT(m.size(), 64u);
      ASSERT_TRUE(clients.back()->send_to(server, m));
    }
    for (std::size_t c = 0; c < kClients; ++c) EXPECT_TRUE(clients[c]->receive().has_value());
    running.stop();
  }
  const WorkerStats w0 = backend->stats(0), w1 = backend->stats(1);
  EXPECT_GT(w0.handover_oversize, 0u) << "the kernel sent worker 0 nothing";
  EXPECT_EQ(static_cast<uint64_t>(handlers[0].datagrams.load()), w0.handover_oversize);
  EXPECT_EQ(w0.handovers_out + w1.handovers_out + w1.handover_oversize, 0u);
  EXPECT_EQ(static_cast<uint64_t>(handlers[0].datagrams.load() + handlers[1].datagrams.load()),
            kClients);
}

TEST(ShardAffinityTest, RefusesInvalidAffinityOptions) {
  std::string error;
  SocketBackendOptions options = AffinityOptions(2);
  options.handover_slots = 0;
  EXPECT_EQ(SocketBackend::open(options, error), nullptr);
  EXPECT_NE(error.find("handover_slots"), std::string::npos) << error;
  options = AffinityOptions(2);
  options.handover_slot_bytes = 65536;
  EXPECT_EQ(SocketBackend::open(options, error), nullptr);
  EXPECT_NE(error.find("handover_slot_bytes"), std::string::npos) << error;
  options = AffinityOptions(257);
  EXPECT_EQ(SocketBackend::open(options, error), nullptr);
  EXPECT_NE(error.find("256"), std::string::npos) << error;
}

}  // namespace
}  // namespace sipwire::dataplane
