// RFC 3261 §17.2.1: the INVITE server transaction, every timer and transition, and the
// absorption of retransmitted INVITEs and ACKs.
#include <gtest/gtest.h>

#include "txn_harness.h"

namespace sipwire {
namespace {

using testing::doubling_schedule;
using testing::MachineHarness;
using Names = std::vector<std::string>;
using Times = std::vector<uint64_t>;

constexpr MessageRef kTrying{1, 0, 200};
constexpr MessageRef kRinging{1, 200, 300};
constexpr MessageRef kBusy{2, 0, 350};

TEST(InviteServer, StartsProceedingWithoutTimers) {
  MachineHarness h;
  h.txn.start_server(h.env, /*invite=*/true, /*reliable=*/false, 0);
  EXPECT_EQ(h.txn.kind(), TxnKind::kInviteServer);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteServer, RetransmittedInviteGetsTheLastProvisionalAgain) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_request_retransmission(h.env, 10);  // nothing sent yet: nothing to resend
  EXPECT_TRUE(h.actions.log.empty());
  h.txn.on_tu_response(h.env, 100, kTrying, 20);
  h.txn.on_request_retransmission(h.env, 30);
  h.txn.on_tu_response(h.env, 180, kRinging, 40);
  h.txn.on_request_retransmission(h.env, 50);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit", "retransmit"}));
  ASSERT_EQ(h.actions.retransmitted.size(), 2u);
  EXPECT_EQ(h.actions.retransmitted[0].offset, kTrying.offset);
  EXPECT_EQ(h.actions.retransmitted[1].offset, kRinging.offset);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
}

TEST(InviteServer, FinalErrorCompletesTimerGDoublesToT2AndTimerHFiresAt64T1) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.run_until(100);
  h.txn.on_tu_response(h.env, 486, kBusy, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kCompleted);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kG);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kH);
  h.run_until(40000);
  EXPECT_EQ(h.actions.times("retransmit"),
            (Times{600, 1600, 3600, 7600, 11600, 15600, 19600, 23600, 27600, 31600}));
  EXPECT_EQ(h.actions.times("retransmit"), doubling_schedule(100, 500, 4000, 32100));
  EXPECT_EQ(h.actions.retransmitted.back().buffer, kBusy.buffer);
  // No ACK: Timer H tells the TU the transaction failed.
  EXPECT_EQ(h.actions.times("failed Timer H"), (Times{32100}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{32100}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteServer, RetransmittedInviteInCompletedGetsTheFinalResponse) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_tu_response(h.env, 180, kRinging, 0);
  h.txn.on_tu_response(h.env, 486, kBusy, 0);
  h.txn.on_request_retransmission(h.env, 10);
  ASSERT_EQ(h.actions.retransmitted.size(), 1u);
  EXPECT_EQ(h.actions.retransmitted[0].buffer, kBusy.buffer);
  EXPECT_EQ(h.txn.last_status(), 486);
}

TEST(InviteServer, AckConfirmsStopsTimerGAndTimerIEndsItAfterT4) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_tu_response(h.env, 486, kBusy, 0);
  h.run_until(1000);
  h.txn.on_ack(h.env, h.now);
  EXPECT_EQ(h.txn.state(), TxnState::kConfirmed);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kI);
  // In Confirmed, ACKs and INVITEs are absorbed.
  h.txn.on_ack(h.env, 1100);
  h.txn.on_request_retransmission(h.env, 1200);
  h.run_until(5999);
  EXPECT_EQ(h.actions.names(), (Names{"retransmit"}));  // Timer G at 500 only
  h.run_until(6000);                                    // Timer I = T4
  EXPECT_EQ(h.actions.times("terminated"), (Times{6000}));
  EXPECT_TRUE(h.actions.times("failed Timer H").empty());
}

TEST(InviteServer, AckBeforeAnyFinalResponseIsIgnored) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_ack(h.env, 10);
  EXPECT_EQ(h.txn.state(), TxnState::kProceeding);
  EXPECT_TRUE(h.actions.log.empty());
}

TEST(InviteServer, TwoHundredIsAcceptedThenTerminatedByTimerL) {  // RFC 6026 §7.1
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_tu_response(h.env, 180, kRinging, 0);
  h.txn.on_tu_response(h.env, 200, kBusy, 10);
  EXPECT_EQ(h.txn.state(), TxnState::kAccepted);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kL);
  EXPECT_TRUE(h.actions.log.empty());
  // A retransmitted INVITE is absorbed: nothing resent, nothing passed up.
  h.txn.on_request_retransmission(h.env, 500);
  h.txn.on_ack(h.env, 600);
  h.txn.on_tu_response(h.env, 200, kBusy, 700);  // another 2xx of a fork: allowed
  EXPECT_TRUE(h.actions.log.empty());
  EXPECT_EQ(h.txn.state(), TxnState::kAccepted);
  h.run_until(10 + 64 * 500 - 1);
  EXPECT_EQ(h.txn.state(), TxnState::kAccepted);
  h.run_until(10 + 64 * 500);
  EXPECT_EQ(h.actions.names(), (Names{"terminated"}));
  EXPECT_EQ(h.txn.state(), TxnState::kTerminated);
}

TEST(InviteServer, ResponsesAfterTheFinalOneAreIgnored) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_tu_response(h.env, 486, kBusy, 0);
  h.txn.on_tu_response(h.env, 500, kTrying, 5);
  EXPECT_EQ(h.txn.last_status(), 486);
  EXPECT_EQ(h.txn.last_response().buffer, kBusy.buffer);
}

TEST(InviteServer, ReliableTransportNoTimerGAndTimerIIsZero) {
  MachineHarness h;
  h.txn.start_server(h.env, true, /*reliable=*/true, 0);
  h.txn.on_tu_response(h.env, 486, kBusy, 0);
  EXPECT_EQ(h.txn.retransmit_timer(), TxnTimer::kNone);
  EXPECT_EQ(h.txn.timeout_timer(), TxnTimer::kH);
  h.run_until(1000);
  EXPECT_TRUE(h.actions.log.empty());
  h.txn.on_ack(h.env, h.now);
  EXPECT_EQ(h.actions.names(), (Names{"terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

TEST(InviteServer, ReliableTransportStillFailsOnTimerH) {
  MachineHarness h;
  h.txn.start_server(h.env, true, true, 0);
  h.txn.on_tu_response(h.env, 603, kBusy, 50);
  h.run_until(40000);
  EXPECT_EQ(h.actions.names(), (Names{"failed Timer H", "terminated"}));
  EXPECT_EQ(h.actions.times("terminated"), (Times{32050}));
}

TEST(InviteServer, TransportErrorFailsAndTerminates) {
  MachineHarness h;
  h.txn.start_server(h.env, true, false, 0);
  h.txn.on_tu_response(h.env, 486, kBusy, 0);
  h.txn.on_transport_error(h.env);
  EXPECT_EQ(h.actions.names(), (Names{"failed transport error", "terminated"}));
  EXPECT_EQ(h.wheel().armed(), 0u);
}

}  // namespace
}  // namespace sipwire
