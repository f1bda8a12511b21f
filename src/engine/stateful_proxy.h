// The transaction-stateful proxy of RFC 3261 §16, on the shard's transaction table.
//
// A new request (not ACK) gets a server transaction and a response context; an INVITE is
// answered 100 Trying at once. Its targets are forked: targets of equal q in parallel, groups
// of lower q one after another when a group ends without a 2xx or 6xx (§16.6, q-values). Each
// branch is a client transaction that retransmits its own copy of the request.
//
// Responses (§16.7): provisional ones above 100 go upstream at once, 2xx too (and every later
// 2xx of another branch); final non-2xx responses wait in the context until every branch has
// one, then the best goes upstream: a 6xx before all others, else the lowest class, 401/407/
// 415/420/484 first among 4xx; 401/407 challenges of every branch merged into it; a 503 sent
// as 500; 408 when no branch answered. A 2xx or 6xx CANCELs the other pending branches
// (§16.7 step 10); a CANCEL from the UAC is answered 200 and CANCELs every pending branch
// (§16.10); a branch with no provisional response yet is cancelled as soon as it gets one
// (§9.1). Timer C (§16.8) CANCELs a ringing branch and gives up a silent one as a 408.
//
// The ACK of a 2xx is a new transaction and is forwarded statelessly by the caller; an ACK of
// our non-2xx final response is absorbed by the server transaction; retransmitted requests are
// absorbed and answered with the last response.
//
// Message copies live in the shard's MessageStore; transactions and contexts in fixed pools.
// When either is full the request is answered 503 with Retry-After.
//
// A target that is a destination-set hop fails over: a 503 or a timeout from it starts a
// branch to the set's next usable hop (DestinationSelector, the hops tried so far excluded), in
// the same server transaction; the caller sees only the final outcome.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sipwire/engine/destination_set.h"
#include "sipwire/engine/local_ends.h"
#include "sipwire/engine/message_edits.h"
#include "sipwire/engine/message_store.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/engine/route_signature.h"
#include "sipwire/message.h"
#include "sipwire/net_address.h"
#include "sipwire/txn/transaction_table.h"
#include "target_set.h"

namespace sipwire {

struct StatefulSettings {
  LocalEnds ends;  // our addresses, as in Via and Route ("[v6]")
  uint8_t shard = 0;
  bool record_route = true;
  RouteKey route_key;  // EngineSettings::route_key
  // EngineSettings::nat_alias, and which hosts are ours (a Contact naming us is not aliased).
  bool nat_alias = true;
  std::function<bool(std::string_view)> is_our_host;
  TxnTableConfig table;
  std::size_t store_bytes = 64u << 20;
  // The shard's selectors of the destination sets, for failover (may be null: no sets).
  std::vector<DestinationSelector>* selectors = nullptr;
};

struct StatefulCounters {
  uint64_t server_transactions = 0;  // requests proxied statefully
  uint64_t branches = 0;             // client transactions started (forks included)
  uint64_t retransmissions_absorbed = 0;
  uint64_t acks_absorbed = 0;
  uint64_t cancels_received = 0;   // CANCELs that matched an INVITE
  uint64_t cancels_sent = 0;       // CANCELs of branches
  uint64_t branch_timeouts = 0;    // branches that ended as 408 (Timer B/F/C)
  uint64_t failovers = 0;          // branches started on a set's next hop after a 503/timeout
  uint64_t viafree_responses = 0;  // responses with only our Via: not relayed (§16.7 step 3)
  uint64_t final_responses = 0;    // best responses sent upstream
  uint64_t overloaded = 0;         // 503: no transaction, context or store space
};

// The context's request in its forwarded form: what render_forward needs from the caller.
struct ForwardRequest {
  uint64_t transaction_hash = 0;  // names the transaction; branch i is hash + i
  uint32_t loop_hash = 0;
  uint8_t pop_routes = false;
  // A policy rule's header edits (offsets into the request; texts owned by the policy, which
  // outlives the transaction). Copied into the response context.
  const MessageEdits* extra = nullptr;
  NetAddress ingress;  // the listen address it came in at (invalid: not known)
};

class StatefulProxy final : private TxnActions {
 public:
  StatefulProxy(const StatefulSettings& settings, uint64_t now_ms);
  ~StatefulProxy() override;

