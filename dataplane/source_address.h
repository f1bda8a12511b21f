// What a wildcard listen address (0.0.0.0, ::) stands for: in our Via and Record-Route, where
// a specific address must be written, the address this host sends from toward its default
// route, as the kernel picks it; as our own, every address of the host's interfaces.
#pragma once

#include <optional>
#include <vector>

#include "sipwire/net_address.h"

namespace sipwire::dataplane {

// The source address of `family` for a datagram to a documentation address (192.0.2.1,
// 2001:db8::1; RFC 5737, RFC 3849), which only a default route reaches. A connected UDP
// socket asks the kernel's routing without sending anything. None when there is no such
// route (a host without a network, a bare namespace).
std::optional<NetAddress> default_source_address(NetAddress::Family family);

// The addresses of `family` this host's interfaces have now (getifaddrs; port 0): what a
// wildcard listen address receives on, so what a request to us may name. Empty on error.
std::vector<NetAddress> interface_addresses(NetAddress::Family family);

}  // namespace sipwire::dataplane
