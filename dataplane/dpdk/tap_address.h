// Gives the exception path's tap interface our addresses and brings it up, so the kernel
// behind it answers ARP, neighbour discovery and ping for them and accepts TCP (the control
// plane's transports) on them. Done once at start, with ioctl on the interface name.
#pragma once

#include <cstdint>
#include <string>

#include "sipwire/net_address.h"

namespace sipwire::dataplane {

// Adds `address`/`prefix_length` to interface `name` and sets it up. Returns false with
// `error` set ("tap sw0: cannot add 10.0.0.2/24: Permission denied").
bool add_interface_address(const std::string& name, const NetAddress& address,
                           uint8_t prefix_length, std::string& error);

}  // namespace sipwire::dataplane