  // Requests in. True when `m` belonged to a transaction: a retransmission (answered with the
  // last response), the ACK of a non-2xx final response, or a CANCEL of a pending INVITE
  // (answered 200 here). False: the caller routes it (a new request; an ACK of a 2xx or a
  // CANCEL we know nothing of go on statelessly).
  bool absorb(const Message& m, const NetAddress& source, Outbox& out, uint64_t now_ms);

  // A new request (not ACK, not CANCEL) to proxy to `targets` (at least one).
  void proxy(const Message& m, const NetAddress& source, const TargetSet& targets,
             const ForwardRequest& fwd, Outbox& out, uint64_t now_ms);

  // Responses in. True when `m` matched a client transaction of ours; false: the caller relays
  // it by its Via (a 2xx retransmission after the transaction ended).
  bool on_response(const Message& m, const NetAddress& source, Outbox& out, uint64_t now_ms);

  // Runs the transaction timers due at now_ms.
  void tick(Outbox& out, uint64_t now_ms);

  const StatefulCounters& counters() const { return counters_; }
  const TransactionTable& table() const { return table_; }
  const MessageStore& store() const { return store_; }
  std::size_t live_contexts() const { return live_contexts_; }

 private:
  struct Branch;
  struct Context;

  // TxnActions
  void retransmit(Transaction& t) override;
  void send_ack(Transaction& t, uint16_t status) override;
  void pass_response(Transaction& t, uint16_t status) override;
  void timer_c_fired(Transaction& t) override;
  void failed(Transaction& t, TxnFailure why) override;
  void terminated(Transaction& t) override;

  Context* context_of(const Transaction& t, int& role);
  Context* allocate_context();
  void free_context(Context& c);
  // A non-INVITE context whose final response went upstream: releases the copies nothing
  // will read again (see the definition). send_stored_upstream detaches the server
  // transaction.
  void release_after_final(Context& c);
  // Forks the next group of targets (equal q); false when there is none left. `original`
  // when the caller has the request parsed, else the stored copy is parsed again.
  bool start_next_group(Context& c, const Message* original);
  // `received`: `o` is the request being handled now (its bytes lie in the received datagram),
  // not one parsed again from the store.
  void start_branch(Context& c, std::size_t i, const Message& o, bool received);
  void cancel_branch(Context& c, std::size_t i);
  // After a 503 or a timeout on a destination-set hop: a new branch to the set's next usable
  // hop. False when there is none (or the target was not a set).
  bool fail_over(Context& c, std::size_t failed);
  void cancel_pending(Context& c, std::size_t except);
  // Sends the best response upstream once every branch has a final one (§16.7 step 4).
  void maybe_finish(Context& c);
  void send_best(Context& c);
  // A response generated here from the original request (100, 408, 500): `original` when the
  // caller has it parsed, else the stored copy is parsed again.
  void respond_generated(Context& c, uint16_t code, std::string_view reason,
                         const Message* original);
  // Sends a response upstream through the server transaction, stored for its retransmission.
  void send_upstream(Context& c, uint16_t status, std::span<const std::string_view> segments);
  void send_stored_upstream(Context& c, uint16_t status, MessageRef ref, std::string_view bytes);
  void overloaded(const Message& m, const NetAddress& source);
  const Message& parse_stored(const MessageRef& ref, Message& into);

  StatefulSettings settings_;
  MessageStore store_;
  TransactionTable table_;
  // The server-transaction key absorb() built for the request it let through, for proxy() of
  // the same request (set only then; any other absorb() or proxy() clears it).
  TransactionTable::ServerKey arrival_key_;
  const Message* arrival_key_for_ = nullptr;
  std::vector<Context> contexts_;
  std::vector<uint32_t> free_contexts_;
  // Where a detached non-INVITE server transaction resends its final response, and from
  // which listen address (where its request came in), by the transaction's pool index (see
  // release_after_final).
  struct DetachedReply {
    NetAddress to;
    NetAddress from;
  };
  std::vector<DetachedReply> detached_reply_to_;
  std::size_t live_contexts_ = 0;
  std::unique_ptr<Message> scratch_;  // stored messages re-parsed (original, branch request)
  std::unique_ptr<Message> scratch2_;
  // The input being processed, for the callbacks it triggers.
  Outbox* out_ = nullptr;
  uint64_t now_ms_ = 0;
  const Message* response_ = nullptr;  // the response being received (pass_response/send_ack)
  NetAddress response_source_;         // where it came from
  StatefulCounters counters_;
};

}  // namespace sipwire
