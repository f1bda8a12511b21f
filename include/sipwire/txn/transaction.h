// One SIP transaction (RFC 3261 §17): the state of one of the four machines, its timers and
// the key it is matched by. A fixed-size record (see TransactionTable for the bytes it takes),
// preallocated in a shard's pool; it holds no message bytes, only the owner's MessageRefs.
//
// The owner feeds it inputs; it answers through TxnEnv::actions (txn_actions.h). The owner
// transmits the first copy of what it creates (the request of a client transaction, each
// response of a server transaction) and then tells the transaction; the transaction asks for
// every retransmission. Unreliable transports (UDP) retransmit; on reliable ones (TCP, TLS,
// SCTP) Timers A, E and G are not used and D, I, J, K are zero.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipwire/txn/match_key.h"
#include "sipwire/txn/timer_wheel.h"
#include "sipwire/txn/txn_actions.h"
#include "sipwire/txn/txn_types.h"

namespace sipwire {

namespace txn_detail {
struct Machine;
}

class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  TxnKind kind() const { return kind_; }
  TxnState state() const { return state_; }
  bool reliable() const { return reliable_; }
  bool is_client() const {
    return kind_ == TxnKind::kInviteClient || kind_ == TxnKind::kNonInviteClient;
  }
  bool is_invite() const {
    return kind_ == TxnKind::kInviteClient || kind_ == TxnKind::kInviteServer;
  }
  TxnHandle handle() const { return {index_, generation_}; }

  // Client: the last response received. Server: the last response sent. 0 before any.
  uint16_t last_status() const { return last_status_; }
  // INVITE client: a provisional response above 100 was received (§16.8 decides between
  // CANCEL and 408 on Timer C by it).
  bool provisional_received() const { return provisional_received_; }
  // The timer each role holds now (kNone when idle): for tests and diagnostics.
  TxnTimer retransmit_timer() const {
    return retransmit_.armed() ? retransmit_letter_ : TxnTimer::kNone;
  }
  TxnTimer timeout_timer() const { return timeout_.armed() ? timeout_letter_ : TxnTimer::kNone; }
  bool timer_c_armed() const { return timer_c_.armed(); }

  // The owner's references to the bytes (see MessageRef), and a word of its own (say, the
  // index of the proxy's response context this transaction belongs to).
  MessageRef request() const { return request_; }
  void set_request(MessageRef ref) { request_ = ref; }
  MessageRef last_response() const { return last_response_; }
  uint64_t user_data() const { return user_data_; }
  void set_user_data(uint64_t value) { user_data_ = value; }

  // --- Starting (a TransactionTable does this in create_client / create_server) ---
  // Client: the owner has sent the request. INVITE: Calling (A, B, C); other: Trying (E, F).
  void start_client(TxnEnv& env, bool invite, bool reliable, uint64_t now_ms);
  // Server: a request created it. INVITE: Proceeding; other: Trying. No timers yet.
  void start_server(TxnEnv& env, bool invite, bool reliable, uint64_t now_ms);

  // --- Client inputs ---
  // A response matched this transaction (§17.1.3).
  void on_response(TxnEnv& env, uint16_t status, uint64_t now_ms);

  // --- Server inputs ---
  // The owner sent a response through the transaction (the TU's response, §17.2.1/§17.2.2);
  // `bytes` locates it, to resend it. Responses not allowed in the current state are
  // ignored (the owner should not have sent them).
  void on_tu_response(TxnEnv& env, uint16_t status, MessageRef bytes, uint64_t now_ms);
  // The request that created the transaction arrived again.
  void on_request_retransmission(TxnEnv& env, uint64_t now_ms);
  // INVITE server: an ACK matched (the ACK for a non-2xx final response).
  void on_ack(TxnEnv& env, uint64_t now_ms);

  // --- Both ---
  // One of this transaction's timers fired (the wheel's callback routes it here).
  void on_timer(TxnEnv& env, const TimerEntry& fired, uint64_t now_ms);
  // The transport could not send (§17.1.4, §17.2.4): failed, then terminated.
  void on_transport_error(TxnEnv& env);
  // The TU gives the transaction up (Timer C without a provisional response, shutdown).
  void abandon(TxnEnv& env);

 private:
  friend struct txn_detail::Machine;
  friend class TransactionTable;

  // Identity and state: 16 bytes.
  TxnKind kind_ = TxnKind::kNonInviteServer;
  TxnState state_ = TxnState::kIdle;
  bool reliable_ = false;
  bool provisional_received_ = false;
  TxnTimer retransmit_letter_ = TxnTimer::kNone;  // A, E or G
  TxnTimer timeout_letter_ = TxnTimer::kNone;     // B, D, F, H, I, J or K
  uint16_t last_status_ = 0;
  uint32_t retransmit_interval_ms_ = 0;  // the interval the next A/E/G restart doubles
  uint32_t index_ = 0;                   // in the pool; owner of the timer entries

  // Pool bookkeeping: 8 bytes.
  uint32_t generation_ = 0;
  uint32_t next_ = 0xFFFFFFFF;  // next in the index bucket, or in the free list

  uint64_t user_data_ = 0;
  MessageRef request_;
  MessageRef last_response_;

  // Two timer roles cover every machine (A/E/G retransmit while B/D/F/H/I/J/K bound the
  // state), plus the proxy's Timer C.
  TimerEntry retransmit_;
  TimerEntry timeout_;
  TimerEntry timer_c_;

  // Matching (TransactionTable): the key, and for RFC 2543 server transactions the To tags
  // the fallback rule compares (the request's; the response's, for the ACK).
  uint64_t request_to_tag_hash_ = 0;
  uint64_t response_to_tag_hash_ = 0;
  KeyClass key_class_ = KeyClass::kClient;
  MatchKey key_;
};

}  // namespace sipwire
