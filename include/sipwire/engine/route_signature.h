// Our Record-Route URI is signed: ";sw=" and 16 hex digits, a MAC of the dialog's Call-ID
// (SipHash-2-4, a keyed PRF, under a key of ours). The Route of a later request of the dialog
// copies the URI (RFC 3261 §12.1.1), so a request that comes back through our Route with the
// signature of its own Call-ID is one of a dialog we record-routed; one with our Route and no
// signature, or another Call-ID's, was made up by its sender and is decided by the server
// policy like any request from outside a dialog (ARCHITECTURE.md, "In-dialog requests").
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/uri.h"

namespace sipwire {

struct RouteKey {
  uint64_t k0 = 0, k1 = 0;

  // A key drawn from the operating system's entropy: dialogs set up before a restart lose
  // their signatures (their requests are then decided by the policy).
  static RouteKey random();
  // A key derived from a secret the operator configures (route_secret): the same on every
  // restart, and on each proxy of a cluster given the same secret.
  static RouteKey from_secret(std::string_view secret);
};

// The URI parameter that carries the signature.
inline constexpr std::string_view kRouteSignatureName = "sw";
inline constexpr std::size_t kRouteSignatureSize = 16;

// The signature of `call_id`: 16 lowercase hex digits.
void write_route_signature(const RouteKey& key, std::string_view call_id,
                           char (&out)[kRouteSignatureSize]);

// Whether `uri` (our Record-Route URI, copied back in a Route or by a strict router in the
// Request-URI) carries the signature of `call_id`.
bool has_route_signature(const RouteKey& key, std::string_view call_id, const Uri& uri);

}  // namespace sipwire
