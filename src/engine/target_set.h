// Where a request goes (RFC 3261 §16.5): one target for a Route, a static route or an IP
// literal; every live binding of the AOR for our domain, best first (q-value, then the most
// recent registration). The stateless proxy takes the first; the stateful proxy forks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipwire/net_address.h"

namespace sipwire {

struct Target {
  std::string_view uri;   // the new Request-URI (a contact); empty: keep the Request-URI
  std::string_view path;  // Route values to add (the binding's Path); may be empty
  NetAddress to;          // the next hop
  uint16_t q = 1000;      // q-value x 1000: equal values are tried in parallel
  // A hop of a destination set (EngineSettings::destinations[set], hop number `hop`): a 503
  // or a timeout from it fails over to the set's next hop in the same transaction.
  int16_t set = -1;
  uint8_t hop = 0;
  bool trim_ruri = false;  // Binding::trim_ruri
  // `uri` is the Request-URI, to be written without its maddr (ours), port and transport
  // (RFC 3261 §16.4).
  bool strip_maddr = false;
  bool strip_alias = false;  // the Request-URI has our NAT alias: written without it
};

struct TargetSet {
  // A registrar's max_contacts_per_aor beyond this is forked to the best kMaxTargets.
  static constexpr std::size_t kMaxTargets = 10;
  std::array<Target, kMaxTargets> targets;
  std::size_t count = 0;

  bool add(const Target& t) {
    if (count == kMaxTargets) return false;
    targets[count++] = t;
    return true;
  }
};

}  // namespace sipwire
