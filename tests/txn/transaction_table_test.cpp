// The per-shard transaction table: matching per §17.2.3 (RFC 3261 keys, ACK and CANCEL, the
// RFC 2543 fallback) and §17.1.3, the fixed pool and its exhaustion, slot reuse, and timers
// driven through the table.
#include "sipwire/txn/transaction_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "sip_messages.h"
#include "txn_harness.h"

namespace sipwire {
namespace {

using testing::Parsed;
using testing::RecordingActions;
using testing::RequestText;
using testing::ResponseText;

class TableTest : public ::testing::Test {
 protected:
  explicit TableTest(uint32_t capacity = 64)
      : actions_(now_), table_(config(capacity), actions_, 0) {}
  static TxnTableConfig config(uint32_t capacity) {
    TxnTableConfig c;
    c.capacity = capacity;
    return c;
  }
  Transaction* create(const RequestText& r, bool reliable = false) {
    return table_.create_server(*Parsed(r), reliable, MessageRef{1, 0, 100}, now_);
  }
  Transaction* find(const RequestText& r) { return table_.find_server(*Parsed(r)); }

  uint64_t now_ = 0;
  RecordingActions actions_;
  TransactionTable table_;
};

RequestText ack_for(RequestText r, const std::string& to_tag) {
  r.method = "ACK";
  r.to += ";tag=" + to_tag;
  return r;
}

RequestText cancel_for(RequestText r) {
  r.method = "CANCEL";
  return r;
}

// --- RFC 3261 server matching (§17.2.3) ---

TEST_F(TableTest, RetransmittedRequestMatchesByBranchSentByAndMethod) {
  RequestText invite;
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind(), TxnKind::kInviteServer);
  EXPECT_EQ(t->state(), TxnState::kProceeding);
  EXPECT_EQ(find(invite), t);

  RequestText other_branch = invite;
  other_branch.via = "SIP/2.0/UDP client.example.org:5060;branch=z9hG4bKabc2";
  EXPECT_EQ(find(other_branch), nullptr);

  RequestText other_sent_by = invite;  // same branch from another client
  other_sent_by.via = "SIP/2.0/UDP other.example.org:5060;branch=z9hG4bKabc1";
  EXPECT_EQ(find(other_sent_by), nullptr);

  RequestText other_port = invite;
  other_port.via = "SIP/2.0/UDP client.example.org:5070;branch=z9hG4bKabc1";
  EXPECT_EQ(find(other_port), nullptr);

  RequestText host_case = invite;  // hosts compare case-insensitively
  host_case.via = "SIP/2.0/UDP Client.Example.ORG:5060;branch=z9hG4bKabc1";
  EXPECT_EQ(find(host_case), t);

  RequestText other_method = invite;  // same branch, another method: not this transaction
  other_method.method = "OPTIONS";
  EXPECT_EQ(find(other_method), nullptr);

