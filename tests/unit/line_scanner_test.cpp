// Stage 1 of parsing: every line scanner the CPU supports agrees with the scalar reference on
// the RFC 4475 / RFC 5118 messages, on every prefix, with a bare CR or LF at every position,
// and at every capacity; plus direct expectations for small inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/line_scanner.h"
#include "test_data.h"

namespace sipwire {
namespace {

constexpr std::size_t kNone = LineScan::kNotFound;

struct Scan {
  LineScan result;
  std::vector<uint32_t> ends;  // the first result.lines entries of the output array
};

Scan RunScanner(LineScannerFn fn, std::string_view data, std::size_t capacity = 512) {
  // One spare slot behind the capacity catches a write past it.
  std::vector<uint32_t> out(capacity + 1, 0xDEADBEEF);
  Scan s;
  s.result = fn(data.data(), data.size(), out.data(), capacity);
  EXPECT_EQ(out[capacity], 0xDEADBEEF) << "wrote past capacity " << capacity;
  s.ends.assign(out.begin(),
                out.begin() + static_cast<std::ptrdiff_t>(std::min(s.result.lines, capacity)));
  return s;
}

// Expects `isa`'s result on `data` to equal the scalar reference's.
void ExpectSameAsScalar(ScannerIsa isa, std::string_view data, const std::string& what,
                        std::size_t capacity = 512) {
  const Scan want = RunScanner(scan_lines_scalar, data, capacity);
  const Scan got = RunScanner(line_scanner(isa), data, capacity);
  EXPECT_EQ(got.result.lines, want.result.lines) << to_string(isa) << " " << what;
  EXPECT_EQ(got.result.header_end, want.result.header_end) << to_string(isa) << " " << what;
  EXPECT_EQ(got.result.bad_at, want.result.bad_at) << to_string(isa) << " " << what;
  EXPECT_EQ(got.result.overflow, want.result.overflow) << to_string(isa) << " " << what;
  EXPECT_EQ(got.ends, want.ends) << to_string(isa) << " " << what;
}

std::string ReadFile(const std::filesystem::path& path) {
  return testing::read_file(path);
}
std::vector<std::filesystem::path> DataFiles() {
  return testing::torture_files();
}

// About 300 bytes, lines of assorted lengths, a folded line and a body with bare LFs.
const std::string kSample =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "i: a84b4c76e66710\r\n"
    "Subject: a\r\n b\r\n\tc\r\n"
    "CSeq: 314159 INVITE\r\n"
    "X:\r\n"
    "l: 12\r\n"
    "\r\n"
    "v=0\no=x\r\n\r\n\n";

// ---------------------------------------------------------------------------------------------
// Direct expectations (scalar and every supported ISA)

class LineScannerIsaTest : public ::testing::TestWithParam<ScannerIsa> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam())) GTEST_SKIP() << "CPU lacks " << to_string(GetParam());
  }
  Scan Do(std::string_view data, std::size_t capacity = 512) const {
    return RunScanner(line_scanner(GetParam()), data, capacity);
  }
};

TEST_P(LineScannerIsaTest, SmallHeaderBlock) {
  const Scan s = Do("A\r\nB: c\r\n\r\nbody");
  EXPECT_EQ(s.result.lines, 2u);
  EXPECT_EQ(s.ends, (std::vector<uint32_t>{2, 8}));
  EXPECT_EQ(s.result.header_end, 11u);
  EXPECT_EQ(s.result.bad_at, kNone);
  EXPECT_FALSE(s.result.overflow);
  EXPECT_TRUE(s.result.complete());
}

TEST_P(LineScannerIsaTest, StartLineThenEmptyLine) {
  const Scan s = Do("OPTIONS sip:x SIP/2.0\r\n\r\n");
  EXPECT_EQ(s.result.lines, 1u);
  EXPECT_EQ(s.ends, (std::vector<uint32_t>{22}));
  EXPECT_EQ(s.result.header_end, 25u);
  EXPECT_TRUE(s.result.complete());
}

TEST_P(LineScannerIsaTest, EmptyAndIncompleteInputs) {
  for (std::string_view in :
       {"", "A", "A\r", "A\r\n", "A\r\nB", "A\r\nB\r", "A\r\nB\r\n", "A\r\nB\r\n\r"}) {
    const Scan s = Do(in);
    EXPECT_EQ(s.result.header_end, kNone) << in.size();
    EXPECT_EQ(s.result.bad_at, kNone) << in.size();
    EXPECT_FALSE(s.result.overflow);
    EXPECT_FALSE(s.result.complete());
  }
  EXPECT_EQ(Do("A\r\nB\r\n\r").result.lines, 2u);
}

