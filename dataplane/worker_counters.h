// The live form of WorkerStats. Only the worker's own thread writes a counter, so an increment
// is a relaxed load and store (no locked read-modify-write on the per-datagram path), and any
// thread may read a consistent-enough snapshot at any time.
#pragma once

#include <atomic>
#include <cstdint>

#include "dataplane/worker_stats.h"

namespace sipwire::dataplane {

// Aligned to a cache line so two workers' counters never share one.
struct alignas(64) WorkerCounters {
  std::atomic<uint64_t> rx_datagrams{0};
  std::atomic<uint64_t> rx_bytes{0};
  std::atomic<uint64_t> tx_datagrams{0};
  std::atomic<uint64_t> tx_bytes{0};
  std::atomic<uint64_t> tx_errors{0};
  std::atomic<uint64_t> rx_truncated{0};
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> tx_refused{0};
  std::atomic<uint64_t> scratch_exhausted{0};
  std::atomic<uint64_t> handovers_out{0};
  std::atomic<uint64_t> handovers_in{0};
  std::atomic<uint64_t> handover_drops{0};
  std::atomic<uint64_t> handover_oversize{0};

  WorkerStats snapshot() const {
    constexpr auto r = std::memory_order_relaxed;
    return {rx_datagrams.load(r),     rx_bytes.load(r),     tx_datagrams.load(r),
            tx_bytes.load(r),         tx_errors.load(r),    rx_truncated.load(r),
            batches.load(r),          tx_refused.load(r),   scratch_exhausted.load(r),
            handovers_out.load(r),    handovers_in.load(r), handover_drops.load(r),
            handover_oversize.load(r)};
  }
};

// Single-writer increment: the owning worker is the only thread that calls it.
inline void bump(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

}  // namespace sipwire::dataplane
