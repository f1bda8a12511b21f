#include "dataplane/dpdk/tap_address.h"

#include <arpa/inet.h>
#include <linux/ipv6.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/unique_fd.h"

namespace sipwire::dataplane {
namespace {

bool fail(std::string& error, const std::string& name, const std::string& what) {
  error = "tap " + name + ": " + what + ": " + std::strerror(errno);
  return false;
}

bool set_up(int fd, const std::string& name, std::string& error) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) return fail(error, name, "cannot read its flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) return fail(error, name, "cannot set it up");
  return true;
}

}  // namespace

bool add_interface_address(const std::string& name, const NetAddress& address,
                           uint8_t prefix_length, std::string& error) {
  const std::string text = address.ip_string() + "/" + std::to_string(prefix_length);
  if (name.size() >= IFNAMSIZ) {
    error = "tap " + name + ": interface name too long";
    return false;
  }
  if (!address.is_ipv6()) {
    UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return fail(error, name, "socket");
    if (!set_up(fd.get(), name, error)) return false;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, address.ip.data(), 4);
    if (ioctl(fd.get(), SIOCSIFADDR, &ifr) != 0) return fail(error, name, "cannot add " + text);
    const uint32_t mask = prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length);
    sin->sin_addr.s_addr = htonl(mask);
    if (ioctl(fd.get(), SIOCSIFNETMASK, &ifr) != 0)
      return fail(error, name, "cannot set the prefix of " + text);
    return true;
  }
  UniqueFd fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fail(error, name, "socket");
  if (!set_up(fd.get(), name, error)) return false;
  in6_ifreq ifr6{};
  std::memcpy(&ifr6.ifr6_addr, address.ip.data(), 16);
  ifr6.ifr6_prefixlen = prefix_length;
  ifr6.ifr6_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (ifr6.ifr6_ifindex == 0) return fail(error, name, "no such interface");
  if (ioctl(fd.get(), SIOCSIFADDR, &ifr6) != 0) return fail(error, name, "cannot add " + text);
  return true;
}

}  // namespace sipwire::dataplane
