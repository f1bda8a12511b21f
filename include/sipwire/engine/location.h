// The location service (RFC 3261 §10): address-of-record -> bindings. Shared by every worker.
//
// No lock anywhere. Lookups copy nothing: each AOR's bindings are an immutable record behind
// an atomic pointer, valid for a reader until its next Qsbr::quiescent(). A writer (a
// worker's registrar or sweep) builds a new record from the current one and publishes it with
// a compare-and-swap; when another worker changed the AOR in between, it builds again from
// theirs. The record it replaced is retired and reclaimed once no reader can hold it.
//
// Memory: a record is one block (header, bindings, then their strings), and a table entry
// holds its AOR inline, so an AOR with one binding costs two blocks and a bucket. Both come
// from the arena of the writer that made them (record_arena.h), one per worker: a refresh
// reuses the block of a record retired before, and allocates nothing. A record retired by
// another worker goes back to its own arena through a lock-free stack. The entry of an AOR
// left without bindings is unlinked by the sweep and reclaimed like a record, so AORs that
// come and go (or a sender inventing them) do not grow the table.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sipwire/engine/function_ref.h"
#include "sipwire/engine/qsbr.h"
#include "sipwire/engine/record_arena.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct Binding {
  std::string_view contact;  // the Contact URI, as registered (no angle brackets)
  std::string_view path;     // Path header values of the REGISTER (RFC 3327), "" if none
  std::string_view call_id;  // of the REGISTER that made or refreshed it (§10.3 step 7)
  uint64_t expires_at_ms = 0;
  uint64_t registered_at_ms = 0;
  // Where requests for this binding go, resolved when it is registered so that routing a call
  // parses nothing (binding_next_hop() in registrar.h): the first Path hop's address when that
  // is an IP literal; else the contact's own address when it is one, unless it is a private
  // address and the REGISTER came from another (a phone behind a NAT); else where the
  // REGISTER came from (a NATed client is reached there).
  NetAddress next_hop;
  uint32_t cseq = 0;
  uint16_t q = 1000;               // thousandths; 1000 when the Contact had no q
  bool next_hop_is_source = true;  // next_hop is the REGISTER's source address
  // The contact holds headers or a method parameter, which a Request-URI may not (§19.1.1):
  // a request forwarded to it is written without them (ForwardSpec::trim_ruri).
  bool trim_ruri = false;
};

// One AOR's bindings, never modified once published. Built with build(): the bindings' views
// then point into the record's own block, whatever they pointed at before.
class AorRecord {
 public:
  std::span<const Binding> bindings;

  // One block from `arena`: the record, copies of the bindings, and their strings.
  static AorRecord* build(std::span<const Binding> bindings, RecordArena& arena);
  // Gives the block back to the arena that built the record: at once when that is `mine`
  // (the caller's own), else through that arena's lock-free give_back().
  static void release(const AorRecord* record, RecordArena& mine);

 private:
  friend class LocationTable;
  AorRecord() = default;
  RecordArena* home_ = nullptr;  // the arena the block came from
};

class LocationTable {
 public:
  // What one writing thread owns: the arena its records and entries come from, and the records
  // it replaced, waiting for their grace period. Used by that thread only.
  // A cache line of its own: its counts are written by its worker on every REGISTER.
  class alignas(64) Writer {
   public:
    Writer() { retired_.reserve(1024); }

   private:
    friend class LocationTable;
    struct Retired {
      const void* block;  // an AorRecord, or an unlinked entry when entry_bytes != 0
      uint64_t epoch;
      std::size_t entry_bytes = 0;
    };
    // Only its own worker adds to them (a load and a store, no locked instruction and no
    // cache line shared with other workers); any thread may read them. A binding one writer
    // added and another removed is +1 in one and -1 in the other: the sum is what is stored.
    void count(std::atomic<int64_t>& n, int64_t delta) {
      n.store(n.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    }
    std::atomic<int64_t> aors_{0};
    std::atomic<int64_t> bindings_{0};
    RecordArena arena_;
    std::vector<Retired> retired_;  // in retire order, so oldest (lowest epoch) first
    std::size_t retired_head_ = 0;  // retired_[..head) were reclaimed
    // The last `pending_` of retired_ wait for their epoch (kPending): stamped together, with
    // one Qsbr::retire(), at this writer's first retirement after its worker passed a
    // quiescent state (`mark_` is the Qsbr::seen() of the last stamp), or every
    // kStampEvery records, or by reclaim().
    std::size_t pending_ = 0;
    uint64_t mark_ = 0;
    unsigned reader_ = 0;  // the Qsbr reader of this writer's worker (its index)
  };