  RequestText other_fields = invite;  // RFC 3261 matching looks at the Via alone
  other_fields.call_id = "changed@x";
  other_fields.from = "<sip:mallory@example.org>;tag=zz";
  EXPECT_EQ(find(other_fields), t);
}

// The index hash is seeded so nobody outside can aim branches at one bucket: a seed of 0 (what
// the data plane's shards are given) has each table draw its own, and matching works the same.
TEST(TableSeedTest, ASeedOfZeroIsDrawn) {
  uint64_t now = 0;
  RecordingActions actions(now);
  TxnTableConfig config;
  config.capacity = 4;
  const TransactionTable fixed(config, actions, 0);
  EXPECT_EQ(fixed.hash_seed(), TxnTableConfig{}.hash_seed);
  config.hash_seed = 0;
  TransactionTable a(config, actions, 0);
  const TransactionTable b(config, actions, 0);
  EXPECT_NE(a.hash_seed(), 0u);
  EXPECT_NE(a.hash_seed(), TxnTableConfig{}.hash_seed);
  EXPECT_NE(a.hash_seed(), b.hash_seed());  // two 64-bit draws
  const RequestText invite;
  Transaction* t = a.create_server(*Parsed(invite), false, MessageRef{1, 0, 100}, now);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(a.find_server(*Parsed(invite)), t);
  EXPECT_EQ(a.find_server(*Parsed(ack_for(invite, "t1"))), t);  // the ACK, by the seeded tag hash
}

TEST_F(TableTest, BranchComparesCaseSensitively) {
  RequestText invite;
  ASSERT_NE(create(invite), nullptr);
  RequestText upper = invite;
  upper.via = "SIP/2.0/UDP client.example.org:5060;branch=z9hG4bKABC1";
  EXPECT_EQ(find(upper), nullptr);
}

TEST_F(TableTest, AckForNonTwoHundredMatchesTheInviteServerTransaction) {
  RequestText invite;
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  Transaction* matched = find(ack_for(invite, "t9"));
  ASSERT_EQ(matched, t);
  // Fed to the machine, the ACK confirms the non-2xx final response.
  t->on_tu_response(table_.env(), 486, MessageRef{2, 0, 300}, now_);
  matched->on_ack(table_.env(), now_);
  EXPECT_EQ(t->state(), TxnState::kConfirmed);
}

TEST_F(TableTest, AckNeverMatchesANonInviteTransactionNorCreatesOne) {
  RequestText options;
  options.method = "OPTIONS";
  ASSERT_NE(create(options), nullptr);
  RequestText ack = ack_for(options, "t9");
  EXPECT_EQ(find(ack), nullptr);
  EXPECT_EQ(create(ack), nullptr);
  EXPECT_EQ(table_.live(), 1u);
}

TEST_F(TableTest, CancelIsItsOwnTransactionButFindsTheInvite) {
  RequestText invite;
  Transaction* inv = create(invite);
  ASSERT_NE(inv, nullptr);
  const RequestText cancel = cancel_for(invite);
  EXPECT_EQ(find(cancel), nullptr);  // not the INVITE's transaction
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(cancel)), inv);

  Transaction* can = create(cancel);
  ASSERT_NE(can, nullptr);
  EXPECT_NE(can, inv);
  EXPECT_EQ(can->kind(), TxnKind::kNonInviteServer);
  EXPECT_EQ(find(cancel), can);  // a retransmitted CANCEL finds the CANCEL
  EXPECT_EQ(find(invite), inv);  // and the INVITE is still the INVITE's

  RequestText stray = cancel;  // a CANCEL for an INVITE we never saw
  stray.via = "SIP/2.0/UDP client.example.org:5060;branch=z9hG4bKnone";
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(stray)), nullptr);
  // Only CANCEL looks for an INVITE that way.
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(invite)), nullptr);
}

TEST_F(TableTest, CancelDoesNotFindANonInviteWithTheSameBranch) {
  RequestText options;
  options.method = "OPTIONS";
  ASSERT_NE(create(options), nullptr);
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(cancel_for(options))), nullptr);
}

// --- RFC 2543 fallback (§17.2.3) ---

RequestText rfc2543_invite() {
  RequestText r;
  r.via = "SIP/2.0/UDP old.example.org:5060;branch=1234";  // no magic cookie
  r.to = "<sip:bob@example.com>";
  return r;
}

