// Config::is_our_domain: on the per-request path, so it neither allocates nor copies.
#include <string_view>

#include "hostname.h"
#include "sipwire/config.h"

namespace sipwire {

namespace {

// Only something that may be an IP literal is worth handing to inet_pton.
bool may_be_ip(std::string_view host) {
  return host.front() == '[' || (host.front() >= '0' && host.front() <= '9') ||
         host.find(':') != std::string_view::npos;
}

}  // namespace

bool Config::is_our_domain(std::string_view host) const {
  if (host.empty()) return false;
  if (may_be_ip(host)) {
    if (const auto ip = NetAddress::parse(host, 0)) {
      // Compare addresses, not text: "[::1]", "::1" and "0:0::1" are one host.
      for (const ListenConfig& l : listen)
        if (l.address.family == ip->family && l.address.ip == ip->ip) return true;
      char text[64];
      const std::string_view canonical(text, ip->write_ip(text));
      for (const std::string& domain : domains)
        if (domain == canonical) return true;
      return false;
    }
  }
  // "example.com." is the absolute form of "example.com".
  if (host.back() == '.') host.remove_suffix(1);
  for (const std::string& domain : domains)
    if (config_internal::equals_ignoring_case(host, domain)) return true;
  return false;
}

}  // namespace sipwire