TEST_P(LineScannerIsaTest, BareLf) {
  Scan s = Do("A\nB\r\n\r\n");
  EXPECT_EQ(s.result.bad_at, 1u);
  EXPECT_FALSE(s.result.complete());
  s = Do("\n");
  EXPECT_EQ(s.result.bad_at, 0u);
  s = Do("A\r\nB\n\r\n");
  EXPECT_EQ(s.result.bad_at, 4u);
  EXPECT_EQ(s.result.lines, 1u);
}

TEST_P(LineScannerIsaTest, BareCr) {
  Scan s = Do("A\rB\r\n\r\n");
  EXPECT_EQ(s.result.bad_at, 1u);
  s = Do("A\r\r\n\r\n");
  EXPECT_EQ(s.result.bad_at, 1u);
  s = Do("A\r\nB\r\n\r\r\n");
  EXPECT_EQ(s.result.bad_at, 6u);
}

TEST_P(LineScannerIsaTest, BareCrAtEveryBlockEnd) {
  // A bare CR as the last byte of a 16-, 32- or 64-byte block must be found like any other.
  for (std::size_t at : {15u, 31u, 47u, 63u, 95u, 127u}) {
    std::string s(128, 'a');
    s[at] = '\r';
    s += "\r\n\r\n";
    const Scan r = Do(s);
    EXPECT_EQ(r.result.bad_at, at) << "CR at " << at;
    EXPECT_FALSE(r.result.complete()) << "CR at " << at;
  }
}

TEST_P(LineScannerIsaTest, BodyIsNotScanned) {
  const Scan s = Do("A\r\n\r\n\n\r\nbody\r\r\n\r\n");
  EXPECT_EQ(s.result.header_end, 5u);
  EXPECT_EQ(s.result.bad_at, kNone);
  EXPECT_EQ(s.result.lines, 1u);
}

TEST_P(LineScannerIsaTest, Overflow) {
  const std::string in = "A\r\nB\r\nC\r\n\r\n";
  Scan s = Do(in, 3);
  EXPECT_EQ(s.result.lines, 3u);
  EXPECT_FALSE(s.result.overflow);
  EXPECT_EQ(s.result.header_end, 11u);
  s = Do(in, 2);
  EXPECT_TRUE(s.result.overflow);
  EXPECT_EQ(s.result.lines, 2u);
  EXPECT_EQ(s.ends, (std::vector<uint32_t>{2, 5}));
  EXPECT_FALSE(s.result.complete());
  s = Do(in, 0);
  EXPECT_TRUE(s.result.overflow);
  EXPECT_EQ(s.result.lines, 0u);
}

TEST_P(LineScannerIsaTest, ManyLinesAcrossBlocks) {
  std::string in;
  std::vector<uint32_t> want;
  for (int i = 0; i < 300; ++i) {
    in += std::string(static_cast<std::size_t>(1 + i % 37), 'x') + "\r\n";
    want.push_back(static_cast<uint32_t>(in.size() - 1));
  }
  in += "\r\n";
  Scan s = Do(in, 512);
  EXPECT_EQ(s.ends, want);
  EXPECT_EQ(s.result.header_end, in.size());
  s = Do(in, 256);
  EXPECT_TRUE(s.result.overflow);
  EXPECT_EQ(s.result.lines, 256u);
  EXPECT_EQ(s.ends, std::vector<uint32_t>(want.begin(), want.begin() + 256));
}

INSTANTIATE_TEST_SUITE_P(AllIsas, LineScannerIsaTest,
                         ::testing::Values(ScannerIsa::kScalar, ScannerIsa::kSse42,
                                           ScannerIsa::kAvx2),
                         [](const ::testing::TestParamInfo<ScannerIsa>& info) {
                           return std::string(to_string(info.param));
                         });

// ---------------------------------------------------------------------------------------------
// SIMD implementations against the scalar reference

class LineScannerAgreementTest : public ::testing::TestWithParam<ScannerIsa> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam())) GTEST_SKIP() << "CPU lacks " << to_string(GetParam());
  }
};

TEST_P(LineScannerAgreementTest, TestDataFiles) {
  const auto files = DataFiles();
  ASSERT_GE(files.size(), 50u);
  for (const auto& path : files) {
    const std::string data = ReadFile(path);
    ASSERT_FALSE(data.empty()) << path;
    ExpectSameAsScalar(GetParam(), data, path.filename().string());
    // At every capacity up to one past the line count: overflow at the same place.
    const std::size_t lines = RunScanner(scan_lines_scalar, data).result.lines;
    for (std::size_t cap = 0; cap <= lines + 1; ++cap)
      ExpectSameAsScalar(GetParam(), data, path.filename().string() + " cap " + std::to_string(cap),
                         cap);
  }
}

TEST_P(LineScannerAgreementTest, EveryPrefix) {
  for (std::size_t n = 0; n <= kSample.size(); ++n)
    ExpectSameAsScalar(GetParam(), std::string_view(kSample).substr(0, n),
                       "prefix " + std::to_string(n));
}

