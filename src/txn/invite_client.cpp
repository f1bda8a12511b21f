// RFC 3261 §17.1.1: the INVITE client transaction, with the proxy's Timer C (§16.6 step 11,
// §16.7 step 2, §16.8).
//
//   Calling --1xx--> Proceeding --300-699 (ACK sent)--> Completed --Timer D--> Terminated
//   Calling/Proceeding --2xx--> Terminated (the TU ACKs a 2xx itself)
//   Calling --Timer B--> Terminated (failed)
#include "machine.h"

namespace sipwire::txn_detail {

void Machine::invite_client_start(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  enter(t, TxnState::kCalling);
  const TxnTimerConfig& c = env.timers;
  if (!t.reliable_) arm_retransmit(t, env, TxnTimer::kA, c.t1_ms, now_ms);
  arm_timeout(t, env, TxnTimer::kB, uint64_t{64} * c.t1_ms, now_ms);
  if (c.timer_c_ms != 0) env.wheel.start(t.timer_c_, now_ms, c.timer_c_ms);
}

void Machine::invite_client_response(Transaction& t, TxnEnv& env, uint16_t status,
                                     uint64_t now_ms) {
  const bool calling = t.state_ == TxnState::kCalling;
  const bool proceeding = t.state_ == TxnState::kProceeding;
  if (calling || proceeding) {
    t.last_status_ = status;
    if (status < 200) {
      // Calling: stop retransmitting; Timer B only bounds Calling (§17.1.1.2).
      if (calling) {
        env.wheel.stop(t.retransmit_);
        env.wheel.stop(t.timeout_);
        enter(t, TxnState::kProceeding);
      }
      // §16.7 step 2: provisionals 101-199 restart Timer C; 100 is hop-by-hop and does not.
      if (status > 100) {
        t.provisional_received_ = true;
        if (t.timer_c_.armed()) env.wheel.start(t.timer_c_, now_ms, env.timers.timer_c_ms);
      }
      env.actions.pass_response(t, status);
      return;
    }
    const uint32_t generation = t.generation_;
    if (status < 300) {
      env.actions.pass_response(t, status);
      if (!gone(t, generation)) terminate(t, env);
      return;
    }
    // Timers stop first: the owner may abandon the transaction from either callback.
    env.wheel.stop(t.retransmit_);
    env.wheel.stop(t.timeout_);
    env.wheel.stop(t.timer_c_);
    env.actions.send_ack(t, status);
    if (gone(t, generation)) return;
    env.actions.pass_response(t, status);
    if (gone(t, generation)) return;
    linger(t, env, TxnState::kCompleted, TxnTimer::kD, t.reliable_ ? 0 : env.timers.timer_d_ms,
           now_ms);
    return;
  }
  // Completed: a retransmitted final response is ACKed again, not passed up.
  if (t.state_ == TxnState::kCompleted && status >= 300) env.actions.send_ack(t, status);
}

void Machine::invite_client_retransmit_timer(Transaction& t, TxnEnv& env, uint64_t now_ms) {
  if (t.state_ != TxnState::kCalling) return;
  // Timer A: retransmit, then twice the interval, with no cap (Timer B ends it).
  const uint32_t generation = t.generation_;
  env.actions.retransmit(t);
  if (gone(t, generation)) return;
  arm_retransmit(t, env, TxnTimer::kA, doubled(t.retransmit_interval_ms_, 0), now_ms);
}

void Machine::invite_client_timeout_timer(Transaction& t, TxnEnv& env) {
  if (t.state_ == TxnState::kCalling) {
    fail(t, env, TxnFailure::kTimerB);
  } else if (t.state_ == TxnState::kCompleted) {
    terminate(t, env);  // Timer D
  }
}

}  // namespace sipwire::txn_detail
