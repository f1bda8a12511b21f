// A worker's per-burst view of the shared neighbour table.
#include "dataplane/dpdk/burst_neighbors.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sipwire::dataplane::net {
namespace {

// The table's millisecond clock where the test is not about aging.
constexpr uint32_t kNow = 1000;

MacAddress Mac(uint8_t last) {
  return MacAddress{{0x02, 0, 0, 0, 0, last}};
}
NetAddress V4(uint8_t last, uint16_t port = 0) {
  return NetAddress::ipv4(10, 0, 0, last, port);
}

TEST(BurstNeighborsTest, AnswersFromTheBurstUntilTheNextOne) {
  NeighborTable table(64);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  table.learn(V4(1), Mac(1), kNow);
  EXPECT_EQ(burst.find(V4(1, 5060)), Mac(1));
  // Another lcore learns a new MAC: this burst goes on with the one it found...
  table.learn(V4(1), Mac(9), kNow);
  EXPECT_EQ(burst.find(V4(1)), Mac(1));
  // ...and the next burst asks the table again.
  burst.new_burst(kNow);
  EXPECT_EQ(burst.find(V4(1)), Mac(9));
}

TEST(BurstNeighborsTest, AMissIsAskedAgain) {
  NeighborTable table(64);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  EXPECT_FALSE(burst.find(V4(2)));
  table.learn(V4(2), Mac(2), kNow);  // an ARP reply, learnt by another lcore in the same burst
  EXPECT_EQ(burst.find(V4(2)), Mac(2));
}

TEST(BurstNeighborsTest, LearningWritesThroughToTheTable) {
  NeighborTable table(64);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  burst.learn(V4(3, 5060), Mac(3));
  EXPECT_EQ(table.find(V4(3), kNow), Mac(3));
  EXPECT_EQ(burst.find(V4(3)), Mac(3));
  // The host moved (a new NIC, a failover) within the burst: both see the new MAC.
  burst.learn(V4(3), Mac(4));
  EXPECT_EQ(table.find(V4(3), kNow), Mac(4));
  EXPECT_EQ(burst.find(V4(3)), Mac(4));
  // Another lcore put the old one back; learning what this burst already knows is skipped,
  // and the next burst sees the table as it is.
  table.learn(V4(3), Mac(3), kNow);
  burst.learn(V4(3), Mac(4));
  EXPECT_EQ(table.find(V4(3), kNow), Mac(3));
  burst.new_burst(kNow);
  burst.learn(V4(3), Mac(4));
  EXPECT_EQ(table.find(V4(3), kNow), Mac(4));
}

TEST(BurstNeighborsTest, AStaleEntryStaysStaleInTheBurstUntilTheBurstConfirmsIt) {
  NeighborTable table(64, 1000);
  BurstNeighbors burst(table);
  table.learn(V4(4), Mac(4), 0);
  burst.new_burst(1500);
  EXPECT_EQ(burst.reachable_ms(), 1000u);
  EXPECT_EQ(burst.now_ms(), 1500u);
  bool stale = false;
  EXPECT_EQ(burst.find(V4(4), &stale), Mac(4));
  EXPECT_TRUE(stale);
  stale = false;
  EXPECT_EQ(burst.find(V4(4), &stale), Mac(4));  // from the burst's own entry
  EXPECT_TRUE(stale);
  // The neighbour's answer arrives in this burst: confirmed in the table at the burst's time.
  burst.learn(V4(4), Mac(4));
  EXPECT_EQ(burst.find(V4(4), &stale), Mac(4));
  EXPECT_FALSE(stale);
  EXPECT_EQ(table.find(V4(4), 2400, &stale), Mac(4));
  EXPECT_FALSE(stale);
}

TEST(BurstNeighborsTest, AnEntryOnlyFoundIsStillConfirmedByALearnInTheSameBurst) {
  NeighborTable table(64, 1000);
  BurstNeighbors burst(table);
  table.learn(V4(5), Mac(5), 0);
  burst.new_burst(900);
  EXPECT_EQ(burst.find(V4(5)), Mac(5));  // a datagram sent to it first...
  burst.learn(V4(5), Mac(5));            // ...then one received from it
  bool stale = true;
  EXPECT_EQ(table.find(V4(5), 1800, &stale), Mac(5));
  EXPECT_FALSE(stale);  // confirmed at 900, not 0
}

TEST(BurstNeighborsTest, WhatTheTableRefusesIsNotKept) {
  NeighborTable table(64);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  burst.learn(V4(5), MacAddress{{0x01, 0x00, 0x5e, 0, 0, 1}});  // multicast
  burst.learn(V4(6), MacAddress{});                             // zero
  burst.learn(NetAddress{}, Mac(7));                            // no address
  EXPECT_FALSE(burst.find(V4(5)));
  EXPECT_FALSE(burst.find(V4(6)));
  EXPECT_FALSE(burst.find(NetAddress{}));
  EXPECT_FALSE(table.find(V4(5), kNow));
  EXPECT_FALSE(table.find(V4(6), kNow));
}

TEST(BurstNeighborsTest, ManyHopsInOneBurstAllAnswerRight) {
  NeighborTable table(256);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  constexpr int kHops = 3 * BurstNeighbors::kEntries + 1;
  for (int round = 0; round < 2; ++round)
    for (int i = 1; i <= kHops; ++i) {
      if (round == 0) burst.learn(V4(static_cast<uint8_t>(i)), Mac(static_cast<uint8_t>(i)));
      EXPECT_EQ(burst.find(V4(static_cast<uint8_t>(i))), Mac(static_cast<uint8_t>(i))) << i;
    }
}

TEST(BurstNeighborsTest, FamiliesAndIpv4PaddingAreKeptApart) {
  NeighborTable table(64);
  BurstNeighbors burst(table);
  burst.new_burst(kNow);
  burst.learn(V4(8), Mac(8));
  NetAddress lookalike = V4(8);
  lookalike.family = NetAddress::Family::kIpv6;
  EXPECT_FALSE(burst.find(lookalike));
  NetAddress dirty = V4(8);
  dirty.ip[10] = 0xAB;  // beyond an IPv4 address's four bytes
  EXPECT_EQ(burst.find(dirty), Mac(8));
  const NetAddress v6 = *NetAddress::parse("2001:db8::8", 0);
  burst.learn(v6, Mac(18));
  EXPECT_EQ(burst.find(*NetAddress::parse("2001:db8::8", 5060)), Mac(18));
  EXPECT_FALSE(burst.find(*NetAddress::parse("2001:db8::9", 0)));
}

}  // namespace
}  // namespace sipwire::dataplane::net
