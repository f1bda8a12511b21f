// The location service: canonical AORs, updates, expiry sweeps, and lock-free readers racing
// a writer while retired records are reclaimed (run under ASan in CI: a reader touching a
// freed record fails there).
#include "sipwire/engine/location.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "sipwire/engine/aor.h"

namespace sipwire {
namespace {

Binding binding(std::string_view contact, uint64_t expires_at) {
  Binding b;
  b.contact = contact;
  b.call_id = "cid";
  b.cseq = 1;
  b.expires_at_ms = expires_at;
  return b;
}

// The bindings of `old` (null: none) other than `contact`: what a worker keeps when it
// replaces or removes its own contact.
std::vector<Binding> others(const AorRecord* old, const std::string& contact) {
  std::vector<Binding> b;
  if (old != nullptr)
    for (const Binding& x : old->bindings)
      if (x.contact != contact) b.push_back(x);
  return b;
}

const AorRecord* one_binding(const std::string& contact, uint64_t expires_at, RecordArena& arena) {
  const Binding b = binding(contact, expires_at);
  return AorRecord::build({&b, 1}, arena);
}

TEST(AorRecord, BuildCopiesEveryString) {
  std::string contact = "sip:bob@192.0.2.1", path = "<sip:edge;lr>", call_id = "c-1";
  Binding b = binding(contact, 5);
  b.path = path;
  b.call_id = call_id;
  RecordArena arena;
  const AorRecord* r = AorRecord::build({&b, 1}, arena);
  contact.assign(contact.size(), 'x');  // the record must not depend on the caller's buffers
  path.assign(path.size(), 'x');
  call_id.assign(call_id.size(), 'x');
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].contact, "sip:bob@192.0.2.1");
  EXPECT_EQ(r->bindings[0].path, "<sip:edge;lr>");
  EXPECT_EQ(r->bindings[0].call_id, "c-1");
  EXPECT_EQ(r->bindings[0].expires_at_ms, 5u);
  AorRecord::release(r, arena);
}

TEST(RecordArena, AReleasedBlockServesTheNextOfItsSize) {
  RecordArena arena;
  void* a = arena.allocate(100);
  void* b = arena.allocate(200);
  EXPECT_NE(a, b);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 8, 0u);
  const std::size_t blocks = arena.heap_allocations();
  arena.release(a, 100);
  EXPECT_EQ(arena.allocate(110), a);  // same 16-byte class (112)
  void* c = arena.allocate(100);      // the class is empty again: carved anew
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_EQ(arena.heap_allocations(), blocks);  // all within the first block
  // Too large to pool: straight from the heap, and back to it.
  void* big = arena.allocate(10000);
  EXPECT_EQ(arena.heap_allocations(), blocks + 1);
  arena.release(big, 10000);
  arena.release(b, 200);
  arena.release(c, 100);
}

#if defined(__SANITIZE_ADDRESS__)
TEST(RecordArenaDeathTest, UnderAsanAReleasedBlockCannotBeRead) {
  // What keeps ReadersNeverSeeFreedRecords meaningful with pooled records: a read after
  // release is reported, as a read of freed heap memory would be.
  RecordArena arena;
  auto* p = static_cast<volatile char*>(arena.allocate(64));
  p[40] = 'x';
  arena.release(const_cast<char*>(p), 64);
  EXPECT_DEATH((void)p[40], "use-after-poison");
}
#endif

TEST(RecordArena, ABlockGivenBackFromAnotherThreadServesTheOwnersNextAllocation) {
  RecordArena arena;
  void* a = arena.allocate(100);
  const std::size_t blocks = arena.heap_allocations();
  std::thread other([&] { arena.give_back(a, 100); });
  other.join();
  EXPECT_EQ(arena.allocate(100), a);
  EXPECT_EQ(arena.heap_allocations(), blocks);
  void* big = arena.allocate(10000);  // a large block given back returns to the heap
  std::thread([&] { arena.give_back(big, 10000); }).join();
  void* next = arena.allocate(100);                      // the owner takes what came back
  EXPECT_EQ(arena.heap_bytes(), std::size_t{64} << 10);  // the pooled block is all that is left
  arena.release(next, 100);
}

