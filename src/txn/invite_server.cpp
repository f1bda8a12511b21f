// RFC 3261 §17.2.1: the INVITE server transaction.
//
//   Proceeding --300-699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
//   Proceeding --2xx from TU--> Accepted --Timer L (64*T1)--> Terminated (RFC 6026: the
//   transaction stays to absorb retransmissions of the INVITE; 2xx retransmission is the TU's
//   job, and a proxy forwards later 2xx statelessly, §16.7)
//   Completed --Timer H--> Terminated (failed)
// A retransmitted INVITE gets the last response again: the last provisional in Proceeding,
// the final one in Completed; in Confirmed and Accepted it is absorbed.
#include "machine.h"

namespace sipwire::txn_detail {

void Machine::invite_server_tu_response(Transaction& t, TxnEnv& env, uint16_t status,
                                        MessageRef bytes, uint64_t now_ms) {
  if (t.state_ == TxnState::kAccepted && status >= 200 && status < 300) {
    t.last_status_ = status;  // another 2xx (a fork's): the TU sends it, nothing to keep
    return;
  }
  if (t.state_ != TxnState::kProceeding) return;
  t.last_status_ = status;
  t.last_response_ = bytes;
  if (status < 200) return;
  if (status < 300) {
    env.wheel.stop(t.retransmit_);
    enter(t, TxnState::kAccepted);
    arm_timeout(t, env, TxnTimer::kL, uint64_t{64} * env.timers.t1_ms, now_ms);
    return;
  }
  enter(t, TxnState::kCompleted);
  const TxnTimerConfig& c = env.timers;
  if (!t.reliable_) arm_retransmit(t, env, TxnTimer::kG, c.t1_ms, now_ms);
  arm_timeout(t, env, TxnTimer::kH, uint64_t{64} * c.t1_ms, now_ms);
}

void Machine::invite_server_retransmission(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kCompleted ||
      (t.state_ == TxnState::kProceeding && !t.last_response_.empty())) {
    env.actions.retransmit(t);
  }
}

void Machine::invite_server_ack(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  if (t.state_ != TxnState::kCompleted) return;  // Confirmed: absorbed
  env.wheel.stop(t.timeout_);
  linger(t, env, TxnState::kConfirmed, TxnTimer::kI, t.reliable_ ? 0 : env.timers.t4_ms, now_ms);
}

void Machine::invite_server_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  if (t.state_ != TxnState::kCompleted) return;
  // Timer G: resend the final response, the interval doubling up to T2.
  const uint32_t generation = t.generation_;
  env.actions.retransmit(t);
  if (gone(t, generation)) return;
  arm_retransmit(t, env, TxnTimer::kG, doubled(t.retransmit_interval_ms_, env.timers.t2_ms),
                 now_ms);
}

void Machine::invite_server_timeout_timer(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kCompleted) {
    fail(t, env, TxnFailure::kTimerH);
  } else if (t.state_ == TxnState::kConfirmed || t.state_ == TxnState::kAccepted) {
    terminate(t, env);  // Timer I, Timer L
  }
}

}  // namespace sipwire::txn_detail
