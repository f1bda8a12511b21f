#include "dataplane/socket_outbox.h"

#include <sys/uio.h>

#include <cerrno>

#include "dataplane/socket_address.h"

namespace sipwire::dataplane {

SocketOutbox::SocketOutbox(std::span<const UdpSocket> sockets, std::size_t capacity,
                           std::size_t scratch_bytes, WorkerCounters& counters)
    : sockets_(sockets),
      messages_(capacity),
      iovecs_(capacity * kMaxSegments),
      destinations_(capacity),
      fds_(capacity, -1),
      arena_(scratch_bytes),
      counters_(counters) {
  for (std::size_t i = 0; i < sockets_.size(); ++i) {
    const auto family = sockets_[i].local().family;
    if (family == NetAddress::Family::kIpv4 && first_ipv4_ < 0) first_ipv4_ = static_cast<int>(i);
    if (family == NetAddress::Family::kIpv6 && first_ipv6_ < 0) first_ipv6_ = static_cast<int>(i);
  }
}

char* SocketOutbox::scratch(std::size_t bytes) {
  char* p = arena_.take(bytes);
  if (p == nullptr) bump(counters_.scratch_exhausted);
  return p;
}

int SocketOutbox::socket_for(const NetAddress& from, const NetAddress& to) const {
  if (from.valid() && from.family == to.family)
    for (std::size_t i = 0; i < sockets_.size(); ++i)
      if (sockets_[i].local() == from) return static_cast<int>(i);
  if (ingress_ >= 0 && sockets_[static_cast<std::size_t>(ingress_)].local().family == to.family)
    return ingress_;
  if (to.family == NetAddress::Family::kIpv4) return first_ipv4_;
  if (to.family == NetAddress::Family::kIpv6) return first_ipv6_;
  return -1;
}

bool SocketOutbox::send_from(const NetAddress& from, const NetAddress& to,
                             std::span<const std::string_view> segments) {
  std::size_t total = 0;
  for (const std::string_view s : segments) total += s.size();
  const int socket = socket_for(from, to);
  if (segments.size() > kMaxSegments || total > kMaxDatagram || socket < 0 || messages_.empty()) {
    bump(counters_.tx_refused);
    return false;
  }
  if (queued_ == messages_.size()) transmit();

  const std::size_t slot = queued_++;
  iovec* iov = &iovecs_[slot * kMaxSegments];
  for (std::size_t i = 0; i < segments.size(); ++i) {
    // sendmmsg only reads through iov_base; the cast drops const for the C interface.
    iov[i].iov_base = const_cast<char*>(segments[i].data());
    iov[i].iov_len = segments[i].size();
  }
  msghdr& h = messages_[slot].msg_hdr;
  h = msghdr{};
  h.msg_name = &destinations_[slot];
  h.msg_namelen = to_sockaddr(to, destinations_[slot]);
  h.msg_iov = iov;
  h.msg_iovlen = segments.size();
  fds_[slot] = sockets_[static_cast<std::size_t>(socket)].fd();
  return true;
}

void SocketOutbox::transmit() {
  std::size_t begin = 0;
  while (begin < queued_) {
    // sendmmsg takes one socket: send each run of datagrams that leave from the same one.
    const int fd = fds_[begin];
    std::size_t end = begin + 1;
    while (end < queued_ && fds_[end] == fd) ++end;

    std::size_t at = begin;
    while (at < end) {
      const int sent =
          ::sendmmsg(fd, &messages_[at], static_cast<unsigned>(end - at), MSG_DONTWAIT);
      if (sent > 0) {
        uint64_t bytes = 0;
        for (int i = 0; i < sent; ++i) bytes += messages_[at + static_cast<std::size_t>(i)].msg_len;
        bump(counters_.tx_datagrams, static_cast<uint64_t>(sent));
        bump(counters_.tx_bytes, bytes);
        at += static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      // The datagram at `at` was refused. UDP may lose it and SIP retransmits, so it is dropped
      // and counted. A full send buffer will not drain in the next microseconds: drop the rest
      // of the run too rather than spend a system call on each. Any other error (unreachable,
      // a bad destination) belongs to this datagram alone: go on with the next.
      const bool buffer_full =
          sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
      const std::size_t dropped = buffer_full ? end - at : 1;
      bump(counters_.tx_errors, dropped);
      at += dropped;
    }
    begin = end;
  }
  queued_ = 0;
}

void SocketOutbox::flush() {
  transmit();
  arena_.reset();
}

}  // namespace sipwire::dataplane
