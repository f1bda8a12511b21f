// The stateful proxy's store of message copies: what goes in comes out byte for byte, slots
// come back when released, a full store refuses instead of growing.
#include "sipwire/engine/message_store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace sipwire {
namespace {

TEST(MessageStoreTest, KeepsTheConcatenationOfSegments) {
  MessageStore store(1 << 20);
  const std::string_view parts[] = {"INVITE sip:b@x SIP/2.0\r\n", "", "Via: ...\r\n\r\n"};
  MessageRef ref = store.put(parts);
  ASSERT_FALSE(ref.empty());
  EXPECT_EQ(store.view(ref), "INVITE sip:b@x SIP/2.0\r\nVia: ...\r\n\r\n");
  EXPECT_EQ(store.counters().in_use, 1u);
  store.release(ref);
  EXPECT_TRUE(ref.empty());
  EXPECT_EQ(store.counters().in_use, 1u);  // until the batch that may still send it is out
  store.reclaim();
  EXPECT_EQ(store.counters().in_use, 0u);
  store.release(ref);  // releasing an empty ref is a no-op
  store.reclaim();
  EXPECT_EQ(store.counters().in_use, 0u);
}

TEST(MessageStoreTest, AReleasedSlotIsNotReusedBeforeReclaim) {
  // A relayed 200 is queued as a view of its slot; its context may end (and release the
  // slot) before the batch is sent. The next message of the batch must not overwrite it.
  MessageStore store(0);  // 4 slots per class
  MessageRef ok = store.put("SIP/2.0 200 OK\r\n\r\n");
  const std::string_view queued = store.view(ok);
  store.release(ok);
  constexpr int kSlots = 4 * static_cast<int>(MessageStore::kSlotBytes.size());
  for (int i = 0; i < kSlots - 1; ++i) ASSERT_FALSE(store.put("sip:uas@127.0.0.1:28002").empty());
  EXPECT_EQ(queued, "SIP/2.0 200 OK\r\n\r\n");
  EXPECT_TRUE(store.put("no slot left until reclaim").empty());
  store.reclaim();
  EXPECT_FALSE(store.put("now there is").empty());
}

TEST(MessageStoreTest, LargerMessagesTakeLargerSlots) {
  MessageStore store(1 << 20);
  const std::string big(5000, 'x'), huge(60000, 'y');
  MessageRef a = store.put(big), b = store.put(huge);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(store.view(a), big);
  EXPECT_EQ(store.view(b), huge);
  EXPECT_TRUE(store.put(std::string(70000, 'z')).empty());  // larger than any slot
  EXPECT_EQ(store.counters().exhausted, 1u);
}

std::string numbered(int i) {
  std::string s(1, 'm');
  s += std::to_string(i);
  return s;
}

TEST(MessageStoreTest, AFullClassSpillsIntoTheNextAndThenRefuses) {
  MessageStore store(0);  // the minimum: 4 slots per class
  constexpr int kSlots = 4 * static_cast<int>(MessageStore::kSlotBytes.size());
  std::vector<MessageRef> refs;
  for (int i = 0; i < kSlots; ++i) {
    refs.push_back(store.put(numbered(i)));
    ASSERT_FALSE(refs.back().empty()) << i;
  }
  EXPECT_TRUE(store.put("one more").empty());
  EXPECT_EQ(store.counters().exhausted, 1u);
  for (int i = 0; i < kSlots; ++i) EXPECT_EQ(store.view(refs[i]), numbered(i));
  store.release(refs[3]);
  store.reclaim();
  MessageRef again = store.put("reused");
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(store.view(again), "reused");
}

TEST(MessageStoreTest, ShortMessagesTakeTheSmallestSlots) {
  // A 200 to a BYE (a few hundred bytes) is kept 32 s: it takes a 512 B slot, and the 2 KiB
  // slots stay free for requests.
  MessageStore store(0);  // 4 slots per class
  for (int i = 0; i < 4; ++i) ASSERT_FALSE(store.put(std::string(400, 'r')).empty());
  for (int i = 0; i < 4; ++i) {
    const MessageRef ref = store.put(std::string(1500, 'q'));
    ASSERT_FALSE(ref.empty()) << i;
    EXPECT_EQ(store.writable(ref).size(), 2048u) << i;  // not spilled into larger classes
  }
  const MessageRef small = store.put(std::string(512, 's'));  // the 512 B class is full now
  ASSERT_FALSE(small.empty());
  EXPECT_EQ(store.writable(small).size(), 8192u);
}

TEST(MessageStoreTest, ReserveThenWriteInPlace) {
  MessageStore store(1 << 20);
  MessageRef ref = store.reserve(100);
  ASSERT_FALSE(ref.empty());
  std::span<char> buf = store.writable(ref);
  ASSERT_GE(buf.size(), 100u);
  std::memcpy(buf.data(), "SIP/2.0 100 Trying\r\n\r\n", 22);
  store.set_length(ref, 22);
  EXPECT_EQ(store.view(ref), "SIP/2.0 100 Trying\r\n\r\n");
}

}  // namespace
}  // namespace sipwire