TEST(RecordArena, RecordsOfManySizesStayApart) {
  // Blocks written whole must not overlap, whatever their sizes and order.
  RecordArena arena;
  std::vector<std::pair<unsigned char*, std::size_t>> blocks;
  for (std::size_t i = 0; i < 3000; ++i) {
    const std::size_t n = 8 + (i * 37) % 1500;
    auto* p = static_cast<unsigned char*>(arena.allocate(n));
    std::memset(p, static_cast<int>(i & 0xFF), n);
    blocks.push_back({p, n});
    if (i % 3 == 0) {  // release an earlier one now and then
      auto& [q, m] = blocks[i / 2];
      if (q != nullptr) {
        arena.release(q, m);
        q = nullptr;
      }
    }
  }
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const auto& [p, n] = blocks[i];
    if (p == nullptr) continue;
    for (std::size_t k = 0; k < n; ++k)
      ASSERT_EQ(p[k], static_cast<unsigned char>(i & 0xFF)) << "block " << i << " byte " << k;
  }
  for (auto& [p, n] : blocks)
    if (p != nullptr) arena.release(p, n);
}

// Writer 0 refreshes bob's one binding, its contact the same length every time (as a refresh
// of one phone is) and different for each i up to 100.
void refresh_bob(LocationTable& t, int i) {
  t.update(t.writer(0), "sip:bob@localhost", [i](const AorRecord*, RecordArena& arena) {
    return one_binding("sip:bob@192.0.2." + std::to_string(100 + i % 100), 1000, arena);
  });
}

TEST(LocationTable, RefreshesReuseRetiredRecordsAndTakeNothingMoreFromTheHeap) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(64, qsbr);
  auto refresh = [&](int i) {
    refresh_bob(t, i);
    qsbr.quiescent(0);  // the worker between two messages: the old record may be reused
  };
  for (int i = 0; i < 10; ++i) refresh(i);
  const std::size_t warm = t.heap_allocations();
  EXPECT_GT(warm, 0u);
  for (int i = 10; i < 10000; ++i) refresh(i);
  EXPECT_EQ(t.heap_allocations(), warm);
  EXPECT_EQ(t.find("sip:bob@localhost")->bindings[0].contact, "sip:bob@192.0.2.199");
}

// The epoch every worker shares is advanced once per batch of a worker's REGISTERs (at its
// first retirement after a quiescent state), not once per REGISTER: retire() returns the
// epoch it makes, so two calls around a batch tell how many advances the batch made.
TEST(LocationTable, ABatchOfRefreshesAdvancesTheSharedEpochOnce) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(64, qsbr);
  const auto refresh = [&](int i) { refresh_bob(t, i); };
  refresh(0);
  refresh(1);
  qsbr.quiescent(0);  // a batch ends
  const uint64_t before = qsbr.retire();
  for (int i = 2; i < 12; ++i) refresh(i);  // ten retirements in one batch
  EXPECT_EQ(qsbr.retire() - before - 1, 1u);

  qsbr.quiescent(0);
  const uint64_t next = qsbr.retire();
  refresh(12);  // the next batch's first: one more
  refresh(13);
  EXPECT_EQ(qsbr.retire() - next - 1, 1u);
}

// A writer that never passes a quiescent state (a thread that is no reader) still stamps its
// retired records every 64, so they do not pile up unstamped, and reclaim() stamps the rest
// and frees them once every reader has moved on.
TEST(LocationTable, RetirementsWithoutQuiescentStatesAreStampedEverySixtyFour) {
  Qsbr qsbr(2);
  qsbr.online(1);  // another worker; writer 0's own reader never reports
  LocationTable t(64, qsbr);
  const uint64_t before = qsbr.retire();
  for (int i = 0; i <= 200; ++i) refresh_bob(t, i);
  const uint64_t advances = qsbr.retire() - before - 1;
  EXPECT_GE(advances, 200u / 64);
  EXPECT_LE(advances, 200u / 64 + 1);

  const std::size_t heap = t.heap_allocations();
  t.reclaim(t.writer(0));  // stamped, but reader 1 has not moved on: nothing can go yet
  qsbr.quiescent(1);
  t.reclaim(t.writer(0));  // now every retired record goes back to the arena
  for (int i = 0; i < 150; ++i) refresh_bob(t, i);  // reused: no new block for the next 150
  EXPECT_EQ(t.heap_allocations(), heap);
}

