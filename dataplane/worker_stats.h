// One worker's counters as a plain snapshot (the worker keeps them in atomics; see
// worker_counters.h). Every datagram the worker sees or is asked to send is counted once.
#pragma once

#include <cstdint>

namespace sipwire::dataplane {

struct WorkerStats {
  uint64_t rx_datagrams = 0;       // read from this worker's sockets: delivered to its handler,
                                   // or handed over to another worker's (shard affinity)
  uint64_t rx_bytes = 0;           // their payload bytes
  uint64_t tx_datagrams = 0;       // accepted by the kernel
  uint64_t tx_bytes = 0;           // their payload bytes
  uint64_t tx_errors = 0;          // queued, then refused by the kernel (buffer full, unreachable)
  uint64_t rx_truncated = 0;       // longer than max_datagram: delivered cut (answered 513)
  uint64_t batches = 0;            // recvmmsg calls that returned at least one datagram
  uint64_t tx_refused = 0;         // Outbox::send returned false: too large, too many segments,
                                   // or no listen socket of the destination's family
  uint64_t scratch_exhausted = 0;  // Outbox::scratch returned nullptr
  // Shard affinity (SocketBackendOptions::shard_affinity): see handover_ring.h.
  uint64_t handovers_out = 0;      // read here, queued for the worker whose shard owns it
  uint64_t handovers_in = 0;       // queued by another worker, delivered to this handler
  uint64_t handover_drops = 0;     // read here, owned elsewhere, that worker's ring full: dropped
  uint64_t handover_oversize = 0;  // owned elsewhere but longer than a ring slot: handled here
};

}  // namespace sipwire::dataplane
