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

Binding binding(std::string_view contact, uint64_t expires_at) {
  Binding b;
  b.contact = contact;
  b.call_id = "cid";
  b.cseq = 1;
  b.expires_at_ms = expires_at;
  return b;
}

const AorRecord* one_binding(const std::string& contact, uint64_t expires_at) {
  const Binding b = binding(contact, expires_at);
  return AorRecord::build({&b, 1});
}

TEST(AorRecord, BuildCopiesEveryString) {
  std::string contact = "sip:bob@192.0.2.1", path = "<sip:edge;lr>", call_id = "c-1";
  Binding b = binding(contact, 5);
  b.path = path;
  b.call_id = call_id;
  const AorRecord* r = AorRecord::build({&b, 1});
  contact.assign(contact.size(), 'x');  // the record must not depend on the caller's buffers
  path.assign(path.size(), 'x');
  call_id.assign(call_id.size(), 'x');
  ASSERT_EQ(r->bindings.size(), 1u);
  EXPECT_EQ(r->bindings[0].contact, "sip:bob@192.0.2.1");
  EXPECT_EQ(r->bindings[0].path, "<sip:edge;lr>");
  EXPECT_EQ(r->bindings[0].call_id, "c-1");
  EXPECT_EQ(r->bindings[0].expires_at_ms, 5u);
  AorRecord::destroy(r);
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
  // Returning the old record changes nothing.
  const AorRecord* before = t.find("sip:bob@localhost");
  EXPECT_EQ(t.update("sip:bob@localhost", [](const AorRecord* old) { return old; }), before);
  const AorRecord* r = t.find("sip:bob@localhost");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->bindings[0].contact, "sip:bob@192.0.2.1");
  EXPECT_EQ(t.aor_count(), 1u);
  EXPECT_EQ(t.binding_count(), 1u);
  t.update("sip:bob@localhost", [](const AorRecord*) -> const AorRecord* { return nullptr; });
  EXPECT_EQ(t.find("sip:bob@localhost"), nullptr);
  EXPECT_EQ(t.binding_count(), 0u);
}

TEST(LocationTable, SweepDropsExpiredBindingsOnly) {
  Qsbr qsbr(1);
  qsbr.online(0);
  LocationTable t(16, qsbr);
  t.update("sip:a@x", [](const AorRecord*) {
    const Binding two[] = {binding("sip:a@192.0.2.1", 1000), binding("sip:a@192.0.2.2", 9000)};
    return AorRecord::build(two);
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
      if (r != nullptr && r->bindings[0].contact.substr(0, 5) != "sip:v") std::abort();
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
  EXPECT_EQ(t.find("sip:hot@x")->bindings[0].contact, "sip:v20000@192.0.2.1");
}

}  // namespace
}  // namespace sipwire
