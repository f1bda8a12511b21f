// A worker's shard: the engine (ProxyCore) fed by one I/O worker, with the worker's place in
// the location service's reclamation scheme and its slice of the expiry sweep.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>

#include "dataplane/packet_handler.h"
#include "sipwire/engine/location.h"
#include "sipwire/engine/proxy_core.h"

namespace sipwire::dataplane {

inline uint64_t monotonic_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// `settings` with EngineSettings::shard set to `id`: every branch the shard creates names it,
// so under shard affinity a response is routed straight back to it (worker `id`).
inline EngineSettings shard_settings(EngineSettings settings, unsigned id) {
  settings.shard = static_cast<uint8_t>(id);  // the configuration bounds workers to 256
  return settings;
}

class Shard final : public PacketHandler {
 public:
  // `id` is the worker's index; the shard writes it into its branches whatever settings.shard
  // says (see shard_settings).
  // `gate` (optional, outliving the shard): the server policy and authentication of this shard.
  // `clock`: milliseconds on a monotonic clock (tests drive it by hand).
  Shard(unsigned id, const EngineSettings& settings, LocationTable& location, Qsbr& qsbr,
        RequestGate* gate = nullptr, uint64_t (*clock)() = monotonic_ms)
      : id_(id),
        core_(shard_settings(settings, id), location, gate),
        location_(location),
        qsbr_(qsbr),
        clock_(clock),
        now_ms_(clock()),
        sweep_slice_(sweep_slice(location)) {
    qsbr_.online(id_);
  }
  ~Shard() override { qsbr_.offline(id_); }

  // The engine's clock: read once per burst (and per tick); every datagram of the burst is
  // handled at that time, at most one burst late.
  void on_burst() override { now_ms_ = clock_(); }

  void on_datagram(std::string_view bytes, const NetAddress& from, const NetAddress& local,
                   Outbox& out) override {
    core_.handle(bytes, from, local, out, now_ms_);
  }

  // A burst in two passes: every datagram parsed, then every one handled.
  void prepare(unsigned slot, std::string_view bytes) override {
    Prepared& p = (*prepared_)[slot];
    p.error = core_.parse_into(bytes, p.message);
  }
  void on_prepared(unsigned slot, std::string_view bytes, const NetAddress& from,
                   const NetAddress& local, Outbox& out) override {
    Prepared& p = (*prepared_)[slot];
    core_.handle_parsed(bytes, p.error, p.message, from, local, out, now_ms_);
  }

  void on_tick(Outbox& out) override {
    // The batch is flushed: this worker holds no pointer into the location service now.
    qsbr_.quiescent(id_);
    const uint64_t now = clock_();
    now_ms_ = now;
    core_.tick(out, now);  // transaction timers (stateful mode)
    if (now - last_sweep_ms_ >= 100) {
      // Each worker sweeps a slice every 100 ms, so expired bindings leave the table on time
      // without a pause.
      location_.sweep(location_.writer(id_), now, sweep_slice_);
      // And what this worker retired late in its last batch, when no REGISTER came since.
      location_.reclaim(location_.writer(id_));
      last_sweep_ms_ = now;
    }
    const ProxyCounters& c = core_.counters();
    forwarded_.store(c.requests_forwarded + c.responses_forwarded, std::memory_order_relaxed);
    answered_.store(c.responses_sent, std::memory_order_relaxed);
    malformed_.store(c.malformed_requests + c.malformed_responses, std::memory_order_relaxed);
    keepalives_.store(c.keepalives, std::memory_order_relaxed);
    refused_.store(c.rate_limited + c.challenged + c.relay_refused, std::memory_order_relaxed);
    limited_.store(c.rate_limited, std::memory_order_relaxed);
    transactions_.store(core_.live_transactions(), std::memory_order_relaxed);
    overloaded_.store(core_.overloaded(), std::memory_order_relaxed);
  }

  // Published once per tick, for the status line (the engine's own counters are not atomic).
  uint64_t forwarded() const { return forwarded_.load(std::memory_order_relaxed); }
  uint64_t answered() const { return answered_.load(std::memory_order_relaxed); }
  uint64_t malformed() const { return malformed_.load(std::memory_order_relaxed); }
  uint64_t keepalives() const { return keepalives_.load(std::memory_order_relaxed); }
  uint64_t rate_limited() const { return limited_.load(std::memory_order_relaxed); }
  uint64_t transactions() const { return transactions_.load(std::memory_order_relaxed); }
  uint64_t overloaded() const { return overloaded_.load(std::memory_order_relaxed); }

 private:
  // Buckets a worker sweeps per tick: enough for the workers together to pass over the table
  // in about 25.6 s (256 ticks), from 256 up to 4,096. The cap bounds the pause a tick adds to
  // a worker's loop (an entry is a cache miss; 4,096 of them are some 0.4 ms), so a table of
  // more than a million buckets per worker takes longer to pass over.
  static std::size_t sweep_slice(const LocationTable& location) {
    return std::clamp<std::size_t>(location.bucket_count() / (256 * location.writers()), 256, 4096);
  }

  struct Prepared {
    Message message;
    ParseError error;
  };

  unsigned id_;
  ProxyCore core_;
  // A burst's datagrams as prepare parsed them (4 KB each, allocated once).
  std::unique_ptr<std::array<Prepared, kBurstSlots>> prepared_ =
      std::make_unique<std::array<Prepared, kBurstSlots>>();
  LocationTable& location_;
  Qsbr& qsbr_;
  uint64_t (*clock_)();
  uint64_t now_ms_;  // set by on_burst and on_tick
  std::size_t sweep_slice_;
  uint64_t last_sweep_ms_ = 0;
  std::atomic<uint64_t> forwarded_{0}, answered_{0}, malformed_{0}, refused_{0}, limited_{0};
  std::atomic<uint64_t> transactions_{0}, overloaded_{0}, keepalives_{0};
};

}  // namespace sipwire::dataplane
