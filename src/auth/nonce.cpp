#include "sipwire/auth/nonce.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

namespace sipwire::auth {

namespace {

void put_be64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint64_t get_be64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | in[i];
  return v;
}

bool compute_tag(DigestHasher& hasher, const NonceSecret& secret, const uint8_t* prefix16,
                 std::string_view realm, NonceTag& tag) {
  uint8_t mac[32];
  const auto* realm_bytes = reinterpret_cast<const uint8_t*>(realm.data());
  if (!hasher.hmac_sha256(secret.bytes, {{prefix16, 16}, {realm_bytes, realm.size()}}, mac)) {
    return false;
  }
  std::memcpy(tag.data(), mac, tag.size());
  return true;
}

}  // namespace

std::optional<NonceSecret> NonceSecret::random() {
  NonceSecret s;
  if (RAND_bytes(s.bytes.data(), static_cast<int>(s.bytes.size())) != 1) return std::nullopt;
  return s;
}

bool make_nonce(DigestHasher& hasher, const NonceSecret& secret, std::string_view realm,
                uint64_t now_ms, uint64_t salt, Nonce& out) {
  uint8_t raw[32];
  put_be64(now_ms, raw);
  put_be64(salt, raw + 8);
  NonceTag tag;
  if (!compute_tag(hasher, secret, raw, realm, tag)) return false;
  std::memcpy(raw + 16, tag.data(), tag.size());
  to_hex(raw, out.text);
  return true;
}

NonceCheck check_nonce(DigestHasher& hasher, const NonceSecret& secret, std::string_view realm,
                       std::string_view nonce, uint64_t now_ms, uint64_t lifetime_ms) {
  NonceCheck result;
  uint8_t raw[32];
  if (nonce.size() != kNonceLength || !from_hex(nonce, raw)) return result;
  NonceTag expected;
  if (!compute_tag(hasher, secret, raw, realm, expected)) return result;
  if (CRYPTO_memcmp(expected.data(), raw + 16, expected.size()) != 0) return result;
  result.issued_ms = get_be64(raw);
  result.salt = get_be64(raw + 8);
  result.tag = expected;
  uint64_t age = now_ms > result.issued_ms ? now_ms - result.issued_ms : 0;
  result.status = age >= lifetime_ms ? NonceStatus::kExpired : NonceStatus::kValid;
  return result;
}

}  // namespace sipwire::auth
