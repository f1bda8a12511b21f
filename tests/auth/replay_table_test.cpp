#include "sipwire/auth/replay_table.h"

#include <gtest/gtest.h>

namespace sipwire::auth {
namespace {

constexpr uint64_t kLife = 300'000;

// Tags whose first 8 bytes (the bucket index) are equal for the same `bucket`, distinct by id.
NonceTag tag(uint8_t bucket, uint8_t id) {
  NonceTag t{};
  t[0] = bucket;
  t[15] = id;
  return t;
}

TEST(ReplayTable, NcMustIncrease) {
  ReplayTable t(64);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 1, 1000, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 1, 1001, kLife), ReplayStatus::kReplay);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 2, 1002, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 5, 1003, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 4, 1004, kLife), ReplayStatus::kReplay);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1000, 5, 1005, kLife), ReplayStatus::kReplay);
  // Another nonce has its own count.
  EXPECT_EQ(t.check_and_record(tag(0, 2), 1000, 1, 1006, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.evictions(), 0u);
}

TEST(ReplayTable, CapacityRoundsUpToWholeBuckets) {
  EXPECT_EQ(ReplayTable(1).capacity(), ReplayTable::kWays);
  EXPECT_EQ(ReplayTable(100).capacity(), 16 * ReplayTable::kWays);
}

TEST(ReplayTable, EvictedNonceIsStaleNotReplayable) {
  ReplayTable t(ReplayTable::kWays);  // one bucket
  // Fill the bucket with nonces issued at 1000..1007, then one more evicts the oldest (1000).
  for (uint8_t i = 0; i < ReplayTable::kWays; ++i) {
    ASSERT_EQ(t.check_and_record(tag(0, i), 1000 + i, 3, 2000, kLife), ReplayStatus::kAccepted);
  }
  EXPECT_EQ(t.check_and_record(tag(0, 100), 1100, 1, 2000, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.evictions(), 1u);
  // The evicted nonce comes back with an old nc: its history is gone, so it is stale (not
  // accepted as new, which would allow the replay).
  EXPECT_EQ(t.check_and_record(tag(0, 0), 1000, 1, 2001, kLife), ReplayStatus::kEvicted);
  EXPECT_EQ(t.check_and_record(tag(0, 0), 1000, 9, 2001, kLife), ReplayStatus::kEvicted);
  // A never-seen nonce issued before the watermark is also refused as stale (the trade-off).
  EXPECT_EQ(t.check_and_record(tag(0, 101), 999, 1, 2001, kLife), ReplayStatus::kEvicted);
  // Nonces still in the table keep working; newer nonces are accepted.
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1001, 4, 2002, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.check_and_record(tag(0, 1), 1001, 4, 2002, kLife), ReplayStatus::kReplay);
  EXPECT_EQ(t.check_and_record(tag(0, 102), 1200, 1, 2003, kLife), ReplayStatus::kAccepted);
}

TEST(ReplayTable, ExpiredEntriesAreReusedWithoutRaisingTheWatermark) {
  ReplayTable t(ReplayTable::kWays);
  for (uint8_t i = 0; i < ReplayTable::kWays; ++i) {
    ASSERT_EQ(t.check_and_record(tag(0, i), 1000 + i, 1, 1000, kLife), ReplayStatus::kAccepted);
  }
  // Much later, every entry holds an expired nonce: new ones take their place, no eviction.
  uint64_t later = 1000 + kLife + 10;
  EXPECT_EQ(t.check_and_record(tag(0, 50), later, 1, later, kLife), ReplayStatus::kAccepted);
  EXPECT_EQ(t.evictions(), 0u);
  // So a nonce issued earlier than that, but still live and never seen, is accepted.
  EXPECT_EQ(t.check_and_record(tag(0, 51), later - 5, 1, later, kLife), ReplayStatus::kAccepted);
}

TEST(ReplayTable, BucketsAreIndependent) {
  ReplayTable t(2 * ReplayTable::kWays);  // two buckets
  for (uint8_t i = 0; i <= ReplayTable::kWays; ++i) {
    ASSERT_EQ(t.check_and_record(tag(0, i), 1000 + i, 1, 2000, kLife), ReplayStatus::kAccepted);
  }
  EXPECT_EQ(t.evictions(), 1u);
  // Bucket 1 has no watermark: an old never-seen nonce there is accepted.
  EXPECT_EQ(t.check_and_record(tag(1, 0), 500, 1, 2000, kLife), ReplayStatus::kAccepted);
}

}  // namespace
}  // namespace sipwire::auth
