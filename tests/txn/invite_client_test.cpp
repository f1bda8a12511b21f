// RFC 3261 §17.1.1: the INVITE client transaction, every timer and transition, and the
// proxy's Timer C (§16.6 step 11, §16.7 step 2, §16.8).
#include <gtest/gtest.h>

#include "txn_harness.h"

namespace sipwire {
namespace {

using testing::doubling_schedule;
using testing::MachineHarness;
using Names = std::vector<std::string>;
using Times = std::vector<uint64_t>;

TEST(InviteClient, StartsCallingWithTimersAAndBOnUdp) {
  MachineHarness h;
  h.txn.start_client(h.env, /*invite=*/true, /*reliable=*/false, 0);
  EXPECT_EQ(h.txn.kind(), TxnKind::kInviteClient);
  EXPECT_EQ(h.txn.state(), TxnState::kCalling);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kA);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kB);
  EXPECT_TRUE(h.txn.timer_c_armed());
  EXPECT_TRUE(h.actions.log.empty());  // the owner sent the first copy itself
}

TEST(InviteClient, TimerADoublesWithoutCapUntilTimerBFiresAt64T1) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.run_until(40000);
  // 500, 1500, 3500, 7500, 15500, 31500: Timer A is not capped at T2 (§17.1.1.2).
  EXPECT_EQ(h.actions.times("retransmit"), (Times{500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(h.actions.times("retransmit"), doubling_schedule(0, 500, 0, 32000));
  EXPECT_EQ(h.actions.times("failed Timer B"), (Times{32000}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{32000}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
  EXPECT_FALSE(h.txn.timer_c_armed());
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteClient, TimersFollowConfiguredT1) {
  TxnTimerConfig timers;
  timers.t1_ms = 100;
  MachineHarness h(timers);
  h.txn.start_client(h.env, true, false, 7);
  h.run_until(10000);
  EXPECT_EQ(h.actions.times("retransmit"), (Times{107, 307, 707, 1507, 3107, 6307}));
  EXPECT_EQ(h.actions.times("failed Timer B"), (Times{6407}));  // 64 * T1 after the start
}

TEST(InviteClient, ReliableTransportHasNoTimerAButTimerB) {
  MachineHarness h;
  h.txn.start_client(h.env, true, /*reliable=*/true, 0);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kB);
  h.run_until(40000);
  EXPECT_TRUE(h.actions.times("retransmit").empty());
  EXPECT_EQ(h.actions.times("failed Timer B"), (Times{32000}));
}

TEST(InviteClient, ProvisionalMovesToProceedingAndStopsRetransmissions) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.run_until(1000);
  h.txn.on_response(h.env, 180, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kNone);  // Timer B bounds Calling only
  h.txn.on_response(h.env, 183, 1200);
  h.run_until(100000);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit", "pass 180", "pass 183"}));
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
}

TEST(InviteClient, TwoHundredInCallingPassesUpAndTerminates) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.txn.on_response(h.env, 200, 100);
  EXPECT_EQ(h.actions.names(), (Names{"pass 200", "terminated"}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteClient, TwoHundredInProceedingPassesUpAndTerminates) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.txn.on_response(h.env, 100, 10);
  h.txn.on_response(h.env, 200, 20);
  EXPECT_EQ(h.actions.names(), (Names{"pass 100", "pass 200", "terminated"}));
  EXPECT_EQ(h.txn.last_status(), 200);
}

TEST(InviteClient, FinalErrorIsAckedPassedUpAndLingersForTimerD) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.txn.on_response(h.env, 180, 100);
  h.run_until(1000);
  h.txn.on_response(h.env, 486, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kD);
  EXPECT_FALSE(h.txn.timer_c_armed());  // §16.7: a final response ends Timer C
  EXPECT_EQ(h.actions.names(), (Names{"pass 180", "ack 486", "pass 486"}));
  h.actions.clear();

  // A retransmitted final response is ACKed again and absorbed; a 2xx now is absorbed too.
  h.txn.on_response(h.env, 486, 2000);
  h.txn.on_response(h.env, 200, 2100);
  h.txn.on_response(h.env, 183, 2200);
  EXPECT_EQ(h.actions.names(), (Names{"ack 486"}));
  h.actions.clear();

  h.run_until(32999);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  h.run_until(33000);  // Timer D: 32 s after the response, on UDP
  EXPECT_EQ(h.actions.names(), (Names{"terminated"}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
}

TEST(InviteClient, FinalErrorInCallingStopsTimerA) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.run_until(600);
  h.txn.on_response(h.env, 503, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  h.run_until(32599);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit", "ack 503", "pass 503"}));
  h.run_until(32600);
  EXPECT_EQ(h.actions.times("terminated"), (Times{32600}));
}

TEST(InviteClient, TimerDIsConfigurable) {
  TxnTimerConfig timers;
  timers.timer_d_ms = 40000;
  MachineHarness h(timers);
  h.txn.start_client(h.env, true, false, 0);
  h.txn.on_response(h.env, 404, 0);
  h.run_until(50000);
  EXPECT_EQ(h.actions.times("terminated"), (Times{40000}));
}

TEST(InviteClient, ReliableTransportTerminatesAtOnceOnFinalError) {
  MachineHarness h;
  h.txn.start_client(h.env, true, true, 0);
  h.txn.on_response(h.env, 486, 50);
  EXPECT_EQ(h.actions.names(), (Names{"ack 486", "pass 486", "terminated"}));  // Timer D = 0
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteClient, TimerCFiresAfterConfiguredTimeAndRestartsOnProvisionalsAbove100) {
  TxnTimerConfig timers;
  timers.timer_c_ms = 200000;
  MachineHarness h(timers);
  h.txn.start_client(h.env, true, false, 0);
  h.run_until(1000);
  h.txn.on_response(h.env, 100, h.now);  // 100 does not restart Timer C
  EXPECT_FALSE(h.txn.provisional_received());
  h.run_until(5000);
  h.txn.on_response(h.env, 180, h.now);  // 180 restarts it: 205000
  EXPECT_TRUE(h.txn.provisional_received());
  h.run_until(204999);
  EXPECT_TRUE(h.actions.times("timer C").empty());
  h.run_until(205000);
  EXPECT_EQ(h.actions.times("timer C"), (Times{205000}));
  // The transaction waits for the TU (which CANCELs): Timer C does not change the state.
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  h.txn.on_response(h.env, 487, 206000);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
}

TEST(InviteClient, TimerCWithoutProvisionalWhenLongerBIsConfigured) {
  TxnTimerConfig timers;
  timers.t1_ms = 4000;  // Timer B = 256 s, past Timer C's 181 s
  timers.t2_ms = 4000;
  MachineHarness h(timers);
  h.txn.start_client(h.env, true, false, 0);
  // §16.8: no provisional, so the TU acts as if a 408 came and gives the transaction up.
  h.actions.on_timer_c = [&](Transaction& t) { t.abandon(h.env); };
  h.run_until(300000);
  EXPECT_EQ(h.actions.times("timer C"), (Times{181000}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{181000}));
  EXPECT_TRUE(h.actions.times("failed Timer B").empty());
  EXPECT_EQ(h.actions.terminations, 1);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteClient, DefaultTimerCIsLongerThanThreeMinutes) {
  EXPECT_GT(TxnTimerConfig{}.timer_c_ms, 180000u);
}

TEST(InviteClient, TimerCCanBeDisabled) {
  TxnTimerConfig timers;
  timers.timer_c_ms = 0;
  MachineHarness h(timers);
  h.txn.start_client(h.env, true, false, 0);
  EXPECT_FALSE(h.txn.timer_c_armed());
  h.txn.on_response(h.env, 180, 10);
  EXPECT_FALSE(h.txn.timer_c_armed());
}

TEST(InviteClient, TransportErrorFailsAndTerminates) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  h.txn.on_transport_error(h.env);
  EXPECT_EQ(h.actions.names(), (Names{"failed transport error", "terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
  h.txn.on_transport_error(h.env);  // once terminated, nothing more
  EXPECT_EQ(h.actions.terminations, 1);
}

// The owner gives up on the branch as it sees the response: the machine must not go on to
// Completed, arm Timer D or terminate a second time on a transaction that is gone.
struct AbandoningActions : testing::RecordingActions {
  using RecordingActions::RecordingActions;
  TxnEnv* env = nullptr;
  void pass_response(Transaction& t, uint16_t status) override {
    RecordingActions::pass_response(t, status);
    t.abandon(*env);
  }
};

TEST(InviteClient, AbandonFromPassResponseOfTwoHundredTerminatesOnce) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  AbandoningActions actions(h.now);
  TxnEnv env{h.env.wheel, h.env.timers, actions};
  actions.env = &env;
  h.txn.on_response(env, 200, 10);
  EXPECT_EQ(actions.names(), (Names{"pass 200", "terminated"}));
  EXPECT_EQ(actions.terminations, 1);
}

TEST(InviteClient, AbandonFromPassResponseStopsTheMachine) {
  MachineHarness h;
  h.txn.start_client(h.env, true, false, 0);
  AbandoningActions actions(h.now);
  TxnEnv env{h.env.wheel, h.env.timers, actions};
  actions.env = &env;
  h.txn.on_response(env, 486, 10);
  EXPECT_EQ(actions.names(), (Names{"ack 486", "pass 486", "terminated"}));
  EXPECT_EQ(actions.terminations, 1);
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

}  // namespace
}  // namespace sipwire
