// The lock-free IP -> MAC table shared by the DPDK lcores.
#include "dataplane/dpdk/neighbor_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace sipwire::dataplane::net {
namespace {

// The table's millisecond clock where the test is not about aging.
constexpr uint32_t kNow = 1000;

MacAddress Mac(uint8_t last) {
  return MacAddress{{0x02, 0, 0, 0, 0, last}};
}
MacAddress Uniform(uint8_t b) {
  return MacAddress{{b, b, b, b, b, b}};
}
NetAddress V4(uint8_t last, uint16_t port = 0) {
  return NetAddress::ipv4(10, 0, 0, last, port);
}

TEST(NeighborTableTest, LearnsAndFindsBothFamilies) {
  NeighborTable table(64);
  EXPECT_EQ(table.capacity(), 64u);
  EXPECT_FALSE(table.find(V4(1), kNow));
  table.learn(V4(1, 5060), Mac(1), kNow);
  table.learn(*NetAddress::parse("2001:db8::1", 0), Mac(2), kNow);
  // The port plays no part.
  EXPECT_EQ(table.find(V4(1, 9999), kNow), Mac(1));
  EXPECT_EQ(table.find(*NetAddress::parse("2001:db8::1", 5060), kNow), Mac(2));
  EXPECT_FALSE(table.find(V4(2), kNow));
  EXPECT_FALSE(table.find(*NetAddress::parse("2001:db8::2", 0), kNow));
  // The same leading bytes in the other family are another key.
  NetAddress lookalike = V4(1);
  lookalike.family = NetAddress::Family::kIpv6;
  EXPECT_FALSE(table.find(lookalike, kNow));
  // Bytes beyond an IPv4 address's four are not part of it.
  NetAddress dirty = V4(1);
  dirty.ip[10] = 0x55;
  EXPECT_EQ(table.find(dirty, kNow), Mac(1));
  EXPECT_FALSE(table.find(NetAddress{}, kNow));
}

TEST(NeighborTableTest, RelearningChangesTheMac) {
  NeighborTable table(16);
  table.learn(V4(7), Mac(1), kNow);
  table.learn(V4(7), Mac(1), kNow);
  table.learn(V4(7), Mac(9), kNow);
  EXPECT_EQ(table.find(V4(7), kNow), Mac(9));
}

TEST(NeighborTableTest, IgnoresInvalidInput) {
  NeighborTable table(16);
  table.learn(NetAddress{}, Mac(1), kNow);
  table.learn(V4(1), MacAddress::broadcast(), kNow);
  table.learn(V4(2), MacAddress{{0x01, 0, 0x5e, 0, 0, 1}}, kNow);
  table.learn(V4(3), MacAddress{}, kNow);
  EXPECT_FALSE(table.find(V4(1), kNow));
  EXPECT_FALSE(table.find(V4(2), kNow));
  EXPECT_FALSE(table.find(V4(3), kNow));
}

TEST(NeighborTableTest, CapacityIsAPowerOfTwoAndAFullTableKeepsTheNewest) {
  EXPECT_EQ(NeighborTable(1).capacity(), NeighborTable::kMaxProbe);
  EXPECT_EQ(NeighborTable(100).capacity(), 128u);
  NeighborTable table(8);
  for (int i = 1; i <= 200; ++i) {
    table.learn(V4(static_cast<uint8_t>(i)), Mac(static_cast<uint8_t>(i)), kNow);
    // The entry just learned is always there, whatever it evicted.
    ASSERT_EQ(table.find(V4(static_cast<uint8_t>(i)), kNow), Mac(static_cast<uint8_t>(i))) << i;
  }
  int found = 0;
  for (int i = 1; i <= 200; ++i) {
    const auto mac = table.find(V4(static_cast<uint8_t>(i)), kNow);
    if (!mac) continue;
    ++found;
    EXPECT_EQ(*mac, Mac(static_cast<uint8_t>(i)));  // never another key's MAC
  }
  EXPECT_LE(found, 8);
  EXPECT_GE(found, 1);
}

TEST(NeighborTableTest, AnEntryIsFreshThenStaleThenExpired) {
  NeighborTable table(64, 1000);
  EXPECT_EQ(table.reachable_ms(), 1000u);
  table.learn(V4(1), Mac(1), 10'000);
  bool stale = true;
  EXPECT_EQ(table.find(V4(1), 10'999, &stale), Mac(1));
  EXPECT_FALSE(stale);
  // Past the reachable time: still used, but stale (the sender asks again).
  EXPECT_EQ(table.find(V4(1), 11'000, &stale), Mac(1));
  EXPECT_TRUE(stale);
  EXPECT_EQ(table.find(V4(1), 11'999, &stale), Mac(1));
  EXPECT_TRUE(stale);
  // Twice the reachable time without a confirmation: gone, so the next hop is asked first.
  EXPECT_FALSE(table.find(V4(1), 12'000));
  // The neighbour answers (the same MAC): fresh again.
  table.learn(V4(1), Mac(1), 12'500);
  EXPECT_EQ(table.find(V4(1), 12'600, &stale), Mac(1));
  EXPECT_FALSE(stale);
}

TEST(NeighborTableTest, TheSameMacRenewsTheConfirmationAnEighthOfTheReachableTimeAtATime) {
  NeighborTable table(64, 800);
  bool stale = false;
  table.learn(V4(2), Mac(2), 0);
  table.learn(V4(2), Mac(2), 99);  // under 100 ms (800 / 8) later: nothing is written
  EXPECT_EQ(table.find(V4(2), 850, &stale), Mac(2));
  EXPECT_TRUE(stale);  // still confirmed at 0
  table.learn(V4(2), Mac(2), 100);
  EXPECT_EQ(table.find(V4(2), 850, &stale), Mac(2));
  EXPECT_FALSE(stale);  // confirmed at 100
  // A new MAC is written at once, whenever it comes.
  table.learn(V4(2), Mac(3), 101);
  EXPECT_EQ(table.find(V4(2), 101), Mac(3));
}

TEST(NeighborTableTest, AgesSurviveTheClockWrappingAndAnotherLcoresLaterClock) {
  NeighborTable table(64, 1000);
  bool stale = true;
  table.learn(V4(3), Mac(3), UINT32_MAX - 10);
  EXPECT_EQ(table.find(V4(3), 20, &stale), Mac(3));  // 31 ms later, across the wrap
  EXPECT_FALSE(stale);
  EXPECT_FALSE(table.find(V4(3), 2000));  // 2,011 ms later: expired
  // Learnt by an lcore whose burst began a little later than this reader's.
  table.learn(V4(4), Mac(4), 50'000);
  EXPECT_EQ(table.find(V4(4), 49'990, &stale), Mac(4));
  EXPECT_FALSE(stale);
  // A learner whose clock is that much behind does not move the confirmation back.
  table.learn(V4(4), Mac(4), 49'500);
  EXPECT_EQ(table.find(V4(4), 50'999, &stale), Mac(4));
  EXPECT_FALSE(stale);
}

// Two threads learn and look up the same small set of addresses. Each MAC has six equal bytes
// whose high 5 bits name the address, so a torn entry (a MAC mixed from two writes, or a key
// paired with another key's MAC) shows.
TEST(NeighborTableTest, ConcurrentLearnersAndReadersNeverSeeATornEntry) {
  NeighborTable table(32);  // 24 keys in 32 slots: collisions, probing and evictions happen
  constexpr int kKeys = 24;
  constexpr int kRounds = 200000;
  std::atomic<bool> torn{false};
  std::atomic<uint64_t> hits{0};
  const auto run = [&](int seed) {
    uint64_t local_hits = 0;
    for (int r = 0; r < kRounds; ++r) {
      const int k = (r * 7 + seed) % kKeys;
      const auto ip = V4(static_cast<uint8_t>(k));
      table.learn(ip, Uniform(static_cast<uint8_t>(k << 3 | ((r + seed) & 7))), kNow);
      const int other = (r * 5 + seed * 3) % kKeys;
      const auto mac = table.find(V4(static_cast<uint8_t>(other)), kNow);
      if (!mac) continue;
      ++local_hits;
      const uint8_t b = mac->bytes[0];
      for (uint8_t x : mac->bytes)
        if (x != b) torn = true;
      if ((b >> 3) != other) torn = true;
    }
    hits += local_hits;
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  EXPECT_FALSE(torn.load());
  EXPECT_GT(hits.load(), 0u);
}

}  // namespace
}  // namespace sipwire::dataplane::net
