// Conversions between sipwire::NetAddress (the engine's plain value) and the kernel's
// sockaddr, kept apart so only the socket backend sees socket headers.
#pragma once

#include <sys/socket.h>

#include "sipwire/net_address.h"

namespace sipwire::dataplane {

// AF_INET, AF_INET6, or AF_UNSPEC for an invalid address.
int address_family(const NetAddress& address);

// Fills `out`; returns the length to pass to the kernel, 0 when `address` is invalid.
socklen_t to_sockaddr(const NetAddress& address, sockaddr_storage& out);

// An IPv4 or IPv6 socket address; family kNone for anything else.
NetAddress from_sockaddr(const sockaddr_storage& in);

}  // namespace sipwire::dataplane
