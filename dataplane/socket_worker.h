// One worker's poll loop, after DPDK's examples/l3fwd main loop: the worker owns its sockets,
// its receive buffers and its outbox, and shares nothing with other workers but the stop flag
// and, with shard affinity, the handover rings (one per ordered pair of workers, each with a
// single producer and a single consumer; see handover_ring.h).
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/handover_ring.h"
#include "dataplane/packet_handler.h"
#include "dataplane/socket_backend.h"
#include "dataplane/socket_outbox.h"
#include "dataplane/udp_socket.h"
#include "dataplane/unique_fd.h"
#include "dataplane/worker_counters.h"

namespace sipwire::dataplane {

class SocketWorker {
 public:
  // Takes the worker's sockets (one per listen address) and preallocates every buffer its loop
  // uses. Returns null with `error` set when the epoll instance cannot be created.
  // `id` is the worker's index (and its shard's). With options.shard_affinity and more than
  // one worker, it also creates the eventfd other workers use to wake it.
  static std::unique_ptr<SocketWorker> create(unsigned id, std::vector<UdpSocket> sockets,
                                              const SocketBackendOptions& options,
                                              std::string& error);

  // Shard affinity: outgoing[w] is the ring this worker fills for worker w, incoming[w] the
  // one worker w fills for it (null for itself), wake_fds[w] worker w's eventfd. Called once,
  // before run(). Without it, the worker handles whatever its sockets read.
  void connect(std::vector<HandoverRing*> outgoing, std::vector<HandoverRing*> incoming,
               std::vector<int> wake_fds);
  int wake_fd() const { return wake_.get(); }

  // Runs until `stop` or `abort` becomes true.
  void run(PacketHandler& handler, const std::atomic<bool>& stop, const std::atomic<bool>& abort);

  WorkerStats stats() const { return counters_.snapshot(); }

 private:
  SocketWorker(unsigned id, std::vector<UdpSocket> sockets, const SocketBackendOptions& options);

  // Reads one batch from socket `index`, hands each datagram to the handler, flushes the
  // replies, then lets the handler run its timers. Returns the number of datagrams read.
  int receive_burst(std::size_t index, PacketHandler& handler);
  // Shard affinity: delivers up to one batch from each incoming ring, flushes, returns the
  // slots. Returns the number delivered.
  int drain_handovers(PacketHandler& handler);
  // Whether an incoming ring holds a packet; run before sleeping (see handover_ring.cpp).
  bool handovers_pending() const;
  void tick(PacketHandler& handler);
  // The two passes of PacketHandler::prepare: `bytes` (from `from`, in at socket `ingress`)
  // prepared now; all prepared handled, in the order they came, by flush_pending.
  void prepare(std::string_view bytes, const NetAddress& from, uint32_t ingress,
               PacketHandler& handler);
  void flush_pending(PacketHandler& handler);

  unsigned id_;
  std::vector<UdpSocket> sockets_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd, with shard affinity only
  std::vector<epoll_event> ready_;

  std::size_t batch_;
  std::size_t max_datagram_;
  std::unique_ptr<char[]> rx_buffers_;  // batch_ slots of max_datagram_ bytes
  std::vector<mmsghdr> rx_messages_;
  std::vector<iovec> rx_iovecs_;
  std::vector<sockaddr_storage> rx_sources_;

  bool affinity_ = false;  // set by connect()
  std::vector<HandoverRing*> outgoing_;
  std::vector<HandoverRing*> incoming_;
  std::vector<int> wake_fds_;
  std::vector<uint8_t> wake_due_;  // per peer: its ring went from empty to non-empty this burst
  std::vector<uint32_t> held_;     // slots taken from one ring, released after the flush
  // Datagrams prepared and not handled yet (views of the receive buffers or ring slots).
  struct Pending {
    std::string_view bytes;
    NetAddress from;
    uint32_t ingress;
  };
  std::array<Pending, PacketHandler::kBurstSlots> pending_;
  unsigned pending_count_ = 0;

  WorkerCounters counters_;
  SocketOutbox outbox_;  // after sockets_ and counters_, which it refers to
};

}  // namespace sipwire::dataplane
