// TextWriter: what the proxy writes its messages with (numbers, refusal when full).
#include "text_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace sipwire {
namespace {

TEST(TextWriterTest, NumbersAreWrittenAsToStringWritesThem) {
  char buf[32];
  for (uint64_t v = 0; v <= 100000; ++v) {
    TextWriter w(buf);
    w.put("x=").put(v).put(";");
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.view(), "x=" + std::to_string(v) + ";") << v;
  }
  for (const uint64_t v : {uint64_t{4294967295u}, uint64_t{18446744073709551615u}}) {
    TextWriter w(buf);
    w.put(v);
    EXPECT_EQ(w.view(), std::to_string(v));
  }
}

TEST(TextWriterTest, ANumberThatDoesNotFitIsRefusedNotCut) {
  // Room for three characters: "999" fits, "1000" does not (and nothing of it is written),
  // and once refused the writer stays refused.
  char buf[3];
  TextWriter fits(buf);
  fits.put(999);
  EXPECT_TRUE(fits.ok());
  EXPECT_EQ(fits.view(), "999");
  TextWriter full(buf);
  full.put(7).put(1000);
  EXPECT_FALSE(full.ok());
  full.put(1);
  EXPECT_FALSE(full.ok());
}

}  // namespace
}  // namespace sipwire
