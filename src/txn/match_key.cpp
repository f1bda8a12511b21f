#include "sipwire/txn/match_key.h"

#include <bit>
#include <cstring>

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

void KeyBuilder::append(std::string_view bytes, bool lower) {
  const std::size_t room = length_ < MatchKey::kTextBytes ? MatchKey::kTextBytes - length_ : 0;
  const std::size_t copied = bytes.size() < room ? bytes.size() : room;
  // Only a key still shorter than kTextBytes has room: past it, not even a pointer is formed.
  if (copied != 0) {
    char* dst = out_.text + length_;
    for (std::size_t i = 0; i < copied; ++i) dst[i] = lower ? ascii_lower(bytes[i]) : bytes[i];
  }
  for (std::size_t i = copied; i < bytes.size(); ++i) {
    const auto byte = static_cast<uint8_t>(lower ? ascii_lower(bytes[i]) : bytes[i]);
    overflow_hash_ = (overflow_hash_ ^ byte) * kFnvPrime;
    overflow_check_ = (overflow_check_ ^ byte) * kCheckMul;
    overflow_check_ ^= overflow_check_ >> 29;
  }
  length_ += bytes.size();
}

void KeyBuilder::add_general(std::string_view field, bool lower) {
  const char size[2] = {static_cast<char>(field.size() & 0xFF),
                        static_cast<char>((field.size() >> 8) & 0xFF)};
  append(std::string_view(size, 2), false);
  append(field, lower);
}

void KeyBuilder::finish() {
  // The stored prefix, a word at a time: an FNV-style multiply for the bucket hash, seeded.
  // The check hash (multiply-xorshift, unrelated) matters only for a key longer than the
  // stored text, which is compared by it (see MatchKey::operator==): only such a key pays it.
  const std::size_t stored = length_ < MatchKey::kTextBytes ? length_ : MatchKey::kTextBytes;
  static_assert(MatchKey::kTextBytes % 8 == 0, "whole words of the text are hashed");
  // The bytes after the key up to its last whole word are zeroed once, so every word is
  // hashed as loaded (the comparison reads only `stored` bytes, so they change nothing else).
  const std::size_t words = (stored + 7) / 8;
  std::memset(out_.text + stored, 0, words * 8 - stored);
  uint64_t hash = kFnvBasis ^ mix(seed_);
  for (std::size_t i = 0; i < words; ++i) {
    uint64_t word;
    std::memcpy(&word, out_.text + 8 * i, 8);
    hash = (hash ^ word) * kFnvPrime;
    hash ^= hash >> 32;
  }
  out_.hash = mix(hash ^ overflow_hash_ ^ length_);
  out_.check = 0;
  if (length_ > MatchKey::kTextBytes) {
    uint64_t check = kCheckBasis;
    for (std::size_t i = 0; i < words; ++i) {
      uint64_t word;
      std::memcpy(&word, out_.text + 8 * i, 8);
      check = (check ^ word) * kCheckMul;
      check ^= check >> 29;
    }
    out_.check = mix(check ^ mix(overflow_check_) ^ length_);
  }
  out_.length = static_cast<uint16_t>(length_ > 0xFFFF ? 0xFFFF : length_);
}

uint64_t tag_hash(std::string_view tag, uint64_t seed) {
  uint64_t h = kFnvBasis ^ mix(seed);
  for (char c : tag) h = (h ^ static_cast<uint8_t>(c)) * kFnvPrime;
  return mix(h ^ tag.size());
}

}  // namespace sipwire
