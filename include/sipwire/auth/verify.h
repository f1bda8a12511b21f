// Digest verification of one request: the function the proxy calls, and DigestAuthenticator,
// the per-shard object that bundles what it needs (hasher, replay table, nonce salt).
//
// What the proxy does with each verdict (docs/ARCHITECTURE.md, "Digest authentication"):
//   kOk             the request is authenticated as `username`; then check the identity
//                   (identity.h) and answer 403 on a mismatch
//   kMissing        no Digest credentials for our realm: challenge (401/407)
//   kStale          authentic credentials with an expired nonce, one evicted from the replay
//                   table, or one issued by another shard: challenge with stale=true, so the
//                   client retries without asking its user
//   kBadCredentials unknown user, wrong password, forged nonce, unsupported algorithm or no
//                   qop=auth: challenge again (stale=false); unknown user and wrong password
//                   are indistinguishable to the client
//   kMalformed      the header does not parse: 400 Bad Request
//   kReplay         nc not above one already accepted for this nonce: challenge again with a
//                   fresh nonce (stale=true: a legitimate client recovers; an attacker without
//                   the password gains nothing)
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sipwire/auth/challenge.h"
#include "sipwire/auth/credentials.h"
#include "sipwire/auth/digest_hash.h"
#include "sipwire/auth/nonce.h"
#include "sipwire/auth/replay_table.h"
#include "sipwire/auth/users_file.h"

namespace sipwire::auth {

enum class Verdict : uint8_t { kOk, kMissing, kStale, kBadCredentials, kMalformed, kReplay };
std::string_view to_string(Verdict v);

struct VerifyResult {
  Verdict verdict = Verdict::kMissing;
  std::string_view username;  // kOk: the authenticated user (a view into the credentials)
  ParseError error;           // kMalformed: what is wrong
};

struct VerifyContext {
  const UsersTable& users;
  const NonceSecret& secret;
  ReplayTable& replay;
  DigestHasher& hasher;
  uint64_t nonce_lifetime_ms = kDefaultNonceLifetimeMs;
  // When set, only nonces whose salt carries this shard (salt >> 48, see nonce_salt) are
  // accepted; others are stale. The replay table only knows the nonce counts its own shard
  // accepted, so this is what stops a captured request from being replayed on another shard.
  std::optional<uint16_t> shard;
};

// The salt DigestAuthenticator puts in its nonces: the shard in the top 16 bits, a counter below.
constexpr uint64_t nonce_salt(uint16_t shard, uint64_t counter) {
  return uint64_t{shard} << 48 | (counter & ((uint64_t{1} << 48) - 1));
}

// Verifies parsed credentials (nullptr: the request carried none) for a request with `method`
// against `realm`. The replay table is updated only when the response is correct.
VerifyResult verify_digest(const DigestCredentials* credentials, std::string_view method,
                           std::string_view realm, uint64_t now_ms, const VerifyContext& ctx);

// The same from a raw header value (Authorization or Proxy-Authorization): a value using
// another scheme counts as missing, one that does not parse is kMalformed. `credentials`
// receives the parse (the username of the result views into it).
VerifyResult verify_digest_header(std::string_view header_value, DigestCredentials& credentials,
                                  std::string_view method, std::string_view realm, uint64_t now_ms,
                                  const VerifyContext& ctx);

// Everything one shard needs, allocated at construction. Not thread-safe; the secret is shared.
// Its nonces carry `shard`, and it accepts only those (VerifyContext::shard): a client whose
// requests move to another shard is re-challenged there with stale=true (one round trip).
class DigestAuthenticator {
 public:
  DigestAuthenticator(const NonceSecret& secret, uint16_t shard, std::size_t replay_capacity,
                      uint64_t salt_seed, uint64_t nonce_lifetime_ms = kDefaultNonceLifetimeMs);

  bool ok() const { return hasher_.ok(); }

  VerifyResult verify(std::string_view header_value, DigestCredentials& credentials,
                      std::string_view method, std::string_view realm, const UsersTable& users,
                      uint64_t now_ms);
  VerifyResult verify(const DigestCredentials* credentials, std::string_view method,
                      std::string_view realm, const UsersTable& users, uint64_t now_ms);

  // The challenge header lines for `method` (401/407 per challenge_kind_for) with a fresh
  // nonce. Returns the bytes written into `out`, 0 when they do not fit (or OpenSSL fails).
  std::size_t write_challenge(std::string_view method, std::string_view realm, bool stale,
                              uint64_t now_ms, std::span<char> out,
                              std::span<const Algorithm> algorithms = kAllAlgorithms);

  DigestHasher& hasher() { return hasher_; }
  const ReplayTable& replay() const { return replay_; }

 private:
  const NonceSecret& secret_;
  DigestHasher hasher_;
  ReplayTable replay_;
  uint16_t shard_;
  uint64_t counter_;
  uint64_t lifetime_ms_;
};

}  // namespace sipwire::auth
