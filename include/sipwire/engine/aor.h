// Canonical address-of-record (RFC 3261 §10.3 step 5): "sip:user@host" from a To or
// Request-URI: scheme and host lower-cased, escapes in the user part decoded, port kept,
// parameters and headers dropped. Written into a caller's buffer: no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "sipwire/uri.h"

namespace sipwire {

class Aor {
 public:
  static constexpr std::size_t kMaxLength = 256;

  // False when the URI is not sip/sips, has no user or host, or does not fit. With
  // `canonical_host`, that host replaces the URI's (and its port is dropped): every alias of
  // our domain (its listen IP, other names) names the same AOR.
  bool assign(const Uri& uri, std::string_view canonical_host = {});
  std::string_view view() const { return {buf_.data(), len_}; }
  // The host part, lower-cased (to check the domain is ours).
  std::string_view host() const { return {buf_.data() + host_at_, host_len_}; }

 private:
  std::array<char, kMaxLength> buf_{};
  std::size_t len_ = 0;
  std::size_t host_at_ = 0;
  std::size_t host_len_ = 0;
};

}  // namespace sipwire
