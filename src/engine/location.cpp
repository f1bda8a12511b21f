#include "sipwire/engine/location.h"

#include <bit>

namespace sipwire {

struct LocationTable::Entry {
  uint64_t hash;
  std::string aor;
  std::atomic<const AorRecord*> record{nullptr};
  std::atomic<Entry*> next{nullptr};
};

struct LocationTable::Stripe {
  std::mutex writer;
  struct Retired {
    const AorRecord* record;
    uint64_t epoch;
  };
  std::vector<Retired> retired;  // guarded by `writer`
};

uint64_t LocationTable::hash(std::string_view aor) {
  // FNV-1a: AORs are short, and the table needs spread, not cryptographic strength.
  uint64_t h = 1469598103934665603ull;
  for (char c : aor) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

LocationTable::LocationTable(std::size_t buckets, Qsbr& qsbr)
    : mask_(std::bit_ceil(buckets < 16 ? std::size_t{16} : buckets) - 1),
      buckets_(new std::atomic<Entry*>[mask_ + 1]),
      stripes_(new Stripe[kStripes]),
      qsbr_(qsbr) {
  for (std::size_t i = 0; i <= mask_; ++i) buckets_[i].store(nullptr, std::memory_order_relaxed);
}

LocationTable::~LocationTable() {
  for (std::size_t i = 0; i <= mask_; ++i) {
    Entry* e = buckets_[i].load(std::memory_order_relaxed);
    while (e != nullptr) {
      Entry* next = e->next.load(std::memory_order_relaxed);
      delete e->record.load(std::memory_order_relaxed);
      delete e;
      e = next;
    }
  }
  for (std::size_t s = 0; s < kStripes; ++s)
    for (const auto& r : stripes_[s].retired) delete r.record;
}

LocationTable::Entry* LocationTable::find_entry(std::string_view aor, uint64_t h) const {
  for (Entry* e = buckets_[h & mask_].load(std::memory_order_acquire); e != nullptr;
       e = e->next.load(std::memory_order_acquire))
    if (e->hash == h && e->aor == aor) return e;
  return nullptr;
}

const AorRecord* LocationTable::find(std::string_view aor) const {
  const Entry* e = find_entry(aor, hash(aor));
  return e ? e->record.load(std::memory_order_acquire) : nullptr;
}

void LocationTable::publish(Entry& e, std::unique_ptr<AorRecord> next, Stripe& s) {
  if (next && next->bindings.empty()) next.reset();
  const std::size_t added = next ? next->bindings.size() : 0;
  const AorRecord* old = e.record.exchange(next.release(), std::memory_order_acq_rel);
  const std::size_t removed = old ? old->bindings.size() : 0;
  bindings_.fetch_add(added, std::memory_order_relaxed);
  bindings_.fetch_sub(removed, std::memory_order_relaxed);
  if (old != nullptr) s.retired.push_back({old, qsbr_.retire()});
}

const AorRecord* LocationTable::update(
    std::string_view aor, const std::function<std::unique_ptr<AorRecord>(const AorRecord*)>& fn) {
  const uint64_t h = hash(aor);
  Stripe& s = stripes_[h % kStripes];
  std::lock_guard<std::mutex> lock(s.writer);
  Entry* e = find_entry(aor, h);
  if (e == nullptr) {
    // Entries are never unlinked: an AOR that registered once keeps its (small) entry, so a
    // reader walking a chain can never land on freed memory.
    e = new Entry{h, std::string(aor), {}, {}};
    std::atomic<Entry*>& head = buckets_[h & mask_];
    e->next.store(head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    head.store(e, std::memory_order_release);
    aors_.fetch_add(1, std::memory_order_relaxed);
  }
  publish(*e, fn(e->record.load(std::memory_order_acquire)), s);
  // Reclaim this stripe's retired records that no reader can still see.
  auto& r = s.retired;
  std::size_t kept = 0;
  for (const auto& item : r) {
    if (qsbr_.safe(item.epoch))
      delete item.record;
    else
      r[kept++] = item;
  }
  r.resize(kept);
  return e->record.load(std::memory_order_acquire);
}

std::size_t LocationTable::sweep(uint64_t now_ms, std::size_t max_buckets) {
  std::size_t removed = 0;
  for (std::size_t n = 0; n < max_buckets; ++n) {
    const std::size_t b = sweep_cursor_.fetch_add(1, std::memory_order_relaxed) & mask_;
    for (Entry* e = buckets_[b].load(std::memory_order_acquire); e != nullptr;
         e = e->next.load(std::memory_order_acquire)) {
      const AorRecord* rec = e->record.load(std::memory_order_acquire);
      if (rec == nullptr) continue;
      bool any_expired = false;
      for (const Binding& bnd : rec->bindings) any_expired |= bnd.expires_at_ms <= now_ms;
      if (!any_expired) continue;
      update(e->aor, [&](const AorRecord* old) {
        auto next = std::make_unique<AorRecord>();
        if (old != nullptr)
          for (const Binding& bnd : old->bindings) {
            if (bnd.expires_at_ms > now_ms)
              next->bindings.push_back(bnd);
            else
              ++removed;
          }
        return next;
      });
    }
  }
  return removed;
}

void LocationTable::reclaim() {
  for (std::size_t i = 0; i < kStripes; ++i) {
    Stripe& s = stripes_[i];
    std::lock_guard<std::mutex> lock(s.writer);
    std::size_t kept = 0;
    for (const auto& item : s.retired) {
      if (qsbr_.safe(item.epoch))
        delete item.record;
      else
        s.retired[kept++] = item;
    }
    s.retired.resize(kept);
  }
}

}  // namespace sipwire
