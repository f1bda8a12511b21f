// The hashed timing wheel: exact firing times at any tick, O(1) start/stop/restart through
// intrusive entries, long timers over several revolutions, crowded slots, firing order, and a
// callback that starts and stops timers while the wheel fires.
#include "sipwire/txn/timer_wheel.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sipwire {
namespace {

struct Fired {
  uint32_t owner;
  uint64_t at_ms;
  bool operator==(const Fired&) const = default;
};

class TimerWheelTest : public ::testing::Test {
 protected:
  explicit TimerWheelTest(TimerWheelConfig config = {10, 16}) : wheel_(config, 0) {}

  std::size_t advance(uint64_t now) {
    return wheel_.advance(now, [&](TimerEntry& e) { fired_.push_back({e.owner(), now}); });
  }
  std::vector<uint32_t> owners() const {
    std::vector<uint32_t> out;
    for (const auto& f : fired_) out.push_back(f.owner);
    return out;
  }

  TimerWheel wheel_;
  std::vector<Fired> fired_;
};

TEST_F(TimerWheelTest, RoundsSlotCountUpToAPowerOfTwo) {
  TimerWheel w({10, 1000}, 0);
  EXPECT_EQ(w.slot_count(), 1024u);
  EXPECT_EQ(TimerWheel({10, 4096}, 0).slot_count(), 4096u);
}

TEST_F(TimerWheelTest, FiresAtItsDeadlineToTheMillisecondWhateverTheTick) {
  TimerEntry t(1);
  wheel_.start(t, 3, 25);  // deadline 28, inside the tick [20, 30)
  EXPECT_TRUE(t.armed());
  EXPECT_EQ(t.deadline_ms(), 28u);
  EXPECT_EQ(advance(27), 0u);
  EXPECT_TRUE(fired_.empty());
  EXPECT_EQ(advance(28), 1u);
  EXPECT_EQ(fired_, (std::vector<Fired>{{1, 28}}));
  EXPECT_FALSE(t.armed());
  EXPECT_EQ(advance(100), 0u);  // once
}

TEST_F(TimerWheelTest, LateAdvanceFiresEverythingDueInDeadlineOrder) {
  TimerEntry a(1), b(2), c(3), d(4);
  wheel_.start(c, 0, 95);
  wheel_.start(a, 0, 12);
  wheel_.start(d, 0, 200);
  wheel_.start(b, 0, 47);
  EXPECT_EQ(advance(100), 3u);
  EXPECT_EQ(owners(), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(d.armed());
}

TEST_F(TimerWheelTest, StopPreventsFiringAndStoppingAnIdleTimerIsANoOp) {
  TimerEntry never(1), fired(2), stopped(3), other(4);
  wheel_.stop(never);  // never started
  EXPECT_EQ(wheel_.armed(), 0u);
  wheel_.start(fired, 0, 10);
  wheel_.start(stopped, 0, 10);
  wheel_.start(other, 0, 10);
  EXPECT_EQ(wheel_.armed(), 3u);
  wheel_.stop(stopped);
  wheel_.stop(stopped);  // twice
  EXPECT_FALSE(stopped.armed());
  EXPECT_EQ(wheel_.armed(), 2u);
  advance(10);
  EXPECT_EQ(owners(), (std::vector<uint32_t>{2, 4}));
  wheel_.stop(fired);  // already fired
  EXPECT_EQ(wheel_.armed(), 0u);
  // The slot's list is intact: a new timer there still fires.
  wheel_.start(never, 10, 16);
  advance(26);
  EXPECT_EQ(owners(), (std::vector<uint32_t>{2, 4, 1}));
}

TEST_F(TimerWheelTest, RestartMovesTheDeadline) {
  TimerEntry t(1);
  wheel_.start(t, 0, 50);
  wheel_.start(t, 0, 120);  // later
  EXPECT_EQ(wheel_.armed(), 1u);
  advance(119);
  EXPECT_TRUE(fired_.empty());
  wheel_.start(t, 119, 1);  // earlier than the current deadline
  advance(120);
  EXPECT_EQ(fired_, (std::vector<Fired>{{1, 120}}));
  EXPECT_EQ(wheel_.armed(), 0u);
}

TEST_F(TimerWheelTest, LongTimersWaitInTheirSlotForTheirRound) {
  // 16 slots of 10 ms: one revolution is 160 ms. Deadlines 1000 and 1160 share a slot with
  // 40 (and each other), several revolutions apart.
  TimerEntry near(1), far(2), farther(3);
  wheel_.start(near, 0, 40);
  wheel_.start(far, 0, 1000);
  wheel_.start(farther, 0, 1160);
  for (uint64_t now = 1; now <= 2000; ++now) advance(now);
  EXPECT_EQ(fired_, (std::vector<Fired>{{1, 40}, {2, 1000}, {3, 1160}}));
}

TEST_F(TimerWheelTest, ClockJumpOverManyRevolutionsKeepsTickOrder) {
  // Deadline 1000 is in slot 4, visited at tick 4 (40 ms) before ticks 5..99: it must wait for
  // its own tick and fire after the others.
  TimerEntry late(1), mid(2), early(3);
  wheel_.start(late, 0, 1000);
  wheel_.start(mid, 0, 500);
  wheel_.start(early, 0, 55);
  EXPECT_EQ(advance(5000), 3u);
  EXPECT_EQ(owners(), (std::vector<uint32_t>{3, 2, 1}));
}

TEST_F(TimerWheelTest, ManyTimersInOneSlotFireInStartOrder) {
  std::vector<std::unique_ptr<TimerEntry>> entries;
  for (uint32_t i = 0; i < 1000; ++i) {
    entries.push_back(std::make_unique<TimerEntry>(i));
    // Every one in slot 3 (ticks 3, 19, 35, ...): deadlines 30..39 and a later round.
    wheel_.start(*entries.back(), 0, i < 500 ? 30 + i % 10 : 190 + i % 10);
  }
  EXPECT_EQ(wheel_.armed(), 1000u);
  advance(35);  // the first 500 whose deadline is in 30..35
  std::size_t due = 0;
  for (uint32_t i = 0; i < 500; ++i) due += (30 + i % 10) <= 35;
  EXPECT_EQ(fired_.size(), due);
  advance(39);
  EXPECT_EQ(fired_.size(), 500u);
  advance(199);
  ASSERT_EQ(fired_.size(), 1000u);
  for (uint32_t i = 500; i < 1000; ++i) EXPECT_EQ(fired_[i].owner, i);
}

TEST_F(TimerWheelTest, CallbackMayStopTheNextTimerOfTheSameSlot) {
  TimerEntry first(1), second(2), third(3);
  wheel_.start(first, 0, 10);
  wheel_.start(second, 0, 10);
  wheel_.start(third, 0, 10);
  std::vector<uint32_t> seen;
  wheel_.advance(10, [&](TimerEntry& e) {
    seen.push_back(e.owner());
    if (e.owner() == 1) wheel_.stop(second);
  });
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(wheel_.armed(), 0u);
}

TEST_F(TimerWheelTest, CallbackMayRestartTheFiringTimer) {
  TimerEntry periodic(1);
  wheel_.start(periodic, 0, 30);
  std::vector<uint64_t> at;
  for (uint64_t now = 1; now <= 100; ++now) {
    wheel_.advance(now, [&](TimerEntry& e) {
      at.push_back(now);
      wheel_.start(e, now, 30);
    });
  }
  EXPECT_EQ(at, (std::vector<uint64_t>{30, 60, 90}));
  EXPECT_TRUE(periodic.armed());
}

TEST_F(TimerWheelTest, TimerStartedDueFromACallbackFiresInTheSameAdvance) {
  TimerEntry trigger(1), immediate(2), past(3);
  wheel_.start(trigger, 0, 20);
  std::vector<uint32_t> seen;
  wheel_.advance(25, [&](TimerEntry& e) {
    seen.push_back(e.owner());
    if (e.owner() == 1) {
      wheel_.start(immediate, 25, 0);
      wheel_.start(past, 3, 1);  // a deadline behind the wheel counts as now
    }
  });
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(wheel_.armed(), 0u);
}

TEST_F(TimerWheelTest, ClockGoingBackwardsChangesNothing) {
  TimerEntry t(1);
  advance(100);
  wheel_.start(t, 100, 10);
  EXPECT_EQ(advance(50), 0u);
  EXPECT_EQ(wheel_.now_ms(), 100u);
  EXPECT_EQ(advance(110), 1u);
}

TEST_F(TimerWheelTest, IdleWheelSkipsAheadAndStillFiresLaterTimersExactly) {
  advance(1'000'000'000);  // a long idle stretch with nothing armed
  TimerEntry t(1);
  wheel_.start(t, 1'000'000'000, 7);
  EXPECT_EQ(advance(1'000'000'006), 0u);
  EXPECT_EQ(advance(1'000'000'007), 1u);
}

TEST_F(TimerWheelTest, FirstTimerOfAnEmptyWheelMovesItsTimeToNow) {
  // A shard's wheel is built before traffic; its first timer may come days of monotonic time
  // later. The empty wheel jumps to now instead of leaving ticks to walk on the next advance.
  TimerEntry t(1);
  wheel_.start(t, 1'000'000'000, 7);
  EXPECT_EQ(wheel_.now_ms(), 1'000'000'000u);
  EXPECT_EQ(advance(1'000'000'006), 0u);
  EXPECT_EQ(advance(1'000'000'007), 1u);
}

TEST_F(TimerWheelTest, OneMillisecondTickAndProductionShape) {
  TimerWheel fine({1, 8}, 0);
  TimerEntry a(1), b(2);
  fine.start(a, 0, 3);
  fine.start(b, 0, 2);
  std::vector<uint32_t> seen;
  fine.advance(10, [&](TimerEntry& e) { seen.push_back(e.owner()); });
  EXPECT_EQ(seen, (std::vector<uint32_t>{2, 1}));  // exact order with 1 ms ticks

  TimerWheel prod({10, 4096}, 0);  // 41 s revolution: Timer C (181 s) takes 5 rounds
  TimerEntry c(3);
  prod.start(c, 0, 181000);
  std::size_t n = 0;
  for (uint64_t now = 0; now < 181000; now += 7) n += prod.advance(now, [](TimerEntry&) {});
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(prod.advance(181000, [](TimerEntry&) {}), 1u);
}

}  // namespace
}  // namespace sipwire
