// Methods, CSeq, bounded integers, delta-seconds and Call-ID (RFC 3261 §7.1, §8.1.1.5,
// §20.8, §20.16, §20.19, §25.1).
#include "sipwire/scalars.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sipwire {
namespace {

// ---------------------------------------------------------------------------------------------
// classify_method

TEST(MethodTest, KnownMethods) {
  EXPECT_EQ(classify_method("INVITE"), Method::kInvite);
  EXPECT_EQ(classify_method("ACK"), Method::kAck);
  EXPECT_EQ(classify_method("BYE"), Method::kBye);
  EXPECT_EQ(classify_method("CANCEL"), Method::kCancel);
  EXPECT_EQ(classify_method("REGISTER"), Method::kRegister);
  EXPECT_EQ(classify_method("OPTIONS"), Method::kOptions);
  EXPECT_EQ(classify_method("INFO"), Method::kInfo);
  EXPECT_EQ(classify_method("PRACK"), Method::kPrack);
  EXPECT_EQ(classify_method("UPDATE"), Method::kUpdate);
  EXPECT_EQ(classify_method("SUBSCRIBE"), Method::kSubscribe);
  EXPECT_EQ(classify_method("NOTIFY"), Method::kNotify);
  EXPECT_EQ(classify_method("REFER"), Method::kRefer);
  EXPECT_EQ(classify_method("MESSAGE"), Method::kMessage);
  EXPECT_EQ(classify_method("PUBLISH"), Method::kPublish);
}

TEST(MethodTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(classify_method("invite"), Method::kExtension);
  EXPECT_EQ(classify_method("Invite"), Method::kExtension);
  EXPECT_EQ(classify_method("ack"), Method::kExtension);
  EXPECT_EQ(classify_method("REGISTEr"), Method::kExtension);
}

TEST(MethodTest, ExtensionsAndNearMisses) {
  EXPECT_EQ(classify_method(""), Method::kExtension);
  EXPECT_EQ(classify_method("NEWMETHOD"), Method::kExtension);
  EXPECT_EQ(classify_method("INVITES"), Method::kExtension);
  EXPECT_EQ(classify_method("INVIT"), Method::kExtension);
  EXPECT_EQ(classify_method("BYE "), Method::kExtension);
  EXPECT_EQ(classify_method("ACKX"), Method::kExtension);
  EXPECT_EQ(classify_method("SUBSCRIBX"), Method::kExtension);
  EXPECT_EQ(classify_method(std::string_view("INVITE\0", 7)), Method::kExtension);
}

// ---------------------------------------------------------------------------------------------
// parse_cseq

CSeq ParseCSeq(std::string_view value) {
  CSeq c;
  const ParseError e = parse_cseq(value, c);
  EXPECT_TRUE(e.ok()) << "\"" << value << "\": " << e.reason << " at " << e.offset;
  return c;
}

ParseError ParseCSeqBad(std::string_view value) {
  CSeq c;
  const ParseError e = parse_cseq(value, c);
  EXPECT_EQ(e.status, status::kBadRequest) << "\"" << value << "\" was accepted";
  return e;
}

TEST(CSeqTest, Typical) {
  const CSeq c = ParseCSeq("4711 INVITE");
  EXPECT_EQ(c.number, 4711u);
  EXPECT_EQ(c.method_name, "INVITE");
  EXPECT_EQ(c.method, Method::kInvite);
}

TEST(CSeqTest, LeadingZeros) {
  const CSeq c = ParseCSeq("0009 INVITE");
  EXPECT_EQ(c.number, 9u);
  EXPECT_EQ(ParseCSeq("0 ACK").number, 0u);
  EXPECT_EQ(ParseCSeq("00000000000000000001 BYE").number, 1u);
}

TEST(CSeqTest, LwsBetweenNumberAndMethod) {
  EXPECT_EQ(ParseCSeq("1  \t REGISTER").method, Method::kRegister);
  const CSeq folded = ParseCSeq("8\r\n INVITE");
  EXPECT_EQ(folded.number, 8u);
  EXPECT_EQ(folded.method_name, "INVITE");
  const CSeq two_folds = ParseCSeq("8 \r\n\t\r\n  BYE");
  EXPECT_EQ(two_folds.method, Method::kBye);
}

TEST(CSeqTest, ExtensionAndLowercaseMethods) {
  const CSeq ext = ParseCSeq("1 NEWMETHOD");
  EXPECT_EQ(ext.method, Method::kExtension);
  EXPECT_EQ(ext.method_name, "NEWMETHOD");
  const CSeq lower = ParseCSeq("2 invite");
  EXPECT_EQ(lower.method, Method::kExtension);
  EXPECT_EQ(lower.method_name, "invite");
  EXPECT_EQ(ParseCSeq("3 x.y-z!%*_+`'~").method_name, "x.y-z!%*_+`'~");
}

TEST(CSeqTest, NumberBounds) {
  // §8.1.1.5: the sequence number MUST be less than 2**31.
  EXPECT_EQ(ParseCSeq("2147483647 INVITE").number, 2147483647u);
  EXPECT_EQ(ParseCSeqBad("2147483648 INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("4294967296 INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("99999999999999999999999 INVITE").offset, 0u);
}

TEST(CSeqTest, MissingMethod) {
  EXPECT_EQ(ParseCSeqBad("1").offset, 1u);
  EXPECT_EQ(ParseCSeqBad("1 ").offset, 2u);
  EXPECT_EQ(ParseCSeqBad("1\r\n ").offset, 4u);
}

TEST(CSeqTest, MissingOrBadNumber) {
  EXPECT_EQ(ParseCSeqBad("").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad(" 1 INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("-1 INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("+1 INVITE").offset, 0u);
  EXPECT_EQ(ParseCSeqBad("1a INVITE").offset, 1u);
  EXPECT_EQ(ParseCSeqBad("0x10 INVITE").offset, 1u);
}

TEST(CSeqTest, NoSpaceBeforeMethod) {
  EXPECT_EQ(ParseCSeqBad("1INVITE").offset, 1u);
}

TEST(CSeqTest, GarbageAfterMethod) {
  EXPECT_EQ(ParseCSeqBad("1 INVITE x").offset, 8u);
  EXPECT_EQ(ParseCSeqBad("1 INVITE,").offset, 8u);
  EXPECT_EQ(ParseCSeqBad("1 INV@ITE").offset, 5u);
  ParseCSeqBad("1 INVITE BYE");
}

TEST(CSeqTest, OffsetsCountFromOrigin) {
  const std::string msg = "CSeq: 1 INVITE x";
  CSeq c;
  const ParseError e = parse_cseq(std::string_view(msg).substr(6), c, msg.data());
  EXPECT_EQ(e.status, status::kBadRequest);
  EXPECT_EQ(e.offset, 14u);

  const std::string big = "CSeq: 2147483648 INVITE";
  const ParseError e2 = parse_cseq(std::string_view(big).substr(6), c, big.data());
  EXPECT_EQ(e2.status, status::kBadRequest);
  EXPECT_EQ(e2.offset, 6u);
}

// ---------------------------------------------------------------------------------------------
// parse_bounded_uint

TEST(BoundedUintTest, WithinBounds) {
  uint32_t v = 1;
  EXPECT_TRUE(parse_bounded_uint("0", 70, v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_bounded_uint("70", 70, v));
  EXPECT_EQ(v, 70u);
  EXPECT_TRUE(parse_bounded_uint("007", 70, v));
  EXPECT_EQ(v, 7u);
  EXPECT_TRUE(parse_bounded_uint("4294967295", UINT32_MAX, v));
  EXPECT_EQ(v, 4294967295u);
  EXPECT_TRUE(parse_bounded_uint("0", 0, v));
  EXPECT_EQ(v, 0u);
}

TEST(BoundedUintTest, OutOfBounds) {
  uint32_t v = 42;
  EXPECT_FALSE(parse_bounded_uint("71", 70, v));
  EXPECT_FALSE(parse_bounded_uint("256", 255, v));
  EXPECT_FALSE(parse_bounded_uint("1", 0, v));
  EXPECT_FALSE(parse_bounded_uint("4294967296", UINT32_MAX, v));
  EXPECT_FALSE(parse_bounded_uint("18446744073709551616", UINT32_MAX, v));  // 2**64
  EXPECT_FALSE(parse_bounded_uint("99999999999999999999999999", UINT32_MAX, v));
  EXPECT_EQ(v, 42u);  // untouched on failure
}

TEST(BoundedUintTest, Malformed) {
  uint32_t v = 42;
  EXPECT_FALSE(parse_bounded_uint("", 100, v));
  EXPECT_FALSE(parse_bounded_uint(" 1", 100, v));
  EXPECT_FALSE(parse_bounded_uint("1 ", 100, v));
  EXPECT_FALSE(parse_bounded_uint("-1", 100, v));
  EXPECT_FALSE(parse_bounded_uint("+1", 100, v));
  EXPECT_FALSE(parse_bounded_uint("1a", 100, v));
  EXPECT_FALSE(parse_bounded_uint("1.0", 100, v));
  EXPECT_EQ(v, 42u);
}

// ---------------------------------------------------------------------------------------------
// parse_delta_seconds

TEST(DeltaSecondsTest, Values) {
  uint32_t v = 1;
  EXPECT_TRUE(parse_delta_seconds("0", v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_delta_seconds("3600", v));
  EXPECT_EQ(v, 3600u);
  EXPECT_TRUE(parse_delta_seconds("000120", v));
  EXPECT_EQ(v, 120u);
  EXPECT_TRUE(parse_delta_seconds("4294967295", v));
  EXPECT_EQ(v, 4294967295u);
  // Nine digits are read inline, ten or more by the general path: both sides of the seam.
  EXPECT_TRUE(parse_delta_seconds("999999999", v));
  EXPECT_EQ(v, 999999999u);
  EXPECT_TRUE(parse_delta_seconds("1000000000", v));
  EXPECT_EQ(v, 1000000000u);
  EXPECT_FALSE(parse_delta_seconds("99999999x", v));
  EXPECT_EQ(v, 1000000000u);  // untouched by a rejected value
}

TEST(DeltaSecondsTest, OverflowClampsToMax) {
  // §20.19 / §10.2.1.1: values above 2**32-1 are taken as 2**32-1.
  uint32_t v = 0;
  EXPECT_TRUE(parse_delta_seconds("4294967296", v));
  EXPECT_EQ(v, 4294967295u);
  v = 0;
  EXPECT_TRUE(parse_delta_seconds("99999999999", v));
  EXPECT_EQ(v, 4294967295u);
  v = 0;
  EXPECT_TRUE(parse_delta_seconds(std::string(200, '9'), v));
  EXPECT_EQ(v, 4294967295u);
  v = 0;
  EXPECT_TRUE(parse_delta_seconds("18446744073709551616", v));  // 2**64: no wrap to 0
  EXPECT_EQ(v, 4294967295u);
}

TEST(DeltaSecondsTest, LeadingZerosDoNotSaturate) {
  // Twenty-five digits, but the value is 3600: digits past the nineteenth still count.
  uint32_t v = 0;
  EXPECT_TRUE(parse_delta_seconds(std::string(21, '0') + "3600", v));
  EXPECT_EQ(v, 3600u);
  EXPECT_FALSE(parse_delta_seconds(std::string(21, '0') + "36x0", v));
}

TEST(DeltaSecondsTest, Malformed) {
  uint32_t v = 42;
  EXPECT_FALSE(parse_delta_seconds("", v));
  EXPECT_FALSE(parse_delta_seconds("-1", v));
  EXPECT_FALSE(parse_delta_seconds("1h", v));
  EXPECT_FALSE(parse_delta_seconds(" 1", v));
  EXPECT_FALSE(parse_delta_seconds("3600 ", v));
  EXPECT_FALSE(parse_delta_seconds("1.5", v));
  EXPECT_FALSE(parse_delta_seconds(std::string(30, '9') + "x", v));  // after overflow too
  EXPECT_EQ(v, 42u);
}

// ---------------------------------------------------------------------------------------------
// is_valid_call_id

TEST(CallIdTest, Valid) {
  EXPECT_TRUE(is_valid_call_id("a84b4c76e66710@pc33.atlanta.com"));
  EXPECT_TRUE(is_valid_call_id("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"));
  EXPECT_TRUE(is_valid_call_id("3848276298220188511"));
  EXPECT_TRUE(is_valid_call_id("x"));
  EXPECT_TRUE(is_valid_call_id("[2001:db8::1]"));
  // word = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" /
  //           "(" / ")" / "<" / ">" / ":" / "\" / DQUOTE / "/" / "[" / "]" / "?" / "{" / "}")
  EXPECT_TRUE(is_valid_call_id("-.!%*_+`'~()<>:\\\"/[]?{}@-.!%*_+`'~()<>:\\\"/[]?{}"));
}

TEST(CallIdTest, Invalid) {
  EXPECT_FALSE(is_valid_call_id(""));
  EXPECT_FALSE(is_valid_call_id("a b"));
  EXPECT_FALSE(is_valid_call_id(" ab"));
  EXPECT_FALSE(is_valid_call_id("ab\t"));
  EXPECT_FALSE(is_valid_call_id("a@b@c"));
  EXPECT_FALSE(is_valid_call_id("@b"));
  EXPECT_FALSE(is_valid_call_id("a@"));
  EXPECT_FALSE(is_valid_call_id("@"));
  EXPECT_FALSE(is_valid_call_id("a;b"));
  EXPECT_FALSE(is_valid_call_id("a,b"));
  EXPECT_FALSE(is_valid_call_id("a=b"));
  EXPECT_FALSE(is_valid_call_id("a#b"));
  EXPECT_FALSE(is_valid_call_id("a\r\nb"));
  EXPECT_FALSE(is_valid_call_id("caf\xC3\xA9"));
}

}  // namespace
}  // namespace sipwire
