// contains(): the loop check's search for our address in Via values, against
// std::string_view::find on every placement of the needle and on near misses.
#include "substring.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace sipwire {
namespace {

TEST(Contains, FindsOurAddressInAViaAndNotWhereItIsAbsent) {
  const std::string via = "SIP/2.0/UDP 192.0.2.45:5060;branch=z9hG4bK1873403928;rport";
  EXPECT_FALSE(contains(via, "127.0.0.1"));
  EXPECT_TRUE(contains(via, "192.0.2.45"));
  EXPECT_TRUE(contains(via, "rport"));  // at the very end, in the tail
  EXPECT_TRUE(contains(via, "SIP/2.0"));
  EXPECT_FALSE(contains(via, "192.0.2.4;"));
  EXPECT_TRUE(contains(via, ""));
  EXPECT_FALSE(contains("", "1"));
  EXPECT_FALSE(contains("127.0.0", "127.0.0.1"));  // shorter than the needle
  EXPECT_TRUE(contains("127.0.0.1", "127.0.0.1"));
}

TEST(Contains, AgreesWithStringFindAtEveryPlacementAndLength) {
  std::mt19937 rng(7);
  // A small alphabet, so that first and last bytes match often and the whole compare decides.
  auto random_text = [&](std::size_t n) {
    std::string s(n, '1');
    for (char& c : s) c = "12.7"[rng() % 4];
    return s;
  };
  for (std::size_t len = 0; len <= 80; ++len) {
    for (std::size_t n = 1; n <= 20; ++n) {
      for (int trial = 0; trial < 20; ++trial) {
        const std::string hay = random_text(len);
        const std::string needle = random_text(n);
        ASSERT_EQ(contains(hay, needle), hay.find(needle) != std::string::npos)
            << "hay '" << hay << "' needle '" << needle << "'";
      }
    }
  }
}

TEST(Contains, ReadsNothingPastTheValue) {
  // The value is a view into a longer datagram: a match just past its end must not count.
  const std::string datagram = "Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKabcdefgh\r\n127.0.0.1";
  const std::string_view value(datagram.data() + 5, datagram.find("\r\n") - 5);
  EXPECT_FALSE(contains(value, "127.0.0.1"));
  EXPECT_FALSE(contains(value, "abcdefgh\r"));
}

}  // namespace
}  // namespace sipwire
