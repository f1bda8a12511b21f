#include "dataplane/socket_backend.h"

#include <pthread.h>

#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "dataplane/handover_ring.h"
#include "dataplane/socket_worker.h"
#include "dataplane/udp_socket.h"

namespace sipwire::dataplane {
namespace {

// recvmmsg and sendmmsg take at most UIO_MAXIOV (1024) messages; the outbox holds 2 * batch.
constexpr unsigned kMaxBatch = 512;
// A branch names its shard in two hex digits.
constexpr unsigned kMaxAffinityWorkers = 256;

bool valid_options(const SocketBackendOptions& options, std::string& error) {
  if (options.listen.empty()) {
    error = "no listen address";
    return false;
  }
  for (const NetAddress& a : options.listen) {
    if (!a.valid()) {
      error = "invalid listen address";
      return false;
    }
  }
  if (options.workers == 0) {
    error = "workers must be at least 1";
    return false;
  }
  if (options.batch == 0 || options.batch > kMaxBatch) {
    error = "batch must be 1 to " + std::to_string(kMaxBatch);
    return false;
  }
  if (options.max_datagram == 0 || options.max_datagram > 65535) {
    error = "max_datagram must be 1 to 65535";
    return false;
  }
  if (options.shard_affinity) {
    if (options.workers > kMaxAffinityWorkers) {
      error = "shard affinity needs at most " + std::to_string(kMaxAffinityWorkers) + " workers";
      return false;
    }
    if (options.handover_slots == 0 || options.handover_slots > (1u << 20)) {
      error = "handover_slots must be 1 to 1048576";
      return false;
    }
    if (options.handover_slot_bytes == 0 || options.handover_slot_bytes > 65535) {
      error = "handover_slot_bytes must be 1 to 65535";
      return false;
    }
  }
  return true;
}

}  // namespace

SocketBackend::SocketBackend() = default;
SocketBackend::~SocketBackend() = default;

std::unique_ptr<SocketBackend> SocketBackend::open(const SocketBackendOptions& options,
                                                   std::string& error) {
  if (!valid_options(options, error)) return nullptr;

  // sockets[w][i]: worker w's socket on listen address i. Worker 0 binds first, so a port 0
  // becomes a real port that the other workers then join.
  std::vector<std::vector<UdpSocket>> sockets(options.workers);
  std::unique_ptr<SocketBackend> backend(new SocketBackend());
  for (const NetAddress& asked : options.listen) {
    if (asked.port != 0 && !UdpSocket::is_free(asked, error)) return nullptr;
    UdpSocket first = UdpSocket::bind(asked, error);
    if (!first.valid()) return nullptr;
    const NetAddress actual = first.local();
    backend->bound_.push_back(actual);
    sockets[0].push_back(std::move(first));
    for (unsigned w = 1; w < options.workers; ++w) {
      UdpSocket s = UdpSocket::bind(actual, error);
      if (!s.valid()) return nullptr;
      sockets[w].push_back(std::move(s));
    }
  }
  for (unsigned w = 0; w < options.workers; ++w) {
    auto worker = SocketWorker::create(w, std::move(sockets[w]), options, error);
    if (!worker) return nullptr;
    backend->workers_.push_back(std::move(worker));
  }
  const unsigned n = options.workers;
  if (options.shard_affinity && n > 1) {
    backend->rings_.resize(std::size_t{n} * n);
    std::vector<int> wake_fds;
    for (unsigned w = 0; w < n; ++w) wake_fds.push_back(backend->workers_[w]->wake_fd());
    for (unsigned from = 0; from < n; ++from)
      for (unsigned to = 0; to < n; ++to)
        if (from != to)
          backend->rings_[std::size_t{from} * n + to] =
              std::make_unique<HandoverRing>(options.handover_slots, options.handover_slot_bytes);
    for (unsigned w = 0; w < n; ++w) {
      std::vector<HandoverRing*> outgoing(n), incoming(n);
      for (unsigned peer = 0; peer < n; ++peer) {
        outgoing[peer] = backend->rings_[std::size_t{w} * n + peer].get();
        incoming[peer] = backend->rings_[std::size_t{peer} * n + w].get();
      }
      backend->workers_[w]->connect(std::move(outgoing), std::move(incoming), wake_fds);
    }
  }
  return backend;
}

void SocketBackend::run(const std::function<PacketHandler&(unsigned worker)>& handler_for,
                        const std::atomic<bool>& stop) {
  abort_.store(false);
  std::mutex failure_mutex;
  std::exception_ptr failure;
  auto fail = [&](std::exception_ptr e) {
    {
      const std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::move(e);
    }
    abort_.store(true);
  };

  std::vector<std::thread> threads;
  threads.reserve(workers_.size());
  try {
    for (unsigned w = 0; w < workers_.size(); ++w) {
      threads.emplace_back([&, w] {
        // Named for `top -H` and debuggers: "sipwire-w0", "sipwire-w1", ...
        const std::string name = "sipwire-w" + std::to_string(w);
        pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
        try {
          PacketHandler& handler = handler_for(w);
          workers_[w]->run(handler, stop, abort_);
        } catch (...) {
          fail(std::current_exception());
        }
      });
    }
  } catch (...) {  // a thread could not start: stop those that did
    fail(std::current_exception());
  }
  for (std::thread& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

WorkerStats SocketBackend::stats(unsigned worker) const {
  if (worker >= workers_.size()) return {};
  return workers_[worker]->stats();
}

}  // namespace sipwire::dataplane
