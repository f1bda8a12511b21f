// PolicyGate: the RequestGate of sipwire (include/sipwire/engine/request_gate.h). For each new
// request it checks the credentials (digest, RFC 7616), then the identity (the authenticated
// user is the From user, the To user for REGISTER), then asks the server policy
// (include/sipwire/policy/policy.h) and maps its answer to a GateDecision.
// docs/ARCHITECTURE.md, "Request gate".
//
// Two parts:
//   GateShared  immutable, shared by every shard: the compiled Policy, the users table, the
//               nonce secret, the realms, the forward rules' destination indices. Built by
//               make_gate_shared (allocates; at start and at each reload).
//   PolicyGate  one per shard (not thread-safe): the prepared PolicyEvaluator, the
//               DigestAuthenticator (hasher, replay table, nonce salt), a credentials buffer.
//               decide() allocates nothing and throws nothing.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sipwire/auth/credentials.h"
#include "sipwire/auth/nonce.h"
#include "sipwire/auth/users_file.h"
#include "sipwire/auth/verify.h"
#include "sipwire/config.h"
#include "sipwire/engine/request_gate.h"
#include "sipwire/policy/policy.h"

namespace sipwire::gate {

struct GateShared {
  std::unique_ptr<const policy::Policy> policy;
  auth::UsersTable users;  // empty when [auth] users_file is empty
  auth::NonceSecret secret;
  // Config::destinations' names, in order: a GateDecision's `destination` indexes them.
  std::vector<std::string> destination_names;
  // Per rule (Config::rules order): the destination index of a forward rule, else -1.
  std::vector<int> rule_destination;
  std::string realm;  // [auth] realm, or the first domain
  // Realms whose credentials are verified: `realm` and every challenge rule's own realm.
  std::vector<std::string> realms;
  uint64_t nonce_lifetime_ms = auth::kDefaultNonceLifetimeMs;
  std::size_t replay_entries = 65'536;  // per shard
  std::size_t max_message_size = 65'535;
  std::size_t challenge_bytes = 0;  // scratch for the two challenge lines of the longest realm
  std::vector<auth::Algorithm> algorithms;  // [auth] algorithms: the challenges, in order
};

struct GateSharedResult {
  std::shared_ptr<const GateShared> shared;
  // When !ok(): "file:line:column: what" for the policy (a rule that does not compile, a forward
  // rule naming no [[destination]]), "users-file:line: what" for the users file, or what failed.
  std::string error;
  bool ok() const { return shared != nullptr; }
};

// Builds the shared part from a validated Config: compiles the policy (trusted_sources as
// PolicyOptions::trusted_sources), loads [auth] users_file, makes a nonce secret. `previous`
// (a reload): its nonce secret is kept, so nonces issued before the reload stay valid.
GateSharedResult make_gate_shared(const Config& config, const GateShared* previous = nullptr);

class PolicyGate final : public RequestGate {
 public:
  // `shard`: the worker's number; its nonces carry it and it accepts only those (verify.h).
  // `salt_seed`: where the shard's nonce salt counter starts (0: a random start).
  PolicyGate(std::shared_ptr<const GateShared> shared, uint16_t shard, uint64_t salt_seed = 0);

  // False when the evaluator could not be prepared or OpenSSL cannot hash: decide() would
  // answer kError for every request, so the caller should refuse to start.
  bool ok() const { return ok_; }

  GateDecision decide(const Message& m, const NetAddress& source, Outbox& out,
                      uint64_t now_ms) override;

  const GateShared& shared() const { return *shared_; }
  const std::shared_ptr<const GateShared>& shared_ptr() const { return shared_; }

  // Reload. offer() (any thread) hands over a newly compiled policy and users table; the
  // shard's next tick() takes it up on its own thread (prepares its evaluator for it, then
  // switches), so a request is always decided by one policy, without a lock. An offer not yet
  // taken up is replaced by a newer one. The nonce secret of the first policy stays in use
  // (make_gate_shared(config, previous) copies it), so issued nonces stay valid; the nonce
  // lifetime and replay table size need a restart.
  void offer(std::shared_ptr<const GateShared> next);
  void tick(uint64_t now_ms) override;
  // How many offers this gate has taken up.
  uint64_t reloads() const { return reloads_.load(std::memory_order_relaxed); }
  ~PolicyGate() override;

 private:
  GateDecision challenge(const Message& m, std::string_view realm, bool stale, Outbox& out,
                         uint64_t now_ms);

  std::shared_ptr<const GateShared> shared_;
  std::shared_ptr<const GateShared> first_;  // owns the secret the authenticator refers to
  std::atomic<std::shared_ptr<const GateShared>*> offered_{nullptr};
  std::atomic<uint64_t> reloads_{0};
  policy::PolicyEvaluator evaluator_;
  auth::DigestAuthenticator authenticator_;
  auth::DigestCredentials credentials_;
  bool ok_ = false;
};

}  // namespace sipwire::gate
