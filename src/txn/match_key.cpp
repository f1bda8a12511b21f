#include "sipwire/txn/match_key.h"

namespace sipwire {

namespace {

// FNV-1a for the bucket hash (seeded through its offset basis), and a multiply-xorshift
// stream for the check hash: two unrelated functions, so a collision of one says nothing about
// the other.
constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;
constexpr uint64_t kCheckBasis = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kCheckMul = 0xff51afd7ed558ccdull;

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

KeyBuilder::KeyBuilder(MatchKey& out, uint64_t seed, KeyClass key_class)
    : out_(out), hash_(kFnvBasis ^ mix(seed)), check_(kCheckBasis) {
  put(static_cast<char>(key_class));
}

void KeyBuilder::put(char c) {
  const auto byte = static_cast<uint8_t>(c);
  hash_ = (hash_ ^ byte) * kFnvPrime;
  check_ = (check_ ^ byte) * kCheckMul;
  check_ ^= check_ >> 29;
  if (length_ < MatchKey::kTextBytes) out_.text[length_] = c;
  ++length_;
}

void KeyBuilder::add(std::string_view field) {
  put(static_cast<char>(field.size() & 0xFF));
  put(static_cast<char>((field.size() >> 8) & 0xFF));
  for (char c : field) put(c);
}

void KeyBuilder::add_lower(std::string_view field) {
  put(static_cast<char>(field.size() & 0xFF));
  put(static_cast<char>((field.size() >> 8) & 0xFF));
  for (char c : field) put(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

void KeyBuilder::add_number(uint32_t n) {
  char digits[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                    static_cast<char>(n >> 8), static_cast<char>(n)};
  add(std::string_view(digits, sizeof digits));
}

void KeyBuilder::finish() {
  out_.hash = mix(hash_);
  out_.check = mix(check_ ^ length_);
  out_.length = static_cast<uint16_t>(length_ > 0xFFFF ? 0xFFFF : length_);
}

uint64_t tag_hash(std::string_view tag, uint64_t seed) {
  uint64_t h = kFnvBasis ^ mix(seed);
  for (char c : tag) h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
  return mix(h ^ tag.size());
}

}  // namespace sipwire
