#include "sipwire/engine/rate_limiter.h"

#include <algorithm>
#include <bit>
#include <random>

#include "sipwire/siphash.h"

namespace sipwire {

namespace {

constexpr uint64_t kV4MappedTag = 0x0000FFFF00000000ull;  // ::ffff:0:0/96, as the low word

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The top `bits` of a 64-bit word (bits 0 to 64).
uint64_t high_mask64(unsigned bits) {
  return bits == 0 ? 0 : ~uint64_t{0} << (64 - bits);
}
uint32_t high_mask32(unsigned bits) {
  return bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
}

bool is_v4_mapped(const NetAddress& a) {
  if (a.family != NetAddress::Family::kIpv6) return false;
  for (int i = 0; i < 10; ++i)
    if (a.ip[i] != 0) return false;
  return a.ip[10] == 0xFF && a.ip[11] == 0xFF;
}

// The IPv4 address of an IPv4 source or an IPv4-mapped IPv6 one.
bool as_ipv4(const NetAddress& a, uint32_t& v4) {
  if (a.family == NetAddress::Family::kIpv4) {
    v4 = load_be32(a.ip.data());
    return true;
  }
  if (is_v4_mapped(a)) {
    v4 = load_be32(a.ip.data() + 12);
    return true;
  }
  return false;
}

// Whether the top `bits` of two 16-byte addresses agree.
bool prefix_equal(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                  unsigned bits) {
  const uint64_t a0 = load_be64(a.data()), a1 = load_be64(a.data() + 8);
  const uint64_t b0 = load_be64(b.data()), b1 = load_be64(b.data() + 8);
  if (bits <= 64) return ((a0 ^ b0) & high_mask64(bits)) == 0;
  return a0 == b0 && ((a1 ^ b1) & high_mask64(bits - 64)) == 0;
}

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

bool Cidr::contains(const NetAddress& address) const {
  uint32_t v4 = 0;
  if (family == NetAddress::Family::kIpv4) {
    if (!as_ipv4(address, v4)) return false;
    return ((v4 ^ load_be32(ip.data())) & high_mask32(prefix_bits)) == 0;
  }
  if (family != NetAddress::Family::kIpv6) return false;
  if (address.family != NetAddress::Family::kIpv6 || is_v4_mapped(address)) return false;
  return prefix_equal(ip, address.ip, prefix_bits);
}

CidrParse parse_cidr(std::string_view text) {
  CidrParse out;
  if (text.empty()) {
    out.error = "empty address prefix";
    return out;
  }
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  if (address_text.empty()) {
    out.error = "no address before '/'";
    return out;
  }
  // NetAddress::parse would accept "[v6]"; a prefix has no brackets.
  if (address_text.front() == '[') {
    out.error = "brackets around the address";
    return out;
  }
  const std::optional<NetAddress> address = NetAddress::parse(address_text, 0);
  if (!address) {
    out.error = "not an IPv4 or IPv6 address";
    return out;
  }
  const unsigned width = address->is_ipv6() ? 128 : 32;
  unsigned bits = width;
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    if (length.empty()) {
      out.error = "no prefix length after '/'";
      return out;
    }
    if (length.size() > 3) {
      out.error = "prefix length out of range";
      return out;
    }
    bits = 0;
    for (char c : length) {
      if (c < '0' || c > '9') {
        out.error = "prefix length is not a decimal number";
        return out;
      }
      bits = bits * 10 + static_cast<unsigned>(c - '0');
    }
    if (bits > width) {
      out.error =
          address->is_ipv6() ? "prefix length over 128 for IPv6" : "prefix length over 32 for IPv4";
      return out;
    }
  }
  // Host bits must be zero: compare the address with itself masked.
  std::array<uint8_t, 16> masked{};
  for (unsigned i = 0; i < width / 8; ++i) {
    const unsigned keep = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * i : 0);
    masked[i] = static_cast<uint8_t>(address->ip[i] & (keep == 0 ? 0 : 0xFF << (8 - keep)));
  }
  if (masked != address->ip) {
    out.error = "address has bits set beyond the prefix length";
    return out;
  }
  Cidr cidr;
  cidr.family = address->family;
  cidr.prefix_bits = static_cast<uint8_t>(bits);
  cidr.ip = address->ip;
  // "::ffff:10.0.0.0/104" is the IPv4 prefix 10.0.0.0/8, as IPv4-mapped sources are IPv4.
  if (is_v4_mapped(*address) && bits >= 96) {
    cidr.family = NetAddress::Family::kIpv4;
    cidr.prefix_bits = static_cast<uint8_t>(bits - 96);
    cidr.ip = {};
    std::copy_n(address->ip.begin() + 12, 4, cidr.ip.begin());
  }
  out.cidr = cidr;
  return out;
}

