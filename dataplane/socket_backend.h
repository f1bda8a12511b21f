// The kernel-socket I/O backend: one thread per worker, each with its own SO_REUSEPORT UDP
// socket per listen address, reading and writing in batches (recvmmsg/sendmmsg). It runs the
// same shards as the DPDK backend on any Linux host: a laptop, CI, a VM without a NIC to own.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/packet_handler.h"
#include "dataplane/worker_stats.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane {

class SocketWorker;

struct SocketBackendOptions {
  std::vector<NetAddress> listen;
  unsigned workers = 1;
  unsigned batch = 32;  // datagrams per recvmmsg; 1..512 (the outbox holds twice as many)
  std::size_t max_datagram = 65535;       // longer datagrams are dropped and counted
  std::size_t scratch_bytes = 256 << 10;  // per worker, for Outbox::scratch within one batch
};

class SocketBackend {
 public:
  // Opens, for each worker, its own SO_REUSEPORT UDP socket per listen address (IPv4 and IPv6;
  // IPV6_V6ONLY on v6 sockets), so the kernel spreads load over workers. Returns null with
  // `error` set ("cannot bind 127.0.0.1:5060: Address already in use") when it cannot start.
  static std::unique_ptr<SocketBackend> open(const SocketBackendOptions& options,
                                             std::string& error);
  ~SocketBackend();

  // Runs one thread per worker until `stop` becomes true; handler_for(i) gives worker i's
  // handler (called once per worker, on the worker's thread before its loop). Returns after
  // all threads are joined. If handler_for or a handler throws, every worker stops and run()
  // rethrows the first exception once all are joined. Not reentrant; may be called again after
  // it returns.
  void run(const std::function<PacketHandler&(unsigned worker)>& handler_for,
           const std::atomic<bool>& stop);

  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }
  // A snapshot; zeros for a worker that does not exist. Safe from any thread at any time.
  WorkerStats stats(unsigned worker) const;
  // One per listen address, in the order given: the actual addresses (port 0 in options → the
  // kernel's choice, shared by every worker).
  std::vector<NetAddress> bound_addresses() const { return bound_; }

 private:
  SocketBackend();

  std::vector<std::unique_ptr<SocketWorker>> workers_;
  std::vector<NetAddress> bound_;
  std::atomic<bool> abort_{false};  // set when a worker failed, to stop the others
};

}  // namespace sipwire::dataplane
