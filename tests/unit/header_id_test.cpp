// classify_header_name() and the kHeaderInfo table (RFC 3261 §7.3.3 compact forms, §20).
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <string_view>

#include "sipwire/header_id.h"

namespace sipwire {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Alternating case starting with the opposite of the canonical first letter's case.
std::string Mixed(std::string_view s) {
  std::string out(s);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    out[i] = static_cast<char>(i % 2 == 0 ? std::tolower(c) : std::toupper(c));
  }
  return out;
}

TEST(HeaderIdTest, EveryLongNameClassifiesInAnyCase) {
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const auto id = static_cast<HeaderId>(i);
    const std::string_view name = kHeaderInfo[i].name;
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_EQ(classify_header_name(name), id) << name;
    EXPECT_EQ(classify_header_name(Lower(name)), id) << name;
    EXPECT_EQ(classify_header_name(Upper(name)), id) << name;
    EXPECT_EQ(classify_header_name(Mixed(name)), id) << name;
  }
}

TEST(HeaderIdTest, EveryCompactFormClassifiesInBothCases) {
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const char compact = kHeaderInfo[i].compact;
    if (compact == '\0') continue;
    const auto id = static_cast<HeaderId>(i);
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(compact)));
    const char upper = static_cast<char>(std::toupper(static_cast<unsigned char>(compact)));
    EXPECT_EQ(classify_header_name(std::string_view(&lower, 1)), id) << compact;
    EXPECT_EQ(classify_header_name(std::string_view(&upper, 1)), id) << compact;
  }
}

TEST(HeaderIdTest, NamesThatAreNotTokensAreUnknown) {
  // The case fold (OR 0x20) would take a CR to '-': a name with control bytes in it, as a TCP
  // stream or a config file may hand over, must not pass for Content-Length.
  using namespace std::string_view_literals;
  for (std::string_view name :
       {"Content\rLength"sv, "Max\rForwards"sv, "Content-Length "sv, "Vi\0"sv, "T\x0f"sv, ""sv}) {
    EXPECT_EQ(classify_header_name(name), HeaderId::kOther) << name;
  }
  EXPECT_EQ(classify_header_name("CONTENT-length"), HeaderId::kContentLength);
}

TEST(HeaderIdTest, CompactFormsAreTheRegisteredOnes) {
  // RFC 3261 §7.3.3 and §20, RFC 3265/6665 (o, u), RFC 3515 (r), RFC 3892 (b), RFC 3841 (a, j,
  // d), RFC 4028 (x), RFC 8224 (y).
  const struct {
    char compact;
    HeaderId id;
  } kCompact[] = {
      {'a', HeaderId::kAcceptContact},
      {'b', HeaderId::kReferredBy},
      {'c', HeaderId::kContentType},
      {'d', HeaderId::kRequestDisposition},
      {'e', HeaderId::kContentEncoding},
      {'f', HeaderId::kFrom},
      {'i', HeaderId::kCallId},
      {'j', HeaderId::kRejectContact},
      {'k', HeaderId::kSupported},
      {'l', HeaderId::kContentLength},
      {'m', HeaderId::kContact},
      {'o', HeaderId::kEvent},
      {'r', HeaderId::kReferTo},
      {'s', HeaderId::kSubject},
      {'t', HeaderId::kTo},
      {'u', HeaderId::kAllowEvents},
      {'v', HeaderId::kVia},
      {'x', HeaderId::kSessionExpires},
      {'y', HeaderId::kIdentity},
  };
  for (const auto& c : kCompact) {
    EXPECT_EQ(classify_header_name(std::string_view(&c.compact, 1)), c.id) << c.compact;
    EXPECT_EQ(info(c.id).compact, c.compact) << c.compact;
  }
  // Letters with no compact form.
  for (std::string_view letter : {"g", "h", "n", "p", "q", "w", "z", "G", "Z", "-", "1", "*"})
    EXPECT_EQ(classify_header_name(letter), HeaderId::kOther) << letter;
}

