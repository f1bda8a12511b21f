// What the proxy does with requests that are not for itself (shared by the config and the
// engine).
#pragma once

#include <cstdint>

namespace sipwire {

enum class ProxyMode : uint8_t {
  kStateful,   // transaction-stateful proxy (RFC 3261 §16, §17)
  kStateless,  // stateless proxy (§16.11)
  kRedirect,   // redirect server (§8.3): 3xx with the contacts
};

}  // namespace sipwire
