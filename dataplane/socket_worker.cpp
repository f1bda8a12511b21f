#include "dataplane/socket_worker.h"

#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>

#include "dataplane/shard_router.h"
#include "dataplane/socket_address.h"

namespace sipwire::dataplane {
namespace {

// The longest wait for traffic. Timers must run at least every 10 ms and the wait's own slack
// (timer rounding, scheduling) is added to it, so it waits half that. An idle worker wakes 200
// times a second, which costs nothing measurable.
constexpr int kPollTimeoutMs = 5;

// The epoll tag of the wake eventfd; sockets are tagged with their index.
constexpr uint32_t kWakeTag = UINT32_MAX;

}  // namespace

SocketWorker::SocketWorker(unsigned id, std::vector<UdpSocket> sockets,
                           const SocketBackendOptions& options)
    : id_(id),
      sockets_(std::move(sockets)),
      ready_(sockets_.size() + 1),  // + the wake eventfd
      batch_(options.batch),
      max_datagram_(options.max_datagram),
      // Not value-initialised: the worker thread touches the pages first (NUMA first touch).
      rx_buffers_(std::make_unique_for_overwrite<char[]>(batch_ * max_datagram_)),
      rx_messages_(batch_),
      rx_iovecs_(batch_),
      rx_sources_(batch_),
      outbox_(sockets_, 2 * batch_, ScratchArena::bytes_for(options.scratch_bytes, batch_),
              counters_) {
  // The receive descriptors never change: slot i always reads into buffer slot i.
  for (std::size_t i = 0; i < batch_; ++i) {
    rx_iovecs_[i].iov_base = rx_buffers_.get() + i * max_datagram_;
    rx_iovecs_[i].iov_len = max_datagram_;
    msghdr& h = rx_messages_[i].msg_hdr;
    h.msg_name = &rx_sources_[i];
    h.msg_iov = &rx_iovecs_[i];
    h.msg_iovlen = 1;
  }
  held_.reserve(batch_);
}

std::unique_ptr<SocketWorker> SocketWorker::create(unsigned id, std::vector<UdpSocket> sockets,
                                                   const SocketBackendOptions& options,
                                                   std::string& error) {
  std::unique_ptr<SocketWorker> worker(new SocketWorker(id, std::move(sockets), options));
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
  if (options.shard_affinity && options.workers > 1) {
    // Lets another worker wake this one as soon as it hands over a packet, instead of the
    // packet waiting out the poll timeout (up to 5 ms). The cost is one write(2) by the
    // producer when a ring goes from empty to non-empty (at most once per peer per burst) and
    // one read(2) here per wakeup; a busy worker, whose rings seldom run empty, pays neither.
    worker->wake_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = kWakeTag;
    if (!worker->wake_.valid() ||
        ::epoll_ctl(worker->epoll_.get(), EPOLL_CTL_ADD, worker->wake_.get(), &event) != 0) {
      error = "cannot create the handover eventfd: " + std::generic_category().message(errno);
      return nullptr;
    }
  }
  return worker;
}

void SocketWorker::connect(std::vector<HandoverRing*> outgoing, std::vector<HandoverRing*> incoming,
                           std::vector<int> wake_fds) {
  outgoing_ = std::move(outgoing);
  incoming_ = std::move(incoming);
  wake_fds_ = std::move(wake_fds);
  wake_due_.assign(outgoing_.size(), 0);
  affinity_ = outgoing_.size() > 1;
}

void SocketWorker::run(PacketHandler& handler, const std::atomic<bool>& stop,
                       const std::atomic<bool>& abort) {
  while (!stop.load(std::memory_order_relaxed) && !abort.load(std::memory_order_relaxed)) {
    // A packet handed over while this worker was busy must not wait for the timeout: a peer
    // wakes it only when a ring goes from empty to non-empty, so look before sleeping.
    const int timeout = affinity_ && handovers_pending() ? 0 : kPollTimeoutMs;
    const int ready =
        ::epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), timeout);
    // One burst per ready socket per turn, as l3fwd reads one burst per RX queue: a busy
    // socket cannot starve the others, and level triggering brings it back next turn.
    int received = 0;
    for (int i = 0; i < ready; ++i) {
      if (ready_[i].data.u32 == kWakeTag) {
        // Reset before draining: a wake written after this read is for a packet the drain
        // below may miss, and it makes the next wait return at once.
        uint64_t wakes;
        [[maybe_unused]] const ssize_t n = ::read(wake_.get(), &wakes, sizeof wakes);
        continue;
      }
      received += receive_burst(ready_[i].data.u32, handler);
    }
    if (affinity_) received += drain_handovers(handler);
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
  handler.on_burst();

