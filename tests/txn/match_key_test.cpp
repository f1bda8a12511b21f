// Match keys: exact comparison of keys that fit, the documented two-hash policy for keys that
// do not, and field boundaries that cannot be shifted to fake a match.
#include "sipwire/txn/match_key.h"

#include <gtest/gtest.h>

#include <string>

namespace sipwire {
namespace {

MatchKey key_of(std::string_view a, std::string_view b, KeyClass c = KeyClass::kClient,
                uint64_t seed = 1) {
  MatchKey k;
  KeyBuilder builder(k, seed, c);
  builder.add(a);
  builder.add(b);
  builder.finish();
  return k;
}

TEST(MatchKey, EqualFieldsGiveEqualKeys) {
  EXPECT_EQ(key_of("z9hG4bK1", "INVITE"), key_of("z9hG4bK1", "INVITE"));
  EXPECT_FALSE(key_of("z9hG4bK1", "INVITE") == key_of("z9hG4bK1", "CANCEL"));
}

TEST(MatchKey, FieldBoundariesAreTakenIntoAccount) {
  EXPECT_FALSE(key_of("ab", "c") == key_of("a", "bc"));
}

TEST(MatchKey, ClassAndSeedSeparateKeys) {
  EXPECT_FALSE(key_of("x", "y", KeyClass::kClient) == key_of("x", "y", KeyClass::kServerRfc3261));
  EXPECT_NE(key_of("x", "y", KeyClass::kClient, 1).hash,
            key_of("x", "y", KeyClass::kClient, 2).hash);
}

TEST(MatchKey, ShortKeysCompareByteForByteNotByHash) {
  MatchKey a = key_of("z9hG4bK1", "INVITE");
  MatchKey b = key_of("z9hG4bK2", "INVITE");
  b.hash = a.hash;  // a forced bucket-hash collision
  b.check = a.check;
  EXPECT_FALSE(a == b);
}

TEST(MatchKey, LongKeysCompareStoredPrefixLengthAndBothHashes) {
  const std::string base(300, 'x');
  MatchKey a = key_of(base + "A", "INVITE");
  MatchKey b = key_of(base + "B", "INVITE");
  EXPECT_GT(a.length, MatchKey::kTextBytes);
  EXPECT_FALSE(a == b);
  b.hash = a.hash;  // the bucket hash collides, the check hash does not
  EXPECT_FALSE(a == b);
  b.check = a.check;  // both collide: taken as equal, the documented policy
  EXPECT_TRUE(a == b);
  std::string early = base + "A";
  early[0] = 'y';  // differs in the stored prefix
  MatchKey c = key_of(early, "INVITE");
  c.hash = a.hash;
  c.check = a.check;
  EXPECT_FALSE(a == c);
}

TEST(MatchKey, LowercasedFieldsIgnoreCase) {
  MatchKey a, b;
  KeyBuilder ba(a, 0, KeyClass::kServerRfc3261);
  ba.add_lower("Host.Example.ORG");
  ba.finish();
  KeyBuilder bb(b, 0, KeyClass::kServerRfc3261);
  bb.add_lower("host.example.org");
  bb.finish();
  EXPECT_EQ(a, b);
}

TEST(MatchKey, TagHashDependsOnTagAndSeed) {
  EXPECT_EQ(tag_hash("abc", 1), tag_hash("abc", 1));
  EXPECT_NE(tag_hash("abc", 1), tag_hash("abd", 1));
  EXPECT_NE(tag_hash("abc", 1), tag_hash("abc", 2));
  EXPECT_NE(tag_hash("", 1), 0u);  // an empty tag never equals "no response tag yet"
}

}  // namespace
}  // namespace sipwire