TEST(Aor, CanonicalForm) {
  Uri uri;
  ASSERT_TRUE(parse_uri("SIP:Bob%41@Example.COM:5070;transport=tcp?x=y", uri).ok());
  Aor aor;
  ASSERT_TRUE(aor.assign(uri));
  EXPECT_EQ(aor.view(), "sip:BobA@example.com:5070");  // user case kept, escapes decoded
  EXPECT_EQ(aor.host(), "example.com");
  ASSERT_TRUE(parse_uri("tel:+15551234", uri).ok());
  EXPECT_FALSE(aor.assign(uri));
}

TEST(LocationTable, UpdateFindAndRemove) {
  Qsbr qsbr(1);
  LocationTable t(64, qsbr);
  EXPECT_EQ(t.find("sip:bob@localhost"), nullptr);
  t.update(t.writer(0), "sip:bob@localhost", [](const AorRecord* old, RecordArena& arena) {
    EXPECT_EQ(old, nullptr);
    return one_binding("sip:bob@192.0.2.1", 5000, arena);
  });
  // Returning the old record changes nothing.
  const AorRecord* before = t.find("sip:bob@localhost");
  EXPECT_EQ(t.update(t.writer(0), "sip:bob@localhost",
                     [](const AorRecord* old, RecordArena&) { return old; }),
            before);
  const AorRecord* r = t.find("sip:bob@localhost");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->bindings[0].contact, "sip:bob@192.0.2.1");
  EXPECT_EQ(t.aor_count(), 1u);
  EXPECT_EQ(t.binding_count(), 1u);
  t.update(t.writer(0), "sip:bob@localhost",
           [](const AorRecord*, RecordArena&) -> const AorRecord* { return nullptr; });
  EXPECT_EQ(t.find("sip:bob@localhost"), nullptr);
  EXPECT_EQ(t.binding_count(), 0u);
}

TEST(LocationTable, SweepDropsExpiredBindingsOnly) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(16, qsbr);
  t.update(t.writer(0), "sip:a@x", [](const AorRecord*, RecordArena& arena) {
    const Binding two[] = {binding("sip:a@192.0.2.1", 1000), binding("sip:a@192.0.2.2", 9000)};
    return AorRecord::build(two, arena);
  });
  EXPECT_EQ(t.sweep(t.writer(0), 5000, 1 << 20), 1u);
  ASSERT_NE(t.find("sip:a@x"), nullptr);
  EXPECT_EQ(t.find("sip:a@x")->bindings.size(), 1u);
  EXPECT_EQ(t.find("sip:a@x")->bindings[0].contact, "sip:a@192.0.2.2");
}

TEST(LocationTable, ReadersNeverSeeFreedRecords) {
  Qsbr qsbr(2);
  LocationTable t(16, qsbr);
  t.update(t.writer(0), "sip:hot@x", [](const AorRecord*, RecordArena& arena) {
    return one_binding("sip:v0@192.0.2.1", 1, arena);
  });
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    qsbr.online(1);
    while (!stop.load(std::memory_order_relaxed)) {
      const AorRecord* r = t.find("sip:hot@x");
      // A record is immutable and alive until this reader's next quiescent state.
      if (r != nullptr && r->bindings[0].contact.substr(0, 5) != "sip:v") std::abort();
      qsbr.quiescent(1);
      reads.fetch_add(1, std::memory_order_relaxed);
    }
    qsbr.offline(1);
  });
  for (int i = 1; i <= 20000; ++i)
    t.update(t.writer(0), "sip:hot@x", [i](const AorRecord*, RecordArena& arena) {
      return one_binding("sip:v" + std::to_string(i) + "@192.0.2.1", 1, arena);
    });
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  reader.join();
  t.reclaim(t.writer(0));
  EXPECT_EQ(t.find("sip:hot@x")->bindings[0].contact, "sip:v20000@192.0.2.1");
}

