// Quiescent-state-based reclamation (the scheme of DPDK's rte_rcu_qsbr): lets workers read
// shared data with no lock while writers replace it. A worker reports a quiescent state
// between messages (it then holds no pointer into shared data); an object a writer retired
// at epoch E may be freed once every online worker has reported a state at or after E.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace sipwire {

class Qsbr {
 public:
  explicit Qsbr(unsigned max_readers) : slots_(max_readers) {}

  // A worker goes online before it reads shared data, offline when it stops for good.
  void online(unsigned reader) {
    slots_[reader].seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
    slots_[reader].online.store(true, std::memory_order_release);
  }
  void offline(unsigned reader) { slots_[reader].online.store(false, std::memory_order_release); }

  // Called between messages (once per batch is enough): one load and one store, no lock.
  void quiescent(unsigned reader) {
    slots_[reader].seen.store(epoch_.load(std::memory_order_acquire), std::memory_order_release);
  }

  // A writer calls this after unlinking objects; they may be freed once safe(E). One call
  // covers everything the caller unlinked before it (the location table stamps a batch's
  // records with one call: it is a locked add on a line every worker shares).
  uint64_t retire() { return epoch_.fetch_add(1, std::memory_order_acq_rel) + 1; }

  // The epoch `reader` reported at its last quiescent state: it changes when the reader
  // passes one, which a writer on the same thread uses to tell its batches apart.
  uint64_t seen(unsigned reader) const {
    return slots_[reader].seen.load(std::memory_order_relaxed);
  }

  bool safe(uint64_t retired_at) const {
    for (const Slot& s : slots_) {
      if (!s.online.load(std::memory_order_acquire)) continue;
      if (s.seen.load(std::memory_order_acquire) < retired_at) return false;
    }
    return true;
  }

  unsigned max_readers() const { return static_cast<unsigned>(slots_.size()); }

 private:
  struct alignas(64) Slot {  // one cache line per reader: no false sharing between workers
    std::atomic<uint64_t> seen{0};
    std::atomic<bool> online{false};
  };
  std::atomic<uint64_t> epoch_{1};
  std::vector<Slot> slots_;
};

}  // namespace sipwire
