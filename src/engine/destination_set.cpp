#include "sipwire/engine/destination_set.h"

#include "response_writer.h"

#include <limits>

namespace sipwire {

namespace {

// splitmix64's finaliser: a well-mixed 64-bit value from a hash and a hop index.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::string_view to_string(DestinationAlgorithm a) {
  switch (a) {
    case DestinationAlgorithm::kRoundRobin:
      return "round_robin";
    case DestinationAlgorithm::kWeighted:
      return "weighted";
    case DestinationAlgorithm::kCallIdHash:
      return "call_id_hash";
    case DestinationAlgorithm::kPriority:
      return "priority";
  }
  return "?";
}

std::optional<DestinationAlgorithm> parse_destination_algorithm(std::string_view text) {
  for (auto a : {DestinationAlgorithm::kRoundRobin, DestinationAlgorithm::kWeighted,
                 DestinationAlgorithm::kCallIdHash, DestinationAlgorithm::kPriority})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

DestinationSet::DestinationSet(std::string name, DestinationAlgorithm algorithm,
                               std::vector<DestinationHop> hops, HealthSettings health)
    : name_(std::move(name)),
      algorithm_(algorithm),
      hops_(std::move(hops)),
      health_(health),
      state_(std::make_unique<HopState[]>(hops_.size())) {
  if (hops_.size() > kMaxHops) hops_.resize(kMaxHops);  // the config refuses more
}

bool DestinationSet::record_probe(std::size_t i, bool answered) {
  HopState& s = state_[i];
  const bool up = s.up.load(std::memory_order_relaxed);
  if (answered == up) {  // the probe agrees with the state: no streak towards a change
    s.streak = 0;
    return false;
  }
  const uint32_t needed = up ? health_.down_after : health_.up_after;
  if (++s.streak < (needed == 0 ? 1 : needed)) return false;
  s.streak = 0;
  s.up.store(!up, std::memory_order_relaxed);
  return true;
}

DestinationSelector::DestinationSelector(const DestinationSet& set)
    : set_(set), current_(set.size(), 0) {}

bool DestinationSelector::usable(std::size_t i, uint64_t tried) const {
  return (tried & (uint64_t{1} << i)) == 0 && set_.is_up(i);
}

std::optional<std::size_t> DestinationSelector::select(std::string_view call_id, uint64_t tried) {
  const std::size_t n = set_.size();
  switch (set_.algorithm()) {
    case DestinationAlgorithm::kRoundRobin:
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (next_ + k) % n;
        if (!usable(i, tried)) continue;
        next_ = (i + 1) % n;
        return i;
      }
      return std::nullopt;
    case DestinationAlgorithm::kWeighted: {
      // Smooth weighted round-robin over the usable hops.
      int64_t total = 0;
      std::optional<std::size_t> best;
      for (std::size_t i = 0; i < n; ++i) {
        const int64_t w = set_.hop(i).weight;
        if (w == 0 || !usable(i, tried)) continue;
        current_[i] += w;
        total += w;
        if (!best || current_[i] > current_[*best]) best = i;
      }
      if (best) current_[*best] -= total;
      return best;
    }
    case DestinationAlgorithm::kCallIdHash: {
      // Rendezvous hashing: the usable hop with the highest score for this Call-ID.
      const uint64_t h = fnv1a(call_id);
      std::optional<std::size_t> best;
      uint64_t best_score = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (!usable(i, tried)) continue;
        const uint64_t score = mix(h ^ mix(i + 1));
        if (!best || score > best_score) {
          best = i;
          best_score = score;
        }
      }
      return best;
    }
    case DestinationAlgorithm::kPriority: {
      std::optional<std::size_t> best;
      for (std::size_t i = 0; i < n; ++i)
        if (usable(i, tried) && (!best || set_.hop(i).priority < set_.hop(*best).priority))
          best = i;
      return best;
    }
  }
  return std::nullopt;
}

}  // namespace sipwire
