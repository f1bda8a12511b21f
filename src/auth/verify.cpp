#include "sipwire/auth/verify.h"

namespace sipwire::auth {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

VerifyResult verdict(Verdict v) {
  return {v, {}, {}};
}

// Used for unknown users, so they cost the same hashing as a wrong password.
constexpr char kDummyHa1[] = "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kStale:
      return "stale";
    case Verdict::kBadCredentials:
      return "bad credentials";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kReplay:
      return "replay";
  }
  return "?";
}

VerifyResult verify_digest(const DigestCredentials* credentials, std::string_view method,
                           std::string_view realm, uint64_t now_ms, const VerifyContext& ctx) {
  if (credentials == nullptr) return verdict(Verdict::kMissing);
  const DigestCredentials& c = *credentials;
  // Credentials for another realm are not for us (another proxy on the path may want them).
  if (c.realm != realm) return verdict(Verdict::kMissing);
  // Only what we offer: SHA-256 or MD5 with qop=auth. Without qop (RFC 2069) there is no
  // cnonce and no nc, so no replay protection: refused.
  if (!c.algorithm_supported || !iequals(c.qop, "auth")) return verdict(Verdict::kBadCredentials);

  NonceCheck nonce =
      check_nonce(ctx.hasher, ctx.secret, realm, c.nonce, now_ms, ctx.nonce_lifetime_ms);
  if (nonce.status == NonceStatus::kInvalid) return verdict(Verdict::kBadCredentials);

  const HexDigest* ha1 = ctx.users.find(c.username, realm, c.algorithm);
  std::string_view ha1_hex =
      ha1 ? ha1->view() : std::string_view(kDummyHa1, hex_length(c.algorithm));
  HexDigest ha2, expected;
  if (!ctx.hasher.ha2(c.algorithm, method, c.uri, ha2) ||
      !ctx.hasher.response(c.algorithm, ha1_hex, c.nonce, c.nc, c.cnonce, c.qop, ha2.view(),
                           expected)) {
    return verdict(Verdict::kBadCredentials);
  }
  bool match = constant_time_equal_hex(expected.view(), c.response);
  if (ha1 == nullptr || !match) return verdict(Verdict::kBadCredentials);

  // The client knows the password: an old nonce is only stale (RFC 7616 §3.3, "stale").
  if (nonce.status == NonceStatus::kExpired) return verdict(Verdict::kStale);
  if (ctx.shard && nonce.salt >> 48 != *ctx.shard) return verdict(Verdict::kStale);
  switch (ctx.replay.check_and_record(nonce.tag, nonce.issued_ms, c.nc_value, now_ms,
                                      ctx.nonce_lifetime_ms)) {
    case ReplayStatus::kAccepted:
      return {Verdict::kOk, c.username, {}};
    case ReplayStatus::kReplay:
      return verdict(Verdict::kReplay);
    case ReplayStatus::kEvicted:
      return verdict(Verdict::kStale);
  }
  return verdict(Verdict::kBadCredentials);
}

VerifyResult verify_digest_header(std::string_view header_value, DigestCredentials& credentials,
                                  std::string_view method, std::string_view realm, uint64_t now_ms,
                                  const VerifyContext& ctx) {
  if (!is_digest(header_value)) return verdict(Verdict::kMissing);
  if (ParseError e = parse_digest_credentials(header_value, credentials)) {
    return {Verdict::kMalformed, {}, e};
  }
  return verify_digest(&credentials, method, realm, now_ms, ctx);
}

DigestAuthenticator::DigestAuthenticator(const NonceSecret& secret, uint16_t shard,
                                         std::size_t replay_capacity, uint64_t salt_seed,
                                         uint64_t nonce_lifetime_ms)
    : secret_(secret),
      replay_(replay_capacity),
      shard_(shard),
      counter_(salt_seed),
      lifetime_ms_(nonce_lifetime_ms) {}

VerifyResult DigestAuthenticator::verify(std::string_view header_value,
                                         DigestCredentials& credentials, std::string_view method,
                                         std::string_view realm, const UsersTable& users,
                                         uint64_t now_ms) {
  return verify_digest_header(header_value, credentials, method, realm, now_ms,
                              {users, secret_, replay_, hasher_, lifetime_ms_, shard_});
}

VerifyResult DigestAuthenticator::verify(const DigestCredentials* credentials,
                                         std::string_view method, std::string_view realm,
                                         const UsersTable& users, uint64_t now_ms) {
  return verify_digest(credentials, method, realm, now_ms,
                       {users, secret_, replay_, hasher_, lifetime_ms_, shard_});
}

std::size_t DigestAuthenticator::write_challenge(std::string_view method, std::string_view realm,
                                                 bool stale, uint64_t now_ms, std::span<char> out,
                                                 std::span<const Algorithm> algorithms) {
  Nonce nonce;
  if (!make_nonce(hasher_, secret_, realm, now_ms, nonce_salt(shard_, counter_++), nonce)) return 0;
  return auth::write_challenge(challenge_kind_for(method), realm, nonce.view(), stale, out,
                               algorithms);
}

}  // namespace sipwire::auth
