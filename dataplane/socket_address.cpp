#include "dataplane/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace sipwire::dataplane {

int address_family(const NetAddress& address) {
  switch (address.family) {
    case NetAddress::Family::kIpv4:
      return AF_INET;
    case NetAddress::Family::kIpv6:
      return AF_INET6;
    case NetAddress::Family::kNone:
      break;
  }
  return AF_UNSPEC;
}

socklen_t to_sockaddr(const NetAddress& address, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (address.family == NetAddress::Family::kIpv4) {
    auto& sin = reinterpret_cast<sockaddr_in&>(out);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(address.port);
    std::memcpy(&sin.sin_addr, address.ip.data(), 4);
    return sizeof sin;
  }
  if (address.family == NetAddress::Family::kIpv6) {
    auto& sin6 = reinterpret_cast<sockaddr_in6&>(out);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(address.port);
    std::memcpy(&sin6.sin6_addr, address.ip.data(), 16);
    return sizeof sin6;
  }
  return 0;
}

NetAddress from_sockaddr(const sockaddr_storage& in) {
  NetAddress address;
  if (in.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(in);
    address.family = NetAddress::Family::kIpv4;
    address.port = ntohs(sin.sin_port);
    std::memcpy(address.ip.data(), &sin.sin_addr, 4);
  } else if (in.ss_family == AF_INET6) {
    const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(in);
    address.family = NetAddress::Family::kIpv6;
    address.port = ntohs(sin6.sin6_port);
    std::memcpy(address.ip.data(), &sin6.sin6_addr, 16);
  }
  return address;
}

}  // namespace sipwire::dataplane
