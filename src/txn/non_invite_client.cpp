// RFC 3261 §17.1.2: the non-INVITE client transaction.
//
//   Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
//   Trying --200-699--> Completed
//   Trying/Proceeding --Timer F--> Terminated (failed)
#include "machine.h"

namespace sipwire::txn_detail {

void Machine::non_invite_client_start(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  enter(t, TxnState::kTrying);
  const TxnTimerConfig& c = env.timers;
  if (!t.reliable_) arm_retransmit(t, env, TxnTimer::kE, c.t1_ms, now_ms);
  arm_timeout(t, env, TxnTimer::kF, uint64_t{64} * c.t1_ms, now_ms);
}

void Machine::non_invite_client_response(Transaction& t, TxnEnv& env, uint16_t status,
                                         uint64_t now_ms) {
  if (t.state_ != TxnState::kTrying && t.state_ != TxnState::kProceeding) return;
  t.last_status_ = status;
  const uint32_t generation = t.generation_;
  env.actions.pass_response(t, status);
  if (gone(t, generation)) return;
  if (status < 200) {
    enter(t, TxnState::kProceeding);  // Timer E keeps running; it will fire at T2
    return;
  }
  env.wheel.stop(t.timeout_);
  linger(t, env, TxnState::kCompleted, TxnTimer::kK, t.reliable_ ? 0 : env.timers.t4_ms, now_ms);
}

void Machine::non_invite_client_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  // Timer E: in Trying the interval doubles up to T2; in Proceeding it is T2.
  uint32_t next;
  if (t.state_ == TxnState::kTrying) {
    next = doubled(t.retransmit_interval_ms_, env.timers.t2_ms);
  } else if (t.state_ == TxnState::kProceeding) {
    next = env.timers.t2_ms;
  } else {
    return;
  }
  const uint32_t generation = t.generation_;
  env.actions.retransmit(t);
  if (gone(t, generation)) return;
  arm_retransmit(t, env, TxnTimer::kE, next, now_ms);
}

void Machine::non_invite_client_timeout_timer(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kTrying || t.state_ == TxnState::kProceeding) {
    fail(t, env, TxnFailure::kTimerF);
  } else if (t.state_ == TxnState::kCompleted) {
    terminate(t, env);  // Timer K
  }
}

}  // namespace sipwire::txn_detail
