// RFC 3261 §17.1.2: the non-INVITE client transaction, every timer and transition.
#include <gtest/gtest.h>

#include "txn_harness.h"

namespace sipwire {
namespace {

using testing::doubling_schedule;
using testing::MachineHarness;
using Names = std::vector<std::string>;
using Times = std::vector<uint64_t>;

TEST(NonInviteClient, StartsTryingWithTimersEAndF) {
  MachineHarness h;
  h.txn.start_client(h.env, /*invite=*/false, /*reliable=*/false, 0);
  EXPECT_EQ(h.txn.kind(), TxnKind::kNonInviteClient);
  EXPECT_EQ(h.txn.state(), TxnState::kTrying);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kE);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kF);
  EXPECT_FALSE(h.txn.timer_c_armed());  // Timer C is for INVITE only
}

TEST(NonInviteClient, TimerEDoublesUpToT2UntilTimerFFiresAt64T1) {
  MachineHarness h;
  h.txn.start_client(h.env, false, false, 0);
  h.txn.set_request({7, 0, 300});
  h.run_until(40000);
  EXPECT_EQ(h.actions.times("retransmit"),
            (Times{500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
  EXPECT_EQ(h.actions.times("retransmit"), doubling_schedule(0, 500, 4000, 32000));
  EXPECT_EQ(h.actions.retransmitted.front().buffer, 7u);  // the request's bytes, from the owner
  EXPECT_EQ(h.actions.times("failed Timer F"), (Times{32000}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{32000}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(NonInviteClient, TimerECapFollowsConfiguredT2) {
  TxnTimerConfig timers;
  timers.t2_ms = 2000;
  MachineHarness h(timers);
  h.txn.start_client(h.env, false, false, 0);
  h.run_until(12000);
  EXPECT_EQ(h.actions.times("retransmit"), (Times{500, 1500, 3500, 5500, 7500, 9500, 11500}));
}

TEST(NonInviteClient, ProceedingRetransmitsEveryT2) {
  MachineHarness h;
  h.txn.start_client(h.env, false, false, 0);
  h.run_until(600);
  h.txn.on_response(h.env, 100, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kF);  // F still bounds Proceeding
  h.run_until(40000);
  // 500 in Trying; the pending E fires at 1500, then every T2 = 4000 (§17.1.2.2).
  EXPECT_EQ(h.actions.times("retransmit"),
            (Times{500, 1500, 5500, 9500, 13500, 17500, 21500, 25500, 29500}));
  EXPECT_EQ(h.actions.times("pass 100"), (Times{600}));
  EXPECT_EQ(h.actions.times("failed Timer F"), (Times{32000}));
}

TEST(NonInviteClient, FinalResponseCompletesAndTimerKEndsItAfterT4) {
  MachineHarness h;
  h.txn.start_client(h.env, false, false, 0);
  h.run_until(700);
  h.txn.on_response(h.env, 200, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kK);
  // Retransmissions of the final response are absorbed in Completed.
  h.txn.on_response(h.env, 200, 800);
  h.txn.on_response(h.env, 180, 900);
  h.run_until(5699);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit", "pass 200"}));
  h.run_until(5700);  // Timer K = T4
  EXPECT_EQ(h.actions.times("terminated"), (Times{5700}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
}

TEST(NonInviteClient, FinalResponseInProceedingCompletes) {
  MachineHarness h;
  h.txn.start_client(h.env, false, false, 0);
  h.txn.on_response(h.env, 180, 100);
  h.txn.on_response(h.env, 404, 200);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  EXPECT_EQ(h.actions.names(), (Names{"pass 180", "pass 404"}));
  h.run_until(6000);
  EXPECT_EQ(h.actions.times("terminated"), (Times{5200}));
}

TEST(NonInviteClient, TimerKFollowsConfiguredT4) {
  TxnTimerConfig timers;
  timers.t4_ms = 2500;
  MachineHarness h(timers);
  h.txn.start_client(h.env, false, false, 0);
  h.txn.on_response(h.env, 200, 0);
  h.run_until(6000);
  EXPECT_EQ(h.actions.times("terminated"), (Times{2500}));
}

TEST(NonInviteClient, ReliableTransportNoTimerEAndTimerKIsZero) {
  MachineHarness h;
  h.txn.start_client(h.env, false, true, 0);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  h.run_until(1000);
  EXPECT_TRUE(h.actions.log.empty());
  h.txn.on_response(h.env, 200, h.now);
  EXPECT_EQ(h.actions.names(), (Names{"pass 200", "terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(NonInviteClient, ReliableTransportStillTimesOutWithTimerF) {
  MachineHarness h;
  h.txn.start_client(h.env, false, true, 0);
  h.run_until(40000);
  EXPECT_EQ(h.actions.names(), (Names{"failed Timer F", "terminated"}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{32000}));
}

TEST(NonInviteClient, TransportErrorFailsAndTerminates) {
  MachineHarness h;
  h.txn.start_client(h.env, false, false, 0);
  h.txn.on_response(h.env, 100, 10);
  h.txn.on_transport_error(h.env);
  EXPECT_EQ(h.actions.names(), (Names{"pass 100", "failed transport error", "terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

}  // namespace
}  // namespace sipwire
