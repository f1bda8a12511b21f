// Parser throughput: sipwire against the two C parsers Debian ships and SIP stacks use
// (libosip2, sofia-sip), on the same five messages. Run: bench/run_parser_bench.sh
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "bench_messages.h"
#include "peer_parsers.h"
#include "sipwire/message.h"
#include "sipwire/validate.h"

namespace {

using namespace sipwire;

void count(benchmark::State& state, std::string_view msg) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// What a proxy does with every datagram: parse, and the stateless §16.3 checks.
void sipwire_parse(benchmark::State& state, std::string_view msg) {
  auto m = std::make_unique<Message>();
  for (auto _ : state) {
    ParseError e = parse_message(msg, *m);
    if (!e) e = check_max_forwards(*m);
    benchmark::DoNotOptimize(e);
    if (e) state.SkipWithError("sipwire rejected a benchmark message");
  }
  count(state, msg);
}

// The strictest reading: parse, then validate every field sipwire knows.
void sipwire_parse_validate_all(benchmark::State& state, std::string_view msg) {
  auto m = std::make_unique<Message>();
  for (auto _ : state) {
    ParseError e = parse_message(msg, *m);
    if (!e) e = validate_all(*m);
    benchmark::DoNotOptimize(e);
    if (e) state.SkipWithError("sipwire rejected a benchmark message");
  }
  count(state, msg);
}

void osip(benchmark::State& state, std::string_view msg) {
  bench::peer_parsers_init();
  for (auto _ : state) {
    const bool ok = bench::osip_parse(msg);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("osip rejected a benchmark message");
  }
  count(state, msg);
}

void sofia(benchmark::State& state, std::string_view msg) {
  for (auto _ : state) {
    const bool ok = bench::sofia_parse(msg);
    benchmark::DoNotOptimize(ok);
    if (!ok) state.SkipWithError("sofia rejected a benchmark message");
  }
  count(state, msg);
}

}  // namespace

int main(int argc, char** argv) {
  for (const auto& m : bench::kAllMessages) {
    const std::string name(m.name);
    benchmark::RegisterBenchmark(("sipwire/" + name).c_str(), sipwire_parse, m.bytes);
    benchmark::RegisterBenchmark(("sipwire_validate_all/" + name).c_str(),
                                 sipwire_parse_validate_all, m.bytes);
    benchmark::RegisterBenchmark(("sofia/" + name).c_str(), sofia, m.bytes);
    benchmark::RegisterBenchmark(("osip/" + name).c_str(), osip, m.bytes);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