TEST_F(TableTest, Rfc2543RequestMatchesByRequestUriTagsCallIdCSeqAndVia) {
  const RequestText invite = rfc2543_invite();
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(find(invite), t);

  auto differs = [&](auto change) {
    RequestText r = invite;
    change(r);
    return find(r) == nullptr;
  };
  EXPECT_TRUE(differs([](RequestText& r) { r.ruri = "sip:carol@example.com"; }));
  EXPECT_TRUE(differs([](RequestText& r) { r.from = "<sip:alice@example.org>;tag=f2"; }));
  EXPECT_TRUE(differs([](RequestText& r) { r.to = "<sip:bob@example.com>;tag=x"; }));
  EXPECT_TRUE(differs([](RequestText& r) { r.call_id = "call-2@client.example.org"; }));
  EXPECT_TRUE(differs([](RequestText& r) { r.cseq = 2; }));
  EXPECT_TRUE(
      differs([](RequestText& r) { r.via = "SIP/2.0/UDP old.example.org:5061;branch=1234"; }));
  EXPECT_TRUE(
      differs([](RequestText& r) { r.via = "SIP/2.0/UDP old.example.org:5060;branch=1235"; }));
  EXPECT_TRUE(
      differs([](RequestText& r) { r.via = "SIP/2.0/TCP old.example.org:5060;branch=1234"; }));
  EXPECT_TRUE(differs([](RequestText& r) { r.method = "OPTIONS"; }));
  // The display name of From is not part of the rule.
  EXPECT_FALSE(differs([](RequestText& r) { r.from = "Alice <sip:alice@example.org>;tag=f1"; }));
}

TEST_F(TableTest, Rfc2543RequestWithoutBranchMatches) {
  RequestText invite = rfc2543_invite();
  invite.via = "SIP/2.0/UDP old.example.org";
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(find(invite), t);
}

TEST_F(TableTest, Rfc2543AckMatchesByTheResponsesToTag) {
  const RequestText invite = rfc2543_invite();
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(find(ack_for(invite, "uas1")), nullptr);  // no response sent yet
  table_.set_response_to_tag(*t, "uas1");
  EXPECT_EQ(find(ack_for(invite, "uas1")), t);
  EXPECT_EQ(find(ack_for(invite, "uas2")), nullptr);  // ACK for another response
  RequestText ack_other_cseq = ack_for(invite, "uas1");
  ack_other_cseq.cseq = 9;
  EXPECT_EQ(find(ack_other_cseq), nullptr);
  // The INVITE itself (no To tag) still matches its transaction.
  EXPECT_EQ(find(invite), t);
}

TEST_F(TableTest, Rfc2543CancelFindsTheInvite) {
  const RequestText invite = rfc2543_invite();
  Transaction* t = create(invite);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(find(cancel_for(invite)), nullptr);
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(cancel_for(invite))), t);
  RequestText other = cancel_for(invite);
  other.call_id = "another@x";
  EXPECT_EQ(table_.find_invite_for_cancel(*Parsed(other)), nullptr);
}

TEST_F(TableTest, Rfc3261AndRfc2543KeysNeverMeet) {
  RequestText modern;
  modern.via = "SIP/2.0/UDP h.example.org;branch=z9hG4bK1";
  RequestText old = modern;
  old.via = "SIP/2.0/UDP h.example.org;branch=1";
  ASSERT_NE(create(modern), nullptr);
  EXPECT_EQ(find(old), nullptr);
}

// --- client matching (§17.1.3) ---

TEST_F(TableTest, ResponseMatchesClientTransactionByBranchAndCSeqMethod) {
  Transaction* inv = table_.create_client("z9hG4bKproxy1", "INVITE", false, {9, 0, 500}, now_);
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(inv->kind(), TxnKind::kInviteClient);
  EXPECT_EQ(inv->state(), TxnState::kCalling);
  EXPECT_EQ(inv->request().buffer, 9u);
  ResponseText resp;
  EXPECT_EQ(table_.find_client(*Parsed(resp)), inv);

  ResponseText cancel_resp = resp;  // the CANCEL has the INVITE's branch, not its method
  cancel_resp.cseq_method = "CANCEL";
  EXPECT_EQ(table_.find_client(*Parsed(cancel_resp)), nullptr);
  Transaction* can = table_.create_client("z9hG4bKproxy1", "CANCEL", false, {}, now_);
  ASSERT_NE(can, nullptr);
  EXPECT_EQ(can->kind(), TxnKind::kNonInviteClient);
  EXPECT_EQ(table_.find_client(*Parsed(cancel_resp)), can);
  EXPECT_EQ(table_.find_client(*Parsed(resp)), inv);

  ResponseText other = resp;
  other.via = "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy2";
  EXPECT_EQ(table_.find_client(*Parsed(other)), nullptr);
  // A request is never a client transaction's response, nor does it find server ones there.
  EXPECT_EQ(table_.find_client(*Parsed(RequestText{})), nullptr);
  EXPECT_EQ(table_.create_client("z9hG4bKproxy3", "ACK", false, {}, now_), nullptr);
}

