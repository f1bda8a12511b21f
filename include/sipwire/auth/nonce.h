// Stateless nonces (RFC 7616 §3.3, §5.4): the proxy verifies a nonce it issued without storing
// it. A nonce is 64 lower-case hex characters encoding 32 bytes:
//
//   issued_ms (8 bytes, big-endian) | salt (8 bytes) | tag (16 bytes)
//   tag = HMAC-SHA256(secret, issued_ms | salt | realm), first 16 bytes
//
// so a nonce is bound to its realm and issue time; its age is checked against a lifetime. The
// clock is the caller's (milliseconds, any epoch shared by all shards), so tests are exact.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "sipwire/auth/digest_hash.h"

namespace sipwire::auth {

inline constexpr std::size_t kNonceLength = 64;
inline constexpr uint64_t kDefaultNonceLifetimeMs = 300'000;

// The server secret the nonces are signed with: 32 random bytes, shared by all shards of a
// process. A restart makes a new one, so outstanding nonces become invalid (clients are
// challenged again). Persist it (or share it between proxies) only over a secure channel.
struct NonceSecret {
  std::array<uint8_t, 32> bytes{};

  // From the OpenSSL CSPRNG; nullopt if it fails.
  static std::optional<NonceSecret> random();
};

struct Nonce {
  char text[kNonceLength] = {};
  std::string_view view() const { return {text, kNonceLength}; }
};

// The tag identifies a nonce (used as the replay table's key).
using NonceTag = std::array<uint8_t, 16>;

enum class NonceStatus : uint8_t {
  kValid,    // authentic and within its lifetime
  kExpired,  // authentic but older than the lifetime: answer with stale=true
  kInvalid,  // not ours: wrong length or syntax, another realm, or a forged/altered tag
};

struct NonceCheck {
  NonceStatus status = NonceStatus::kInvalid;
  uint64_t issued_ms = 0;
  uint64_t salt = 0;  // authentic like the rest (DigestAuthenticator puts its shard in it)
  NonceTag tag{};
};

// A nonce for `realm` issued at now_ms. `salt` makes nonces issued in the same millisecond
// differ (a per-shard counter seeded at random is enough; it need not be secret). false only
// when OpenSSL fails.
bool make_nonce(DigestHasher& hasher, const NonceSecret& secret, std::string_view realm,
                uint64_t now_ms, uint64_t salt, Nonce& out);

// Recomputes the tag (constant-time comparison) and checks the age. A nonce issued "in the
// future" (clocks of shards a little apart) counts as age zero.
NonceCheck check_nonce(DigestHasher& hasher, const NonceSecret& secret, std::string_view realm,
                       std::string_view nonce, uint64_t now_ms,
                       uint64_t lifetime_ms = kDefaultNonceLifetimeMs);

}  // namespace sipwire::auth
