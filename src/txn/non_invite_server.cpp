// RFC 3261 §17.2.2: the non-INVITE server transaction.
//
//   Trying --1xx from TU--> Proceeding --200-699 from TU--> Completed --Timer J--> Terminated
//   Trying --200-699 from TU--> Completed
// A retransmitted request is absorbed in Trying and answered with the last response in
// Proceeding and Completed. Further final responses from the TU in Completed are discarded.
#include "machine.h"

namespace sipwire::txn_detail {

void Machine::non_invite_server_tu_response(Transaction& t, TxnEnv& env, uint16_t status,
                                            MessageRef bytes, uint64_t now_ms) {
  if (t.state_ != TxnState::kTrying && t.state_ != TxnState::kProceeding) return;
  t.last_status_ = status;
  t.last_response_ = bytes;
  if (status < 200) {
    enter(t, TxnState::kProceeding);
    return;
  }
  linger(t, env, TxnState::kCompleted, TxnTimer::kJ,
         t.reliable_ ? 0 : uint64_t{64} * env.timers.t1_ms, now_ms);
}

void Machine::non_invite_server_retransmission(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kProceeding || t.state_ == TxnState::kCompleted) {
    env.actions.retransmit(t);
  }
}

void Machine::non_invite_server_timeout_timer(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kCompleted) terminate(t, env);  // Timer J
}

}  // namespace sipwire::txn_detail
