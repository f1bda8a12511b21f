// The server policy: the [[rule]] tables of the config compiled into one immutable Policy, and
// a per-shard PolicyEvaluator that decides, per request, which rule applies.
//
// Compiling (at start and at every reload) builds a new Policy; a failure is a ConfigError
// naming the rule's file:line:column and the caller keeps the Policy it has. A Policy never
// changes once built, so shards read it without locks and a reload swaps the pointer (the
// engine's QSBR frees the old one once no shard holds it).
//
// Deciding: every string pattern of every rule (exact, prefix, regex) is one expression of a
// single Hyperscan database, scanned once over a per-message "subject" holding the fields the
// rules look at (pattern.h describes its layout). The scan yields the patterns that match;
// method, source CIDR, transport and authentication are checked directly; the first rule (in
// file order) whose predicates all hold decides. docs/ARCHITECTURE.md, "Server policy".
//
// The per-message path (PolicyEvaluator::evaluate, add_header_edits) allocates nothing and
// throws nothing: the subject buffer, the per-rule counters and Hyperscan's scratch space are
// allocated by PolicyEvaluator::prepare, once per Policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sipwire/config.h"
#include "sipwire/engine/message_edits.h"
#include "sipwire/message.h"
#include "sipwire/net_address.h"

namespace sipwire::policy {

// What evaluate() decided.
enum class Outcome : uint8_t {
  kRule,  // a rule matched: Decision::rule says what to do
  // No rule matched; the safe default:
  kLocal,      // the Request-URI host is ours: REGISTER to the registrar, others to lookup
  kRelay,      // a foreign domain, from a trusted source or authenticated: route it onwards
  kForbidden,  // a foreign domain, untrusted and unauthenticated: answer 403 (no open relay)
  // The evaluator was not prepared for this Policy, or the message cannot be examined: answer
  // 500 (fail closed; the evaluator's owner forgot PolicyEvaluator::prepare).
  kError,
};

struct Decision {
  Outcome outcome = Outcome::kError;
  int rule_index = -1;               // into Config::rules; -1 unless kRule
  const RuleConfig* rule = nullptr;  // the rule, with its action and parameters; or null
};

struct PolicyOptions {
  // Sources whose requests for foreign domains are relayed (kRelay) when no rule matches,
  // authenticated or not. Empty: only authenticated requests are relayed.
  std::vector<CidrBlock> trusted_sources;
};

class Policy;

struct PolicyResult {
  std::unique_ptr<const Policy> policy;
  ConfigError error;  // meaningful only when !ok()
  bool ok() const { return policy != nullptr; }
};

class Policy {
 public:
  // Compiles config.rules (and keeps a copy of them and of the domains that are ours).
  static PolicyResult compile(const Config& config, const PolicyOptions& options = {});
  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  const std::vector<RuleConfig>& rules() const { return config_.rules; }
  // Distinct string patterns in the Hyperscan database (equal patterns of rules share one).
  std::size_t pattern_count() const;
  // Bytes of Hyperscan's database.
  std::size_t database_size() const;

  struct Impl;

 private:
  Policy() = default;
  friend class PolicyEvaluator;
  friend bool add_header_edits(const Policy&, int, const Message&, MessageEdits&);
  Config config_;
  std::unique_ptr<Impl> impl_;
};

// True when `address` lies in `block` (same family, equal in the first prefix_length bits).
bool cidr_contains(const CidrBlock& block, const NetAddress& address);

// Per shard (Hyperscan scratch space is per thread). Not thread-safe.
class PolicyEvaluator {
 public:
  // `max_message_size`: the largest message evaluate() will see (Config::limits); it sizes the
  // subject buffer so no field is ever cut short.
  explicit PolicyEvaluator(std::size_t max_message_size = 65535);
  ~PolicyEvaluator();
  PolicyEvaluator(const PolicyEvaluator&) = delete;
  PolicyEvaluator& operator=(const PolicyEvaluator&) = delete;

  // Makes the evaluator ready for `policy` (allocates; not on the per-message path). Call it
  // for every new Policy before the first evaluate() with it, on the shard's thread. An
  // evaluator prepared for several policies serves each of them. False if Hyperscan cannot
  // allocate its scratch space.
  bool prepare(const Policy& policy);

  // Decides what happens to the request `msg` (a parsed request; responses are not subject to
  // the policy), received from `source` over `transport`; `authenticated`: whether its
  // credentials were verified. A "challenge" rule does not match an authenticated request:
  // the rules after it decide. No allocation, no exception.
  Decision evaluate(const Policy& policy, const Message& msg, const NetAddress& source,
                    Transport transport, bool authenticated) noexcept;

  // The subject built for the last evaluate(), for tests and diagnostics.
  std::string_view last_subject() const { return {subject_.get(), subject_size_}; }

 private:
  std::size_t capacity_;
  std::unique_ptr<char[]> subject_;
  std::size_t subject_size_ = 0;
  std::vector<uint16_t> hits_;  // per rule: string predicates matched in this scan
  struct Scratch;
  Scratch* scratch_ = nullptr;
};

// Adds the header edits of rule `rule_index` (add_header, remove_header, set_ruri_user,
// set_ruri_host) to `edits`, as edits of the received bytes of `msg` (no copy of the message):
// added lines go before the first header field, removed fields lose their whole line (folds
// included), the Request-URI's user or host is replaced (a user is inserted when the URI has
// none). The inserted texts live in `policy`, which must outlive the rendered segments.
// Returns false, leaving `edits` partly filled, when they do not fit MessageEdits::kMaxEdits or
// the Request-URI has no host to replace (tel:). No allocation.
bool add_header_edits(const Policy& policy, int rule_index, const Message& msg,
                      MessageEdits& edits);

}  // namespace sipwire::policy
