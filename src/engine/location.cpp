#include "sipwire/engine/location.h"

#include <bit>
#include <cstddef>
#include <cstring>
#include <new>
#include <random>
#include <vector>

#include "sipwire/siphash.h"

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
  record->home_ = &arena;
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

void AorRecord::release(const AorRecord* record, RecordArena& mine) {
  if (record == nullptr) return;
  // Binding and AorRecord are trivially destructible: the block is all there is to free. Its
  // size follows from the bindings, as when it was built.
  static_assert(std::is_trivially_destructible_v<Binding>);
  static_assert(std::is_trivially_destructible_v<AorRecord>);
  const std::size_t bytes = layout(record->bindings).bytes;
  auto* block = const_cast<AorRecord*>(record);
  if (record->home_ == &mine)
    mine.release(block, bytes);
  else
    record->home_->give_back(block, bytes);
}

// ---- the table ----

// An entry and its AOR in one block. When the AOR is left without bindings, the sweep marks
// the entry dead and unlinks it; it is reclaimed after a grace period, as a record is, so a
// reader still walking through it lands on nothing freed.
struct LocationTable::Entry {
  uint64_t hash;
  std::atomic<const AorRecord*> record{nullptr};
  std::atomic<Entry*> next{nullptr};
  uint32_t aor_length;
  char aor_text[1];  // aor_length bytes follow (the block is allocated that long)

  std::string_view aor() const { return {aor_text, aor_length}; }

  static std::size_t bytes(std::size_t aor_length) {
    return offsetof(Entry, aor_text) + aor_length;
  }
  static Entry* create(uint64_t h, std::string_view aor, RecordArena& arena) {
    void* block = arena.allocate(bytes(aor.size()));
    Entry* e = new (block) Entry();
    e->hash = h;
    e->aor_length = static_cast<uint32_t>(aor.size());
    std::memcpy(e->aor_text, aor.data(), aor.size());
    return e;
  }
};
static_assert(std::is_trivially_destructible_v<std::atomic<const AorRecord*>>);

namespace {
// The record of a dead entry (unlinked, or about to be): no reader takes it for a record and
// no writer publishes into it; the AOR's next binding gets a new entry. Compared, never read.
const std::max_align_t kDeadTag{};
const AorRecord* const kDead = reinterpret_cast<const AorRecord*>(&kDeadTag);
}  // namespace

uint64_t LocationTable::hash(std::string_view aor) const {
  // Every routed request and REGISTER hashes its AOR (~25 bytes: four SipHash words, some 80
  // instructions, against 20 for an unkeyed FNV-1a, which anyone could aim at one bucket).
  return detail::SipHash13::of(key0_, key1_, aor);
}

LocationTable::LocationTable(std::size_t buckets, Qsbr& qsbr)
    : mask_(std::bit_ceil(buckets < 16 ? std::size_t{16} : buckets) - 1),
      buckets_(new std::atomic<Entry*>[mask_ + 1]),
      qsbr_(qsbr),
      writer_count_(qsbr.max_readers() == 0 ? 1 : qsbr.max_readers()),
      writers_(new Writer[writer_count_]) {
  for (std::size_t i = 0; i <= mask_; ++i) buckets_[i].store(nullptr, std::memory_order_relaxed);
  for (unsigned i = 0; i < writer_count_; ++i) writers_[i].reader_ = i;
  std::random_device rd;
  key0_ = detail::random_key_word(rd);
  key1_ = detail::random_key_word(rd);
}

LocationTable::~LocationTable() {
  // Records go back to the arenas that built them (those over the pooled size to the heap);
  // the arenas then free their blocks, entries included. No worker runs any more.
  for (std::size_t i = 0; i <= mask_; ++i)
    for (Entry* e = buckets_[i].load(std::memory_order_relaxed); e != nullptr;
         e = e->next.load(std::memory_order_relaxed))
      if (const AorRecord* r = e->record.load(std::memory_order_relaxed); r && r != kDead)
        AorRecord::release(r, *r->home_);
  for (unsigned w = 0; w < writer_count_; ++w) {
    Writer& writer = writers_[w];
    for (std::size_t i = writer.retired_head_; i < writer.retired_.size(); ++i) {
      const Writer::Retired& r = writer.retired_[i];
      if (r.entry_bytes != 0) continue;  // an entry: it goes with the arenas' blocks
      const auto* record = static_cast<const AorRecord*>(r.block);
      AorRecord::release(record, *record->home_);
    }
  }
}

