// The handover ring between two workers: a preallocated slot pool behind two SPSC index rings.
#include "dataplane/handover_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sipwire::dataplane {
namespace {

using Push = HandoverRing::Push;

NetAddress From(uint16_t port) {
  return NetAddress::ipv4(192, 0, 2, 7, port);
}

// Packet `seq`'s bytes: its number, then a length and filler that vary with it.
std::string Payload(uint64_t seq, std::size_t max) {
  std::string p = std::to_string(seq) + ":";
  const std::size_t extra = (seq * 7919) % (max - p.size() + 1);
  for (std::size_t i = 0; i < extra; ++i) p += static_cast<char>('a' + (seq + i) % 26);
  return p;
}

bool IsQueued(Push p) {
  return p == Push::kPushed || p == Push::kQueued;
}

TEST(HandoverRingTest, DeliversPacketsInOrderWithTheirSourceAndIngress) {
  HandoverRing ring(8, 64);
  EXPECT_FALSE(ring.pending());
  EXPECT_EQ(ring.push("first", From(1001), 0), Push::kPushed);
  EXPECT_EQ(ring.push("second datagram", From(1002), 2), Push::kQueued);
  EXPECT_EQ(ring.push("", From(1003), 1), Push::kQueued);  // empty datagrams are packets too
  EXPECT_TRUE(ring.pending());

  HandoverRing::Packet p;
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "first");
  EXPECT_EQ(p.from, From(1001));
  EXPECT_EQ(p.ingress, 0u);
  ring.release(p.slot);
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "second datagram");
  EXPECT_EQ(p.from, From(1002));
  EXPECT_EQ(p.ingress, 2u);
  ring.release(p.slot);
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "");
  EXPECT_EQ(p.from, From(1003));
  EXPECT_EQ(p.ingress, 1u);
  ring.release(p.slot);
  EXPECT_FALSE(ring.take(p));
  EXPECT_FALSE(ring.pending());
}

TEST(HandoverRingTest, ReportsWhenTheRingWasEmptySoTheConsumerNeedsAWake) {
  HandoverRing ring(4, 16);
  EXPECT_EQ(ring.push("a", From(1), 0), Push::kPushed);
  EXPECT_EQ(ring.push("b", From(1), 0), Push::kQueued);
  HandoverRing::Packet p;
  ASSERT_TRUE(ring.take(p));
  ring.release(p.slot);
  EXPECT_EQ(ring.push("c", From(1), 0), Push::kQueued);  // "b" still waits
  ASSERT_TRUE(ring.take(p));
  ring.release(p.slot);
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "c");
  // Drained, though the slot is not yet released: the next push must wake the consumer.
  EXPECT_EQ(ring.push("d", From(1), 0), Push::kPushed);
  ring.release(p.slot);
}

TEST(HandoverRingTest, AFullRingRefusesUntilASlotIsReleased) {
  HandoverRing ring(3, 16);
  EXPECT_EQ(ring.slots(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsQueued(ring.push(std::to_string(i), From(1), 0)));
  EXPECT_EQ(ring.push("3", From(1), 0), Push::kFull);

  // Taken but not released: the slot is still the consumer's, so the ring is still full.
  HandoverRing::Packet p;
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "0");
  EXPECT_EQ(ring.push("3", From(1), 0), Push::kFull);
  ring.release(p.slot);
  EXPECT_TRUE(IsQueued(ring.push("3", From(1), 0)));
  EXPECT_EQ(ring.push("4", From(1), 0), Push::kFull);

  // The refused packets left no trace: the ring holds 1, 2, 3.
  for (const char* want : {"1", "2", "3"}) {
    ASSERT_TRUE(ring.take(p));
    EXPECT_EQ(p.bytes, want);
    ring.release(p.slot);
  }
  EXPECT_FALSE(ring.take(p));
}

