#include "sipwire/engine/location.h"

#include <bit>
#include <cstddef>
#include <cstring>
#include <new>
#include <vector>

#include "response_writer.h"

namespace sipwire {

// ---- records: one block each ----

namespace {
struct RecordLayout {
  std::size_t bindings_at;
  std::size_t strings_at;
  std::size_t bytes;
};
RecordLayout layout(std::span<const Binding> in) {
  std::size_t strings = 0;
  for (const Binding& b : in) strings += b.contact.size() + b.path.size() + b.call_id.size();
  RecordLayout l;
  l.bindings_at = (sizeof(AorRecord) + alignof(Binding) - 1) / alignof(Binding) * alignof(Binding);
  l.strings_at = l.bindings_at + in.size() * sizeof(Binding);
  l.bytes = l.strings_at + strings;
  return l;
}
}  // namespace

AorRecord* AorRecord::build(std::span<const Binding> in, RecordArena& arena) {
  const RecordLayout l = layout(in);
  char* block = static_cast<char*>(arena.allocate(l.bytes));
  auto* record = new (block) AorRecord();
  auto* out = reinterpret_cast<Binding*>(block + l.bindings_at);
  char* text = block + l.strings_at;
  auto copy = [&text](std::string_view s) {
    if (s.empty()) return std::string_view{};
    std::memcpy(text, s.data(), s.size());
    const std::string_view placed(text, s.size());
    text += s.size();
    return placed;
  };
  for (std::size_t i = 0; i < in.size(); ++i) {
    Binding* b = new (out + i) Binding(in[i]);
    b->contact = copy(in[i].contact);
    b->path = copy(in[i].path);
    b->call_id = copy(in[i].call_id);
  }
  record->bindings = std::span<const Binding>(out, in.size());
  return record;
}

void AorRecord::release(const AorRecord* record, RecordArena& arena) {
  if (record == nullptr) return;
  // Binding and AorRecord are trivially destructible: the block is all there is to free. Its
  // size follows from the bindings, as when it was built.
  static_assert(std::is_trivially_destructible_v<Binding>);
  arena.release(const_cast<AorRecord*>(record), layout(record->bindings).bytes);
}

// ---- the table ----

// An entry and its AOR in one block. Entries are never unlinked: an AOR that registered once
// keeps its (small) entry, so a reader walking a chain can never land on freed memory.
struct LocationTable::Entry {
  uint64_t hash;
  std::atomic<const AorRecord*> record{nullptr};
  std::atomic<Entry*> next{nullptr};
  uint32_t aor_length;
  char aor_text[1];  // aor_length bytes follow (the block is allocated that long)

  std::string_view aor() const { return {aor_text, aor_length}; }

