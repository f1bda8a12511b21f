// What a worker's shard implements to receive from an I/O backend. The backend owns the loop
// and the buffers; the handler sees one datagram at a time and answers through the Outbox, so
// the same shard runs on the socket backend and on the DPDK one.
#pragma once

#include <string_view>

#include "sipwire/engine/outbox.h"
#include "sipwire/net_address.h"

namespace sipwire::dataplane {

class PacketHandler {  // one per worker: the worker's shard implements it
 public:
  virtual ~PacketHandler() = default;

  // One received datagram; `local` is the listen address it arrived on. Sends go to `out`.
  // `bytes` stays valid until the handler returns; segments sent through `out` may point into
  // it, because the backend flushes the batch before it reuses the receive buffers.
  virtual void on_datagram(std::string_view bytes, const NetAddress& from, const NetAddress& local,
                           Outbox& out) = 0;

  // Datagrams may instead come in two passes, at most kBurstSlots at a time: prepare(slot,
  // bytes) for each datagram of a burst as it is received, then on_prepared(slot, ...) for
  // each, in the order they arrived. Work a handler does in prepare (the shard parses there)
  // is then done for the whole burst before any of the rest: each pass's code stays in the
  // instruction cache for the burst, instead of both evicting each other every datagram (the
  // idea of VPP's vectors; docs/BENCHMARKS.md). `bytes` is the same view in both calls; sends
  // may point into it as in on_datagram. The default prepares nothing and then handles the
  // datagram as on_datagram.
  static constexpr unsigned kBurstSlots = 32;
  virtual void prepare(unsigned slot, std::string_view bytes) {
    (void)slot;
    (void)bytes;
  }
  virtual void on_prepared(unsigned slot, std::string_view bytes, const NetAddress& from,
                           const NetAddress& local, Outbox& out) {
    (void)slot;
    on_datagram(bytes, from, local, out);
  }

  // Called at least every 10 ms (timers) and after each batch.
  virtual void on_tick(Outbox& out) = 0;

  // Called before each burst of datagrams is handed over one by one: a handler that needs
  // the time reads its clock here, once per burst rather than once per datagram (a read of
  // CLOCK_MONOTONIC costs 30-60 ns on a virtual machine's kvm-clock, 5% of a REGISTER).
  virtual void on_burst() {}
};

}  // namespace sipwire::dataplane