LocationTable::Entry* LocationTable::find_entry(std::string_view aor, uint64_t h) const {
  // The AOR's live entry. At most one is live (insert_entry), and dead ones of the AOR's
  // earlier lives, not yet unlinked or still being walked past, are skipped.
  for (Entry* e = buckets_[h & mask_].load(std::memory_order_acquire); e != nullptr;
       e = e->next.load(std::memory_order_acquire))
    if (e->hash == h && e->aor() == aor && e->record.load(std::memory_order_acquire) != kDead)
      return e;
  return nullptr;
}

const AorRecord* LocationTable::find(std::string_view aor) const {
  const Entry* e = find_entry(aor, hash(aor));
  const AorRecord* r = e ? e->record.load(std::memory_order_acquire) : nullptr;
  return r == kDead ? nullptr : r;  // it died since find_entry saw it
}

LocationTable::Entry* LocationTable::insert_entry(Writer& w, std::string_view aor, uint64_t h) {
  // Pushed at the head of its bucket with a compare-and-swap. Another writer may insert the
  // same AOR at the same moment: whoever loses finds the winner's entry and frees its own.
  std::atomic<Entry*>& head = buckets_[h & mask_];
  Entry* first = head.load(std::memory_order_acquire);
  Entry* mine = nullptr;
  for (;;) {
    for (Entry* e = first; e != nullptr; e = e->next.load(std::memory_order_acquire)) {
      if (e->hash == h && e->aor() == aor && e->record.load(std::memory_order_acquire) != kDead) {
        if (mine != nullptr) w.arena_.release(mine, Entry::bytes(aor.size()));
        return e;
      }
    }
    if (mine == nullptr) mine = Entry::create(h, aor, w.arena_);
    mine->next.store(first, std::memory_order_relaxed);
    if (head.compare_exchange_weak(first, mine, std::memory_order_release,
                                   std::memory_order_acquire)) {
      w.count(w.aors_, 1);
      return mine;
    }
  }
}

void LocationTable::retire(Writer& w, const void* block, std::size_t entry_bytes) {
  // Unlinked already. A worker's REGISTERs of one batch share an epoch: advancing it is a
  // locked add on a cache line every worker writes, once per batch instead of per REGISTER.
  // The stamp comes after every unlink it covers (this thread's program order, and
  // Qsbr::retire() is an acquire-release add), which is all safe() needs.
  const uint64_t mark = batch_mark(w);
  if (mark == w.mark_ && w.pending_ + 1 < kStampEvery) {
    w.retired_.push_back({block, kPending, entry_bytes});
    ++w.pending_;
    return;
  }
  const uint64_t epoch = qsbr_.retire();
  if (w.pending_ != 0) stamp_pending(w, epoch);
  w.retired_.push_back({block, epoch, entry_bytes});
  w.mark_ = mark;
}

void LocationTable::stamp_pending(Writer& w, uint64_t epoch) {
  std::vector<Writer::Retired>& r = w.retired_;
  for (std::size_t i = r.size() - w.pending_; i < r.size(); ++i) r[i].epoch = epoch;
  w.pending_ = 0;
}

void LocationTable::reclaim(Writer& w) {
  if (w.pending_ != 0) {
    stamp_pending(w, qsbr_.retire());
    w.mark_ = batch_mark(w);
  }
  free_safe(w);
}

void LocationTable::free_safe(Writer& w) {
  // One writer's retire epochs only grow, so its oldest records come free first; those
  // waiting for an epoch are the newest, at the end.
  std::vector<Writer::Retired>& r = w.retired_;
  std::size_t& head = w.retired_head_;
  while (head < r.size() && r[head].epoch != kPending && qsbr_.safe(r[head].epoch)) {
    const Writer::Retired& x = r[head++];
    if (x.entry_bytes != 0)  // an entry: any writer's arena may take its block
      w.arena_.release(const_cast<void*>(x.block), x.entry_bytes);
    else
      AorRecord::release(static_cast<const AorRecord*>(x.block), w.arena_);
  }
  if (head == r.size()) {
    r.clear();
    head = 0;
  } else if (head >= 1024 && head * 2 >= r.size()) {
    r.erase(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(head));
    head = 0;
  }
}

