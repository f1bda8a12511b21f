// What the proxy does with requests that are not for itself (shared by the config and the
// engine).
#pragma once

#include <cstdint>
#include <string_view>

namespace sipwire {

enum class ProxyMode : uint8_t {
  kStateful,   // transaction-stateful proxy (RFC 3261 §16, §17)
  kStateless,  // stateless proxy (§16.11)
  kRedirect,   // redirect server (§8.3): 3xx with the contacts
};

// The name the configuration file uses for the mode.
constexpr std::string_view to_string(ProxyMode mode) {
  switch (mode) {
    case ProxyMode::kStateful:
      return "stateful";
    case ProxyMode::kStateless:
      return "stateless";
    case ProxyMode::kRedirect:
      return "redirect";
  }
  return "?";
}

}  // namespace sipwire
