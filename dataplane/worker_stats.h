// One worker's counters as a plain snapshot (the worker keeps them in atomics; see
// worker_counters.h). Every datagram the worker sees or is asked to send is counted once.
#pragma once

#include <cstdint>

namespace sipwire::dataplane {

struct WorkerStats {
  uint64_t rx_datagrams = 0;       // delivered to the handler
  uint64_t rx_bytes = 0;           // their payload bytes
  uint64_t tx_datagrams = 0;       // accepted by the kernel
  uint64_t tx_bytes = 0;           // their payload bytes
  uint64_t tx_errors = 0;          // queued, then refused by the kernel (buffer full, unreachable)
  uint64_t rx_truncated = 0;       // longer than max_datagram: dropped, never delivered
  uint64_t batches = 0;            // recvmmsg calls that returned at least one datagram
  uint64_t tx_refused = 0;         // Outbox::send returned false: too large, too many segments,
                                   // or no listen socket of the destination's family
  uint64_t scratch_exhausted = 0;  // Outbox::scratch returned nullptr
};

}  // namespace sipwire::dataplane
