// The key a transaction is matched by (§17.1.3, §17.2.3), stored in the transaction without
// allocation.
//
// A key is a canonical text: its fields, each with a two-byte length prefix (so no two field
// lists give the same text), preceded by the key's class. The transaction stores:
//  - `hash`: a seeded 64-bit hash of the whole text, which picks the index bucket;
//  - the text itself, up to kTextBytes. Keys that fit are compared byte for byte: matching is
//    exact. Every RFC 3261 key (branch, sent-by, method) of realistic length fits;
//  - for longer keys (a long RFC 2543 key, a pathological branch) the first kTextBytes bytes,
//    the full length, and `check`, a second, independent 64-bit hash of the whole text.
//    Collision policy: two long keys are taken as equal when length, stored prefix and both
//    hashes agree. A false match needs equal 200-byte prefixes and a 128-bit hash collision;
//    the index hash is seeded per table so collisions cannot be aimed at a bucket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sipwire {

enum class KeyClass : uint8_t {
  kClient = 1,         // §17.1.3: top Via branch + CSeq method
  kServerRfc3261 = 2,  // §17.2.3: branch + sent-by + method (ACK as INVITE)
  kServerRfc2543 = 3,  // §17.2.3 fallback: Request-URI, From tag, Call-ID, CSeq, top Via
};

struct MatchKey {
  static constexpr std::size_t kTextBytes = 200;

  uint64_t hash = 0;
  uint64_t check = 0;
  uint16_t length = 0;  // of the whole canonical text (saturates at 65535)
  char text[kTextBytes];

  bool operator==(const MatchKey& o) const {
    if (hash != o.hash || length != o.length) return false;
    const std::size_t stored = length < kTextBytes ? length : kTextBytes;
    if (std::memcmp(text, o.text, stored) != 0) return false;
    return length <= kTextBytes || check == o.check;
  }
};

// Builds a MatchKey field by field: copies what fits (memcpy per field), hashes everything.
// The stored prefix is hashed eight bytes at a time in finish(); only bytes past kTextBytes
// (long keys, rare) are hashed one by one as they come. No allocation.
class KeyBuilder {
 public:
  KeyBuilder(MatchKey& out, uint64_t seed, KeyClass key_class) : out_(out), seed_(seed) {
    out_.text[0] = static_cast<char>(key_class);
    length_ = 1;
  }

  // Every key is built for every transaction message (three to six per call): the usual field
  // goes straight into the text, inline; only one that does not fit takes the general way.
  void add(std::string_view field) {
    if (length_ + 2 + field.size() <= MatchKey::kTextBytes) {
      put_size(field.size());
      if (!field.empty()) std::memcpy(out_.text + length_, field.data(), field.size());
      length_ += field.size();
      return;
    }
    add_general(field, false);
  }
  void add_lower(std::string_view field) {  // ASCII-lowercased: hosts compare case-insensitively
    if (length_ + 2 + field.size() <= MatchKey::kTextBytes) {
      put_size(field.size());
      char* dst = out_.text + length_;
      for (std::size_t i = 0; i < field.size(); ++i) dst[i] = ascii_lower(field[i]);
      length_ += field.size();
      return;
    }
    add_general(field, true);
  }
  void add_number(uint32_t n) {
    const char digits[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                            static_cast<char>(n >> 8), static_cast<char>(n)};
    add(std::string_view(digits, sizeof digits));
  }
  void finish();

 private:
  static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }
  // The field's length first (two bytes), so that field boundaries are part of the key. Only
  // where the text has room for it.
  void put_size(std::size_t n) {
    out_.text[length_] = static_cast<char>(n & 0xFF);
    out_.text[length_ + 1] = static_cast<char>((n >> 8) & 0xFF);
    length_ += 2;
  }
  void add_general(std::string_view field, bool lower);
  void append(std::string_view bytes, bool lower);

  MatchKey& out_;
  uint64_t seed_;
  uint64_t overflow_hash_ = 0;  // of the bytes past kTextBytes
  uint64_t overflow_check_ = 0;
  std::size_t length_ = 0;
};

// A seeded 64-bit hash of a short string (a To tag), for the RFC 2543 ACK rule.
uint64_t tag_hash(std::string_view tag, uint64_t seed);

}  // namespace sipwire
