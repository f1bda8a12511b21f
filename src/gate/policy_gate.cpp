#include "policy_gate.h"

#include <algorithm>
#include <random>
#include <span>
#include <string_view>
#include <utility>

#include "sipwire/auth/challenge.h"
#include "sipwire/auth/identity.h"
#include "sipwire/uri.h"

namespace sipwire::gate {

namespace {

constexpr std::string_view kIdentityMismatch = "Forbidden: identity mismatch";

std::string place(const Config& config, uint32_t line, uint32_t column, std::string message) {
  return ConfigError{config.source, line, column, std::move(message)}.to_string();
}

uint64_t random_seed() {
  try {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
  } catch (...) {
    return 1;  // the salt need not be secret, only vary between nonces of one millisecond
  }
}

// The user part of a From/To URI ("" when it has none or does not parse).
std::string_view uri_user(std::string_view uri_text) {
  Uri uri;
  if (parse_uri(uri_text, uri)) return {};
  return uri.user;
}

}  // namespace

GateSharedResult make_gate_shared(const Config& config, const GateShared* previous) {
  auto shared = std::make_shared<GateShared>();

  policy::PolicyOptions options;
  options.trusted_sources = config.trusted_sources;
  policy::PolicyResult compiled = policy::Policy::compile(config, options);
  if (!compiled.ok()) return {nullptr, compiled.error.to_string()};
  shared->policy = std::move(compiled.policy);

  for (const DestinationConfig& d : config.destinations)
    shared->destination_names.push_back(d.name);
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const RuleConfig& rule = config.rules[i];
    int index = -1;
    if (rule.action == RuleAction::kForward) {
      const auto& names = shared->destination_names;
      const auto it = std::find(names.begin(), names.end(), rule.destination);
      if (it == names.end()) {
        return {nullptr,
                place(config, rule.line, rule.column,
                      "rule[" + std::to_string(i) + "] (\"" + rule.name + "\"): destination \"" +
                          rule.destination + "\" names no [[destination]]")};
      }
      index = static_cast<int>(it - names.begin());
    }
    shared->rule_destination.push_back(index);
  }

  if (!config.auth.users_file.empty()) {
    auth::UsersLoad load = auth::load_users_file(config.auth.users_file);
    if (!load.table) return {nullptr, load.error};
    shared->users = std::move(*load.table);
  }

  if (previous != nullptr) {
    shared->secret = previous->secret;
  } else {
    const std::optional<auth::NonceSecret> secret = auth::NonceSecret::random();
    if (!secret)
      return {nullptr, "cannot make the nonce secret: OpenSSL's random generator failed"};
    shared->secret = *secret;
  }

  shared->realm = config.auth.realm;
  if (shared->realm.empty() && !config.domains.empty()) shared->realm = config.domains.front();
  if (shared->realm.empty())
    return {nullptr, place(config, 0, 0, "[auth] realm: no domain to default to")};
  shared->realms.push_back(shared->realm);
  std::size_t longest = shared->realm.size();
  for (const RuleConfig& rule : config.rules) {
    if (rule.action != RuleAction::kChallenge || rule.realm.empty()) continue;
    longest = std::max(longest, rule.realm.size());
    if (std::find(shared->realms.begin(), shared->realms.end(), rule.realm) == shared->realms.end())
      shared->realms.push_back(rule.realm);
  }
  // Two lines of about 130 bytes besides the realm, which may double when escaped.
  shared->challenge_bytes = 2 * (192 + 2 * longest);
  for (const std::string& a : config.auth.algorithms)
    shared->algorithms.push_back(a == "MD5" ? auth::Algorithm::kMd5 : auth::Algorithm::kSha256);
  if (shared->algorithms.empty())
    shared->algorithms.assign(std::begin(auth::kAllAlgorithms), std::end(auth::kAllAlgorithms));
  shared->nonce_lifetime_ms = uint64_t{config.auth.nonce_lifetime_s} * 1000;
  shared->replay_entries = config.auth.replay_entries_per_worker;
  shared->max_message_size = config.limits.max_message_size;
  return {std::move(shared), {}};
}

PolicyGate::PolicyGate(std::shared_ptr<const GateShared> shared, uint16_t shard, uint64_t salt_seed)
    : shared_(std::move(shared)),
      first_(shared_),
      evaluator_(shared_->max_message_size),
      authenticator_(shared_->secret, shard, shared_->replay_entries,
                     salt_seed != 0 ? salt_seed : random_seed(), shared_->nonce_lifetime_ms) {
  ok_ = evaluator_.prepare(*shared_->policy) && authenticator_.ok();
}

PolicyGate::~PolicyGate() {
  delete offered_.exchange(nullptr);
}

void PolicyGate::offer(std::shared_ptr<const GateShared> next) {
  auto* box = new std::shared_ptr<const GateShared>(std::move(next));
  delete offered_.exchange(box, std::memory_order_acq_rel);
}

void PolicyGate::tick(uint64_t) {
  if (offered_.load(std::memory_order_relaxed) == nullptr) return;
  std::unique_ptr<std::shared_ptr<const GateShared>> box(
      offered_.exchange(nullptr, std::memory_order_acq_rel));
  if (!box || !*box) return;
  // A policy the evaluator cannot serve (no scratch space) is not switched to.
  if (!evaluator_.prepare(*(*box)->policy)) return;
  shared_ = std::move(*box);
  reloads_.fetch_add(1, std::memory_order_relaxed);
}