  uint64_t delivered = 0;
  uint64_t bytes = 0;
  uint64_t truncated = 0;
  uint64_t handed = 0, drops = 0, oversize = 0;
  for (std::size_t i = 0; i < static_cast<std::size_t>(got); ++i) {
    const mmsghdr& m = rx_messages_[i];
    // A datagram longer than a slot arrives cut to the slot (msg_len is the slot's length then):
    // it goes on, cut, so that the engine can answer it 513 (SocketBackendOptions::max_datagram).
    if (m.msg_hdr.msg_flags & MSG_TRUNC) ++truncated;
    ++delivered;
    bytes += m.msg_len;
    const std::string_view payload(static_cast<const char*>(rx_iovecs_[i].iov_base), m.msg_len);
    const NetAddress from = from_sockaddr(rx_sources_[i]);
    if (affinity_) {
      const unsigned owner = route_datagram(payload, static_cast<unsigned>(outgoing_.size()), id_);
      if (owner != id_) {
        switch (outgoing_[owner]->push(payload, from, static_cast<uint32_t>(index))) {
          case HandoverRing::Push::kPushed:
            wake_due_[owner] = 1;
            ++handed;
            continue;
          case HandoverRing::Push::kQueued:
            ++handed;
            continue;
          case HandoverRing::Push::kFull:
            ++drops;
            continue;
          case HandoverRing::Push::kOversize:
            ++oversize;
            break;  // handled here
        }
      }
    }
    prepare(payload, from, static_cast<uint32_t>(index), handler);
  }
  flush_pending(handler);
  outbox_.set_ingress(-1);
  if (handed != 0) {
    // Wake the peers whose rings this burst made non-empty.
    for (std::size_t w = 0; w < wake_due_.size(); ++w) {
      if (!wake_due_[w]) continue;
      wake_due_[w] = 0;
      const uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(wake_fds_[w], &one, sizeof one);
    }
    bump(counters_.handovers_out, handed);
  }
  if (drops != 0) bump(counters_.handover_drops, drops);
  if (oversize != 0) bump(counters_.handover_oversize, oversize);
  bump(counters_.batches);
  bump(counters_.rx_datagrams, delivered);
  bump(counters_.rx_bytes, bytes);
  if (truncated != 0) bump(counters_.rx_truncated, truncated);

  // Queued replies may point into the receive buffers: they leave before the next recvmmsg.
  outbox_.flush();
  tick(handler);
  return got;
}

int SocketWorker::drain_handovers(PacketHandler& handler) {
  int total = 0;
  for (HandoverRing* ring : incoming_) {
    if (ring == nullptr) continue;
    // One batch per ring per turn, as one burst per socket: no peer can starve the others.
    held_.clear();
    HandoverRing::Packet packet;
    while (held_.size() < batch_ && ring->take(packet)) {
      if (total == 0 && held_.empty()) handler.on_burst();
      held_.push_back(packet.slot);
      prepare(packet.bytes, packet.from, packet.ingress, handler);
    }
    if (held_.empty()) continue;
    flush_pending(handler);
    outbox_.set_ingress(-1);
    // Queued replies may point into the slots: they leave before the slots go back.
    outbox_.flush();
    for (const uint32_t slot : held_) ring->release(slot);
    bump(counters_.handovers_in, held_.size());
    total += static_cast<int>(held_.size());
  }
  if (total != 0) tick(handler);
  return total;
}

bool SocketWorker::handovers_pending() const {
  // Pairs with the fence in HandoverRing::push: either this check sees a packet pushed after
  // the drain, or its producer saw the ring empty and wakes this worker.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (const HandoverRing* ring : incoming_)
    if (ring != nullptr && ring->pending()) return true;
  return false;
}

void SocketWorker::prepare(std::string_view bytes, const NetAddress& from, uint32_t ingress,
                           PacketHandler& handler) {
  if (pending_count_ == pending_.size()) flush_pending(handler);
  pending_[pending_count_] = {bytes, from, ingress};
  handler.prepare(pending_count_, bytes);
  ++pending_count_;
}

void SocketWorker::flush_pending(PacketHandler& handler) {
  for (unsigned i = 0; i < pending_count_; ++i) {
    const Pending& p = pending_[i];
    outbox_.set_ingress(static_cast<int>(p.ingress));
    handler.on_prepared(i, p.bytes, p.from, sockets_[p.ingress].local(), outbox_);
  }
  pending_count_ = 0;
}

void SocketWorker::tick(PacketHandler& handler) {
  handler.on_tick(outbox_);
  outbox_.flush();
}

}  // namespace sipwire::dataplane
