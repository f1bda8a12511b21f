// The per-message path allocates nothing: timer start/stop/advance, transaction create, match,
// inputs and release. Global operator new is replaced in this test binary to count.
#include <gtest/gtest.h>

#include "count_allocations.h"
#include "sip_messages.h"
#include "sipwire/txn/transaction_table.h"
#include "txn_harness.h"

namespace sipwire {
namespace {

using sipwire::testing::allocations;
using testing::Parsed;
using testing::RequestText;
using testing::ResponseText;

// Actions that record nothing, so the measurement sees the transaction layer alone.
struct NullActions : TxnActions {
  void retransmit(Transaction&) override { ++calls; }
  void send_ack(Transaction&, uint16_t) override { ++calls; }
  void pass_response(Transaction&, uint16_t) override { ++calls; }
  void timer_c_fired(Transaction&) override { ++calls; }
  void failed(Transaction&, TxnFailure) override { ++calls; }
  void terminated(Transaction&) override { ++calls; }
  int calls = 0;
};

TEST(Allocation, TheCounterSeesAllocations) {
  const uint64_t before = allocations().calls;
  // A direct call: the compiler may elide a new-expression, not a call to operator new.
  void* volatile p = ::operator new(16);
  ::operator delete(p);
  EXPECT_EQ(allocations().calls, before + 1);  // so the zeros below mean something
}

TEST(Allocation, TimerWheelStartStopAdvanceAllocateNothing) {
  TimerWheel wheel({10, 64}, 0);
  TimerEntry entries[100];
  const uint64_t before = allocations().calls;
  for (int i = 0; i < 100; ++i) wheel.start(entries[i], 0, 5 + i * 37);
  for (int i = 0; i < 100; i += 3) wheel.stop(entries[i]);
  std::size_t fired = 0;
  for (uint64_t now = 0; now < 5000; now += 5) {
    fired += wheel.advance(now, [&](TimerEntry& e) { wheel.start(e, now, 1000000); });
  }
  EXPECT_EQ(allocations().calls, before);
  EXPECT_EQ(fired, 66u);
}

TEST(Allocation, TransactionPathAllocatesNothing) {
  NullActions actions;
  TxnTableConfig config;
  config.capacity = 16;
  TransactionTable table(config, actions, 0);
  RequestText invite_text;
  const Parsed invite(invite_text);
  RequestText ack_text = invite_text;
  ack_text.method = "ACK";
  const Parsed ack(ack_text);
  const Parsed response{ResponseText{}};

  const uint64_t before = allocations().calls;
  Transaction* server = table.create_server(invite, false, {1, 0, 10}, 0);
  Transaction* client = table.create_client("z9hG4bKproxy1", "INVITE", false, {2, 0, 10}, 0);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(table.find_server(invite), server);
  EXPECT_EQ(table.find_client(response), client);
  client->on_response(table.env(), 486, 100);
  server->on_tu_response(table.env(), 486, {3, 0, 10}, 100);
  Transaction* again = table.find_server(invite);
  Transaction* acked = table.find_server(ack);
  ASSERT_EQ(again, server);
  ASSERT_EQ(acked, server);
  again->on_request_retransmission(table.env(), 200);
  acked->on_ack(table.env(), 300);
  for (uint64_t now = 0; now <= 40000; now += 10) table.advance(now);
  EXPECT_EQ(allocations().calls, before);
  EXPECT_EQ(table.live(), 0u);
  EXPECT_GT(actions.calls, 0);
}

}  // namespace
}  // namespace sipwire
