// SourceRateLimiter: token buckets per source IP, exact refill under a fake clock, Retry-After,
// the bounded table and its eviction policy under floods and address sprays, and the
// exemption list (CIDR parsing and matching).
#include "sipwire/engine/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace sipwire {
namespace {

using Verdict = SourceRateLimiter::Decision::Verdict;

NetAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 5060) {
  return NetAddress::ipv4(a, b, c, d, port);
}

NetAddress ip(std::string_view text, uint16_t port = 5060) {
  const std::optional<NetAddress> a = NetAddress::parse(text, port);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(NetAddress{});
}

// A distinct IPv4 source per n (198.18.0.0/15, the benchmarking range).
NetAddress spray(uint32_t n) {
  return v4(198, static_cast<uint8_t>(18 + ((n >> 16) & 1)), static_cast<uint8_t>(n >> 8),
            static_cast<uint8_t>(n));
}

RateLimitConfig config(uint32_t rate_milli_per_s, uint32_t burst, std::size_t capacity = 1024) {
  RateLimitConfig c;
  c.rate_milli_per_s = rate_milli_per_s;
  c.burst = burst;
  c.capacity = capacity;
  c.hash_seed = 42;
  return c;
}

Cidr cidr(std::string_view text) {
  const CidrParse p = parse_cidr(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.error;
  return p.cidr.value_or(Cidr{});
}

TEST(SourceRateLimiter, BurstThenLimit) {
  SourceRateLimiter rl(config(10'000, 5));
  const NetAddress a = v4(192, 0, 2, 1);
  for (int i = 0; i < 5; ++i) {
    const auto d = rl.allow(a, 1000);
    EXPECT_EQ(d.verdict, Verdict::kAllowed) << i;
    EXPECT_EQ(d.retry_after_s, 0u);
  }
  const auto d = rl.allow(a, 1000);
  EXPECT_EQ(d.verdict, Verdict::kLimited);
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(rl.counters().allowed, 5u);
  EXPECT_EQ(rl.counters().limited, 1u);
  EXPECT_EQ(rl.counters().tracked, 1u);
}

TEST(SourceRateLimiter, RefillIsExactAndCappedAtBurst) {
  SourceRateLimiter rl(config(10'000, 5));  // one token per 100 ms
  const NetAddress a = v4(192, 0, 2, 1);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rl.allow(a, 1000).allowed());
  EXPECT_FALSE(rl.allow(a, 1099).allowed());  // 0.99 of a token
  EXPECT_TRUE(rl.allow(a, 1100).allowed());   // the token completes at 100 ms exactly
  EXPECT_FALSE(rl.allow(a, 1100).allowed());
  EXPECT_FALSE(rl.allow(a, 1199).allowed());
  EXPECT_TRUE(rl.allow(a, 1200).allowed());
  // A long idle period refills to the burst, no further.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.allow(a, 10'000'000).allowed()) << i;
  EXPECT_FALSE(rl.allow(a, 10'000'000).allowed());
}

TEST(SourceRateLimiter, FractionalRateHasNoDrift) {
  // 0.3/s: a token every 3333.3 ms. Polled every millisecond for 100 s, the fractions carry
  // over exactly: 2 (the burst) + 30 refilled tokens, none lost to per-call rounding. (Burst 2
  // so the bucket never overflows: with burst 1 the fraction past a full token would spill.)
  SourceRateLimiter rl(config(300, 2));
  const NetAddress a = v4(192, 0, 2, 1);
  int allowed = 0;
  uint64_t last_allowed = 0;
  for (uint64_t t = 0; t <= 100'000; ++t) {
    if (rl.allow(a, t).allowed()) {
      ++allowed;
      last_allowed = t;
    }
  }
  EXPECT_EQ(allowed, 32);
  EXPECT_EQ(last_allowed, 100'000u);  // the 30th token completes at 30e6 / 300 ms exactly
  // First refill exactly when 1,000,000 units / 300 per ms have passed: at 3334 ms, not 3333.
  SourceRateLimiter fresh(config(300, 1));
  ASSERT_TRUE(fresh.allow(a, 0).allowed());
  EXPECT_FALSE(fresh.allow(a, 3333).allowed());
  EXPECT_TRUE(fresh.allow(a, 3334).allowed());
}

TEST(SourceRateLimiter, RetryAfterIsTimeToOneTokenRoundedUp) {
  SourceRateLimiter rl(config(300, 1));  // 0.3/s
  const NetAddress a = v4(192, 0, 2, 1);
  ASSERT_TRUE(rl.allow(a, 0).allowed());
  EXPECT_EQ(rl.allow(a, 0).retry_after_s, 4u);     // 3.33 s to go
  EXPECT_EQ(rl.allow(a, 1000).retry_after_s, 3u);  // 2.33 s
  EXPECT_EQ(rl.allow(a, 3000).retry_after_s, 1u);  // 0.33 s
  SourceRateLimiter half(config(500, 1));          // 0.5/s: exactly 2 s, not rounded to 3
  ASSERT_TRUE(half.allow(a, 0).allowed());
  EXPECT_EQ(half.allow(a, 0).retry_after_s, 2u);
  SourceRateLimiter fast(config(50'000, 1));  // 20 ms to go: at least 1 s
  ASSERT_TRUE(fast.allow(a, 0).allowed());
  EXPECT_EQ(fast.allow(a, 0).retry_after_s, 1u);
}

TEST(SourceRateLimiter, SourcesAreIndependentAndPortIsIgnored) {
  SourceRateLimiter rl(config(1'000, 3));
  const NetAddress a = v4(192, 0, 2, 1, 5060), a_other_port = v4(192, 0, 2, 1, 40000);
  const NetAddress b = v4(192, 0, 2, 2);
  EXPECT_TRUE(rl.allow(a, 0).allowed());
  EXPECT_TRUE(rl.allow(a_other_port, 0).allowed());  // same host, same bucket
  EXPECT_TRUE(rl.allow(a, 0).allowed());
  EXPECT_FALSE(rl.allow(a_other_port, 0).allowed());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rl.allow(b, 0).allowed()) << i;
  EXPECT_FALSE(rl.allow(b, 0).allowed());
  EXPECT_EQ(rl.counters().tracked, 2u);
}

TEST(SourceRateLimiter, Ipv6KeyedBySlash64ByDefault) {
  SourceRateLimiter rl(config(1'000, 2));
  const NetAddress a1 = ip("2001:db8:1:2::1"), a2 = ip("2001:db8:1:2:ffff::9");
  const NetAddress other = ip("2001:db8:1:3::1");
  EXPECT_TRUE(rl.allow(a1, 0).allowed());
  EXPECT_TRUE(rl.allow(a2, 0).allowed());
  EXPECT_FALSE(rl.allow(a1, 0).allowed());  // one /64, one bucket
  EXPECT_TRUE(rl.allow(other, 0).allowed());
  EXPECT_TRUE(rl.allow(other, 0).allowed());
  EXPECT_FALSE(rl.allow(other, 0).allowed());
  EXPECT_EQ(rl.counters().tracked, 2u);

  RateLimitConfig per_address = config(1'000, 2);
  per_address.ipv6_prefix_bits = 128;
  SourceRateLimiter exact(per_address);
  EXPECT_TRUE(exact.allow(a1, 0).allowed());
  EXPECT_TRUE(exact.allow(a1, 0).allowed());
  EXPECT_FALSE(exact.allow(a1, 0).allowed());
  EXPECT_TRUE(exact.allow(a2, 0).allowed());
}

TEST(SourceRateLimiter, Ipv4MappedIsTheIpv4HostAndIpv4PrefixGroups) {
  SourceRateLimiter rl(config(1'000, 2));
  EXPECT_TRUE(rl.allow(v4(192, 0, 2, 1), 0).allowed());
  EXPECT_TRUE(rl.allow(ip("::ffff:192.0.2.1"), 0).allowed());
  EXPECT_FALSE(rl.allow(v4(192, 0, 2, 1), 0).allowed());
  EXPECT_EQ(rl.counters().tracked, 1u);

  RateLimitConfig slash24 = config(1'000, 2);
  slash24.ipv4_prefix_bits = 24;
  SourceRateLimiter grouped(slash24);
  EXPECT_TRUE(grouped.allow(v4(192, 0, 2, 1), 0).allowed());
  EXPECT_TRUE(grouped.allow(v4(192, 0, 2, 200), 0).allowed());
  EXPECT_FALSE(grouped.allow(v4(192, 0, 2, 77), 0).allowed());
  EXPECT_TRUE(grouped.allow(v4(192, 0, 3, 1), 0).allowed());
}

TEST(SourceRateLimiter, ClockSteppingBackRefillsNothing) {
  SourceRateLimiter rl(config(10'000, 1));
  const NetAddress a = v4(192, 0, 2, 1);
  ASSERT_TRUE(rl.allow(a, 5000).allowed());
  EXPECT_FALSE(rl.allow(a, 1000).allowed());
  EXPECT_FALSE(rl.allow(a, 5099).allowed());
  EXPECT_TRUE(rl.allow(a, 5100).allowed());
}

TEST(SourceRateLimiter, RandomHashKeyByDefault) {
  RateLimitConfig c = config(1'000, 2, 64);
  c.hash_seed = 0;  // drawn from std::random_device
  SourceRateLimiter rl(c);
  for (uint32_t n = 0; n < 8; ++n) {
    EXPECT_TRUE(rl.allow(spray(n), 0).allowed());
    EXPECT_TRUE(rl.allow(spray(n), 0).allowed());
    EXPECT_FALSE(rl.allow(spray(n), 0).allowed()) << n;
  }
}

TEST(SourceRateLimiter, AddressWithoutFamilyIsOneSource) {
  SourceRateLimiter rl(config(1'000, 1));
  EXPECT_TRUE(rl.allow(NetAddress{}, 0).allowed());
  EXPECT_FALSE(rl.allow(NetAddress{}, 0).allowed());
  EXPECT_TRUE(rl.allow(v4(192, 0, 2, 1), 0).allowed());
}

TEST(SourceRateLimiter, CapacityIsFixedAndRoundedToWindows) {
  SourceRateLimiter rl(config(1'000, 1, 65'536));
  EXPECT_EQ(rl.capacity(), 65'536u);
  EXPECT_EQ(rl.table_bytes(), 65'536u * 32);
  SourceRateLimiter odd(config(1'000, 1, 20));  // 3 windows, rounded up to 4
  EXPECT_EQ(odd.capacity(), 32u);
  SourceRateLimiter tiny(config(1'000, 1, 0));
  EXPECT_EQ(tiny.capacity(), 8u);
}

// One window (capacity 8): every source competes for the same 8 entries, whatever the hash.
TEST(SourceRateLimiter, SprayKeepsMemoryBoundedAndFlooderLimitedAndSteadySourceServed) {
  SourceRateLimiter rl(config(1'000, 5, 8));  // 1/s, burst 5
  const NetAddress flooder = v4(203, 0, 113, 66), steady = v4(192, 0, 2, 10);
  int flooder_allowed = 0, steady_limited = 0;
  uint32_t next_spray = 0;
  for (uint64_t t = 0; t < 10'000; t += 10) {
    flooder_allowed += rl.allow(flooder, t).allowed() ? 1 : 0;                     // 100/s
    if (t % 1000 == 500) steady_limited += rl.allow(steady, t).allowed() ? 0 : 1;  // 1/s
    for (int i = 0; i < 3; ++i) rl.allow(spray(next_spray++), t);  // 300 new sources/s
    ASSERT_LE(rl.counters().tracked, 8u);
  }
  // The flooder's entry was never replaced: 5 (burst) + 9.99 tokens refilled in 9.99 s.
  EXPECT_EQ(flooder_allowed, 14);
  EXPECT_EQ(steady_limited, 0);
  EXPECT_EQ(rl.counters().tracked, 8u);
  EXPECT_GT(rl.counters().evictions, 2900u);  // 3000 new sources through 8 entries
  EXPECT_EQ(rl.capacity(), 8u);
}

TEST(SourceRateLimiter, FullBucketsAreEvictedFreely) {
  RateLimitConfig c = config(1'000, 2, 8);
  c.lossy_evictions_per_s = 0;  // only costless evictions
  SourceRateLimiter rl(c);
  for (uint32_t n = 0; n < 8; ++n) ASSERT_TRUE(rl.allow(spray(n), 0).allowed());
  // At 999 ms every bucket is still short of a token: replacing one would lose state.
  const auto refused = rl.allow(spray(100), 999);
  EXPECT_EQ(refused.verdict, Verdict::kLimited);
  EXPECT_EQ(refused.retry_after_s, 1u);
  EXPECT_EQ(rl.counters().refused_new, 1u);
  // At 1000 ms they are full again and carry no information.
  EXPECT_TRUE(rl.allow(spray(100), 1000).allowed());
  EXPECT_EQ(rl.counters().evictions, 1u);
  EXPECT_EQ(rl.counters().lossy_evictions, 0u);
  EXPECT_EQ(rl.counters().tracked, 8u);
}

TEST(SourceRateLimiter, LossyEvictionsAreBudgetedSoASprayCannotFreeFlooders) {
  RateLimitConfig c = config(1'000, 3, 8);
  c.lossy_evictions_per_s = 2;
  SourceRateLimiter rl(c);
  // Eight flooders with empty buckets fill the only window.
  for (uint32_t n = 0; n < 8; ++n)
    for (int i = 0; i < 4; ++i) rl.allow(spray(n), 0);
  ASSERT_EQ(rl.counters().limited, 8u);
  // The budget (burst 2) admits two new sources, each replacing a flooder...
  EXPECT_TRUE(rl.allow(spray(100), 0).allowed());
  EXPECT_TRUE(rl.allow(spray(101), 0).allowed());
  EXPECT_EQ(rl.counters().lossy_evictions, 2u);
  // ...then new sources are refused, for half a second (rounded up to 1).
  const auto refused = rl.allow(spray(102), 0);
  EXPECT_EQ(refused.verdict, Verdict::kLimited);
  EXPECT_EQ(refused.retry_after_s, 1u);
  for (uint32_t n = 103; n < 200; ++n) EXPECT_FALSE(rl.allow(spray(n), 100).allowed());
  EXPECT_EQ(rl.counters().refused_new, 98u);
  // Only one flooder was replaced (the second newcomer replaced the first, whose deficit was
  // smaller); it comes back as a new source and is refused, the others have 0.1 token.
  int flooders_allowed = 0;
  for (uint32_t n = 0; n < 8; ++n) flooders_allowed += rl.allow(spray(n), 100).allowed() ? 1 : 0;
  EXPECT_EQ(flooders_allowed, 0);
  EXPECT_EQ(rl.counters().refused_new, 99u);
  EXPECT_EQ(rl.counters().tracked, 8u);
}

TEST(SourceRateLimiter, NewEntriesAreEvictedBeforeAnEmptiedFlooder) {
  RateLimitConfig c = config(1'000, 10, 8);
  c.lossy_evictions_per_s = 1'000'000;  // no budget limit: the choice alone must protect
  SourceRateLimiter rl(c);
  const NetAddress flooder = v4(203, 0, 113, 66);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(rl.allow(flooder, 0).allowed());
  for (uint32_t n = 0; n < 5000; ++n) rl.allow(spray(n), n / 10);  // up to 500 ms
  EXPECT_FALSE(rl.allow(flooder, 500).allowed());  // still the flooder's empty bucket
  EXPECT_EQ(rl.counters().limited, 1u);
}

TEST(SourceRateLimiter, TenfoldFloodIsNinetyPercentLimitedAndNeighbourNeverLimited) {
  SourceRateLimiter rl(config(10'000, 10));  // 10/s, burst 10
  const NetAddress flooder = v4(203, 0, 113, 66), neighbour = v4(203, 0, 113, 67);
  int flooder_sent = 0, flooder_limited = 0, neighbour_limited = 0;
  for (uint64_t t = 0; t < 10'000; t += 10) {  // 100/s for 10 s
    ++flooder_sent;
    flooder_limited += rl.allow(flooder, t).allowed() ? 0 : 1;
    if (t % 100 == 50) neighbour_limited += rl.allow(neighbour, t).allowed() ? 0 : 1;  // 10/s
  }
  // 1000 sent; allowed: 10 (burst) + 99.9 tokens refilled by 9990 ms = 109.
  EXPECT_EQ(flooder_sent, 1000);
  EXPECT_EQ(flooder_limited, 891);
  EXPECT_EQ(neighbour_limited, 0);
  EXPECT_EQ(rl.counters().allowed, 109u + 100u);
}

TEST(SourceRateLimiter, ExemptSourcesBypassTheLimitAndUseNoEntry) {
  RateLimitConfig c = config(1'000, 1);
  c.exempt = {cidr("10.0.0.0/8"), cidr("2001:db8::/32")};
  SourceRateLimiter rl(c);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(rl.allow(v4(10, 200, 3, 4), 0).verdict, Verdict::kExempt);
    EXPECT_EQ(rl.allow(ip("2001:db8:ffff::1"), 0).verdict, Verdict::kExempt);
    EXPECT_EQ(rl.allow(ip("::ffff:10.0.0.1"), 0).verdict, Verdict::kExempt);
  }
  EXPECT_EQ(rl.counters().tracked, 0u);
  EXPECT_EQ(rl.counters().exempt, 300u);
  EXPECT_EQ(rl.counters().allowed, 300u);
  EXPECT_TRUE(rl.allow(v4(11, 0, 0, 1), 0).allowed());
  EXPECT_FALSE(rl.allow(v4(11, 0, 0, 1), 0).allowed());
  EXPECT_TRUE(rl.allow(ip("2001:db9::1"), 0).allowed());
  EXPECT_FALSE(rl.allow(ip("2001:db9::1"), 0).allowed());
}

TEST(Cidr, PrefixEdges) {
  const Cidr all4 = cidr("0.0.0.0/0"), all6 = cidr("::/0");
  EXPECT_TRUE(all4.contains(v4(0, 0, 0, 0)));
  EXPECT_TRUE(all4.contains(v4(255, 255, 255, 255)));
  EXPECT_TRUE(all4.contains(ip("::ffff:198.51.100.1")));
  EXPECT_FALSE(all4.contains(ip("2001:db8::1")));
  EXPECT_TRUE(all6.contains(ip("2001:db8::1")));
  EXPECT_TRUE(all6.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(all6.contains(v4(192, 0, 2, 1)));
  EXPECT_FALSE(all6.contains(ip("::ffff:192.0.2.1")));

  const Cidr host4 = cidr("192.0.2.7/32"), bare4 = cidr("192.0.2.7");
  EXPECT_EQ(bare4.prefix_bits, 32u);
  for (const Cidr& h : {host4, bare4}) {
    EXPECT_TRUE(h.contains(v4(192, 0, 2, 7)));
    EXPECT_FALSE(h.contains(v4(192, 0, 2, 6)));
    EXPECT_FALSE(h.contains(v4(192, 0, 2, 8)));
  }
  const Cidr pair = cidr("192.0.2.6/31");
  EXPECT_TRUE(pair.contains(v4(192, 0, 2, 6)));
  EXPECT_TRUE(pair.contains(v4(192, 0, 2, 7)));
  EXPECT_FALSE(pair.contains(v4(192, 0, 2, 5)));
  EXPECT_FALSE(pair.contains(v4(192, 0, 2, 8)));

  const Cidr host6 = cidr("2001:db8::7/128"), bare6 = cidr("2001:db8::7");
  EXPECT_EQ(bare6.prefix_bits, 128u);
  for (const Cidr& h : {host6, bare6}) {
    EXPECT_TRUE(h.contains(ip("2001:db8::7")));
    EXPECT_FALSE(h.contains(ip("2001:db8::6")));
    EXPECT_FALSE(h.contains(ip("2001:db8::8")));
  }
  const Cidr half = cidr("2001:db8::/33");
  EXPECT_TRUE(half.contains(ip("2001:db8:7fff:ffff::1")));
  EXPECT_FALSE(half.contains(ip("2001:db8:8000::")));
  EXPECT_FALSE(half.contains(ip("2001:db7:ffff::")));
  const Cidr low_word = cidr("2001:db8::8000:0:0:0/65");  // a boundary in the low 64 bits
  EXPECT_TRUE(low_word.contains(ip("2001:db8::ffff:0:0:1")));
  EXPECT_FALSE(low_word.contains(ip("2001:db8::7fff:0:0:1")));

  const Cidr mapped = cidr("::ffff:10.0.0.0/104");  // written as IPv6, meant as 10.0.0.0/8
  EXPECT_EQ(mapped.family, NetAddress::Family::kIpv4);
  EXPECT_EQ(mapped.prefix_bits, 8u);
  EXPECT_TRUE(mapped.contains(v4(10, 9, 8, 7)));
  EXPECT_FALSE(mapped.contains(v4(11, 0, 0, 0)));
}

TEST(Cidr, InvalidTextsSayWhatIsWrong) {
  const struct {
    const char* text;
    const char* error;
  } cases[] = {
      {"", "empty address prefix"},
      {"/8", "no address before '/'"},
      {"10.0.0.0/", "no prefix length after '/'"},
      {"10.0.0.0/33", "prefix length over 32 for IPv4"},
      {"2001:db8::/129", "prefix length over 128 for IPv6"},
      {"10.0.0.0/0008", "prefix length out of range"},
      {"10.0.0.0/8x", "prefix length is not a decimal number"},
      {"10.0.0.0/-1", "prefix length is not a decimal number"},
      {"10.0.0.0/ 8", "prefix length is not a decimal number"},
      {"10.0.0.0 /8", "not an IPv4 or IPv6 address"},
      {"10.0.0/8", "not an IPv4 or IPv6 address"},
      {"example.com/8", "not an IPv4 or IPv6 address"},
      {"256.0.0.0/8", "not an IPv4 or IPv6 address"},
      {"[2001:db8::]/32", "brackets around the address"},
      {"10.1.0.0/8", "address has bits set beyond the prefix length"},
      {"192.0.2.7/31", "address has bits set beyond the prefix length"},
      {"2001:db8::1/64", "address has bits set beyond the prefix length"},
      {"10.0.0.0/8/8", "prefix length is not a decimal number"},
  };
  for (const auto& c : cases) {
    const CidrParse p = parse_cidr(c.text);
    EXPECT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.error, c.error) << c.text;
  }
}

}  // namespace
}  // namespace sipwire
