#include "dataplane/udp_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "dataplane/socket_address.h"

namespace sipwire::dataplane {
namespace {

// Room for a burst that arrives while the worker is busy with the previous one. Best effort:
// the kernel caps it at net.core.rmem_max / wmem_max, and the defaults still work.
constexpr int kSocketBufferBytes = 4 << 20;

std::string failure(const char* what, const NetAddress& at, int err) {
  return std::string(what) + at.to_string() + ": " + std::generic_category().message(err);
}

}  // namespace

UdpSocket UdpSocket::bind(const NetAddress& at, std::string& error) {
  const int family = address_family(at);
  if (family == AF_UNSPEC) {
    error = "cannot bind an invalid address";
    return {};
  }
  UdpSocket s;
  s.fd_ = UniqueFd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.fd_.valid()) {
    error = failure("cannot open a socket for ", at, errno);
    return {};
  }
  const int on = 1;
  // Each worker binds its own socket to the same address; the kernel hashes each flow to one
  // of them, which spreads load over workers without any handover between threads.
  if (::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    error = failure("cannot set SO_REUSEPORT on ", at, errno);
    return {};
  }
  if (family == AF_INET6 && ::setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) {
    error = failure("cannot set IPV6_V6ONLY on ", at, errno);
    return {};
  }
  const int bytes = kSocketBufferBytes;
  (void)::setsockopt(s.fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  (void)::setsockopt(s.fd(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);

  sockaddr_storage address;
  const socklen_t length = to_sockaddr(at, address);
  if (::bind(s.fd(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    error = failure("cannot bind ", at, errno);
    return {};
  }
  sockaddr_storage bound;
  socklen_t bound_length = sizeof bound;
  if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    error = failure("cannot read the address bound for ", at, errno);
    return {};
  }
  s.local_ = from_sockaddr(bound);
  return s;
}

bool UdpSocket::is_free(const NetAddress& at, std::string& error) {
  const int family = address_family(at);
  if (family == AF_UNSPEC) {
    error = "cannot bind an invalid address";
    return false;
  }
  UniqueFd probe(::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!probe.valid()) {
    error = failure("cannot open a socket for ", at, errno);
    return false;
  }
  const int on = 1;
  if (family == AF_INET6)
    (void)::setsockopt(probe.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  sockaddr_storage address;
  const socklen_t length = to_sockaddr(at, address);
  if (::bind(probe.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    error =
        failure("cannot bind ", at, errno) +
        (errno == EADDRINUSE ? " (another process, perhaps another sipwire, listens there)" : "");
    return false;
  }
  return true;  // the probe closes here; the workers' SO_REUSEPORT sockets bind next
}

}  // namespace sipwire::dataplane
