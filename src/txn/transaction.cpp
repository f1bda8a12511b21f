// Transaction's inputs: dispatch to the machine of its kind, plus the timer bookkeeping all
// four machines share.
#include "sipwire/txn/transaction.h"

#include "machine.h"

namespace sipwire {

using txn_detail::Machine;

namespace txn_detail {

void Machine::arm_retransmit(Transaction& t, TxnEnv& env, TxnTimer letter, uint32_t interval_ms,
                             uint64_t now_ms) {
  t.retransmit_letter_ = letter;
  t.retransmit_interval_ms_ = interval_ms;
  env.wheel.start(t.retransmit_, now_ms, interval_ms);
}

void Machine::arm_timeout(Transaction& t, TxnEnv& env, TxnTimer letter, uint64_t delay_ms,
                          uint64_t now_ms) {
  t.timeout_letter_ = letter;
  env.wheel.start(t.timeout_, now_ms, delay_ms);
}

void Machine::linger(Transaction& t, TxnEnv& env, TxnState state, TxnTimer letter,
                     uint64_t delay_ms, uint64_t now_ms) {
  env.wheel.stop(t.retransmit_);
  env.wheel.stop(t.timer_c_);
  if (delay_ms == 0) {
    terminate(t, env);
    return;
  }
  enter(t, state);
  arm_timeout(t, env, letter, delay_ms, now_ms);
}

void Machine::stop_timers(Transaction& t, TxnEnv& env) {
  env.wheel.stop(t.retransmit_);
  env.wheel.stop(t.timeout_);
  env.wheel.stop(t.timer_c_);
}

void Machine::terminate(Transaction& t, TxnEnv& env) {
  stop_timers(t, env);
  enter(t, TxnState::kTerminated);
  env.actions.terminated(t);
}

void Machine::fail(Transaction& t, TxnEnv& env, TxnFailure why) {
  stop_timers(t, env);
  const uint32_t generation = t.generation_;
  env.actions.failed(t, why);
  if (!gone(t, generation)) terminate(t, env);
}

uint32_t Machine::doubled(uint32_t current, uint32_t cap) {
  const uint64_t next = uint64_t{current} * 2;
  if (cap != 0 && next > cap) return cap;
  return next > 0xFFFFFFFFull ? 0xFFFFFFFFu : static_cast<uint32_t>(next);
}

}  // namespace txn_detail

void Transaction::start_client(TxnEnv& env, bool invite, bool reliable, uint64_t now_ms) {
  kind_ = invite ? TxnKind::kInviteClient : TxnKind::kNonInviteClient;
  reliable_ = reliable;
  if (invite) {
    Machine::invite_client_start(*this, env, now_ms);
  } else {
    Machine::non_invite_client_start(*this, env, now_ms);
  }
}

void Transaction::start_server(TxnEnv&, bool invite, bool reliable, uint64_t) {
  kind_ = invite ? TxnKind::kInviteServer : TxnKind::kNonInviteServer;
  reliable_ = reliable;
  // §17.2.1: an INVITE server transaction starts in Proceeding (the TU sends 100 Trying);
  // §17.2.2: a non-INVITE one in Trying. Neither runs a timer until the TU answers.
  state_ = invite ? TxnState::kProceeding : TxnState::kTrying;
}

void Transaction::on_response(TxnEnv& env, uint16_t status, uint64_t now_ms) {
  if (kind_ == TxnKind::kInviteClient) {
    Machine::invite_client_response(*this, env, status, now_ms);
  } else if (kind_ == TxnKind::kNonInviteClient) {
    Machine::non_invite_client_response(*this, env, status, now_ms);
  }
}

void Transaction::on_tu_response(TxnEnv& env, uint16_t status, MessageRef bytes, uint64_t now_ms) {
  if (kind_ == TxnKind::kInviteServer) {
    Machine::invite_server_tu_response(*this, env, status, bytes, now_ms);
  } else if (kind_ == TxnKind::kNonInviteServer) {
    Machine::non_invite_server_tu_response(*this, env, status, bytes, now_ms);
  }
}

void Transaction::on_request_retransmission(TxnEnv& env, uint64_t) {
  if (kind_ == TxnKind::kInviteServer) {
    Machine::invite_server_retransmission(*this, env);
  } else if (kind_ == TxnKind::kNonInviteServer) {
    Machine::non_invite_server_retransmission(*this, env);
  }
}

void Transaction::on_ack(TxnEnv& env, uint64_t now_ms) {
  if (kind_ == TxnKind::kInviteServer) Machine::invite_server_ack(*this, env, now_ms);
}

void Transaction::on_timer(TxnEnv& env, const TimerEntry& fired, uint64_t now_ms) {
  if (state_ == TxnState::kIdle || state_ == TxnState::kTerminated) return;
  if (&fired == &timer_c_) {
    env.actions.timer_c_fired(*this);
    return;
  }
  const bool retransmit = &fired == &retransmit_;
  switch (kind_) {
    case TxnKind::kInviteClient:
      if (retransmit) {
        Machine::invite_client_retransmit_timer(*this, env, now_ms);
      } else {
        Machine::invite_client_timeout_timer(*this, env);
      }
      break;
    case TxnKind::kNonInviteClient:
      if (retransmit) {
        Machine::non_invite_client_retransmit_timer(*this, env, now_ms);
      } else {
        Machine::non_invite_client_timeout_timer(*this, env);
      }
      break;
    case TxnKind::kInviteServer:
      if (retransmit) {
        Machine::invite_server_retransmit_timer(*this, env, now_ms);
      } else {
        Machine::invite_server_timeout_timer(*this, env);
      }
      break;
    case TxnKind::kNonInviteServer:
      if (!retransmit) Machine::non_invite_server_timeout_timer(*this, env);
      break;
  }
}

void Transaction::on_transport_error(TxnEnv& env) {
  if (state_ == TxnState::kIdle || state_ == TxnState::kTerminated) return;
  Machine::fail(*this, env, TxnFailure::kTransportError);
}

void Transaction::abandon(TxnEnv& env) {
  if (state_ == TxnState::kIdle || state_ == TxnState::kTerminated) return;
  Machine::terminate(*this, env);
}

}  // namespace sipwire
