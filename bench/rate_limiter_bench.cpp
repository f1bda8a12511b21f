// SourceRateLimiter::allow, ns per decision (docs/BENCHMARKS.md, "Flood protection"):
// - flood: one source far over its rate (the entry stays hot in cache);
// - known: requests spread over many tracked sources (table lookups that hit, cache misses
//   once the working set outgrows the cache);
// - spray: every request from a new address into a full table (search, victim choice,
//   eviction; the worst case a spoofed-source flood can force).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "sipwire/engine/rate_limiter.h"

namespace {

using sipwire::NetAddress;
using sipwire::RateLimitConfig;
using sipwire::SourceRateLimiter;

NetAddress source(uint32_t n) {
  return NetAddress::ipv4(static_cast<uint8_t>(10 + (n >> 24)), static_cast<uint8_t>(n >> 16),
                          static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n), 5060);
}

RateLimitConfig config() {
  RateLimitConfig c;
  c.rate_milli_per_s = 50'000;
  c.burst = 100;
  c.capacity = 65'536;
  c.lossy_evictions_per_s = UINT32_MAX / 1000;  // measure eviction itself, not refusals
  return c;
}

void BM_Flood(benchmark::State& state) {
  SourceRateLimiter rl(config());
  const NetAddress a = source(1);
  uint64_t now = 0;
  for (auto _ : state) benchmark::DoNotOptimize(rl.allow(a, now++ >> 4));
  if (state.iterations() > 1000 && rl.counters().limited == 0)
    state.SkipWithError("the flood was never limited");
}
BENCHMARK(BM_Flood);

void BM_Known(benchmark::State& state) {
  const auto sources = static_cast<uint32_t>(state.range(0));
  SourceRateLimiter rl(config());
  std::vector<NetAddress> addresses;
  for (uint32_t n = 0; n < sources; ++n) addresses.push_back(source(n * 2654435761u));
  uint64_t now = 0;
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(rl.allow(addresses[i], now));
    if (++i == addresses.size()) i = 0, now += 100;  // 10/s per source: under its rate
  }
  if (rl.counters().limited != 0) state.SkipWithError("a source under its rate was limited");
  state.counters["tracked"] = static_cast<double>(rl.counters().tracked);
}
BENCHMARK(BM_Known)->Arg(1'000)->Arg(30'000);

void BM_Spray(benchmark::State& state) {
  SourceRateLimiter rl(config());
  uint32_t n = 0;
  for (; n < 200'000; ++n) rl.allow(source(n), 0);  // fill every window
  const uint64_t evictions = rl.counters().evictions;
  uint64_t now = 0;
  for (auto _ : state) benchmark::DoNotOptimize(rl.allow(source(n++), now++ >> 8));
  if (rl.counters().evictions - evictions < static_cast<uint64_t>(state.iterations()) / 2)
    state.SkipWithError("new sources did not evict");
}
BENCHMARK(BM_Spray);

}  // namespace

BENCHMARK_MAIN();