TEST_F(TableTest, ClientAndServerTransactionsWithOneBranchAreDistinct) {
  RequestText invite;
  invite.via = "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKproxy1";
  Transaction* server = create(invite);
  Transaction* client = table_.create_client("z9hG4bKproxy1", "INVITE", false, {}, now_);
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(find(invite), server);
  EXPECT_EQ(table_.find_client(*Parsed(ResponseText{})), client);
}

TEST_F(TableTest, LongKeysBeyondStoredTextStillMatchExactly) {
  // A 300-byte branch overflows the stored key text; the two hashes decide beyond it.
  const std::string base = "z9hG4bK" + std::string(290, 'x');
  Transaction* t = table_.create_client(base + "A", "INVITE", false, {}, now_);
  ASSERT_NE(t, nullptr);
  ResponseText same;
  same.via = "SIP/2.0/UDP proxy.example.com;branch=" + base + "A";
  ResponseText last_differs;
  last_differs.via = "SIP/2.0/UDP proxy.example.com;branch=" + base + "B";
  EXPECT_EQ(table_.find_client(*Parsed(same)), t);
  EXPECT_EQ(table_.find_client(*Parsed(last_differs)), nullptr);
}

// --- the pool ---

class SmallTableTest : public TableTest {
 protected:
  SmallTableTest() : TableTest(3) {}
};

RequestText numbered(int i) {
  RequestText r;
  r.method = "OPTIONS";
  r.via = "SIP/2.0/UDP client.example.org;branch=z9hG4bKn" + std::to_string(i);
  return r;
}

TEST_F(SmallTableTest, CreateFailsWhenThePoolIsFullAndSucceedsOnceASlotFrees) {
  Transaction* a = create(numbered(1));
  Transaction* b = create(numbered(2));
  Transaction* c = table_.create_client("z9hG4bKc", "BYE", false, {}, now_);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(table_.live(), 3u);
  EXPECT_EQ(create(numbered(4)), nullptr);  // the caller answers 503
  EXPECT_EQ(table_.create_client("z9hG4bKd", "BYE", false, {}, now_), nullptr);
  EXPECT_EQ(table_.counters().exhausted, 2u);

  const TxnHandle old = b->handle();
  b->abandon(table_.env());
  EXPECT_EQ(actions_.terminations, 1);
  EXPECT_EQ(table_.live(), 2u);
  EXPECT_EQ(table_.get(old), nullptr);    // the handle went stale
  EXPECT_EQ(find(numbered(2)), nullptr);  // and the key left the index
  Transaction* d = create(numbered(4));
  ASSERT_EQ(d, b);                      // the freed slot, reused
  EXPECT_EQ(table_.get(old), nullptr);  // a new generation
  EXPECT_EQ(table_.get(d->handle()), d);
  EXPECT_EQ(find(numbered(4)), d);
  EXPECT_EQ(table_.counters().created, 4u);
  EXPECT_EQ(table_.counters().released, 1u);
}

TEST(TransactionTable, ZeroCapacityRefusesEverything) {
  uint64_t now = 0;
  RecordingActions actions(now);
  TxnTableConfig config;
  config.capacity = 0;
  TransactionTable table(config, actions, 0);
  EXPECT_EQ(table.create_client("z9hG4bK1", "INVITE", false, {}, 0), nullptr);
  EXPECT_EQ(table.capacity(), 0u);
}

// --- timers through the table ---

