// Destination sets: how each algorithm spreads requests, how failover skips hops, and how
// probe results take a hop down and bring it back.
#include "sipwire/engine/destination_set.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace sipwire {
namespace {

std::vector<DestinationHop> hops(std::initializer_list<uint32_t> weights) {
  std::vector<DestinationHop> out;
  uint8_t n = 1;
  for (uint32_t w : weights) out.push_back({NetAddress::ipv4(192, 0, 2, n++, 5060), w, 0});
  return out;
}

// "<prefix><i>", built without operator+ (g++ 12 -Wrestrict false positive at -O3).
std::string numbered(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

std::vector<std::size_t> picks(DestinationSelector& s, int count, uint64_t tried = 0) {
  std::vector<std::size_t> out;
  for (int i = 0; i < count; ++i) out.push_back(s.select("call", tried).value_or(99));
  return out;
}

TEST(DestinationSetTest, RoundRobinTakesEachUpHopInTurn) {
  DestinationSet set("rr", DestinationAlgorithm::kRoundRobin, hops({1, 1, 1}));
  DestinationSelector s(set);
  EXPECT_EQ(picks(s, 6), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2}));
}

TEST(DestinationSetTest, WeightedSpreadsByWeightInterleaved) {
  DestinationSet set("w", DestinationAlgorithm::kWeighted, hops({5, 1, 1}));
  DestinationSelector s(set);
  // Smooth weighted round-robin: 5:1:1 in every window of 7, never 5 in a row.
  EXPECT_EQ(picks(s, 7), (std::vector<std::size_t>{0, 0, 1, 0, 2, 0, 0}));
  std::map<std::size_t, int> count;
  for (std::size_t i : picks(s, 700)) ++count[i];
  EXPECT_EQ(count[0], 500);
  EXPECT_EQ(count[1], 100);
  EXPECT_EQ(count[2], 100);
}

TEST(DestinationSetTest, ZeroWeightTakesNoTraffic) {
  DestinationSet set("w", DestinationAlgorithm::kWeighted, hops({1, 0}));
  DestinationSelector s(set);
  EXPECT_EQ(picks(s, 3), (std::vector<std::size_t>{0, 0, 0}));
}

TEST(DestinationSetTest, CallIdHashKeepsADialogOnOneHopAndSpreadsDialogs) {
  DestinationSet set("h", DestinationAlgorithm::kCallIdHash, hops({1, 1, 1, 1}));
  DestinationSelector s(set);
  std::map<std::size_t, int> count;
  for (int i = 0; i < 4000; ++i) {
    const std::string call_id = numbered("call-", i);
    const auto first = s.select(call_id);
    ASSERT_TRUE(first);
    EXPECT_EQ(s.select(call_id), first);  // the dialog's next request: the same hop
    ++count[*first];
  }
  for (std::size_t hop = 0; hop < 4; ++hop) {
    EXPECT_GT(count[hop], 800) << hop;  // about 1000 each
    EXPECT_LT(count[hop], 1200) << hop;
  }
}

TEST(DestinationSetTest, CallIdHashMovesOnlyTheDialogsOfAHopThatWentDown) {
  DestinationSet set("h", DestinationAlgorithm::kCallIdHash, hops({1, 1, 1}), {10'000, 1, 1});
  DestinationSelector s(set);
  std::vector<std::size_t> before;
  for (int i = 0; i < 300; ++i) before.push_back(*s.select(numbered("c", i)));
  set.record_probe(1, false);  // hop 1 down
  for (int i = 0; i < 300; ++i) {
    const std::size_t now = *s.select(numbered("c", i));
    if (before[i] != 1) {
      EXPECT_EQ(now, before[i]) << i;
    }
    EXPECT_NE(now, 1u);
  }
}

TEST(DestinationSetTest, PriorityPrefersTheLowestValueAndFailsOver) {
  auto h = hops({1, 1, 1});
  h[0].priority = 10;
  h[1].priority = 1;
  h[2].priority = 5;
  DestinationSet set("p", DestinationAlgorithm::kPriority, h);
  DestinationSelector s(set);
  EXPECT_EQ(s.select("c"), 1u);
  EXPECT_EQ(s.select("c", uint64_t{1} << 1), 2u);  // 503 or timeout from hop 1: next
  EXPECT_EQ(s.select("c", (uint64_t{1} << 1) | (uint64_t{1} << 2)), 0u);
  EXPECT_EQ(s.select("c", 0b111), std::nullopt);  // all tried
}

TEST(DestinationSetTest, FailoverSkipsTriedHopsInEveryAlgorithm) {
  for (auto a : {DestinationAlgorithm::kRoundRobin, DestinationAlgorithm::kWeighted,
                 DestinationAlgorithm::kCallIdHash, DestinationAlgorithm::kPriority}) {
    DestinationSet set("s", a, hops({1, 1}));
    DestinationSelector s(set);
    const auto first = s.select("call-x");
    ASSERT_TRUE(first) << to_string(a);
    const auto second = s.select("call-x", uint64_t{1} << *first);
    ASSERT_TRUE(second) << to_string(a);
    EXPECT_NE(*second, *first) << to_string(a);
    EXPECT_EQ(s.select("call-x", 0b11), std::nullopt) << to_string(a);
  }
}

TEST(DestinationSetTest, ProbesTakeAHopDownAfterNMissesAndUpAfterMAnswers) {
  DestinationSet set("rr", DestinationAlgorithm::kRoundRobin, hops({1, 1}), {1000, 3, 2});
  DestinationSelector s(set);
  EXPECT_FALSE(set.record_probe(0, false));
  EXPECT_FALSE(set.record_probe(0, false));
  EXPECT_TRUE(set.is_up(0));
  EXPECT_FALSE(set.record_probe(0, true));  // an answer breaks the streak
  EXPECT_FALSE(set.record_probe(0, false));
  EXPECT_FALSE(set.record_probe(0, false));
  EXPECT_TRUE(set.record_probe(0, false));  // third miss in a row: down
  EXPECT_FALSE(set.is_up(0));
  EXPECT_EQ(picks(s, 3), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_FALSE(set.record_probe(0, true));
  EXPECT_TRUE(set.record_probe(0, true));  // second answer in a row: up
  EXPECT_TRUE(set.is_up(0));
  std::map<std::size_t, int> count;
  for (std::size_t i : picks(s, 4)) ++count[i];
  EXPECT_EQ(count[0], 2);
}

TEST(DestinationSetTest, AlgorithmNamesRoundTrip) {
  for (auto a : {DestinationAlgorithm::kRoundRobin, DestinationAlgorithm::kWeighted,
                 DestinationAlgorithm::kCallIdHash, DestinationAlgorithm::kPriority})
    EXPECT_EQ(parse_destination_algorithm(to_string(a)), a);
  EXPECT_EQ(parse_destination_algorithm("random"), std::nullopt);
}

}  // namespace
}  // namespace sipwire