const AorRecord* LocationTable::update(Writer& w, std::string_view aor, UpdateFn fn) {
  const uint64_t h = hash(aor);
  Entry* e = find_entry(aor, h);
  for (;;) {
    const AorRecord* old = e ? e->record.load(std::memory_order_acquire) : nullptr;
    if (old == kDead) {  // the sweep took the entry meanwhile: the AOR starts a new one
      e = nullptr;
      old = nullptr;
    }
    const AorRecord* next = fn(old, w.arena_);
    if (next == old) return old;  // nothing changes
    if (next != nullptr && next->bindings.empty()) {
      AorRecord::release(next, w.arena_);  // never published: straight back
      next = nullptr;
      if (old == nullptr) return nullptr;
    }
    if (e == nullptr) {  // next != nullptr: a new AOR
      e = insert_entry(w, aor, h);
      if (e->record.load(std::memory_order_acquire) != nullptr) {
        // Another writer registered it first: build again from its record.
        AorRecord::release(next, w.arena_);
        continue;
      }
    }
    const AorRecord* seen = old;
    if (e->record.compare_exchange_strong(seen, next, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
      w.count(w.bindings_, static_cast<int64_t>(next ? next->bindings.size() : 0) -
                               static_cast<int64_t>(old ? old->bindings.size() : 0));
      if (old != nullptr) retire(w, old);
      free_safe(w);
      return next;
    }
    // Another writer replaced `old` meanwhile: ours was never seen, and is built again.
    AorRecord::release(next, w.arena_);
  }
}

std::size_t LocationTable::sum(std::atomic<int64_t> Writer::*count) const {
  int64_t n = 0;
  for (unsigned i = 0; i < writer_count_; ++i)
    n += (writers_[i].*count).load(std::memory_order_relaxed);
  return n < 0 ? 0 : static_cast<std::size_t>(n);  // a moment's snapshot can be behind
}

std::size_t LocationTable::heap_allocations() const {
  std::size_t n = 0;
  for (unsigned i = 0; i < writer_count_; ++i) n += writers_[i].arena_.heap_allocations();
  return n;
}

std::size_t LocationTable::sweep(Writer& w, uint64_t now_ms, std::size_t max_buckets) {
  std::size_t removed = 0;
  Binding kept[64];
  const bool unlinker = !unlinking_.test_and_set(std::memory_order_acquire);
  bool unlinked = false;
  for (std::size_t n = 0; n < max_buckets; ++n) {
    const std::size_t b = sweep_cursor_.fetch_add(1, std::memory_order_relaxed) & mask_;
    Entry* next_entry = nullptr;
    for (Entry* e = buckets_[b].load(std::memory_order_acquire); e != nullptr; e = next_entry) {
      next_entry = e->next.load(std::memory_order_acquire);  // unlinking e keeps e->next
      const AorRecord* rec = e->record.load(std::memory_order_acquire);
      if (rec == kDead) continue;
      if (rec == nullptr) {
        // No bindings (the last expired, or was removed): the entry goes, unless a REGISTER
        // publishes into it first, which then keeps it.
        if (unlinker && e->record.compare_exchange_strong(rec, kDead, std::memory_order_acq_rel,
                                                          std::memory_order_acquire)) {
          unlink(b, e);
          w.count(w.aors_, -1);
          retire(w, e, Entry::bytes(e->aor_length));
          unlinked = true;
        }
        continue;
      }
      bool any_expired = false;
      for (const Binding& bnd : rec->bindings) any_expired |= bnd.expires_at_ms <= now_ms;
      if (!any_expired) continue;
      std::size_t dropped = 0;  // by the call of fn whose result stands
      const AorRecord* left =
          update(w, e->aor(), [&](const AorRecord* old, RecordArena& arena) -> const AorRecord* {
            dropped = 0;
            if (old == nullptr) return nullptr;
            std::vector<Binding> many;  // only for an AOR with more than 64 bindings
            std::size_t count = 0;
            for (const Binding& bnd : old->bindings) {
              if (bnd.expires_at_ms <= now_ms) {
                ++dropped;
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
      removed += dropped;
      if (left == nullptr) next_entry = e;  // again: left without bindings, it goes now
    }
  }
  if (unlinker) unlinking_.clear(std::memory_order_release);
  if (unlinked) free_safe(w);
  return removed;
}

void LocationTable::unlink(std::size_t b, Entry* dead) {
  // `dead` is in this chain, and only this thread unlinks: the links after the head are
  // written by no one else, and dead->next stays as it is.
  Entry* const after = dead->next.load(std::memory_order_acquire);
  for (;;) {
    std::atomic<Entry*>* link = &buckets_[b];
    Entry* e = link->load(std::memory_order_acquire);
    while (e != dead) {
      link = &e->next;
      e = link->load(std::memory_order_acquire);
    }
    if (link->compare_exchange_strong(e, after, std::memory_order_release,
                                      std::memory_order_relaxed))
      return;
    // An insert pushed in front of it at the head: walk again.
  }
}

}  // namespace sipwire
