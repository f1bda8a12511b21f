// The request gate: what the server policy (and digest authentication) decide for a request
// before the proxy routes it. ProxyCore asks its gate, when it has one, for every new request
// that is not inside a dialog we record-routed (those carry our Route and pass as they are),
// after RFC 3261 §16.3 validation; the gate's decision replaces the default handling.
//
// The engine only defines the interface: the implementation (src/gate/, the policy rules of
// the config compiled into one Hyperscan database, and the digest authenticator) lives above
// the engine, so the engine stays free of configuration and crypto, and tests can give
// ProxyCore a fake gate. One gate per shard: decide() runs on the shard's thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sipwire/engine/message_edits.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/message.h"
#include "sipwire/net_address.h"

namespace sipwire {

enum class GateAction : uint8_t {
  kDefault,     // no rule applies: the proxy's own handling (our domain: registrar/lookup;
                // another domain: its routes)
  kRegister,    // to the registrar (a REGISTER for our domain)
  kLookup,      // location service, then forward (404/480 when there is no binding)
  kForward,     // to the destination set `destination`
  kRedirect,    // 3xx (`code`, default 302) with `contacts`
  kReject,      // answer `code` `reason`
  kReply,       // answer `code` `reason` (e.g. 200 to OPTIONS pings)
  kChallenge,   // answer `code` (401 or 407) with `extra_headers` (the challenges)
  kForbidden,   // 403: a foreign domain from an untrusted, unauthenticated source (no relay)
  kBadRequest,  // 400 `reason` (malformed credentials)
  kError,       // 500 (the gate could not decide: fail closed)
};

struct GateDecision {
  GateAction action = GateAction::kDefault;
  uint16_t code = 0;
  std::string_view reason;                // valid until the batch is flushed
  std::string_view extra_headers;         // complete lines (challenges), in the Outbox's scratch
  int destination = -1;                   // kForward: index into EngineSettings::destinations
  std::span<const std::string> contacts;  // kRedirect
  // Header edits of the matched rule (kLookup, kForward): edits of the received bytes.
  MessageEdits edits;
  bool authenticated = false;  // the request's credentials were verified
};

class RequestGate {
 public:
  virtual ~RequestGate() = default;
  // Decides for request `m` from `source`. May write into `out`'s scratch space (the
  // challenge lines); must not send. No allocation, no exception on this path.
  virtual GateDecision decide(const Message& m, const NetAddress& source, Outbox& out,
                              uint64_t now_ms) = 0;
  // Called from the shard's tick, between batches: where a gate takes up a reloaded policy.
  virtual void tick(uint64_t /*now_ms*/) {}
};

}  // namespace sipwire
