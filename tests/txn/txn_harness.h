// Test doubles for the transaction layer: a recording TxnActions, a fake clock, and a harness
// that runs one transaction on its own wheel, advancing the clock one millisecond at a time so
// every action is logged at the exact millisecond it happened.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sipwire/txn/timer_wheel.h"
#include "sipwire/txn/transaction.h"
#include "sipwire/txn/txn_actions.h"

namespace sipwire::testing {

struct ActionRecord {
  std::string what;  // "retransmit", "ack 486", "pass 180", "timer C", "failed Timer B", ...
  uint64_t at_ms;
};

class RecordingActions : public TxnActions {
 public:
  explicit RecordingActions(const uint64_t& clock) : clock_(clock) {}

  void retransmit(Transaction& t) override {
    record("retransmit");
    retransmitted.push_back(t.is_client() ? t.request() : t.last_response());
  }
  void send_ack(Transaction&, uint16_t status) override { record("ack " + std::to_string(status)); }
  void pass_response(Transaction&, uint16_t status) override {
    record("pass " + std::to_string(status));
  }
  void timer_c_fired(Transaction& t) override {
    record("timer C");
    if (on_timer_c) on_timer_c(t);
  }
  void failed(Transaction&, TxnFailure why) override {
    record("failed " + std::string(to_string(why)));
  }
  void terminated(Transaction& t) override {
    record("terminated");
    ++terminations;
    if (on_terminated) on_terminated(t);
  }

  // Times of every record named `what`.
  std::vector<uint64_t> times(const std::string& what) const {
    std::vector<uint64_t> out;
    for (const auto& r : log) {
      if (r.what == what) out.push_back(r.at_ms);
    }
    return out;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& r : log) out.push_back(r.what);
    return out;
  }
  void clear() {
    log.clear();
    retransmitted.clear();
  }

  std::vector<ActionRecord> log;
  std::vector<MessageRef> retransmitted;
  int terminations = 0;
  std::function<void(Transaction&)> on_timer_c;
  std::function<void(Transaction&)> on_terminated;

 private:
  void record(std::string what) { log.push_back({std::move(what), clock_}); }
  const uint64_t& clock_;
};

// One transaction (pool index 0) on its own wheel, with a fake clock.
class MachineHarness {
 public:
  explicit MachineHarness(TxnTimerConfig timers = {}, TimerWheelConfig wheel = {})
      : timers_(timers), wheel_(wheel, 0), actions(now), env{wheel_, timers_, actions} {}

  // Steps the clock to `until_ms` one millisecond at a time, firing timers as they fall due.
  void run_until(uint64_t until_ms) {
    while (now < until_ms) {
      ++now;
      wheel_.advance(now, [&](TimerEntry& fired) { txn.on_timer(env, fired, now); });
    }
  }

  uint64_t now = 0;

 private:
  TxnTimerConfig timers_;
  TimerWheel wheel_;

 public:
  RecordingActions actions;
  TxnEnv env;
  Transaction txn;

  const TimerWheel& wheel() const { return wheel_; }
};

// Retransmission times expected from a first interval, doubling to `cap` (0: no cap), up to
// and excluding `end_ms`, for a transaction started at `start_ms`.
inline std::vector<uint64_t> doubling_schedule(uint64_t start_ms, uint64_t first, uint64_t cap,
                                               uint64_t end_ms) {
  std::vector<uint64_t> out;
  uint64_t at = start_ms + first;
  uint64_t interval = first;
  while (at < end_ms) {
    out.push_back(at);
    interval = cap != 0 && interval * 2 > cap ? cap : interval * 2;
    at += interval;
  }
  return out;
}

}  // namespace sipwire::testing
