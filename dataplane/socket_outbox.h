// The socket backend's Outbox: queues gathered datagrams as sendmmsg entries (one iovec per
// segment, so forwarded bytes are never copied in user space) and hands a whole batch to the
// kernel in one system call per socket.
//
// When the queue is full, send() flushes the queued datagrams itself and then queues the new
// one, so it never returns false for lack of room; it returns false only for a datagram it
// can never send (over 65507 bytes, more than kMaxSegments segments, or no listen socket of
// the destination's family). Such an inline flush leaves the scratch arena alone: the handler
// may still hold scratch it has not sent yet. The arena is reset only by flush(), which the
// worker calls after the handler returns.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/scratch_arena.h"
#include "dataplane/udp_socket.h"
#include "dataplane/worker_counters.h"
#include "sipwire/engine/outbox.h"

namespace sipwire::dataplane {

class SocketOutbox final : public Outbox {
 public:
  // The largest UDP payload over IPv4 (65535 - 20 - 8); applied to IPv6 too, so what the
  // engine may send does not depend on the destination's family.
  static constexpr std::size_t kMaxDatagram = 65507;

  // `sockets` must outlive the outbox. Allocates everything it will ever use here.
  SocketOutbox(std::span<const UdpSocket> sockets, std::size_t capacity, std::size_t scratch_bytes,
               WorkerCounters& counters);

  char* scratch(std::size_t bytes) override;
  void scratch_used(const char* block, std::size_t used) override {
    arena_.shrink_last(block, used);
  }
  bool send_from(const NetAddress& from, const NetAddress& to,
                 std::span<const std::string_view> segments) override;

  // A reply leaves from the socket its request came in on when the families match, so the peer
  // hears back from the address it sent to. -1: no current datagram (timers).
  void set_ingress(int socket_index) { ingress_ = socket_index; }

  // Sends everything queued and resets the scratch arena. Only once the handler has returned.
  void flush();

  std::size_t queued() const { return queued_; }

 private:
  // The socket bound to `from` when it is of `to`'s family, else the ingress rule of send().
  int socket_for(const NetAddress& from, const NetAddress& to) const;
  // Sends everything queued; keeps the arena.
  void transmit();

  std::span<const UdpSocket> sockets_;
  int ingress_ = -1;
  int first_ipv4_ = -1;
  int first_ipv6_ = -1;

  // Slot i of each array describes queued datagram i.
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;  // kMaxSegments per slot
  std::vector<sockaddr_storage> destinations_;
  std::vector<int> fds_;
  std::size_t queued_ = 0;

  ScratchArena arena_;

  WorkerCounters& counters_;
};

}  // namespace sipwire::dataplane
