// The header-scanning job two ways, on the same messages: find every header field of the block
// and classify its name (long or compact, any case).
//   simd/<isa>:  the line scanner (scalar, SSE4.2, AVX2) + classify_header_name per line
//   hyperscan:   one Hyperscan database of all names, anchored at line starts
// Also the line scan alone per ISA. Run: bench/run_parser_bench.sh
#include <benchmark/benchmark.h>

#include <array>
#include <string>

#include "bench_messages.h"
#include "sipwire/header_id.h"
#include "sipwire/hyperscan_header_scanner.h"
#include "sipwire/line_scanner.h"

namespace {

using namespace sipwire;

void count(benchmark::State& state, std::string_view msg) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void line_scan(benchmark::State& state, ScannerIsa isa, std::string_view msg) {
  std::array<uint32_t, 256> lines;
  const LineScannerFn scan = line_scanner(isa);
  for (auto _ : state) {
    LineScan r = scan(msg.data(), msg.size(), lines.data(), lines.size());
    benchmark::DoNotOptimize(r);
  }
  count(state, msg);
}

// Lines, then each header line's name up to ':' classified: the same output as Hyperscan's.
void index_simd(benchmark::State& state, ScannerIsa isa, std::string_view msg) {
  std::array<uint32_t, 256> lines;
  std::array<HeaderHit, 128> hits;
  const LineScannerFn scan = line_scanner(isa);
  for (auto _ : state) {
    const LineScan r = scan(msg.data(), msg.size(), lines.data(), lines.size());
    std::size_t n = 0;
    for (std::size_t k = 1; k < r.lines; ++k) {
      const char* line = msg.data() + lines[k - 1] + 1;
      if (*line == ' ' || *line == '\t') continue;  // a fold
      const char* p = line;
      while (*p != ':' && *p != ' ' && *p != '\t') ++p;
      const HeaderId id = classify_header_name({line, static_cast<std::size_t>(p - line)});
      while (*p != ':') ++p;
      hits[n++] = HeaderHit{id, static_cast<uint32_t>(p + 1 - msg.data())};
    }
    benchmark::DoNotOptimize(hits.data());
    benchmark::DoNotOptimize(n);
  }
  count(state, msg);
}

void index_hyperscan(benchmark::State& state, std::string_view msg) {
  std::string error;
  auto scanner = HyperscanHeaderScanner::create(error);
  if (!scanner) {
    state.SkipWithError(error.c_str());
    return;
  }
  std::array<HeaderHit, 128> hits;
  for (auto _ : state) {
    auto r = scanner->scan(msg, hits.data(), hits.size());
    benchmark::DoNotOptimize(r);
  }
  count(state, msg);
}

}  // namespace

int main(int argc, char** argv) {
  for (const auto& m : bench::kAllMessages) {
    const std::string name(m.name);
    for (ScannerIsa isa : {ScannerIsa::kScalar, ScannerIsa::kSse42, ScannerIsa::kAvx2}) {
      if (!cpu_supports(isa)) continue;
      const std::string tag(to_string(isa));
      benchmark::RegisterBenchmark(("lines/" + tag + "/" + name).c_str(), line_scan, isa, m.bytes);
      benchmark::RegisterBenchmark(("index/simd_" + tag + "/" + name).c_str(), index_simd, isa,
                                   m.bytes);
    }
    benchmark::RegisterBenchmark(("index/hyperscan/" + name).c_str(), index_hyperscan, m.bytes);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