TEST(LocationTable, CountsStayRightWhenOneWorkerAddsWhatAnotherRemoves) {
  // Each worker counts in its own writer; the table reports the sums.
  Qsbr qsbr(2);
  qsbr.online(0);
  qsbr.online(1);
  LocationTable t(16, qsbr);
  t.update(t.writer(0), "sip:bob@x", [](const AorRecord*, RecordArena& arena) {
    return one_binding("sip:bob@192.0.2.1", 1000, arena);
  });
  t.update(t.writer(0), "sip:carol@x", [](const AorRecord*, RecordArena& arena) {
    return one_binding("sip:carol@192.0.2.2", 1000, arena);
  });
  EXPECT_EQ(t.aor_count(), 2u);
  EXPECT_EQ(t.binding_count(), 2u);
  t.update(t.writer(1), "sip:bob@x",
           [](const AorRecord*, RecordArena&) -> const AorRecord* { return nullptr; });
  EXPECT_EQ(t.binding_count(), 1u);
  t.update(t.writer(1), "sip:carol@x", [](const AorRecord*, RecordArena& arena) {
    const Binding two[] = {binding("sip:carol@192.0.2.2", 1000),
                           binding("sip:carol@192.0.2.3", 1000)};
    return AorRecord::build(two, arena);
  });
  EXPECT_EQ(t.binding_count(), 2u);
  EXPECT_EQ(t.aor_count(), 2u);  // an AOR's entry stays when its last binding goes
}

TEST(LocationTable, ARecordReplacedByAnotherWorkerGoesBackToTheArenaThatBuiltIt) {
  Qsbr qsbr(2);
  qsbr.online(0);
  qsbr.online(1);
  LocationTable t(16, qsbr);
  auto put = [&](unsigned writer, const std::string& contact) {
    t.update(t.writer(writer), "sip:bob@x", [&](const AorRecord*, RecordArena& arena) {
      return one_binding(contact, 1000, arena);
    });
  };
  // Warm both arenas so that later records of this size need no new block.
  put(0, "sip:bob@192.0.2.10");
  put(1, "sip:bob@192.0.2.11");
  qsbr.quiescent(0);
  qsbr.quiescent(1);
  t.reclaim(t.writer(1));  // writer 0's first record, retired by writer 1, goes home
  const std::size_t warm = t.heap_allocations();
  for (int i = 0; i < 5000; ++i) {  // the two workers take turns refreshing one AOR
    put(static_cast<unsigned>(i % 2), "sip:bob@192.0.2." + std::to_string(100 + i % 100));
    qsbr.quiescent(0);
    qsbr.quiescent(1);
  }
  EXPECT_EQ(t.heap_allocations(), warm);
  EXPECT_EQ(t.find("sip:bob@x")->bindings[0].contact, "sip:bob@192.0.2.199");
}