TEST_P(LineScannerAgreementTest, EveryPrefixAtEveryAlignment) {
  // The sample shifted by 0..33 bytes of start line, so each CRLF falls at each block offset.
  for (std::size_t shift = 0; shift < 34; ++shift) {
    const std::string shifted = std::string(shift, 'S') + kSample;
    for (std::size_t n = 0; n <= shifted.size(); ++n)
      ExpectSameAsScalar(GetParam(), std::string_view(shifted).substr(0, n),
                         "shift " + std::to_string(shift) + " prefix " + std::to_string(n));
  }
}

TEST_P(LineScannerAgreementTest, BareCrOrLfInsertedAtEveryPosition) {
  for (std::size_t i = 0; i <= kSample.size(); ++i) {
    for (char c : {'\r', '\n'}) {
      std::string s = kSample;
      s.insert(i, 1, c);
      ExpectSameAsScalar(
          GetParam(), s,
          std::string(c == '\r' ? "CR" : "LF") + " inserted at " + std::to_string(i));
    }
  }
}

TEST_P(LineScannerAgreementTest, BareCrOrLfReplacingEveryByte) {
  const std::size_t header_end = kSample.find("\r\n\r\n") + 4;
  for (std::size_t i = 0; i < kSample.size(); ++i) {
    for (char c : {'\r', '\n'}) {
      std::string s = kSample;
      if (s[i] == c) continue;
      const bool was_eol = s[i] == '\r' || s[i] == '\n';
      s[i] = c;
      const std::string what = std::string(c == '\r' ? "CR" : "LF") + " at " + std::to_string(i);
      ExpectSameAsScalar(GetParam(), s, what);
      // Replacing a non-EOL byte of the header block makes exactly that byte the defect.
      if (!was_eol && i < header_end) {
        const Scan got = RunScanner(line_scanner(GetParam()), s);
        EXPECT_EQ(got.result.bad_at, i) << to_string(GetParam()) << " " << what;
      }
    }
  }
}

TEST_P(LineScannerAgreementTest, RandomInputs) {
  std::mt19937 rng(4475);
  const char kAlphabet[] = {'a', 'b', ' ', ':', '\r', '\n', '\r', '\n'};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 1);
  std::uniform_int_distribution<std::size_t> length(0, 200);
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    const std::size_t n = length(rng);
    // Mostly well-formed lines so the SIMD fast path runs, with an occasional stray byte.
    while (s.size() < n) {
      const char c = kAlphabet[pick(rng)];
      if (c == '\r' || c == '\n') {
        s += (round % 4 == 0) ? std::string(1, c) : std::string("\r\n");
      } else {
        s += c;
      }
    }
    ExpectSameAsScalar(GetParam(), s, "random round " + std::to_string(round), 64);
  }
}

INSTANTIATE_TEST_SUITE_P(SimdIsas, LineScannerAgreementTest,
                         ::testing::Values(ScannerIsa::kSse42, ScannerIsa::kAvx2),
                         [](const ::testing::TestParamInfo<ScannerIsa>& info) {
                           return std::string(to_string(info.param));
                         });

// ---------------------------------------------------------------------------------------------
// Dispatch

TEST(LineScannerDispatchTest, IsaNames) {
  EXPECT_EQ(to_string(ScannerIsa::kScalar), "scalar");
  EXPECT_EQ(to_string(ScannerIsa::kSse42), "sse42");
  EXPECT_EQ(to_string(ScannerIsa::kAvx2), "avx2");
}

TEST(LineScannerDispatchTest, ScalarIsAlwaysSupportedAndBestIsSupported) {
  EXPECT_TRUE(cpu_supports(ScannerIsa::kScalar));
  EXPECT_TRUE(cpu_supports(best_scanner_isa()));
  EXPECT_EQ(line_scanner(ScannerIsa::kScalar), &scan_lines_scalar);
  EXPECT_EQ(line_scanner(ScannerIsa::kSse42), &scan_lines_sse42);
  EXPECT_EQ(line_scanner(ScannerIsa::kAvx2), &scan_lines_avx2);
}

TEST(LineScannerDispatchTest, ScanLinesMatchesScalar) {
  const Scan want = RunScanner(scan_lines_scalar, kSample);
  const Scan got = RunScanner(scan_lines, kSample);
  EXPECT_EQ(got.result.lines, want.result.lines);
  EXPECT_EQ(got.result.header_end, want.result.header_end);
  EXPECT_EQ(got.ends, want.ends);
  EXPECT_EQ(want.result.header_end, kSample.find("\r\n\r\n") + 4);
  EXPECT_EQ(want.result.lines, 12u);
}

}  // namespace
}  // namespace sipwire