SourceRateLimiter::SourceRateLimiter(const RateLimitConfig& config)
    : rate_(std::max<uint32_t>(config.rate_milli_per_s, 1)),
      cap_(uint64_t{std::clamp<uint32_t>(config.burst, 1, RateLimitConfig::kMaxBurst)} * kUnit),
      full_after_ms_((cap_ + rate_ - 1) / rate_),
      lossy_rate_(uint64_t{config.lossy_evictions_per_s} * 1000),
      lossy_cap_(uint64_t{config.lossy_evictions_per_s} * kUnit),
      lossy_tokens_(lossy_cap_),
      ipv4_bits_(std::min<uint8_t>(config.ipv4_prefix_bits, 32)),
      ipv6_bits_(std::min<uint8_t>(config.ipv6_prefix_bits, 128)),
      exempt_(config.exempt),
      windows_(std::bit_ceil(std::max<std::size_t>((config.capacity + kWays - 1) / kWays, 1))),
      table_(new Entry[windows_ * kWays]) {
  uint64_t state = config.hash_seed;
  if (state == 0) {
    std::random_device rd;
    key0_ = detail::random_key_word(rd);
    key1_ = detail::random_key_word(rd);
  } else {
    key0_ = splitmix64(state);
    key1_ = splitmix64(state);
  }
}

// SipHash-1-3 of the 16-byte key: a keyed PRF, so without the key nobody can choose sources
// that land in one window (to crowd out a victim's entry) any better than at random.
uint64_t SourceRateLimiter::hash(uint64_t k0, uint64_t k1) const {
  detail::SipHash13 h(key0_, key1_);  // the 16 bytes of the key, as two words
  h.absorb(k0);
  h.absorb(k1);
  return h.finish(0, 16);
}

uint64_t SourceRateLimiter::refilled(uint64_t tokens, uint64_t seen, uint64_t now_ms,
                                     uint64_t rate) const {
  const uint64_t last = seen - 1;
  if (now_ms <= last) return tokens;
  // Clamped first, so the product cannot overflow: after full_after_ms_ a bucket is full.
  const uint64_t elapsed = std::min(now_ms - last, full_after_ms_);
  return std::min(cap_, tokens + elapsed * rate);
}

uint32_t SourceRateLimiter::retry_after(uint64_t tokens, uint64_t rate) const {
  // Units per second are rate * 1000; round the wait for the missing units up.
  const uint64_t missing = kUnit - tokens;
  const uint64_t per_second = rate * 1000;
  const uint64_t seconds = (missing + per_second - 1) / per_second;
  return static_cast<uint32_t>(std::clamp<uint64_t>(seconds, 1, UINT32_MAX));
}

SourceRateLimiter::Decision SourceRateLimiter::charge(Entry& e, uint64_t now_ms) {
  e.tokens = refilled(e.tokens, e.seen, now_ms, rate_);
  e.seen = std::max(e.seen, now_ms + 1);
  if (e.tokens >= kUnit) {
    e.tokens -= kUnit;
    ++counters_.allowed;
    return {Decision::Verdict::kAllowed, 0};
  }
  ++counters_.limited;
  return {Decision::Verdict::kLimited, retry_after(e.tokens, rate_)};
}

SourceRateLimiter::Decision SourceRateLimiter::admit(Entry& e, uint64_t k0, uint64_t k1,
                                                     uint64_t now_ms) {
  e.k0 = k0;
  e.k1 = k1;
  e.seen = now_ms + 1;
  e.tokens = cap_;
  return charge(e, now_ms);
}

