// The location service (RFC 3261 §10): address-of-record -> bindings. Shared by every worker.
//
// Lookups take no lock and copy nothing: each AOR's bindings are an immutable snapshot behind
// an atomic pointer, valid for a reader until its next Qsbr::quiescent(). Writers (the
// registrar) build a new snapshot, swap it in under a striped lock (writers of different AORs
// rarely contend), and retire the old one for reclamation once no reader can hold it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/engine/qsbr.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct Binding {
  std::string contact;  // the Contact URI, as registered (no angle brackets)
  std::string path;     // Path header values of the REGISTER (RFC 3327), "" if none
  std::string call_id;  // of the REGISTER that made or refreshed it (§10.3 step 7)
  uint32_t cseq = 0;
  uint64_t expires_at_ms = 0;
  uint16_t q = 1000;  // thousandths; 1000 when the Contact had no q
  NetAddress source;  // where the REGISTER came from (a NATed client is reached there)
  uint64_t registered_at_ms = 0;
};

// One AOR's bindings, never modified once published.
struct AorRecord {
  std::vector<Binding> bindings;
};

class LocationTable {
 public:
  // `buckets` is rounded up to a power of two; one per expected AOR keeps chains short.
  LocationTable(std::size_t buckets, Qsbr& qsbr);
  ~LocationTable();
  LocationTable(const LocationTable&) = delete;
  LocationTable& operator=(const LocationTable&) = delete;

  // The AOR's current record, or null. Lock-free; valid until the reader's next quiescent().
  // Bindings may have expired: readers compare expires_at_ms with their clock.
  const AorRecord* find(std::string_view aor) const;

  // Replaces the AOR's record with update(old) (old may be null; a null or empty result
  // removes every binding). Returns the record now published (null if none). Writers of the
  // same stripe serialise; readers never wait.
  const AorRecord* update(std::string_view aor,
                          const std::function<std::unique_ptr<AorRecord>(const AorRecord*)>& fn);

  // Drops expired bindings from up to `max_buckets` buckets, continuing where the last call
  // stopped, so a worker can sweep the table a slice per tick. Returns bindings removed.
  std::size_t sweep(uint64_t now_ms, std::size_t max_buckets);

  // Frees retired records no reader can hold any more.
  void reclaim();

  std::size_t aor_count() const { return aors_.load(std::memory_order_relaxed); }
  std::size_t binding_count() const { return bindings_.load(std::memory_order_relaxed); }

 private:
  struct Entry;
  struct Stripe;
  static uint64_t hash(std::string_view aor);
  Entry* find_entry(std::string_view aor, uint64_t h) const;
  void publish(Entry& e, std::unique_ptr<AorRecord> next, Stripe& s);

  std::size_t mask_;
  std::unique_ptr<std::atomic<Entry*>[]> buckets_;
  std::unique_ptr<Stripe[]> stripes_;
  static constexpr std::size_t kStripes = 256;
  Qsbr& qsbr_;
  std::atomic<std::size_t> sweep_cursor_{0};
  std::atomic<std::size_t> aors_{0};
  std::atomic<std::size_t> bindings_{0};
};

}  // namespace sipwire
