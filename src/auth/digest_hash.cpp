#include "sipwire/auth/digest_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace sipwire::auth {

namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view to_string(Algorithm a) {
  return a == Algorithm::kMd5 ? "MD5" : "SHA-256";
}

std::optional<Algorithm> algorithm_from_string(std::string_view token) {
  if (iequals(token, "MD5")) return Algorithm::kMd5;
  if (iequals(token, "SHA-256")) return Algorithm::kSha256;
  return std::nullopt;
}

void to_hex(std::span<const uint8_t> bytes, char* out) {
  for (uint8_t b : bytes) {
    *out++ = kHexDigits[b >> 4];
    *out++ = kHexDigits[b & 0xf];
  }
}

bool from_hex(std::string_view hex, std::span<uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool constant_time_equal_hex(std::string_view expected_lower, std::string_view given) {
  // The length is public (it follows from the algorithm); only the contents are secret.
  if (expected_lower.size() != given.size() || given.size() > 64) return false;
  char folded[64];
  for (std::size_t i = 0; i < given.size(); ++i) folded[i] = lower_ascii(given[i]);
  return CRYPTO_memcmp(expected_lower.data(), folded, given.size()) == 0;
}

// One digest context per algorithm, so re-initialising reuses the provider's state instead of
// freeing and allocating it (EVP_DigestInit_ex2 with the same EVP_MD keeps it).
struct DigestHasher::Impl {
  EVP_MD* md5 = nullptr;
  EVP_MD* sha256 = nullptr;
  EVP_MD_CTX* md5_ctx = nullptr;
  EVP_MD_CTX* sha256_ctx = nullptr;

  ~Impl() {
    EVP_MD_CTX_free(md5_ctx);
    EVP_MD_CTX_free(sha256_ctx);
    EVP_MD_free(md5);
    EVP_MD_free(sha256);
  }

  // Digest of the concatenation of parts, into out (at most 32 bytes). Returns its length.
  template <typename Parts>
  unsigned digest(bool use_md5, const Parts& parts, uint8_t* out) {
    EVP_MD_CTX* ctx = use_md5 ? md5_ctx : sha256_ctx;
    if (EVP_DigestInit_ex2(ctx, use_md5 ? md5 : sha256, nullptr) != 1) return 0;
    for (const auto& p : parts) {
      if (!p.empty() && EVP_DigestUpdate(ctx, p.data(), p.size()) != 1) return 0;
    }
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctx, out, &len) != 1) return 0;
    return len;
  }
};

DigestHasher::DigestHasher() : impl_(new Impl) {
  impl_->md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  impl_->sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  impl_->md5_ctx = EVP_MD_CTX_new();
  impl_->sha256_ctx = EVP_MD_CTX_new();
  ok_ = impl_->md5 && impl_->sha256 && impl_->md5_ctx && impl_->sha256_ctx;
}

DigestHasher::~DigestHasher() {
  delete impl_;
}

bool DigestHasher::hash_joined(Algorithm a, std::initializer_list<std::string_view> parts,
                               HexDigest& out) {
  out.size = 0;
  if (!ok_) return false;
  // The parts with ':' between them, as one sequence of updates (no joined copy).
  std::string_view pieces[2 * 8];
  std::size_t n = 0;
  if (parts.size() > 8) return false;
  for (std::string_view p : parts) {
    if (n != 0) pieces[n++] = ":";
    pieces[n++] = p;
  }
  uint8_t raw[32];
  unsigned len = impl_->digest(a == Algorithm::kMd5, std::span<std::string_view>(pieces, n), raw);
  if (len == 0 || len * 2 != hex_length(a)) return false;
  to_hex({raw, len}, out.data);
  out.size = static_cast<uint8_t>(len * 2);
  return true;
}

bool DigestHasher::hmac_sha256(std::span<const uint8_t> key,
                               std::initializer_list<std::span<const uint8_t>> parts,
                               uint8_t (&out)[32]) {
  constexpr std::size_t kBlock = 64;
  if (!ok_ || key.size() > kBlock || parts.size() > 8) return false;
  uint8_t ipad[kBlock], opad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) {
    uint8_t k = i < key.size() ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  std::span<const uint8_t> inner[9];
  std::size_t n = 0;
  inner[n++] = ipad;
  for (auto p : parts) inner[n++] = p;
  uint8_t inner_hash[32];
  if (impl_->digest(false, std::span<std::span<const uint8_t>>(inner, n), inner_hash) != 32) {
    return false;
  }
  std::span<const uint8_t> outer[2] = {opad, inner_hash};
  bool done = impl_->digest(false, outer, out) == 32;
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return done;
}

}  // namespace sipwire::auth
