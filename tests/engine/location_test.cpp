// The location service: canonical AORs, updates, expiry sweeps, and lock-free readers racing
// a writer while retired records are reclaimed (run under ASan in CI: a reader touching a
// freed record fails there).
#include "sipwire/engine/location.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "sipwire/engine/aor.h"

namespace sipwire {
namespace {

std::unique_ptr<AorRecord> one_binding(const std::string& contact, uint64_t expires_at) {
  auto r = std::make_unique<AorRecord>();
  r->bindings.push_back(Binding{contact, "", "cid", 1, expires_at, 1000, {}, 0});
  return r;
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
  t.update("sip:bob@localhost", [](const AorRecord* old) {
    EXPECT_EQ(old, nullptr);
    return one_binding("sip:bob@192.0.2.1", 5000);
  });
  const AorRecord* r = t.find("sip:bob@localhost");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->bindings.at(0).contact, "sip:bob@192.0.2.1");
  EXPECT_EQ(t.aor_count(), 1u);
  EXPECT_EQ(t.binding_count(), 1u);
  t.update("sip:bob@localhost", [](const AorRecord*) { return nullptr; });
  EXPECT_EQ(t.find("sip:bob@localhost"), nullptr);
  EXPECT_EQ(t.binding_count(), 0u);
}

TEST(LocationTable, SweepDropsExpiredBindingsOnly) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(16, qsbr);
  t.update("sip:a@x", [](const AorRecord*) {
    auto r = one_binding("sip:a@192.0.2.1", 1000);
    r->bindings.push_back(Binding{"sip:a@192.0.2.2", "", "c", 1, 9000, 1000, {}, 0});
    return r;
  });
  EXPECT_EQ(t.sweep(5000, 1 << 20), 1u);
  ASSERT_NE(t.find("sip:a@x"), nullptr);
  EXPECT_EQ(t.find("sip:a@x")->bindings.size(), 1u);
  EXPECT_EQ(t.find("sip:a@x")->bindings[0].contact, "sip:a@192.0.2.2");
}

TEST(LocationTable, ReadersNeverSeeFreedRecords) {
  Qsbr qsbr(2);
  LocationTable t(16, qsbr);
  t.update("sip:hot@x", [](const AorRecord*) { return one_binding("sip:v0@192.0.2.1", 1); });
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    qsbr.online(1);
    while (!stop.load(std::memory_order_relaxed)) {
      const AorRecord* r = t.find("sip:hot@x");
      // A record is immutable and alive until this reader's next quiescent state.
      if (r != nullptr && r->bindings.at(0).contact.substr(0, 5) != "sip:v") std::abort();
      qsbr.quiescent(1);
      reads.fetch_add(1, std::memory_order_relaxed);
    }
    qsbr.offline(1);
  });
  for (int i = 1; i <= 20000; ++i)
    t.update("sip:hot@x", [i](const AorRecord*) {
      return one_binding("sip:v" + std::to_string(i) + "@192.0.2.1", 1);
    });
  while (reads.load() < 1000) std::this_thread::yield();
  stop = true;
  reader.join();
  t.reclaim();
  EXPECT_EQ(t.find("sip:hot@x")->bindings.at(0).contact, "sip:v20000@192.0.2.1");
}

}  // namespace
}  // namespace sipwire