TEST(LocationTable, WorkersWritingTheSameAorsConcurrentlyLoseNoUpdate) {
  // Four workers, each refreshing its own contact on the same eight AORs over and over (as a
  // desk phone and a softphone of one user would, on different workers), while reading them.
  // No lock: a worker whose swap loses builds again from the winner's record. Every AOR ends
  // with all four contacts, each at its worker's last CSeq; a lost update would leave one
  // missing or stale. Under ASan a record freed too early is a use after free.
  constexpr unsigned kWorkers = 4;
  constexpr int kRounds = 3000;
  const std::vector<std::string> aors = {"sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x",
                                         "sip:e@x", "sip:f@x", "sip:g@x", "sip:h@x"};
  Qsbr qsbr(kWorkers);
  LocationTable t(16, qsbr);  // few buckets: new AORs race into the same chains too
  std::atomic<unsigned> ready{0};
  auto worker = [&](unsigned id) {
    qsbr.online(id);
    ready.fetch_add(1);
    while (ready.load() < kWorkers) std::this_thread::yield();
    const std::string contact = "sip:w" + std::to_string(id) + "@192.0.2.1";
    for (int round = 1; round <= kRounds; ++round) {
      for (const std::string& aor : aors) {
        t.update(t.writer(id), aor, [&](const AorRecord* old, RecordArena& arena) {
          std::vector<Binding> b = others(old, contact);
          Binding mine = binding(contact, 1000);
          mine.cseq = static_cast<uint32_t>(round);
          b.push_back(mine);
          return AorRecord::build(b, arena);
        });
        const AorRecord* r = t.find(aor);
        if (r == nullptr || r->bindings.empty()) std::abort();
      }
      qsbr.quiescent(id);
    }
    qsbr.offline(id);
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kWorkers; ++i) threads.emplace_back(worker, i);
  for (std::thread& th : threads) th.join();

  EXPECT_EQ(t.aor_count(), aors.size());
  EXPECT_EQ(t.binding_count(), aors.size() * kWorkers);
  for (const std::string& aor : aors) {
    const AorRecord* r = t.find(aor);
    ASSERT_NE(r, nullptr) << aor;
    ASSERT_EQ(r->bindings.size(), kWorkers) << aor;
    for (unsigned id = 0; id < kWorkers; ++id) {
      const std::string contact = "sip:w" + std::to_string(id) + "@192.0.2.1";
      const auto it = std::find_if(r->bindings.begin(), r->bindings.end(),
                                   [&](const Binding& x) { return x.contact == contact; });
      ASSERT_NE(it, r->bindings.end()) << aor << " lost " << contact;
      EXPECT_EQ(it->cseq, static_cast<uint32_t>(kRounds)) << aor << " " << contact;
    }
  }
}

// An AOR left without bindings gives its entry up at the next sweep of its bucket: the table
// holds the AORs registered now, not every AOR that ever registered.
TEST(LocationTable, TheSweepUnlinksTheEntryOfAnAorLeftWithoutBindings) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(16, qsbr);
  auto put = [&](const std::string& aor, uint64_t expires_at) {
    t.update(t.writer(0), aor, [&](const AorRecord*, RecordArena& arena) {
      return one_binding("sip:x@192.0.2.1", expires_at, arena);
    });
  };
  put("sip:expiring@x", 1000);
  put("sip:staying@x", 90000);
  put("sip:removed@x", 90000);
  t.update(t.writer(0), "sip:removed@x",
           [](const AorRecord*, RecordArena&) -> const AorRecord* { return nullptr; });
  EXPECT_EQ(t.aor_count(), 3u);  // the removed AOR's entry waits for the sweep
  EXPECT_EQ(t.binding_count(), 2u);

  EXPECT_EQ(t.sweep(t.writer(0), 5000, 16), 1u);  // one binding expired
  EXPECT_EQ(t.aor_count(), 1u);
  EXPECT_EQ(t.binding_count(), 1u);
  EXPECT_EQ(t.find("sip:expiring@x"), nullptr);
  EXPECT_EQ(t.find("sip:removed@x"), nullptr);
  ASSERT_NE(t.find("sip:staying@x"), nullptr);

  // Registering again makes a new entry, found as before.
  put("sip:expiring@x", 9000);
  EXPECT_EQ(t.aor_count(), 2u);
  ASSERT_NE(t.find("sip:expiring@x"), nullptr);
  EXPECT_EQ(t.find("sip:expiring@x")->bindings[0].expires_at_ms, 9000u);
  EXPECT_EQ(t.sweep(t.writer(0), 5000, 16), 0u);
  EXPECT_EQ(t.aor_count(), 2u);
}