TEST(HandoverRingTest, ADatagramLongerThanASlotIsRefusedAsOversize) {
  HandoverRing ring(2, 16);
  EXPECT_EQ(ring.slot_bytes(), 16u);
  EXPECT_EQ(ring.push(std::string(17, 'x'), From(1), 0), Push::kOversize);
  EXPECT_FALSE(ring.pending());
  EXPECT_EQ(ring.push(std::string(16, 'y'), From(1), 0), Push::kPushed);  // exactly a slot
  EXPECT_EQ(ring.push(std::string(1000, 'x'), From(1), 0), Push::kOversize);
  // Oversize takes no slot: the second slot is still free.
  EXPECT_EQ(ring.push("z", From(1), 0), Push::kQueued);
  HandoverRing::Packet p;
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, std::string(16, 'y'));
  ring.release(p.slot);
  ASSERT_TRUE(ring.take(p));
  EXPECT_EQ(p.bytes, "z");
  ring.release(p.slot);
}

TEST(HandoverRingTest, SlotsAreReusedAndATakenSlotIsNotOverwritten) {
  HandoverRing ring(2, 32);
  std::set<uint32_t> slots;
  HandoverRing::Packet held;
  ASSERT_TRUE(IsQueued(ring.push("held-packet", From(9), 1)));
  ASSERT_TRUE(ring.take(held));
  // Many packets pass through the one other slot while `held` keeps its own.
  for (uint64_t i = 0; i < 1000; ++i) {
    const std::string payload = Payload(i, 32);
    ASSERT_TRUE(IsQueued(ring.push(payload, From(static_cast<uint16_t>(i)), 0)));
    ASSERT_EQ(ring.push("no room", From(1), 0), Push::kFull);
    HandoverRing::Packet p;
    ASSERT_TRUE(ring.take(p));
    EXPECT_EQ(p.bytes, payload);
    EXPECT_EQ(p.from.port, static_cast<uint16_t>(i));
    EXPECT_NE(p.slot, held.slot);
    slots.insert(p.slot);
    ring.release(p.slot);
  }
  EXPECT_EQ(slots.size(), 1u);
  EXPECT_EQ(held.bytes, "held-packet");
  EXPECT_EQ(held.from, From(9));
  ring.release(held.slot);
}

// One producer thread, one consumer thread, a small ring so it is full much of the time: every
// packet arrives once, intact and in order; the producer retries what the full ring refuses.
TEST(HandoverRingTest, TwoThreadsPassEveryPacketIntactAndInOrder) {
  constexpr uint64_t kPackets = 200000;
  constexpr std::size_t kSlotBytes = 96;
  HandoverRing ring(16, kSlotBytes);
  std::atomic<bool> give_up{false};
  std::atomic<uint64_t> refused{0};

  std::thread producer([&] {
    for (uint64_t seq = 0; seq < kPackets && !give_up.load(std::memory_order_relaxed);) {
      const std::string payload = Payload(seq, kSlotBytes);
      const Push r =
          ring.push(payload, From(static_cast<uint16_t>(seq)), static_cast<uint32_t>(seq % 3));
      if (r == Push::kFull) {
        refused.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
        continue;
      }
      ++seq;
    }
  });

  uint64_t next = 0;
  uint64_t bad = 0;
  std::vector<uint32_t> held;  // releases in small groups, as a worker does after its flush
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (next < kPackets && std::chrono::steady_clock::now() < deadline) {
    HandoverRing::Packet p;
    if (!ring.take(p)) {
      std::this_thread::yield();
      continue;
    }
    if (p.bytes != Payload(next, kSlotBytes) || p.from.port != static_cast<uint16_t>(next) ||
        p.ingress != next % 3)
      ++bad;
    ++next;
    held.push_back(p.slot);
    if (held.size() == 5 || next == kPackets) {
      for (const uint32_t slot : held) ring.release(slot);
      held.clear();
    }
  }
  give_up.store(true);
  producer.join();
  EXPECT_EQ(next, kPackets);
  EXPECT_EQ(bad, 0u);
  HandoverRing::Packet extra;
  EXPECT_FALSE(ring.take(extra));
}

}  // namespace
}  // namespace sipwire::dataplane
