// A hashed timing wheel (Varghese & Lauck, scheme 6) for the transaction timers of one shard.
//
// Timers are intrusive: the owner embeds a TimerEntry in its own preallocated record (a
// transaction), so starting and stopping a timer links and unlinks a node in a slot's
// doubly-linked list: O(1), no allocation. The wheel allocates its slot array once, when built.
//
// Time is injected: start() and advance() take the caller's now_ms, the wheel never reads a
// clock. A timer with deadline d fires on the first advance(now) with now >= d, exactly, at any
// tick size: the tick only chooses the slot (d / tick_ms mod slots), so it trades slot scans
// against slot occupancy, not precision. A timer more than one revolution away (slots * tick_ms)
// sits in its slot with its absolute deadline, which acts as its round count: the slot's scans
// skip it until the revolution in which it is due.
//
// Order: advance() walks the ticks in order, so timers of different ticks fire in deadline
// order; timers of one tick fire in the order they were started (a 1 ms tick makes the order
// exact). The clock never goes back: an earlier now_ms counts as the latest one seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sipwire/txn/tick_divider.h"

namespace sipwire {

// A node of a slot's circular list. Slot heads are bare links; timers are TimerEntry.
struct TimerLink {
  TimerLink* prev = nullptr;
  TimerLink* next = nullptr;
};

// One timer, embedded in its owner. Not copyable or movable: the wheel points at it while it
// is armed. Destroying an armed entry is a bug (the owner stops its timers first).
class TimerEntry : private TimerLink {
 public:
  explicit TimerEntry(uint32_t owner = 0) : owner_(owner) {}
  TimerEntry(const TimerEntry&) = delete;
  TimerEntry& operator=(const TimerEntry&) = delete;

  bool armed() const { return next != nullptr; }
  uint64_t deadline_ms() const { return deadline_ms_; }  // meaningful while armed
  // Free for the owner: which record the entry belongs to, so a fired entry finds its owner
  // without pointer arithmetic (a transaction's pool index).
  uint32_t owner() const { return owner_; }
  void set_owner(uint32_t owner) { owner_ = owner; }

 private:
  friend class TimerWheel;
  uint64_t deadline_ms_ = 0;
  uint32_t owner_;
};

struct TimerWheelConfig {
  uint32_t tick_ms = 10;
  uint32_t slots = 4096;  // rounded up to a power of two; 4096 x 10 ms = one revolution in 41 s
};

class TimerWheel {
 public:
  TimerWheel(const TimerWheelConfig& config, uint64_t now_ms);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Arms `entry` to fire at now_ms + delay_ms; an armed entry is moved (restart). A deadline
  // before the wheel's time counts as its time: the timer fires on the next advance().
  void start(TimerEntry& entry, uint64_t now_ms, uint64_t delay_ms);
  // Disarms `entry`. A no-op when it is not armed (fired already, stopped, never started).
  void stop(TimerEntry& entry);

  // Fires every timer due at now_ms, in order (see above): each is disarmed, then
  // fire(TimerEntry&) is called. The callback may start and stop any timer, the firing one
  // included; a timer it starts already due fires in this same call. It must not call
  // advance(). Returns how many fired.
  template <class Fire>
  std::size_t advance(uint64_t now_ms, Fire&& fire);

  std::size_t armed() const { return armed_; }
  uint64_t now_ms() const { return now_ms_; }
  uint32_t tick_ms() const { return tick_ms_; }
  std::size_t slot_count() const { return mask_ + 1; }

 private:
  static void unlink(TimerLink& node);
  static void link_before(TimerLink& head, TimerLink& node);  // append to head's list
  template <class Fire>
  std::size_t fire_slot(TimerLink& head, uint64_t due_ms, Fire& fire);

  uint32_t tick_ms_;
  TickDivider ticks_;  // ms -> ticks
  std::size_t mask_;   // slots - 1
  std::unique_ptr<TimerLink[]> slots_;
  uint64_t now_ms_;     // the latest time seen
  uint64_t next_tick_;  // the first tick whose slot may still hold due timers
  std::size_t armed_ = 0;
};

template <class Fire>
std::size_t TimerWheel::advance(uint64_t now_ms, Fire&& fire) {
  if (now_ms > now_ms_) now_ms_ = now_ms;
  const uint64_t target = ticks_.divide(now_ms_);
  std::size_t fired = 0;
  // Every tick up to target, in order. The current tick's slot is scanned again by the next
  // advance, since timers later in that tick are not due yet. With nothing armed, skip ahead.
  for (;;) {
    if (armed_ == 0) {
      next_tick_ = target;
      break;
    }
    // Only this tick's timers fire from its slot (a timer of a later revolution waits there),
    // so timers fire in tick order however far the clock jumped.
    const uint64_t tick_end = (next_tick_ + 1) * tick_ms_ - 1;
    fired += fire_slot(slots_[next_tick_ & mask_], tick_end < now_ms_ ? tick_end : now_ms_, fire);
    if (next_tick_ == target) break;
    ++next_tick_;
  }
  return fired;
}

template <class Fire>
std::size_t TimerWheel::fire_slot(TimerLink& head, uint64_t due_ms, Fire& fire) {
  std::size_t fired = 0;
  // A marker node stands after the timer being fired, so the callback may stop any timer of
  // this slot (the next one included) and the walk resumes where the marker is. Timers the
  // callback starts in this slot are appended, so the walk still reaches them.
  TimerLink marker;
  TimerLink* node = head.next;
  while (node != &head) {
    auto* entry = static_cast<TimerEntry*>(node);
    if (entry->deadline_ms_ > due_ms) {  // later in this tick, or a later round
      node = node->next;
      continue;
    }
    marker.prev = node;
    marker.next = node->next;
    node->next->prev = &marker;
    node->next = &marker;
    unlink(*node);
    --armed_;
    ++fired;
    fire(*entry);
    node = marker.next;
    unlink(marker);
  }
  return fired;
}

}  // namespace sipwire
