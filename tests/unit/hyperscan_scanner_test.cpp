// HyperscanHeaderScanner: on every torture message the parser accepts, it finds the same header
// fields (id and value offset, in order) and the same end of the header block as parse_message.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/hyperscan_header_scanner.h"
#include "sipwire/message.h"
#include "test_data.h"

namespace sipwire {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  return testing::read_file(path);
}
std::vector<std::filesystem::path> DataFiles() {
  return testing::torture_files();
}

// What parse_message found, as the scanner reports it: for field i, its id and the offset just
// past the ':' (name, then any SP/HTAB, then ':').
std::vector<HeaderHit> ExpectedHits(const Message& msg, std::string_view bytes) {
  std::vector<HeaderHit> hits;
  for (std::size_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField f = msg.header(i);
    std::size_t p = f.offset + f.name.size();
    while (p < bytes.size() && (bytes[p] == ' ' || bytes[p] == '\t')) ++p;
    EXPECT_EQ(bytes[p], ':') << f.name;
    hits.push_back(HeaderHit{f.id, static_cast<uint32_t>(p + 1)});
  }
  return hits;
}

class HyperscanScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    scanner_ = HyperscanHeaderScanner::create(error);
    ASSERT_NE(scanner_, nullptr) << error;
    EXPECT_TRUE(error.empty()) << error;
  }

  std::vector<HeaderHit> Scan(std::string_view bytes, HyperscanHeaderScanner::Result& result,
                              std::size_t capacity = 256) {
    std::vector<HeaderHit> hits(capacity);
    result = scanner_->scan(bytes, hits.data(), capacity);
    hits.resize(std::min(result.hits, capacity));
    return hits;
  }

  // Compares the scanner with parse_message on `bytes`, which must parse.
  void ExpectSameAsParser(std::string_view bytes, const std::string& what) {
    auto msg = std::make_unique<Message>();
    const ParseError err = parse_message(bytes, *msg);
    ASSERT_TRUE(err.ok()) << what << ": " << err.reason;
    const std::vector<HeaderHit> want = ExpectedHits(*msg, bytes);
    HyperscanHeaderScanner::Result result;
    const std::vector<HeaderHit> got = Scan(bytes, result);
    EXPECT_FALSE(result.overflow) << what;
    EXPECT_EQ(result.header_end, msg->header_end()) << what;
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].id, want[i].id) << what << " field " << i << " " << msg->header(i).name;
      EXPECT_EQ(got[i].value_offset, want[i].value_offset)
          << what << " field " << i << " " << msg->header(i).name;
    }
  }

  std::unique_ptr<HyperscanHeaderScanner> scanner_;
};

TEST_F(HyperscanScannerTest, AgreesWithParserOnEveryAcceptedTestMessage) {
  std::size_t accepted = 0;
  auto msg = std::make_unique<Message>();
  for (const auto& path : DataFiles()) {
    const std::string bytes = ReadFile(path);
    if (!parse_message(bytes, *msg).ok()) continue;
    ++accepted;
    ExpectSameAsParser(bytes, path.filename().string());
  }
  // RFC 4475 has 13 valid messages in §3.1.1 alone, RFC 5118 several more.
  EXPECT_GE(accepted, 20u);
}

TEST_F(HyperscanScannerTest, DoesNotReportHeadersInTheBody) {
  const std::string bytes =
      ReadFile(std::filesystem::path(SIPWIRE_TEST_DATA) / "rfc4475" / "mpart01.dat");
  auto msg = std::make_unique<Message>();
  ASSERT_TRUE(parse_message(bytes, *msg).ok());
  // The multipart body has its own Content-Type lines; only the message's one is a field.
  ASSERT_NE(msg->body().find("Content-Type:"), std::string_view::npos);
  HyperscanHeaderScanner::Result result;
  const std::vector<HeaderHit> hits = Scan(bytes, result);
  EXPECT_EQ(result.hits, msg->header_count());
  for (const HeaderHit& hit : hits) EXPECT_LT(hit.value_offset, msg->header_end());
  EXPECT_EQ(std::count_if(hits.begin(), hits.end(),
                          [](const HeaderHit& h) { return h.id == HeaderId::kContentType; }),
            1);
  ExpectSameAsParser(bytes, "mpart01");
}

TEST_F(HyperscanScannerTest, SmallMessage) {
  const std::string bytes =
      "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
      "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "X-Custom  \t: x\r\n"
      "CALL-ID: abc\r\n"
      "Subject: folded\r\n Via: not a field\r\n"
      "f: <sip:a@b.example.com>;tag=1\r\n"
      "t: <sip:c@d.example.com>\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "l: 19\r\n"
      "\r\n"
      "Via: in the body\r\nx";
  HyperscanHeaderScanner::Result result;
  const std::vector<HeaderHit> hits = Scan(bytes, result);
  const std::vector<HeaderId> want_ids = {
      HeaderId::kVia,  HeaderId::kOther, HeaderId::kCallId, HeaderId::kSubject,
      HeaderId::kFrom, HeaderId::kTo,    HeaderId::kCSeq,   HeaderId::kContentLength};
  ASSERT_EQ(hits.size(), want_ids.size());
  for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i].id, want_ids[i]) << i;
  EXPECT_EQ(hits[0].value_offset, bytes.find("v:") + 2);
  EXPECT_EQ(hits[1].value_offset, bytes.find("\t:") + 2);
  EXPECT_EQ(result.header_end, bytes.find("\r\n\r\n") + 4);
  EXPECT_FALSE(result.overflow);
  ExpectSameAsParser(bytes, "small");
}

TEST_F(HyperscanScannerTest, Overflow) {
  const std::string bytes =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bK1\r\n"
      "To: <sip:c@d.example.com>;tag=2\r\nFrom: <sip:a@b.example.com>;tag=1\r\n"
      "Call-ID: abc\r\nCSeq: 1 INVITE\r\n\r\n";
  HyperscanHeaderScanner::Result result;
  std::vector<HeaderHit> hits = Scan(bytes, result, 3);
  EXPECT_TRUE(result.overflow);
  EXPECT_EQ(result.hits, 3u);
  EXPECT_EQ(hits[2].id, HeaderId::kFrom);
  hits = Scan(bytes, result, 5);
  EXPECT_FALSE(result.overflow);
  EXPECT_EQ(result.hits, 5u);
  EXPECT_EQ(result.header_end, bytes.size());
}

TEST_F(HyperscanScannerTest, NoEmptyLine) {
  HyperscanHeaderScanner::Result result;
  const std::vector<HeaderHit> hits = Scan("INVITE sip:x SIP/2.0\r\nTo: y\r\n", result);
  EXPECT_EQ(result.header_end, SIZE_MAX);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, HeaderId::kTo);
}

}  // namespace
}  // namespace sipwire
