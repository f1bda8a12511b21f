#include "dataplane/socket_worker.h"

#include <sys/uio.h>

#include <cerrno>
#include <string_view>
#include <system_error>

#include "dataplane/socket_address.h"

namespace sipwire::dataplane {
namespace {

// The longest wait for traffic. Timers must run at least every 10 ms and the wait's own slack
// (timer rounding, scheduling) is added to it, so it waits half that. An idle worker wakes 200
// times a second, which costs nothing measurable.
constexpr int kPollTimeoutMs = 5;

}  // namespace

SocketWorker::SocketWorker(std::vector<UdpSocket> sockets, const SocketBackendOptions& options)
    : sockets_(std::move(sockets)),
      ready_(sockets_.size()),
      batch_(options.batch),
      max_datagram_(options.max_datagram),
      // Not value-initialised: the worker thread touches the pages first (NUMA first touch).
      rx_buffers_(std::make_unique_for_overwrite<char[]>(batch_ * max_datagram_)),
      rx_messages_(batch_),
      rx_iovecs_(batch_),
      rx_sources_(batch_),
      outbox_(sockets_, 2 * batch_, options.scratch_bytes, counters_) {
  // The receive descriptors never change: slot i always reads into buffer slot i.
  for (std::size_t i = 0; i < batch_; ++i) {
    rx_iovecs_[i].iov_base = rx_buffers_.get() + i * max_datagram_;
    rx_iovecs_[i].iov_len = max_datagram_;
    msghdr& h = rx_messages_[i].msg_hdr;
    h.msg_name = &rx_sources_[i];
    h.msg_iov = &rx_iovecs_[i];
    h.msg_iovlen = 1;
  }
}

std::unique_ptr<SocketWorker> SocketWorker::create(std::vector<UdpSocket> sockets,
                                                   const SocketBackendOptions& options,
                                                   std::string& error) {
  std::unique_ptr<SocketWorker> worker(new SocketWorker(std::move(sockets), options));
  worker->epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (!worker->epoll_.valid()) {
    error = "cannot create an epoll instance: " + std::generic_category().message(errno);
    return nullptr;
  }
  for (std::size_t i = 0; i < worker->sockets_.size(); ++i) {
    epoll_event event{};
    event.events = EPOLLIN;  // level-triggered: a socket left with data wakes the next wait
    event.data.u32 = static_cast<uint32_t>(i);
    if (::epoll_ctl(worker->epoll_.get(), EPOLL_CTL_ADD, worker->sockets_[i].fd(), &event) != 0) {
      error = "cannot watch the socket on " + worker->sockets_[i].local().to_string() + ": " +
              std::generic_category().message(errno);
      return nullptr;
    }
  }
  return worker;
}

void SocketWorker::run(PacketHandler& handler, const std::atomic<bool>& stop,
                       const std::atomic<bool>& abort) {
  while (!stop.load(std::memory_order_relaxed) && !abort.load(std::memory_order_relaxed)) {
    const int ready =
        ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), kPollTimeoutMs);
    // One burst per ready socket per turn, as l3fwd reads one burst per RX queue: a busy
    // socket cannot starve the others, and level triggering brings it back next turn.
    int received = 0;
    for (int i = 0; i < ready; ++i) received += receive_burst(ready_[i].data.u32, handler);
    // Each burst ran the timers; a turn without one (timeout, EINTR) runs them here.
    if (received == 0) tick(handler);
  }
}

int SocketWorker::receive_burst(std::size_t index, PacketHandler& handler) {
  for (std::size_t i = 0; i < batch_; ++i) {
    rx_messages_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  const UdpSocket& socket = sockets_[index];
  const int got = ::recvmmsg(socket.fd(), rx_messages_.data(), static_cast<unsigned>(batch_),
                             MSG_DONTWAIT, nullptr);
  if (got <= 0) return 0;  // EAGAIN or EINTR: nothing to do this turn

  uint64_t delivered = 0;
  uint64_t bytes = 0;
  uint64_t truncated = 0;
  outbox_.set_ingress(static_cast<int>(index));
  for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
    const mmsghdr& m = rx_messages_[i];
    // A cut datagram would reach the parser as a different, malformed message: drop it.
    if (m.msg_hdr.msg_flags & MSG_TRUNC) {
      ++truncated;
      continue;
    }
    ++delivered;
    bytes += m.msg_len;
    const std::string_view payload(static_cast<const char*>(rx_iovecs_[i].iov_base), m.msg_len);
    handler.on_datagram(payload, from_sockaddr(rx_sources_[i]), socket.local(), outbox_);
  }
  outbox_.set_ingress(-1);
  bump(counters_.batches);
  bump(counters_.rx_datagrams, delivered);
  bump(counters_.rx_bytes, bytes);
  if (truncated != 0) bump(counters_.rx_truncated, truncated);

  // Queued replies may point into the receive buffers: they leave before the next recvmmsg.
  outbox_.flush();
  tick(handler);
  return got;
}

void SocketWorker::tick(PacketHandler& handler) {
  handler.on_tick(outbox_);
  outbox_.flush();
}

}  // namespace sipwire::dataplane
