// RFC 3261 §17.2.2: the non-INVITE server transaction, every timer and transition, and the
// absorption of retransmitted requests.
#include <gtest/gtest.h>

#include "txn_harness.h"

namespace sipwire {
namespace {

using testing::MachineHarness;
using Names = std::vector<std::string>;
using Times = std::vector<uint64_t>;

constexpr MessageRef kTrying{3, 0, 200};
constexpr MessageRef kOk{4, 0, 400};
constexpr MessageRef kLate{5, 0, 400};

TEST(NonInviteServer, StartsTryingAndAbsorbsRetransmissionsThere) {
  MachineHarness h;
  h.txn.start_server(h.env, /*invite=*/false, /*reliable=*/false, 0);
  EXPECT_EQ(h.txn.kind(), TxnKind::kNonInviteServer);
  EXPECT_EQ(h.txn.state(), TxnState::kTrying);
  h.txn.on_request_retransmission(h.env, 10);
  h.txn.on_ack(h.env, 20);  // an ACK never concerns a non-INVITE transaction
  EXPECT_TRUE(h.actions.log.empty());
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(NonInviteServer, ProvisionalMovesToProceedingAndIsResentOnRetransmission) {
  MachineHarness h;
  h.txn.start_server(h.env, false, false, 0);
  h.txn.on_tu_response(h.env, 100, kTrying, 5);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  h.txn.on_request_retransmission(h.env, 10);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit"}));
  EXPECT_EQ(h.actions.retransmitted[0].buffer, kTrying.buffer);
}

TEST(NonInviteServer, FinalResponseCompletesResendsOnRetransmissionAndTimerJEndsIt) {
  MachineHarness h;
  h.txn.start_server(h.env, false, false, 0);
  h.run_until(300);
  h.txn.on_tu_response(h.env, 200, kOk, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kJ);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);  // no retransmission of its own
  h.run_until(1000);
  h.txn.on_request_retransmission(h.env, h.now);
  EXPECT_EQ(h.actions.retransmitted.at(0).buffer, kOk.buffer);
  h.run_until(32299);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit"}));
  h.run_until(32300);  // Timer J = 64 * T1 on UDP
  EXPECT_EQ(h.actions.times("terminated"), (Times{32300}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
}

TEST(NonInviteServer, TimerJFollowsConfiguredT1) {
  TxnTimerConfig timers;
  timers.t1_ms = 200;
  MachineHarness h(timers);
  h.txn.start_server(h.env, false, false, 0);
  h.txn.on_tu_response(h.env, 100, kTrying, 0);
  h.txn.on_tu_response(h.env, 404, kOk, 0);
  h.run_until(20000);
  EXPECT_EQ(h.actions.times("terminated"), (Times{12800}));
}

TEST(NonInviteServer, LaterFinalResponsesAreDiscardedInCompleted) {
  MachineHarness h;
  h.txn.start_server(h.env, false, false, 0);
  h.txn.on_tu_response(h.env, 200, kOk, 0);
  h.txn.on_tu_response(h.env, 500, kLate, 1);
  EXPECT_EQ(h.txn.last_status(), 200);
  h.txn.on_request_retransmission(h.env, 2);
  EXPECT_EQ(h.actions.retransmitted.at(0).buffer, kOk.buffer);
}

TEST(NonInviteServer, ReliableTransportTimerJIsZero) {
  MachineHarness h;
  h.txn.start_server(h.env, false, /*reliable=*/true, 0);
  h.txn.on_tu_response(h.env, 200, kOk, 0);
  EXPECT_EQ(h.actions.names(), (Names{"terminated"}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(NonInviteServer, TransportErrorFailsAndTerminates) {
  MachineHarness h;
  h.txn.start_server(h.env, false, false, 0);
  h.txn.on_tu_response(h.env, 200, kOk, 0);
  h.txn.on_transport_error(h.env);
  EXPECT_EQ(h.actions.names(), (Names{"failed transport error", "terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

}  // namespace
}  // namespace sipwire
