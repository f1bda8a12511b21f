#include "dataplane/source_address.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "dataplane/socket_address.h"
#include "dataplane/unique_fd.h"

namespace sipwire::dataplane {

std::optional<NetAddress> default_source_address(NetAddress::Family family) {
  const NetAddress probe = family == NetAddress::Family::kIpv6
                               ? *NetAddress::parse("2001:db8::1", 9)
                               : NetAddress::ipv4(192, 0, 2, 1, 9);
  sockaddr_storage to{};
  const socklen_t to_length = to_sockaddr(probe, to);
  const UniqueFd fd(::socket(address_family(probe), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid() || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), to_length) != 0)
    return std::nullopt;
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &local_length) != 0)
    return std::nullopt;
  const NetAddress source = from_sockaddr(local);
  if (!source.valid() || source.is_unspecified()) return std::nullopt;
  return source;
}

std::vector<NetAddress> interface_addresses(NetAddress::Family family) {
  std::vector<NetAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    sockaddr_storage a{};
    const int af = i->ifa_addr->sa_family;
    if (af == AF_INET)
      std::memcpy(&a, i->ifa_addr, sizeof(sockaddr_in));
    else if (af == AF_INET6)
      std::memcpy(&a, i->ifa_addr, sizeof(sockaddr_in6));
    else
      continue;
    NetAddress ip = from_sockaddr(a);
    ip.port = 0;
    if (ip.family == family) out.push_back(ip);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace sipwire::dataplane
