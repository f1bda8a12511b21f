// One worker's poll loop, after DPDK's examples/l3fwd main loop: the worker owns its sockets,
// its receive buffers and its outbox, and shares nothing with other workers but the stop flag.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

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
  static std::unique_ptr<SocketWorker> create(std::vector<UdpSocket> sockets,
                                              const SocketBackendOptions& options,
                                              std::string& error);

  // Runs until `stop` or `abort` becomes true.
  void run(PacketHandler& handler, const std::atomic<bool>& stop, const std::atomic<bool>& abort);

  WorkerStats stats() const { return counters_.snapshot(); }

 private:
  SocketWorker(std::vector<UdpSocket> sockets, const SocketBackendOptions& options);

  // Reads one batch from socket `index`, hands each datagram to the handler, flushes the
  // replies, then lets the handler run its timers. Returns the number of datagrams read.
  int receive_burst(std::size_t index, PacketHandler& handler);
  void tick(PacketHandler& handler);

  std::vector<UdpSocket> sockets_;
  UniqueFd epoll_;
  std::vector<epoll_event> ready_;

  std::size_t batch_;
  std::size_t max_datagram_;
  std::unique_ptr<char[]> rx_buffers_;  // batch_ slots of max_datagram_ bytes
  std::vector<mmsghdr> rx_messages_;
  std::vector<iovec> rx_iovecs_;
  std::vector<sockaddr_storage> rx_sources_;

  WorkerCounters counters_;
  SocketOutbox outbox_;  // after sockets_ and counters_, which it refers to
};

}  // namespace sipwire::dataplane
