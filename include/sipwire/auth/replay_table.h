// Nonce-count replay protection (RFC 7616 §3.4, §5.4): for each recently used nonce, the highest
// nc accepted. One table per shard, sized at construction; nothing allocates after that.
//
// The table is set-associative: a nonce's tag (an HMAC output, so uniformly spread and not
// choosable by an attacker) picks a bucket of kWays entries. When a bucket is full, an entry
// whose nonce has expired is reused first; otherwise the entry with the oldest nonce is
// evicted and the bucket remembers that nonce's issue time as its watermark. A nonce that is
// not in the table but was issued at or before its bucket's watermark may have been evicted,
// and its nc history is lost: it is refused as stale, which makes the client take a fresh nonce
// (one more round trip, never a replay). Size the table for the peak number of distinct nonces
// in use within one nonce lifetime, and evictions (ReplayTable::evictions) stay at zero.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sipwire/auth/nonce.h"

namespace sipwire::auth {

enum class ReplayStatus : uint8_t {
  kAccepted,  // nc above every nc seen for this nonce (or the nonce's first use): recorded
  kReplay,    // nc not above the highest seen: refuse
  kEvicted,   // the nonce may have been evicted: treat as stale
};

class ReplayTable {
 public:
  static constexpr std::size_t kWays = 8;

  // Room for at least `capacity` nonces (rounded up to a power-of-two number of buckets).
  explicit ReplayTable(std::size_t capacity);

  // Checks nc for the nonce (tag, issued_ms) and records it when accepted. now_ms and
  // lifetime_ms say which entries hold expired nonces (free to reuse).
  ReplayStatus check_and_record(const NonceTag& tag, uint64_t issued_ms, uint32_t nc,
                                uint64_t now_ms, uint64_t lifetime_ms);

  std::size_t capacity() const { return bucket_count_ * kWays; }
  uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    NonceTag tag{};
    uint64_t issued_ms = 0;
    uint32_t max_nc = 0;
    bool used = false;
  };
  struct Bucket {
    Entry ways[kWays];
    uint64_t watermark_ms = 0;
    bool has_watermark = false;
  };

  std::unique_ptr<Bucket[]> buckets_;
  std::size_t bucket_count_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace sipwire::auth
