// One worker's UDP socket on one listen address.
#pragma once

#include <string>

#include "dataplane/unique_fd.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane {

class UdpSocket {
 public:
  // A non-blocking SO_REUSEPORT socket bound to `at` (IPV6_V6ONLY on IPv6, so a v4 and a v6
  // listen address on the same port are two sockets, each seeing only its own family).
  // Returns an invalid socket and sets `error`, e.g. "cannot bind 127.0.0.1:5060: Address
  // already in use", when it cannot.
  static UdpSocket bind(const NetAddress& at, std::string& error);
  // Whether nothing is bound to `at` yet: a bind without SO_REUSEPORT, undone at once. With
  // SO_REUSEPORT alone, a second sipwire (same user) would bind the same port silently and take
  // a share of the traffic. False with `error` set ("... already in use") when taken.
  static bool is_free(const NetAddress& at, std::string& error);

  UdpSocket() = default;

  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  // The address actually bound: port 0 asked for becomes the kernel's choice.
  const NetAddress& local() const { return local_; }

 private:
  UniqueFd fd_;
  NetAddress local_;
};

}  // namespace sipwire::dataplane
