// Digest hashing (RFC 7616 §3.4, RFC 8760): MD5 and SHA-256 through OpenSSL 3 EVP, hex output
// into fixed buffers, and the HMAC-SHA256 the stateless nonces are signed with.
//
// A DigestHasher owns its OpenSSL contexts, made once at construction; hashing after that
// allocates nothing. It is not thread-safe: each shard (worker) owns one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>

namespace sipwire::auth {

// The algorithms sipwire offers and accepts. The "-sess" variants and SHA-512-256 are not
// accepted (docs/ARCHITECTURE.md, "Digest authentication").
enum class Algorithm : uint8_t { kMd5, kSha256 };
inline constexpr Algorithm kAllAlgorithms[] = {Algorithm::kSha256, Algorithm::kMd5};

// "MD5", "SHA-256": the tokens of the algorithm parameter and of the users file.
std::string_view to_string(Algorithm a);
// Case-insensitive; nullopt for anything else (including "MD5-sess").
std::optional<Algorithm> algorithm_from_string(std::string_view token);
// Digest length in hex characters: 32 for MD5, 64 for SHA-256.
constexpr std::size_t hex_length(Algorithm a) {
  return a == Algorithm::kMd5 ? 32 : 64;
}

// A lower-case hex digest in a fixed buffer.
struct HexDigest {
  char data[64] = {};
  uint8_t size = 0;

  std::string_view view() const { return {data, size}; }
  bool empty() const { return size == 0; }
};

// Lower-case hex of `bytes` into `out` (2 * bytes.size() characters).
void to_hex(std::span<const uint8_t> bytes, char* out);
// Parses exactly 2 * out.size() hex digits (either case). false on anything else.
bool from_hex(std::string_view hex, std::span<uint8_t> out);

// Equal length and equal bytes, in time that depends on the length only (CRYPTO_memcmp).
// Hex digits are compared case-insensitively (the response is case-folded first).
bool constant_time_equal_hex(std::string_view expected_lower, std::string_view given);

class DigestHasher {
 public:
  DigestHasher();
  ~DigestHasher();
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  // false when OpenSSL could not provide the digests (for example MD5 in a FIPS-only
  // configuration); every hash call then fails.
  bool ok() const { return ok_; }

  // H(p1 ":" p2 ":" ...), as lower-case hex. false only when OpenSSL fails.
  bool hash_joined(Algorithm a, std::initializer_list<std::string_view> parts, HexDigest& out);

  // HA1 = H(username ":" realm ":" password): what the users file stores (RFC 7616 §3.4.2).
  bool ha1(Algorithm a, std::string_view username, std::string_view realm,
           std::string_view password, HexDigest& out) {
    return hash_joined(a, {username, realm, password}, out);
  }
  // HA2 = H(method ":" digest-uri) for qop=auth (RFC 7616 §3.4.3).
  bool ha2(Algorithm a, std::string_view method, std::string_view uri, HexDigest& out) {
    return hash_joined(a, {method, uri}, out);
  }
  // response = H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) (RFC 7616 §3.4.1).
  bool response(Algorithm a, std::string_view ha1_hex, std::string_view nonce, std::string_view nc,
                std::string_view cnonce, std::string_view qop, std::string_view ha2_hex,
                HexDigest& out) {
    return hash_joined(a, {ha1_hex, nonce, nc, cnonce, qop, ha2_hex}, out);
  }

  // HMAC-SHA256(key, concatenation of parts) (RFC 2104), key at most 64 bytes.
  bool hmac_sha256(std::span<const uint8_t> key,
                   std::initializer_list<std::span<const uint8_t>> parts, uint8_t (&out)[32]);

 private:
  struct Impl;
  Impl* impl_ = nullptr;
  bool ok_ = false;
};

}  // namespace sipwire::auth