  static Entry* create(uint64_t h, std::string_view aor, RecordArena& arena) {
    void* block = arena.allocate_permanent(offsetof(Entry, aor_text) + aor.size());
    Entry* e = new (block) Entry();
    e->hash = h;
    e->aor_length = static_cast<uint32_t>(aor.size());
    std::memcpy(e->aor_text, aor.data(), aor.size());
    return e;
  }
};
static_assert(std::is_trivially_destructible_v<std::atomic<const AorRecord*>>);

struct LocationTable::Stripe {
  std::mutex writer;
  RecordArena arena;  // guarded by `writer`: this stripe's records and entries
  struct Retired {
    const AorRecord* record;
    uint64_t epoch;
  };
  std::vector<Retired> retired;  // guarded by `writer`
};

uint64_t LocationTable::hash(std::string_view aor) {
  // FNV-1a-style, eight bytes per step (fnv1a in response_writer.h): the table needs spread,
  // not cryptographic strength, and every routed request and REGISTER hashes its AOR.
  return fnv1a(aor);
}

LocationTable::LocationTable(std::size_t buckets, Qsbr& qsbr)
    : mask_(std::bit_ceil(buckets < 16 ? std::size_t{16} : buckets) - 1),
      buckets_(new std::atomic<Entry*>[mask_ + 1]),
      stripes_(new Stripe[kStripes]),
      qsbr_(qsbr) {
  for (std::size_t i = 0; i <= mask_; ++i) buckets_[i].store(nullptr, std::memory_order_relaxed);
}

LocationTable::~LocationTable() {
  // Records go back to their stripes' arenas (those over the pooled size to the heap); the
  // arenas then free their blocks, entries included.
  for (std::size_t i = 0; i <= mask_; ++i)
    for (Entry* e = buckets_[i].load(std::memory_order_relaxed); e != nullptr;
         e = e->next.load(std::memory_order_relaxed))
      AorRecord::release(e->record.load(std::memory_order_relaxed),
                         stripes_[e->hash % kStripes].arena);
  for (std::size_t s = 0; s < kStripes; ++s)
    for (const auto& r : stripes_[s].retired) AorRecord::release(r.record, stripes_[s].arena);
}

LocationTable::Entry* LocationTable::find_entry(std::string_view aor, uint64_t h) const {
  for (Entry* e = buckets_[h & mask_].load(std::memory_order_acquire); e != nullptr;
       e = e->next.load(std::memory_order_acquire))
    if (e->hash == h && e->aor() == aor) return e;
  return nullptr;
}

const AorRecord* LocationTable::find(std::string_view aor) const {
  const Entry* e = find_entry(aor, hash(aor));
  return e ? e->record.load(std::memory_order_acquire) : nullptr;
}

void LocationTable::publish(Entry& e, const AorRecord* next, Stripe& s) {
  if (next != nullptr && next->bindings.empty()) {
    AorRecord::release(next, s.arena);
    next = nullptr;
  }
  const AorRecord* old = e.record.exchange(next, std::memory_order_acq_rel);
  bindings_.fetch_add(next ? next->bindings.size() : 0, std::memory_order_relaxed);
  bindings_.fetch_sub(old ? old->bindings.size() : 0, std::memory_order_relaxed);
  if (old != nullptr) s.retired.push_back({old, qsbr_.retire()});
}

void LocationTable::reclaim_stripe(Stripe& s) {
  std::size_t kept = 0;
  for (const auto& item : s.retired) {
    if (qsbr_.safe(item.epoch))
      AorRecord::release(item.record, s.arena);
    else
      s.retired[kept++] = item;
  }
  s.retired.resize(kept);
}

const AorRecord* LocationTable::update(std::string_view aor, UpdateFn fn) {
  const uint64_t h = hash(aor);
  Stripe& s = stripes_[h % kStripes];
  std::lock_guard<std::mutex> lock(s.writer);
  Entry* e = find_entry(aor, h);
  const AorRecord* old = e ? e->record.load(std::memory_order_acquire) : nullptr;
  const AorRecord* next = fn(old, s.arena);
  if (next == old && e != nullptr) return old;  // nothing changes
  if (e == nullptr) {
    if (next == nullptr) return nullptr;  // removing what was never there
    e = Entry::create(h, aor, s.arena);
    std::atomic<Entry*>& head = buckets_[h & mask_];
    e->next.store(head.load(std::memory_order_relaxed), std::memory_order_relaxed);
    head.store(e, std::memory_order_release);
    aors_.fetch_add(1, std::memory_order_relaxed);
  }
  publish(*e, next, s);
  reclaim_stripe(s);
  return e->record.load(std::memory_order_acquire);
}

std::size_t LocationTable::heap_allocations() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kStripes; ++i) {
    std::lock_guard<std::mutex> lock(stripes_[i].writer);
    n += stripes_[i].arena.heap_allocations();
  }
  return n;
}

std::size_t LocationTable::sweep(uint64_t now_ms, std::size_t max_buckets) {
  std::size_t removed = 0;
  Binding kept[64];
  for (std::size_t n = 0; n < max_buckets; ++n) {
    const std::size_t b = sweep_cursor_.fetch_add(1, std::memory_order_relaxed) & mask_;
    for (Entry* e = buckets_[b].load(std::memory_order_acquire); e != nullptr;
         e = e->next.load(std::memory_order_acquire)) {
      const AorRecord* rec = e->record.load(std::memory_order_acquire);
      if (rec == nullptr) continue;
      bool any_expired = false;
      for (const Binding& bnd : rec->bindings) any_expired |= bnd.expires_at_ms <= now_ms;
      if (!any_expired) continue;
      update(e->aor(), [&](const AorRecord* old, RecordArena& arena) -> const AorRecord* {
        if (old == nullptr) return nullptr;
        std::vector<Binding> many;  // only for an AOR with more than 64 bindings
        std::size_t count = 0;
        for (const Binding& bnd : old->bindings) {
          if (bnd.expires_at_ms <= now_ms) {
            ++removed;
          } else if (count < 64) {
            kept[count++] = bnd;
          } else {
            if (many.empty()) many.assign(kept, kept + count);
            many.push_back(bnd);
          }
        }
        if (!many.empty()) return AorRecord::build(many, arena);
        return count == 0 ? nullptr : AorRecord::build({kept, count}, arena);
      });
    }
  }
  return removed;
}

void LocationTable::reclaim() {
  for (std::size_t i = 0; i < kStripes; ++i) {
    std::lock_guard<std::mutex> lock(stripes_[i].writer);
    reclaim_stripe(stripes_[i]);
  }
}

}  // namespace sipwire