GateDecision PolicyGate::challenge(const Message& m, std::string_view realm, bool stale,
                                   Outbox& out, uint64_t now_ms) {
  GateDecision d;
  const std::string_view method = m.method_name();
  const auth::ChallengeKind kind = auth::challenge_kind_for(method);
  char* buffer = out.scratch(shared_->challenge_bytes);
  const std::size_t n =
      buffer == nullptr
          ? 0
          : authenticator_.write_challenge(method, realm, stale, now_ms,
                                           {buffer, shared_->challenge_bytes}, shared_->algorithms);
  if (n == 0) {  // no scratch space or OpenSSL failed: fail closed
    d.action = GateAction::kError;
    d.code = 500;
    d.reason = "Server Internal Error";
    return d;
  }
  d.action = GateAction::kChallenge;
  d.code = auth::status_code(kind);
  d.reason = kind == auth::ChallengeKind::kWwwAuthenticate ? "Unauthorized"
                                                           : "Proxy Authentication Required";
  d.extra_headers = {buffer, n};
  return d;
}

GateDecision PolicyGate::decide(const Message& m, const NetAddress& source, Outbox& out,
                                uint64_t now_ms) {
  const GateShared& s = *shared_;
  GateDecision d;
  const std::string_view method = m.method_name();

  // 1. Credentials: the first Digest credentials (Authorization for REGISTER,
  // Proxy-Authorization otherwise) for one of our realms. Credentials for other realms are for
  // other proxies on the path.
  const HeaderId credentials_id =
      auth::challenge_kind_for(method) == auth::ChallengeKind::kWwwAuthenticate
          ? HeaderId::kAuthorization
          : HeaderId::kProxyAuthorization;
  bool authenticated = false;
  bool stale = false;
  if (m.has(credentials_id)) {
    for (std::size_t i = 0; i < m.header_count(); ++i) {
      const HeaderField field = m.header(i);
      if (field.id != credentials_id || !auth::is_digest(field.value)) continue;
      if (const ParseError e = auth::parse_digest_credentials(field.value, credentials_)) {
        d.action = GateAction::kBadRequest;
        d.code = 400;
        d.reason = e.reason;
        return d;
      }
      const auto realm = std::find(s.realms.begin(), s.realms.end(), credentials_.realm);
      if (realm == s.realms.end()) continue;
      const auth::VerifyResult v =
          authenticator_.verify(&credentials_, method, *realm, s.users, now_ms);
      switch (v.verdict) {
        case auth::Verdict::kOk: {
          // 2. Identity: who authenticated may only speak as themselves.
          const std::string_view claimed =
              auth::identity_user_for(method, uri_user(m.from().uri), uri_user(m.to().uri));
          if (!auth::identity_matches(v.username, claimed)) {
            d.action = GateAction::kReject;
            d.code = 403;
            d.reason = kIdentityMismatch;
            d.authenticated = true;
            return d;
          }
          authenticated = true;
          break;
        }
        case auth::Verdict::kStale:
        case auth::Verdict::kReplay:
          stale = true;
          break;
        case auth::Verdict::kMalformed:  // not from verify() of parsed credentials; for safety
          d.action = GateAction::kBadRequest;
          d.code = 400;
          d.reason = v.error.reason.empty() ? "Malformed credentials" : v.error.reason;
          return d;
        case auth::Verdict::kMissing:
        case auth::Verdict::kBadCredentials:
          break;
      }
      break;
    }
  }

  // 3. The policy.
  d.authenticated = authenticated;
  const policy::Decision p =
      evaluator_.evaluate(*s.policy, m, source, Transport::kUdp, authenticated);
  switch (p.outcome) {
    case policy::Outcome::kLocal:
    case policy::Outcome::kRelay:
      d.action = GateAction::kDefault;
      return d;
    case policy::Outcome::kForbidden:
      d.action = GateAction::kForbidden;
      d.code = 403;
      d.reason = "Forbidden";
      return d;
    case policy::Outcome::kError:
      d.action = GateAction::kError;
      d.code = 500;
      d.reason = "Server Internal Error";
      return d;
    case policy::Outcome::kRule:
      break;
  }
  const RuleConfig& rule = *p.rule;
  switch (rule.action) {
    case RuleAction::kRegister:
      d.action = GateAction::kRegister;
      return d;
    case RuleAction::kLookup:
    case RuleAction::kForward:
      if (rule.action == RuleAction::kForward) {
        d.action = GateAction::kForward;
        d.destination = s.rule_destination[static_cast<std::size_t>(p.rule_index)];
      } else {
        d.action = GateAction::kLookup;
      }
      if (!policy::add_header_edits(*s.policy, p.rule_index, m, d.edits)) {
        // The edits do not fit (or a tel: URI has no host to set): fail closed.
        const bool was_authenticated = d.authenticated;
        d = GateDecision{};
        d.action = GateAction::kError;
        d.code = 500;
        d.reason = "Server Internal Error";
        d.authenticated = was_authenticated;
      }
      return d;
    case RuleAction::kRedirect:
      d.action = GateAction::kRedirect;
      d.code = rule.code;
      d.contacts = rule.contacts;
      return d;
    case RuleAction::kReject:
      d.action = GateAction::kReject;
      d.code = rule.code;
      d.reason = rule.reason;
      return d;
    case RuleAction::kReply:
      d.action = GateAction::kReply;
      d.code = rule.code;
      d.reason = rule.reason;
      return d;
    case RuleAction::kChallenge:
      return challenge(m, rule.realm.empty() ? std::string_view(s.realm) : rule.realm, stale, out,
                       now_ms);
  }
  d.action = GateAction::kError;
  d.code = 500;
  d.reason = "Server Internal Error";
  return d;
}

}  // namespace sipwire::gate