// Eviction policy. A source's entries live in one window of kWays entries, chosen by the keyed
// hash. A new source takes a free entry if the window has one; otherwise it replaces the entry
// with the smallest deficit (burst minus its tokens now), the least recently seen on a tie.
//
// Why the smallest deficit: a source whose entry is dropped comes back with a full bucket, so
// an eviction gives it exactly its deficit in free tokens. An entry whose bucket is full
// again (deficit 0) carries no information at all and is dropped at no cost; otherwise the
// entry that gains least is chosen. Least-recently-seen alone would be worse: a flooder that
// pauses for a moment would be evicted with an empty bucket and return with a full one.
//
// A flood stays limited:
// - A flooding source cannot evict itself: its own requests find its entry and are charged to
//   it. Only a *new* key can replace it, and only if every other entry of its window has a
//   deficit at least as large as its own (near a whole burst) - i.e. the window is full of
//   other sources that are themselves flooding - and the lossy-eviction budget pays for it.
// - Spraying many addresses cannot push out many other sources' state: a fresh entry costs
//   a request and starts one token short, so it is the cheapest victim itself and the spray
//   mostly replaces its own entries and buckets that are full again (costless). An entry that
//   still holds information is replaced only through the shard-wide lossy-eviction budget
//   (lossy_evictions_per_s); past it the new source is limited instead, so what a spray can
//   erase is bounded to that many entries a second, each worth less than any other entry in
//   its window. And since the hash is keyed with a secret, the attacker cannot aim the spray
//   at a particular victim's window.
// - Memory never grows: the table is allocated once; more sources than capacity means new
//   sources share the budget above, not that the table expands.
SourceRateLimiter::Decision SourceRateLimiter::allow(const NetAddress& source, uint64_t now_ms) {
  uint32_t v4 = 0;
  uint64_t k0 = 0, k1 = 0;
  if (as_ipv4(source, v4)) {
    k1 = kV4MappedTag | (v4 & high_mask32(ipv4_bits_));
  } else if (source.family == NetAddress::Family::kIpv6) {
    k0 = load_be64(source.ip.data()) & high_mask64(std::min<unsigned>(ipv6_bits_, 64));
    k1 = load_be64(source.ip.data() + 8) & high_mask64(ipv6_bits_ > 64 ? ipv6_bits_ - 64 : 0);
  }  // an invalid address is keyed as "::", which no real source uses

  for (const Cidr& cidr : exempt_) {
    if (cidr.contains(source)) {
      ++counters_.allowed;
      ++counters_.exempt;
      return {Decision::Verdict::kExempt, 0};
    }
  }

  Entry* window = &table_[(hash(k0, k1) & (windows_ - 1)) * kWays];
  // Entries are never freed, only replaced, so a window fills from its start: the first free
  // entry ends the search.
  for (std::size_t i = 0; i < kWays; ++i) {
    Entry& e = window[i];
    if (e.seen == 0) {
      ++counters_.tracked;
      return admit(e, k0, k1, now_ms);
    }
    if (e.k0 == k0 && e.k1 == k1) return charge(e, now_ms);
  }

  Entry* victim = nullptr;
  uint64_t victim_deficit = 0;
  for (std::size_t i = 0; i < kWays; ++i) {
    Entry& e = window[i];
    const uint64_t deficit = cap_ - refilled(e.tokens, e.seen, now_ms, rate_);
    if (victim == nullptr || deficit < victim_deficit ||
        (deficit == victim_deficit && e.seen < victim->seen)) {
      victim = &e;
      victim_deficit = deficit;
    }
  }
  if (victim_deficit > 0) {
    if (lossy_seen_ != 0 && now_ms + 1 > lossy_seen_) {
      const uint64_t elapsed = now_ms + 1 - lossy_seen_;
      // elapsed * lossy_rate_ cannot overflow once clamped to the time to refill from empty.
      const uint64_t limit = lossy_rate_ == 0 ? 0 : (lossy_cap_ + lossy_rate_ - 1) / lossy_rate_;
      lossy_tokens_ = std::min(lossy_cap_, lossy_tokens_ + std::min(elapsed, limit) * lossy_rate_);
    }
    lossy_seen_ = std::max(lossy_seen_, now_ms + 1);
    if (lossy_tokens_ < kUnit) {
      ++counters_.limited;
      ++counters_.refused_new;
      return {Decision::Verdict::kLimited,
              lossy_rate_ == 0 ? 1 : retry_after(lossy_tokens_, lossy_rate_)};
    }
    lossy_tokens_ -= kUnit;
    ++counters_.lossy_evictions;
  }
  ++counters_.evictions;
  return admit(*victim, k0, k1, now_ms);
}

}  // namespace sipwire
