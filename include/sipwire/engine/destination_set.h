// Destination sets: named groups of next hops that requests are spread over (load balancing)
// and failed over between (a hop that is down, or that answered 503 or timed out in this
// transaction, is skipped).
//
// Selection algorithms:
//  - round_robin: each request the next hop that is up;
//  - weighted: smooth weighted round-robin (the nginx algorithm): over any window of
//    sum(weights) requests each hop gets exactly its weight's share, interleaved rather than
//    in bursts;
//  - call_id_hash: a hash of the Call-ID picks the hop, so every request of a dialog reaches
//    the same one (rendezvous hashing: when a hop goes down only its own dialogs move);
//  - priority: the up hop with the lowest priority value; the others are standby.
//
// Health is shared by all shards (the prober on one shard writes it, every shard reads it):
// per hop a relaxed atomic state, counted by probe results: down after `down_after` probes in
// a row went unanswered, up again after `up_after` answered in a row. Selection state (the
// round-robin position, the weighted counters) is per shard: a `DestinationSelector` per shard
// per set, no lock, no allocation per request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/net_address.h"

namespace sipwire {

enum class DestinationAlgorithm : uint8_t { kRoundRobin, kWeighted, kCallIdHash, kPriority };

std::string_view to_string(DestinationAlgorithm a);
std::optional<DestinationAlgorithm> parse_destination_algorithm(std::string_view text);

struct DestinationHop {
  NetAddress address;
  uint32_t weight = 1;    // kWeighted; 0 takes no traffic
  uint32_t priority = 0;  // kPriority: lower is preferred
};

struct HealthSettings {
  uint32_t probe_interval_ms = 10'000;  // 0: no probing, every hop always up
  uint32_t down_after = 3;              // unanswered probes in a row
  uint32_t up_after = 2;                // answered probes in a row
};

// The hops of one set and their health. Shared by the shards; built once from the config.
class DestinationSet {
 public:
  static constexpr std::size_t kMaxHops = 64;  // a tried-hops mask is one uint64_t

  DestinationSet(std::string name, DestinationAlgorithm algorithm, std::vector<DestinationHop> hops,
                 HealthSettings health = {});

  const std::string& name() const { return name_; }
  DestinationAlgorithm algorithm() const { return algorithm_; }
  const HealthSettings& health() const { return health_; }
  std::size_t size() const { return hops_.size(); }
  const DestinationHop& hop(std::size_t i) const { return hops_[i]; }

  bool is_up(std::size_t i) const { return state_[i].up.load(std::memory_order_relaxed); }
  // A probe of hop i was answered (any response) or went unanswered (timeout). Returns true
  // when the hop changed state. Called by the prober only (single writer per hop).
  bool record_probe(std::size_t i, bool answered);

 private:
  struct HopState {
    std::atomic<bool> up{true};  // hops start up: traffic flows before the first probe
    uint32_t streak = 0;         // probes in a row contradicting the current state
  };
  std::string name_;
  DestinationAlgorithm algorithm_;
  std::vector<DestinationHop> hops_;
  HealthSettings health_;
  std::unique_ptr<HopState[]> state_;
};

// One shard's view of a set: picks hops. `tried` is the mask of hops this transaction already
// tried (bit i = hop i): failover asks again with the failed hop's bit set.
class DestinationSelector {
 public:
  explicit DestinationSelector(const DestinationSet& set);

  // The hop for a request (its Call-ID for kCallIdHash), skipping down and tried hops; nullopt
  // when none is left.
  std::optional<std::size_t> select(std::string_view call_id, uint64_t tried = 0);
  const DestinationSet& set() const { return set_; }

 private:
  bool usable(std::size_t i, uint64_t tried) const;
  const DestinationSet& set_;
  std::size_t next_ = 0;          // round-robin position
  std::vector<int64_t> current_;  // smooth weighted round-robin counters
};

}  // namespace sipwire
