// ParamIterator, find_param and ListSplitter: the generic-param and list walkers
// (RFC 3261 §7.3.1, §25.1).
#include "sipwire/params.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/list_splitter.h"

namespace sipwire {
namespace {

struct P {
  std::string name;
  std::string value;
  bool has_value;
  bool operator==(const P&) const = default;
};

std::ostream& operator<<(std::ostream& os, const P& p) {
  return os << "{" << p.name << (p.has_value ? "=" + p.value : std::string()) << "}";
}

std::vector<P> All(std::string_view params) {
  std::vector<P> out;
  ParamIterator it(params);
  Param p;
  while (it.next(p)) out.push_back({std::string(p.name), std::string(p.value), p.has_value});
  return out;
}

std::vector<std::string> Split(std::string_view value) {
  std::vector<std::string> out;
  ListSplitter s(value);
  std::string_view e;
  while (s.next(e)) {
    out.emplace_back(e);
    if (out.size() > 100) break;  // guard against a splitter that never ends
  }
  return out;
}

using Params = std::vector<P>;
using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------------------------
// ParamIterator

TEST(ParamIteratorTest, Empty) {
  EXPECT_EQ(All(""), Params{});
  ParamIterator it("");
  Param p;
  EXPECT_FALSE(it.next(p));
  EXPECT_FALSE(it.next(p));
}

TEST(ParamIteratorTest, NamesAndValues) {
  EXPECT_EQ(
      All("branch=z9hG4bK1;rport;received=192.0.2.1"),
      (Params{
          {"branch", "z9hG4bK1", true}, {"rport", "", false}, {"received", "192.0.2.1", true}}));
}

TEST(ParamIteratorTest, LwsAroundSeparators) {
  EXPECT_EQ(All("a=1 ; b ; c = \"x;y\""),
            (Params{{"a", "1", true}, {"b", "", false}, {"c", "\"x;y\"", true}}));
  EXPECT_EQ(All("a\t=\t1\t;\tb"), (Params{{"a", "1", true}, {"b", "", false}}));
}

TEST(ParamIteratorTest, FoldedLws) {
  EXPECT_EQ(All("a\r\n =\r\n 1\r\n ;\r\n\tb"), (Params{{"a", "1", true}, {"b", "", false}}));
}

TEST(ParamIteratorTest, QuotedValuesKeepQuotesAndSemicolons) {
  EXPECT_EQ(All("x=\"a;b;c\";y=2"), (Params{{"x", "\"a;b;c\"", true}, {"y", "2", true}}));
  EXPECT_EQ(All("x=\"a=b\""), (Params{{"x", "\"a=b\"", true}}));
  EXPECT_EQ(All("x=\"\""), (Params{{"x", "\"\"", true}}));
  // A +sip.instance as phones send it, then more parameters.
  EXPECT_EQ(All("expires=60;+sip.instance=\"<urn:uuid:1;2>\";reg-id=1"),
            (Params{{"expires", "60", true},
                    {"+sip.instance", "\"<urn:uuid:1;2>\"", true},
                    {"reg-id", "1", true}}));
  // Two quoted strings in one item, and text between them.
  EXPECT_EQ(All("x=\"a;\"b\";c\";y"), (Params{{"x", "\"a;\"b\";c\"", true}, {"y", "", false}}));
  // Unterminated: the rest of the text is the value.
  EXPECT_EQ(All("x=\"a;b"), (Params{{"x", "\"a;b", true}}));
  EXPECT_EQ(All("x=\"a\\"), (Params{{"x", "\"a\\", true}}));
}

TEST(ParamIteratorTest, EscapedQuoteInsideQuotedValue) {
  EXPECT_EQ(All("x=\"a\\\";b\";y"), (Params{{"x", "\"a\\\";b\"", true}, {"y", "", false}}));
  EXPECT_EQ(All("x=\"a\\\\\";y"), (Params{{"x", "\"a\\\\\"", true}, {"y", "", false}}));
}

TEST(ParamIteratorTest, EmptyValueIsPresent) {
  EXPECT_EQ(All("a="), (Params{{"a", "", true}}));
}

TEST(ParamIteratorTest, EmptyItemsAreSkipped) {
  EXPECT_EQ(All(";a;;b;"), (Params{{"a", "", false}, {"b", "", false}}));
  EXPECT_EQ(All(" ; ; "), Params{});
}

TEST(ParamIteratorTest, NameCaseIsPreserved) {
  EXPECT_EQ(All("TAG=AbC"), (Params{{"TAG", "AbC", true}}));
}

TEST(ParamIteratorTest, Ipv6Values) {
  EXPECT_EQ(All("received=[2001:db8::1];maddr=2001:db8::2"),
            (Params{{"received", "[2001:db8::1]", true}, {"maddr", "2001:db8::2", true}}));
}

// ---------------------------------------------------------------------------------------------
// find_param

TEST(FindParamTest, FindsValue) {
  std::string_view v = "unchanged";
  EXPECT_TRUE(find_param("tag=1928301774;q=0.5", "q", &v));
  EXPECT_EQ(v, "0.5");
  EXPECT_TRUE(find_param("tag=1928301774;q=0.5", "tag", &v));
  EXPECT_EQ(v, "1928301774");
}

TEST(FindParamTest, NameIsCaseInsensitive) {
  std::string_view v;
  EXPECT_TRUE(find_param("TaG=AbC", "tag", &v));
  EXPECT_EQ(v, "AbC");  // values are not folded
  EXPECT_TRUE(find_param("tag=x", "TAG", &v));
  EXPECT_EQ(v, "x");
}

TEST(FindParamTest, PresenceWithoutValue) {
  std::string_view v = "unchanged";
  EXPECT_TRUE(find_param("transport=udp;lr", "lr", &v));
  EXPECT_EQ(v, "");
  EXPECT_TRUE(find_param("lr", "lr"));
  EXPECT_TRUE(find_param("lr;transport=udp", "LR", nullptr));
}

TEST(FindParamTest, Absent) {
  std::string_view v = "unchanged";
  EXPECT_FALSE(find_param("", "tag", &v));
  EXPECT_FALSE(find_param("tagx=1;xtag=2;ta=3", "tag", &v));
  EXPECT_FALSE(find_param("x=\"tag=1;tag\"", "tag", &v));  // only inside a quoted value
  EXPECT_EQ(v, "unchanged");
  EXPECT_FALSE(find_param("a=1", ""));
}

TEST(FindParamTest, FirstOccurrenceWins) {
  std::string_view v;
  EXPECT_TRUE(find_param("tag=1;tag=2", "tag", &v));
  EXPECT_EQ(v, "1");
}

TEST(FindParamTest, LwsAndQuotedValues) {
  std::string_view v;
  EXPECT_TRUE(find_param("a=1 ; b ; c = \"x;y\"", "c", &v));
  EXPECT_EQ(v, "\"x;y\"");
  EXPECT_TRUE(find_param("a=1 ; b ; c = \"x;y\"", "b", &v));
  EXPECT_EQ(v, "");
  EXPECT_TRUE(find_param("a = 1 ; b", "a", &v));
  EXPECT_EQ(v, "1");
}

TEST(FindParamTest, ValueViewsPointIntoInput) {
  const std::string params = "x=1;expires=3600";
  std::string_view v;
  ASSERT_TRUE(find_param(params, "expires", &v));
  EXPECT_EQ(v.data(), params.data() + 12);
  EXPECT_EQ(v.size(), 4u);
}

// ---------------------------------------------------------------------------------------------
// ListSplitter

TEST(ListSplitterTest, SimpleList) {
  EXPECT_EQ(Split("INVITE, ACK,BYE ,  CANCEL"), (Strings{"INVITE", "ACK", "BYE", "CANCEL"}));
}

TEST(ListSplitterTest, SingleElement) {
  EXPECT_EQ(Split("<sip:a@b>;tag=1"), (Strings{"<sip:a@b>;tag=1"}));
  EXPECT_EQ(Split("  x  "), (Strings{"x"}));
}

TEST(ListSplitterTest, CommaInsideQuotesDoesNotSplit) {
  EXPECT_EQ(Split("\"Bell, Alexander\" <sip:a@b>, <sip:c@d>"),
            (Strings{"\"Bell, Alexander\" <sip:a@b>", "<sip:c@d>"}));
}

TEST(ListSplitterTest, CommaInsideAnglesDoesNotSplit) {
  EXPECT_EQ(Split("<sip:a,b@c;lr>, <sip:d@e?x=1,2>"),
            (Strings{"<sip:a,b@c;lr>", "<sip:d@e?x=1,2>"}));
}

TEST(ListSplitterTest, CommaInQuotedParamDoesNotSplit) {
  EXPECT_EQ(Split("<sip:a@b>;x=\"1,2\", <sip:c@d>"), (Strings{"<sip:a@b>;x=\"1,2\"", "<sip:c@d>"}));
}

TEST(ListSplitterTest, AngleBracketInsideQuotesIsText) {
  EXPECT_EQ(Split("\"<\" <sip:a@b>, c"), (Strings{"\"<\" <sip:a@b>", "c"}));
  EXPECT_EQ(Split("\">,\" <sip:a@b>, c"), (Strings{"\">,\" <sip:a@b>", "c"}));
}

TEST(ListSplitterTest, EscapedQuoteInsideQuotes) {
  EXPECT_EQ(Split("\"a\\\",b\" <sip:x@y>, c"), (Strings{"\"a\\\",b\" <sip:x@y>", "c"}));
  EXPECT_EQ(Split("\"a\\\\\", c"), (Strings{"\"a\\\\\"", "c"}));
}

TEST(ListSplitterTest, EmptyElementsComeBackEmpty) {
  EXPECT_EQ(Split("a,,b"), (Strings{"a", "", "b"}));
  EXPECT_EQ(Split("a, ,b"), (Strings{"a", "", "b"}));
  EXPECT_EQ(Split("a,"), (Strings{"a", ""}));
  EXPECT_EQ(Split(",a"), (Strings{"", "a"}));
  EXPECT_EQ(Split(","), (Strings{"", ""}));
}

TEST(ListSplitterTest, FoldedLwsIsTrimmed) {
  EXPECT_EQ(Split("SIP/2.0/UDP a ,\r\n SIP/2.0/TCP b\r\n\t, c"),
            (Strings{"SIP/2.0/UDP a", "SIP/2.0/TCP b", "c"}));
}

TEST(ListSplitterTest, ExhaustedSplitterStaysExhausted) {
  ListSplitter s("a,b");
  std::string_view e;
  ASSERT_TRUE(s.next(e));
  EXPECT_EQ(e, "a");
  ASSERT_TRUE(s.next(e));
  EXPECT_EQ(e, "b");
  EXPECT_FALSE(s.next(e));
  EXPECT_FALSE(s.next(e));
}

TEST(ListSplitterTest, ElementsPointIntoInput) {
  const std::string value = "a, bb";
  ListSplitter s(value);
  std::string_view e;
  ASSERT_TRUE(s.next(e));
  EXPECT_EQ(e.data(), value.data());
  ASSERT_TRUE(s.next(e));
  EXPECT_EQ(e.data(), value.data() + 3);
  EXPECT_EQ(e.size(), 2u);
}

}  // namespace
}  // namespace sipwire
