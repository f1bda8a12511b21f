// Flood protection for one shard: a token bucket per source address, in a fixed-size table.
//
// One instance per shard, used by that shard's thread only (no locks, no atomics). Time is
// injected (`now_ms`, any monotonic millisecond clock), so behaviour is exact and testable.
// Arithmetic is integer fixed point: one token is 1,000,000 units and a bucket refills
// `rate_milli_per_s` units per millisecond, so a rate of thousandths of a request per second
// refills exactly, with no rounding drift however the calls are spaced.
//
// Sources are keyed by IP, never by port: a client picks its source port freely (and a NAT
// rewrites it), so a per-port key would let one host spread a flood over 64k buckets. IPv6 is
// keyed by prefix (/64 by default): one host or LAN is normally given a whole /64, and keying
// by /128 would hand it 2^64 fresh buckets. An IPv4-mapped IPv6 source (::ffff:a.b.c.d) is
// the IPv4 host a.b.c.d, for the key and for the exemption list.
//
// Memory is bounded: the table is allocated once, at construction, and `allow` never
// allocates. When a source's window of the table is full, the least useful entry makes room
// (see the comment on SourceRateLimiter::allow for the policy and why it keeps a flood limited).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "sipwire/net_address.h"

namespace sipwire {

// An address prefix: "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" is /32,
// "2001:db8::7" is /128). An IPv4 prefix matches IPv4 sources (and IPv4-mapped IPv6 ones),
// an IPv6 prefix matches the other IPv6 sources: "::/0" is every IPv6 source, not IPv4 ones.
struct Cidr {
  NetAddress::Family family = NetAddress::Family::kNone;
  uint8_t prefix_bits = 0;
  std::array<uint8_t, 16> ip{};  // host bits are zero

  bool contains(const NetAddress& address) const;
};

struct CidrParse {
  std::optional<Cidr> cidr;
  std::string_view error;  // what is wrong (a string literal); empty when ok()

  bool ok() const { return cidr.has_value(); }
};

// Parses "address/length" or a bare address. Strict: no spaces, the length is decimal and in
// range for the family, and the address has no bits set beyond the prefix ("10.1.0.0/8" is
// an error, so a typo cannot silently exempt a different network).
CidrParse parse_cidr(std::string_view text);

struct RateLimitConfig {
  // Sustained rate, in thousandths of a request per second: 50'000 is 50/s, 500 is one every
  // two seconds. At least 1.
  uint32_t rate_milli_per_s = 50'000;
  // Bucket size in requests: how many a quiet source may send at once. 1 to kMaxBurst.
  uint32_t burst = 100;
  // Sources tracked per shard; rounded up to a power-of-two number of 8-entry windows.
  std::size_t capacity = 65'536;
  // Key lengths: sources within one prefix share a bucket.
  uint8_t ipv4_prefix_bits = 32;  // 0 to 32
  uint8_t ipv6_prefix_bits = 64;  // 0 to 128
  // When a new source finds its window full of entries that all still hold information (no
  // bucket is full again), replacing one hands that source a partly refilled bucket. Such
  // lossy evictions are allowed this often per second (burst of the same size); beyond it a
  // new source is refused (limited) rather than erasing what the table knows. 0: never.
  uint32_t lossy_evictions_per_s = 1'000;
  // Seeds the keyed hash (SipHash-1-3). 0 (the default): a random key from std::random_device,
  // so nobody outside can predict which sources share a window. Tests pass a fixed seed.
  uint64_t hash_seed = 0;
  // Trusted sources: never limited, never tracked. Checked in order on each request, so keep
  // it short (a handful of peers and networks).
  std::vector<Cidr> exempt;

  static constexpr uint32_t kMaxBurst = 1'000'000'000;
};

class SourceRateLimiter {
 public:
  struct Decision {
    enum class Verdict : uint8_t { kAllowed, kExempt, kLimited };
    Verdict verdict = Verdict::kAllowed;
    // For kLimited: seconds until the source has a token again, rounded up, at least 1 (a
    // Retry-After value for a 503). 0 otherwise.
    uint32_t retry_after_s = 0;

    bool allowed() const { return verdict != Verdict::kLimited; }
  };

  struct Counters {
    uint64_t allowed = 0;          // every allowed request, exempt ones included
    uint64_t exempt = 0;           // of those, allowed by the exemption list
    uint64_t limited = 0;          // every limited request, refused_new included
    uint64_t refused_new = 0;      // of those, new sources refused a table entry
    uint64_t evictions = 0;        // entries replaced by a new source
    uint64_t lossy_evictions = 0;  // of those, entries whose bucket was not full again
    std::size_t tracked = 0;       // sources in the table now
  };

  // Out-of-range settings are clamped (rate to at least 1, burst to 1..kMaxBurst, prefix
  // lengths to the family's width, capacity to at least one window).
  explicit SourceRateLimiter(const RateLimitConfig& config);
  SourceRateLimiter(const SourceRateLimiter&) = delete;
  SourceRateLimiter& operator=(const SourceRateLimiter&) = delete;

  // Charges one request from `source` at `now_ms`. Never allocates. A clock that steps back
  // refills nothing until it passes the time it last saw.
  Decision allow(const NetAddress& source, uint64_t now_ms);

  const Counters& counters() const { return counters_; }
  std::size_t capacity() const { return windows_ * kWays; }
  // The table's size in bytes: fixed from construction.
  std::size_t table_bytes() const { return capacity() * sizeof(Entry); }

 private:
  static constexpr std::size_t kWays = 8;       // entries per window (one 256-byte block)
  static constexpr uint64_t kUnit = 1'000'000;  // fixed-point units per token

  struct Entry {
    uint64_t k0 = 0, k1 = 0;  // the source's key (masked IP, IPv4 as ::ffff:a.b.c.d)
    uint64_t seen = 0;        // last time charged, plus 1; 0 marks a free entry
    uint64_t tokens = 0;      // in units
  };
  // A bucket's fill at `now` (no write).
  uint64_t refilled(uint64_t tokens, uint64_t seen, uint64_t now_ms, uint64_t rate) const;
  uint32_t retry_after(uint64_t tokens, uint64_t rate) const;
  Decision charge(Entry& e, uint64_t now_ms);
  Decision admit(Entry& e, uint64_t k0, uint64_t k1, uint64_t now_ms);
  uint64_t hash(uint64_t k0, uint64_t k1) const;

  uint64_t rate_;           // units per ms
  uint64_t cap_;            // burst in units
  uint64_t full_after_ms_;  // an idle bucket is full after this long
  uint64_t lossy_rate_;     // units per ms for the lossy-eviction budget
  uint64_t lossy_cap_;
  uint64_t lossy_tokens_;
  uint64_t lossy_seen_ = 0;
  uint8_t ipv4_bits_;
  uint8_t ipv6_bits_;
  uint64_t key0_, key1_;  // SipHash key
  std::vector<Cidr> exempt_;
  std::size_t windows_;
  std::unique_ptr<Entry[]> table_;
  Counters counters_;
};

}  // namespace sipwire
