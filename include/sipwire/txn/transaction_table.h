// One shard's transactions: a fixed pool, the index that matches messages to them (RFC 3261
// §17.1.3, §17.2.3), and the timer wheel that drives them.
//
// Everything is allocated once, when the table is built: `capacity` transactions, an index of
// 2 x capacity buckets (rounded to a power of two), the wheel's slots. After that, create,
// match, timers and release allocate nothing, throw nothing and take no lock (a table belongs
// to one worker). When the pool is full, create_* return nullptr: the caller answers 503.
//
// Memory per transaction: sizeof(Transaction) plus 8 bytes of index buckets, 408 bytes with
// g++ 12 on x86-64 (bytes_per_transaction(); the txn tests print it and hold it under 2 KB):
// the match key 224 (200 bytes of key text), three timer entries 96, two MessageRefs 24,
// the To-tag hashes of the RFC 2543 rule 16, state and pool bookkeeping 40. The pool is
// allocated whole, so 100,000 transactions take 40 MB per worker, live or not. Message bytes
// are not in it: the owner keeps them (MessageRef). The wheel adds a fixed 16 bytes per slot
// (64 KB for 4096 slots).
//
// Matching (keys in match_key.h):
//  - server, §17.2.3: a request whose top Via branch has the magic cookie matches by branch +
//    sent-by + method, an ACK matching the INVITE's transaction; a CANCEL is a transaction of
//    its own, and find_invite_for_cancel finds the INVITE it cancels (§9.2);
//  - server, RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq, top Via, and the To tag
//    (the request's; for an ACK, the To tag of the response the transaction sent, which the
//    owner records with set_response_to_tag);
//  - client, §17.1.3: a response matches by its top Via branch and its CSeq method.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sipwire/message.h"
#include "sipwire/txn/timer_wheel.h"
#include "sipwire/txn/transaction.h"
#include "sipwire/txn/txn_actions.h"
#include "sipwire/txn/txn_types.h"

namespace sipwire {

struct TxnTableConfig {
  uint32_t capacity = 100000;  // max_transactions_per_worker
  TxnTimerConfig timers;
  TimerWheelConfig wheel;
  // Seeds the index hash, so nobody outside can aim messages at one bucket. 0: the table draws
  // its own from std::random_device, as the process's shards do (config_mapping.cpp); tests
  // keep this fixed one for reproducibility.
  uint64_t hash_seed = 0x243f6a8885a308d3ull;
};

struct TxnTableCounters {
  uint64_t created = 0;
  uint64_t exhausted = 0;  // create_* refused: pool full (the caller answered 503)
  uint64_t released = 0;
};

class TransactionTable {
 public:
  TransactionTable(const TxnTableConfig& config, TxnActions& actions, uint64_t now_ms);
  ~TransactionTable();
  TransactionTable(const TransactionTable&) = delete;
  TransactionTable& operator=(const TransactionTable&) = delete;

  // --- server transactions (requests in) ---
  // The transaction `request` belongs to (a retransmission, or an ACK for the INVITE's
  // non-2xx response), or nullptr for a new request.
  Transaction* find_server(const Message& request);
  // A request's server-transaction key, as find_server built it: create_server takes it back,
  // so the key is built once per request, and from the request as it arrived (before a
  // strict-routing fix-up moves its Request-URI, which the RFC 2543 key holds).
  struct ServerKey {
    MatchKey key;
    KeyClass key_class = KeyClass::kServerRfc3261;
  };
  // find_server, keeping the key in `key` (an ACK's or CANCEL's lookup key is not the key of a
  // transaction of their own: use find_server for them).
  Transaction* find_server(const Message& request, ServerKey& key);
  // The INVITE server transaction a CANCEL request cancels, or nullptr.
  Transaction* find_invite_for_cancel(const Message& cancel);
  // A new server transaction for `request`, started (INVITE: Proceeding; other: Trying).
  // nullptr when the pool is full (answer 503) or the request is an ACK (never a
  // transaction of its own). Call find_server first: duplicates are not checked.
  Transaction* create_server(const Message& request, bool reliable, MessageRef bytes,
                             uint64_t now_ms);
  // The same with the key find_server(request, key) kept (nullptr: built here).
  Transaction* create_server(const Message& request, const ServerKey* key, bool reliable,
                             MessageRef bytes, uint64_t now_ms);
  // The To tag of the final response the transaction sent: the RFC 2543 ACK rule compares it.
  void set_response_to_tag(Transaction& t, std::string_view to_tag);

  // --- client transactions (requests out, responses in) ---
  // The transaction `response` belongs to, or nullptr (a stray response).
  Transaction* find_client(const Message& response);
  // A new client transaction for a request the owner has just sent with this top Via branch
  // and method, started (INVITE: Calling; other: Trying). nullptr when the pool is full or
  // the method is ACK.
  Transaction* create_client(std::string_view branch, std::string_view method, bool reliable,
                             MessageRef request, uint64_t now_ms);

  // The transaction a handle names, or nullptr once it has ended.
  Transaction* get(TxnHandle handle);

  // Fires every due timer; each goes to its transaction. Call it from the worker's loop.
  std::size_t advance(uint64_t now_ms);

  // What inputs need (Transaction::on_response(table.env(), ...)).
  TxnEnv& env() { return env_; }
  std::size_t live() const { return live_; }
  std::size_t capacity() const { return capacity_; }
  // The seed of the index hash: TxnTableConfig::hash_seed, or the one drawn for 0.
  uint64_t hash_seed() const { return seed_; }
  const TxnTableCounters& counters() const { return counters_; }
  const TimerWheel& wheel() const { return wheel_; }

  static constexpr std::size_t kBucketsPerTransaction = 2;
  static constexpr std::size_t bytes_per_transaction() {
    return sizeof(Transaction) + kBucketsPerTransaction * sizeof(uint32_t);
  }

 private:
  // Forwards the owner's actions and frees a slot once terminated() has returned.
  class Releaser : public TxnActions {
   public:
    Releaser(TransactionTable& table, TxnActions& owner) : table_(table), owner_(owner) {}
    void retransmit(Transaction& t) override { owner_.retransmit(t); }
    void send_ack(Transaction& t, uint16_t status) override { owner_.send_ack(t, status); }
    void pass_response(Transaction& t, uint16_t status) override {
      owner_.pass_response(t, status);
    }
    void timer_c_fired(Transaction& t) override { owner_.timer_c_fired(t); }
    void failed(Transaction& t, TxnFailure why) override { owner_.failed(t, why); }
    void terminated(Transaction& t) override;

   private:
    TransactionTable& table_;
    TxnActions& owner_;
  };

  static constexpr uint32_t kNil = 0xFFFFFFFF;

  Transaction* allocate();
  void release(Transaction& t);
  void index(Transaction& t);
  void unindex(Transaction& t);
  Transaction* lookup(const MatchKey& key, KeyClass key_class, const Message* request,
                      bool ack_rule);
  Transaction* find_server_as(const Message& request, bool as_invite);
  KeyClass server_key(const Message& request, bool as_invite, MatchKey& key) const;
  void client_key(std::string_view branch, std::string_view method, MatchKey& key) const;

  const std::size_t capacity_;
  const uint64_t seed_;
  TxnTimerConfig timers_;
  TimerWheel wheel_;
  Releaser releaser_;
  TxnEnv env_;
  std::unique_ptr<Transaction[]> pool_;
  std::unique_ptr<uint32_t[]> buckets_;
  std::size_t bucket_mask_;
  uint32_t free_head_ = kNil;
  std::size_t live_ = 0;
  TxnTableCounters counters_;
};

}  // namespace sipwire
