// The Date a REGISTER's 200 carries: RFC 1123 in GMT (§20.17), checked against dates worked out
// independently (Python's time.gmtime) and against the parser's own Date validation.
#include <gtest/gtest.h>

#include <string>

#include "response_writer.h"
#include "sipwire/message.h"
#include "sipwire/validate.h"

namespace sipwire {
namespace {

std::string Format(int64_t t) {
  char out[29];
  const std::size_t n = format_sip_date(t, out);
  return std::string(out, n);
}

TEST(SipDate, KnownDates) {
  EXPECT_EQ(Format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(Format(1289690940), "Sat, 13 Nov 2010 23:29:00 GMT");  // RFC 3261's example
  EXPECT_EQ(Format(1709208000), "Thu, 29 Feb 2024 12:00:00 GMT");  // a leap day
  EXPECT_EQ(Format(4102444799), "Thu, 31 Dec 2099 23:59:59 GMT");
}

// What a phone receiving it checks: a Date field validate_all accepts.
bool AcceptedInAMessage(const std::string& date) {
  const std::string m =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n"
      "To: <sip:a@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nDate: " +
      date + "\r\nContent-Length: 0\r\n\r\n";
  Message msg;
  return parse_message(m, msg).ok() && validate_all(msg).ok();
}

TEST(SipDate, EveryDayOfFourYearsIsAValidDate) {
  // 2024-01-01 onwards, a leap year included: each one passes the parser's Date check, and
  // consecutive days differ.
  EXPECT_FALSE(AcceptedInAMessage("Sat, 13 Nov 2010 23:29:00 UTC"));  // the check can fail
  std::string previous;
  for (int64_t day = 0; day < 4 * 366; ++day) {
    const std::string d = Format(1704067200 + day * 86400 + 3723);
    EXPECT_TRUE(AcceptedInAMessage(d)) << d;
    EXPECT_NE(d, previous);
    EXPECT_EQ(d.substr(17), "01:02:03 GMT");
    previous = d;
  }
}

}  // namespace
}  // namespace sipwire
