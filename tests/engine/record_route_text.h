// Our Record-Route URI as the engine writes it for a request of a given Call-ID: signed with
// the settings' key (EngineSettings::route_key; the tests' is the default, all zero).
#pragma once

#include <string>
#include <string_view>

#include "sipwire/engine/route_signature.h"

namespace sipwire {

// "<sip:HOSTPORT;lr;sw=SIGNATURE>": what Record-Route carries, and what a Route of the
// dialog's later requests copies.
inline std::string our_route_uri(std::string_view hostport, std::string_view call_id,
                                 const RouteKey& key = {}) {
  char signature[kRouteSignatureSize];
  write_route_signature(key, call_id, signature);
  std::string uri = "<sip:";
  uri.append(hostport).append(";lr;sw=").append(signature, sizeof signature).append(">");
  return uri;
}

}  // namespace sipwire
