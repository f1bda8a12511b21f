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

class HandoverRing;
class SocketWorker;

struct SocketBackendOptions {
  std::vector<NetAddress> listen;
  unsigned workers = 1;
  unsigned batch = 32;  // datagrams per recvmmsg; 1..512 (the outbox holds twice as many)
  // A longer datagram reaches the handler cut to this length (and is counted as truncated):
  // the data plane makes it one byte more than the engine's max_message_size, so the engine
  // sees a cut datagram as too large, as it is, and answers 513.
  std::size_t max_datagram = 65535;
  // Per worker, for Outbox::scratch within one batch; at least ScratchArena::kPerMessage per
  // message of a batch.
  std::size_t scratch_bytes = 256 << 10;

  // Shard affinity (the stateful proxy keeps transactions per shard): each datagram goes to
  // the worker that shard_router.h names, handed over on a ring when another worker's socket
  // read it. Needed only with more than one worker (at most 256: a branch names its shard in
  // two hex digits); off, each worker handles what its own sockets read. Worker w's handler
  // must be shard w (EngineSettings::shard = w), since a response is routed by the shard its
  // branch names.
  bool shard_affinity = false;
  // Per ordered pair of workers: slots in its handover ring, and the longest datagram a slot
  // holds (longer ones are handled where they arrive, and counted). Memory: workers *
  // (workers - 1) * handover_slots * handover_slot_bytes; the default is 1 MiB per pair. A
  // slot of 4 KiB holds any SIP message that keeps to RFC 3261 §18.1.1's advice for UDP.
  std::size_t handover_slots = 256;
  std::size_t handover_slot_bytes = 4096;
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

  // With shard affinity: rings_[from * workers + to] (null when from == to). Declared before
  // workers_, so the rings outlive the workers that point at them.
  std::vector<std::unique_ptr<HandoverRing>> rings_;
  std::vector<std::unique_ptr<SocketWorker>> workers_;
  std::vector<NetAddress> bound_;
  std::atomic<bool> abort_{false};  // set when a worker failed, to stop the others
};

}  // namespace sipwire::dataplane
