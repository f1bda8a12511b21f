// The four state machines of RFC 3261 §17, one file each, over the state a Transaction holds.
// Transaction's inputs dispatch here by kind; the helpers keep timer bookkeeping in one place.
#pragma once

#include <cstdint>

#include "sipwire/txn/transaction.h"

namespace sipwire::txn_detail {

struct Machine {
  // --- shared (transaction.cpp) ---
  static void enter(Transaction& t, TxnState state) { t.state_ = state; }
  static void arm_retransmit(Transaction& t, TxnEnv& env, TxnTimer letter, uint32_t interval_ms,
                             uint64_t now_ms);
  static void arm_timeout(Transaction& t, TxnEnv& env, TxnTimer letter, uint64_t delay_ms,
                          uint64_t now_ms);
  // Enters Completed or Confirmed with its linger timer (D, I, J, K); a zero linger (reliable
  // transports) terminates at once.
  static void linger(Transaction& t, TxnEnv& env, TxnState state, TxnTimer letter,
                     uint64_t delay_ms, uint64_t now_ms);
  static void stop_timers(Transaction& t, TxnEnv& env);
  // Terminated: timers stopped, terminated() called. The caller returns right after: the
  // owner may have reused the slot.
  static void terminate(Transaction& t, TxnEnv& env);
  static void fail(Transaction& t, TxnEnv& env, TxnFailure why);
  // After a callback: whether the owner abandoned the transaction inside it (its slot may
  // even hold a new transaction now), so the machine must not touch it again.
  static bool gone(const Transaction& t, uint32_t generation) {
    return t.generation_ != generation || t.state_ == TxnState::kTerminated ||
           t.state_ == TxnState::kIdle;
  }
  // The retransmission interval after `current`: doubled, at most `cap` (0: no cap).
  static uint32_t doubled(uint32_t current, uint32_t cap);

  // --- §17.1.1 INVITE client (invite_client.cpp) ---
  static void invite_client_start(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void invite_client_response(Transaction& t, TxnEnv& env, uint16_t status, uint64_t now_ms);
  static void invite_client_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void invite_client_timeout_timer(Transaction& t, TxnEnv& env);

  // --- §17.1.2 non-INVITE client (non_invite_client.cpp) ---
  static void non_invite_client_start(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void non_invite_client_response(Transaction& t, TxnEnv& env, uint16_t status,
                                         uint64_t now_ms);
  static void non_invite_client_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void non_invite_client_timeout_timer(Transaction& t, TxnEnv& env);

  // --- §17.2.1 INVITE server (invite_server.cpp) ---
  static void invite_server_tu_response(Transaction& t, TxnEnv& env, uint16_t status,
                                        MessageRef bytes, uint64_t now_ms);
  static void invite_server_retransmission(Transaction& t, TxnEnv& env);
  static void invite_server_ack(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void invite_server_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms);
  static void invite_server_timeout_timer(Transaction& t, TxnEnv& env);

  // --- §17.2.2 non-INVITE server (non_invite_server.cpp) ---
  static void non_invite_server_tu_response(Transaction& t, TxnEnv& env, uint16_t status,
                                            MessageRef bytes, uint64_t now_ms);
  static void non_invite_server_retransmission(Transaction& t, TxnEnv& env);
  static void non_invite_server_timeout_timer(Transaction& t, TxnEnv& env);
};

}  // namespace sipwire::txn_detail
