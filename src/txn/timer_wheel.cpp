#include "sipwire/txn/timer_wheel.h"

namespace sipwire {

namespace {

std::size_t round_up_to_power_of_two(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

TimerWheel::TimerWheel(const TimerWheelConfig& config, uint64_t now_ms)
    : tick_ms_(config.tick_ms == 0 ? 1 : config.tick_ms),
      ticks_(tick_ms_),
      mask_(round_up_to_power_of_two(config.slots == 0 ? 1 : config.slots) - 1),
      slots_(new TimerLink[mask_ + 1]),
      now_ms_(now_ms),
      next_tick_(ticks_.divide(now_ms)) {
  for (std::size_t i = 0; i <= mask_; ++i) slots_[i].prev = slots_[i].next = &slots_[i];
}

void TimerWheel::unlink(TimerLink& node) {
  node.prev->next = node.next;
  node.next->prev = node.prev;
  node.prev = node.next = nullptr;
}

void TimerWheel::link_before(TimerLink& head, TimerLink& node) {
  node.prev = head.prev;
  node.next = &head;
  head.prev->next = &node;
  head.prev = &node;
}

void TimerWheel::start(TimerEntry& entry, uint64_t now_ms, uint64_t delay_ms) {
  stop(entry);
  // An empty wheel has nothing between its time and now: it jumps there, so the next advance()
  // does not walk every tick since the wheel was built (or last emptied) one slot at a time.
  if (armed_ == 0 && now_ms > now_ms_) {
    now_ms_ = now_ms;
    next_tick_ = ticks_.divide(now_ms);
  }
  uint64_t deadline = now_ms + delay_ms;
  // Never behind the wheel: a slot already passed would hold the timer for a whole revolution.
  if (deadline < now_ms_) deadline = now_ms_;
  entry.deadline_ms_ = deadline;
  link_before(slots_[ticks_.divide(deadline) & mask_], entry);
  ++armed_;
}

void TimerWheel::stop(TimerEntry& entry) {
  if (!entry.armed()) return;
  unlink(entry);
  --armed_;
}

}  // namespace sipwire