  // `buckets` is rounded up to a power of two; one per expected AOR keeps chains short. One
  // Writer per Qsbr reader: each worker both reads and writes, as reader and writer `i`.
  LocationTable(std::size_t buckets, Qsbr& qsbr);
  ~LocationTable();
  LocationTable(const LocationTable&) = delete;
  LocationTable& operator=(const LocationTable&) = delete;

  // The AOR's current record, or null. Lock-free; valid until the reader's next quiescent().
  // Bindings may have expired: readers compare expires_at_ms with their clock.
  const AorRecord* find(std::string_view aor) const;

  unsigned writers() const { return writer_count_; }
  std::size_t bucket_count() const { return mask_ + 1; }
  // Writer `index % writers()`: a worker's index is below writers(), so each has its own.
  Writer& writer(unsigned index) { return writers_[index % writer_count_]; }

  // Replaces the AOR's record with fn(old, arena) (old may be null). fn returns a record
  // from AorRecord::build(..., arena), which the table then owns, or `old` itself to change
  // nothing, or null to remove every binding. Returns the record now published (null if
  // none). If another writer replaced `old` meanwhile, fn runs again on theirs: it must have
  // no effect but its result (and what it records about the last call). Nobody waits. The
  // calling thread must be an online Qsbr reader: that keeps `old` from being freed and
  // reused while fn runs (no ABA on the swap).
  using UpdateFn = FunctionRef<const AorRecord*(const AorRecord* old, RecordArena& arena)>;
  const AorRecord* update(Writer& w, std::string_view aor, UpdateFn fn);

  // Drops expired bindings from up to `max_buckets` buckets, continuing where the last call
  // stopped, so a worker can sweep the table a slice per tick, and unlinks the entries of AORs
  // left without bindings (one sweeping worker at a time does that; another skips it and a
  // later pass of the bucket does it). The caller must be an online Qsbr reader. Returns
  // bindings removed.
  std::size_t sweep(Writer& w, uint64_t now_ms, std::size_t max_buckets);

  // Frees the records `w` retired that no reader can hold any more (those still waiting for
  // their epoch are given one first). A worker calls it now and then; update() frees what it
  // can by itself.
  void reclaim(Writer& w);

  // From any thread: the sums of the writers' counts (a snapshot; a count may lag by the
  // updates in flight). aor_count() counts the AORs in the table: those with bindings, and
  // those whose last binding went since their bucket was last swept.
  std::size_t aor_count() const { return sum(&Writer::aors_); }
  // Heap allocations the table has made (arena blocks, large records): flat while refreshes
  // recycle retired records. From any thread; for tests and statistics.
  std::size_t heap_allocations() const;
  std::size_t binding_count() const { return sum(&Writer::bindings_); }

  // The hash `aor` is filed under: SipHash-1-3 under a key each table draws at random, so AORs
  // chosen to share a bucket (and make every lookup in it walk them all) cannot be found
  // without the key.
  uint64_t hash(std::string_view aor) const;

 private:
  struct Entry;
  static constexpr uint64_t kPending = UINT64_MAX;  // a retired record's epoch, until stamped
  static constexpr std::size_t kStampEvery = 64;
  void retire(Writer& w, const void* block, std::size_t entry_bytes = 0);
  // Unlinks `dead` (marked so) from bucket `b`; only the holder of unlinking_ calls it.
  void unlink(std::size_t b, Entry* dead);
  void stamp_pending(Writer& w, uint64_t epoch);
  void free_safe(Writer& w);
  // What tells this writer's batches apart: its worker's last quiescent report.
  uint64_t batch_mark(const Writer& w) const {
    return w.reader_ < qsbr_.max_readers() ? qsbr_.seen(w.reader_) : 0;
  }
  Entry* find_entry(std::string_view aor, uint64_t h) const;
  Entry* insert_entry(Writer& w, std::string_view aor, uint64_t h);
  std::size_t sum(std::atomic<int64_t> Writer::*count) const;  // over all writers

  std::size_t mask_;
  uint64_t key0_, key1_;  // of hash()
  std::unique_ptr<std::atomic<Entry*>[]> buckets_;
  Qsbr& qsbr_;
  unsigned writer_count_;
  std::unique_ptr<Writer[]> writers_;
  std::atomic<std::size_t> sweep_cursor_{0};
  // Held by the one sweep that may unlink entries: inserts only push at a bucket's head, so
  // with one unlinker no two threads ever write the same `next` link.
  std::atomic_flag unlinking_ = ATOMIC_FLAG_INIT;
};

}  // namespace sipwire