// A registrar open to anyone in its domains (the default) sees AORs come and go: phones, and
// scanners inventing user names. Their entries are reclaimed, so memory stays flat.
TEST(LocationTable, AorsThatComeAndGoDoNotGrowTheTable) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(256, qsbr);
  std::size_t warm = 0;
  for (int round = 0; round < 40; ++round) {
    const uint64_t now = 1000 * static_cast<uint64_t>(round);
    for (int i = 0; i < 500; ++i) {
      const std::string aor = "sip:r" + std::to_string(round) + "u" + std::to_string(i) + "@x";
      t.update(t.writer(0), aor, [&](const AorRecord*, RecordArena& arena) {
        return one_binding("sip:u@192.0.2.1", now + 500, arena);
      });
    }
    EXPECT_EQ(t.aor_count(), 500u);
    qsbr.quiescent(0);
    EXPECT_EQ(t.sweep(t.writer(0), now + 999, 256), 500u);
    EXPECT_EQ(t.aor_count(), 0u);
    EXPECT_EQ(t.binding_count(), 0u);
    qsbr.quiescent(0);
    t.reclaim(t.writer(0));
    if (round == 4) warm = t.heap_allocations();
  }
  EXPECT_GT(warm, 0u);
  EXPECT_EQ(t.heap_allocations(), warm);  // 18,000 AORs later, no new block
}

// Workers register and remove their contacts on a few AORs while another worker sweeps and
// takes the entries of those left empty. A registration racing the sweep for an entry goes to
// a new entry: none is lost, and each AOR ends with one entry. Under ASan an entry freed while
// a worker still walks through it is a use after free.
TEST(LocationTable, RegistrationsRacingTheSweepForAnEntryAreNotLost) {
  constexpr unsigned kWriters = 3;
  constexpr int kRounds = 4000;  // even: each writer's last round adds its contact
  const std::vector<std::string> aors = {"sip:a@x", "sip:b@x", "sip:c@x", "sip:d@x"};
  Qsbr qsbr(kWriters + 1);
  LocationTable t(4, qsbr);  // few buckets: entries come and go in shared chains
  std::atomic<unsigned> writers_done{0};
  std::atomic<bool> go{false};
  std::thread sweeper([&] {
    qsbr.online(kWriters);
    while (!go.load()) std::this_thread::yield();
    while (writers_done.load() < kWriters) {
      t.sweep(t.writer(kWriters), 100, 4);
      qsbr.quiescent(kWriters);
    }
    qsbr.offline(kWriters);
  });
  auto writer = [&](unsigned id) {
    qsbr.online(id);
    while (!go.load()) std::this_thread::yield();
    const std::string contact = "sip:w" + std::to_string(id) + "@192.0.2.1";
    for (int round = 1; round <= kRounds; ++round) {
      for (const std::string& aor : aors) {
        t.update(t.writer(id), aor, [&](const AorRecord* old, RecordArena& arena) {
          std::vector<Binding> b = others(old, contact);
          if (round % 2 == 0) {
            Binding mine = binding(contact, 1'000'000);
            mine.cseq = static_cast<uint32_t>(round);
            b.push_back(mine);
          }
          return b.empty() ? nullptr : AorRecord::build(b, arena);
        });
      }
      qsbr.quiescent(id);
    }
    qsbr.offline(id);
    writers_done.fetch_add(1);
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kWriters; ++i) threads.emplace_back(writer, i);
  go = true;
  for (std::thread& th : threads) th.join();
  sweeper.join();

  qsbr.online(0);
  t.sweep(t.writer(0), 100, 4);  // nothing left to take: every AOR has bindings
  EXPECT_EQ(t.aor_count(), aors.size());
  EXPECT_EQ(t.binding_count(), aors.size() * kWriters);
  for (const std::string& aor : aors) {
    const AorRecord* r = t.find(aor);
    ASSERT_NE(r, nullptr) << aor;
    ASSERT_EQ(r->bindings.size(), kWriters) << aor;
    for (const Binding& x : r->bindings) EXPECT_EQ(x.cseq, static_cast<uint32_t>(kRounds)) << aor;
  }
  qsbr.offline(0);
}

}  // namespace
}  // namespace sipwire