TEST_F(TableTest, TimersFireThroughTheTableAndFreeTheSlot) {
  RequestText options = numbered(1);
  Transaction* t = create(options);
  ASSERT_NE(t, nullptr);
  t->on_tu_response(table_.env(), 200, {3, 0, 100}, 0);
  EXPECT_EQ(t->timeout_timer(), TxnTimer::kJ);
  // A retransmission is found and answered from the stored response.
  Transaction* again = find(options);
  ASSERT_EQ(again, t);
  again->on_request_retransmission(table_.env(), 100);
  ASSERT_EQ(actions_.retransmitted.size(), 1u);
  EXPECT_EQ(actions_.retransmitted[0].buffer, 3u);

  now_ = 31999;
  table_.advance(now_);
  EXPECT_EQ(table_.live(), 1u);
  now_ = 32000;  // Timer J
  EXPECT_EQ(table_.advance(now_), 1u);
  EXPECT_EQ(actions_.times("terminated"), (std::vector<uint64_t>{32000}));
  EXPECT_EQ(table_.live(), 0u);
  EXPECT_EQ(find(options), nullptr);
  EXPECT_EQ(table_.wheel().armed(), 0u);
}

TEST_F(TableTest, ClientTimeoutThroughTheTable) {
  Transaction* t = table_.create_client("z9hG4bKx", "INVITE", false, {5, 0, 10}, 0);
  ASSERT_NE(t, nullptr);
  for (now_ = 1; now_ <= 32000; ++now_) table_.advance(now_);
  EXPECT_EQ(actions_.times("retransmit"),
            (std::vector<uint64_t>{500, 1500, 3500, 7500, 15500, 31500}));
  EXPECT_EQ(actions_.times("failed Timer B"), (std::vector<uint64_t>{32000}));
  EXPECT_EQ(table_.live(), 0u);
}

TEST_F(TableTest, OwnerMayCreateATransactionFromATimerCallback) {
  // Timer C: the proxy CANCELs the branch, a new client transaction, from inside the callback.
  Transaction* inv = table_.create_client("z9hG4bKc1", "INVITE", false, {}, 0);
  ASSERT_NE(inv, nullptr);
  inv->on_response(table_.env(), 180, 10);
  Transaction* cancel = nullptr;
  actions_.on_timer_c = [&](Transaction&) {
    cancel = table_.create_client("z9hG4bKc1", "CANCEL", false, {}, now_);
  };
  now_ = 181010;
  table_.advance(now_);
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->state(), TxnState::kTrying);
  EXPECT_EQ(table_.live(), 2u);
}

TEST(TransactionTable, ManyTransactionsAllMatchTheirOwn) {
  uint64_t now = 0;
  RecordingActions actions(now);
  TxnTableConfig config;
  config.capacity = 5000;
  TransactionTable table(config, actions, 0);
  std::vector<Transaction*> created;
  for (int i = 0; i < 5000; ++i) {
    created.push_back(table.create_server(*Parsed(numbered(i)), false, {}, 0));
    ASSERT_NE(created.back(), nullptr);
  }
  EXPECT_EQ(table.create_server(*Parsed(numbered(5000)), false, {}, 0), nullptr);
  for (int i = 0; i < 5000; i += 7) EXPECT_EQ(table.find_server(*Parsed(numbered(i))), created[i]);
  // Free every other one; the rest still match, the freed ones do not.
  for (int i = 0; i < 5000; i += 2) created[i]->abandon(table.env());
  EXPECT_EQ(table.live(), 2500u);
  for (int i = 0; i < 5000; i += 5) {
    EXPECT_EQ(table.find_server(*Parsed(numbered(i))), i % 2 ? created[i] : nullptr);
  }
}

// --- memory ---

TEST(TransactionTable, BytesPerLiveTransactionStayUnderTwoKilobytes) {
  const std::size_t bytes = TransactionTable::bytes_per_transaction();
  std::printf("[ txn ] sizeof(Transaction) = %zu, with index buckets = %zu bytes\n",
              sizeof(Transaction), bytes);
  EXPECT_LT(bytes, 2048u);
  EXPECT_EQ(bytes, sizeof(Transaction) + 8);
}

}  // namespace
}  // namespace sipwire