TEST(HeaderIdTest, WellKnownLongNames) {
  EXPECT_EQ(classify_header_name("Call-ID"), HeaderId::kCallId);
  EXPECT_EQ(classify_header_name("call-id"), HeaderId::kCallId);
  EXPECT_EQ(classify_header_name("CSeq"), HeaderId::kCSeq);
  EXPECT_EQ(classify_header_name("WWW-Authenticate"), HeaderId::kWwwAuthenticate);
  EXPECT_EQ(classify_header_name("www-authenticate"), HeaderId::kWwwAuthenticate);
  EXPECT_EQ(classify_header_name("Max-Forwards"), HeaderId::kMaxForwards);
  EXPECT_EQ(classify_header_name("Record-Route"), HeaderId::kRecordRoute);
  EXPECT_EQ(classify_header_name("P-Asserted-Identity"), HeaderId::kPAssertedIdentity);
  EXPECT_EQ(classify_header_name("Min-SE"), HeaderId::kMinSE);
  EXPECT_EQ(classify_header_name("RSeq"), HeaderId::kRSeq);
  EXPECT_EQ(classify_header_name("RAck"), HeaderId::kRAck);
}

TEST(HeaderIdTest, UnknownNamesAreOther) {
  for (std::string_view name : {"X-Custom",
                                "Vias",
                                "Vi",
                                "Via-",
                                "Call_ID",
                                "CallID",
                                "Call-I",
                                "Call-IDs",
                                "Contacts",
                                "Content-Lengthx",
                                "To:",
                                " To",
                                "From ",
                                "NewFangledHeader",
                                "Rout",
                                "Routes",
                                "ab",
                                "\xC3\xA9t\xC3\xA9",
                                "Authorisation",
                                "P-Asserted-Identities"}) {
    EXPECT_EQ(classify_header_name(name), HeaderId::kOther) << name;
  }
}

TEST(HeaderIdTest, EmptyAndLongNamesAreOther) {
  EXPECT_EQ(classify_header_name(""), HeaderId::kOther);
  EXPECT_EQ(classify_header_name(std::string(40, 'a')), HeaderId::kOther);
  EXPECT_EQ(classify_header_name(std::string(31, 'v')), HeaderId::kOther);
  EXPECT_EQ(classify_header_name(std::string(32, 'c')), HeaderId::kOther);
  EXPECT_EQ(classify_header_name(std::string(1000, 'x')), HeaderId::kOther);
  // A known name padded past the table's length limit is not that name.
  EXPECT_EQ(classify_header_name("Subscription-State-And-Some-More-Text"), HeaderId::kOther);
}

TEST(HeaderIdTest, TableIsConsistent) {
  EXPECT_EQ(kHeaderInfo[0].name, "");
  EXPECT_EQ(kHeaderInfo[0].compact, '\0');
  std::set<std::string> names;
  std::set<char> compacts;
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    EXPECT_TRUE(names.insert(Lower(kHeaderInfo[i].name)).second)
        << "duplicate name " << kHeaderInfo[i].name;
    if (kHeaderInfo[i].compact != '\0') {
      EXPECT_TRUE(compacts.insert(kHeaderInfo[i].compact).second)
          << "duplicate compact " << kHeaderInfo[i].compact;
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(kHeaderInfo[i].compact)));
    }
    EXPECT_EQ(&info(static_cast<HeaderId>(i)), &kHeaderInfo[i]);
  }
}

TEST(HeaderIdTest, FlagsOfTheFieldsTheParserEnforces) {
  for (HeaderId id : {HeaderId::kCallId, HeaderId::kCSeq, HeaderId::kFrom, HeaderId::kTo,
                      HeaderId::kMaxForwards, HeaderId::kContentLength, HeaderId::kContentType}) {
    EXPECT_TRUE(info(id).flags & header_flags::kSingle) << info(id).name;
    EXPECT_FALSE(info(id).flags & header_flags::kList) << info(id).name;
  }
  for (HeaderId id : {HeaderId::kVia, HeaderId::kContact, HeaderId::kRoute, HeaderId::kRecordRoute,
                      HeaderId::kRequire, HeaderId::kProxyRequire, HeaderId::kSupported,
                      HeaderId::kAllow, HeaderId::kPath}) {
    EXPECT_TRUE(info(id).flags & header_flags::kList) << info(id).name;
    EXPECT_FALSE(info(id).flags & header_flags::kSingle) << info(id).name;
  }
  // §20.7/§20.28/§20.44: credentials and challenges may repeat but are not comma lists.
  for (HeaderId id : {HeaderId::kAuthorization, HeaderId::kProxyAuthorization,
                      HeaderId::kWwwAuthenticate, HeaderId::kProxyAuthenticate}) {
    EXPECT_EQ(info(id).flags, 0) << info(id).name;
  }
}

}  // namespace
}  // namespace sipwire
