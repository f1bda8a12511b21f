// The location service at scale: fills a LocationTable with N AORs of one binding each, the
// way the registrar stores them, and reports
//   - RSS growth (/proc/self/statm before the table is built and after it is filled) and
//     bytes per AOR, with the heap's own count (mallinfo2) beside it;
//   - lookup throughput: random AORs, each lookup reading the binding the proxy would use,
//     a registered Qsbr reader per thread reporting a quiescent state every 64 lookups, with
//     1 thread and then with 2 threads reading concurrently (no lock: LocationTable::find is
//     atomic loads only).
//
// usage: location_memory [--aors N] [--seconds S] [--pin CPU[,CPU]]
//   --aors N      AORs to register (default 1,000,000)
//   --seconds S   duration of each lookup phase (default 2)
//   --pin LIST    pin lookup thread i to the i-th CPU of LIST (e.g. 1,0)
//
// AOR "sip:userNNNNNN@example.com", contact "sip:userNNNNNN@192.0.2.x:5060;transport=udp",
// Call-ID of 40 characters, source 192.0.2.x:5060, no Path.
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sipwire/engine/location.h"
#include "sipwire/engine/qsbr.h"

namespace {

using sipwire::AorRecord;
using sipwire::Binding;
using sipwire::LocationTable;
using sipwire::NetAddress;
using sipwire::Qsbr;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kNowMs = 1'790'000'000'000;

long rss_bytes() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
  std::fclose(f);
  return pages_resident * sysconf(_SC_PAGESIZE);
}

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

int digits_for(std::size_t n) {
  int d = 6;
  for (std::size_t lim = 1'000'000; n > lim; lim *= 10) ++d;
  return d;
}

void put_digits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
}

// "sip:user" + digits + "@example.com", written into `buf`.
struct AorWriter {
  explicit AorWriter(int width) : width(width) {
    std::memcpy(buf, "sip:user", 8);
    std::memcpy(buf + 8 + width, "@example.com", 12);
    len = 8 + static_cast<std::size_t>(width) + 12;
  }
  std::string_view write(uint64_t n) {
    put_digits(buf + 8, n, width);
    return {buf, len};
  }
  char buf[64];
  int width;
  std::size_t len;
};

struct Xorshift {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

struct LookupResult {
  uint64_t lookups = 0;
  uint64_t found = 0;
  uint64_t touched = 0;
  double seconds = 0;
};

void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
    std::fprintf(stderr, "location_memory: cannot pin to CPU %d\n", cpu);
}

// Random lookups for `seconds`: what a worker does for each INVITE to our domain (find, then
// read the binding it forwards to), a quiescent state every 64 lookups.
LookupResult lookups(const LocationTable& table, Qsbr& qsbr, unsigned reader, std::size_t n_aors,
                     int width, double seconds, uint64_t seed, bool find_too,
                     std::atomic<bool>* start) {
  while (start != nullptr && !start->load(std::memory_order_acquire)) {
  }
  qsbr.online(reader);
  AorWriter aor(width);
  Xorshift rng{seed};
  LookupResult r;
  const auto t0 = Clock::now();
  const auto limit = t0 + std::chrono::duration<double>(seconds);
  for (;;) {
    for (int k = 0; k < 1024; ++k) {
      const std::string_view key = aor.write(rng.next() % n_aors);
      if (find_too) {
        const AorRecord* rec = table.find(key);
        if (rec != nullptr && !rec->bindings.empty()) {
          const Binding& b = rec->bindings.front();
          ++r.found;
          r.touched += (b.expires_at_ms > kNowMs) + b.contact.size() + b.next_hop.port;
        }
      } else {
        r.touched += static_cast<unsigned char>(key[10]);
      }
      if ((k & 63) == 63) qsbr.quiescent(reader);
    }
    r.lookups += 1024;
    if (Clock::now() >= limit) break;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  qsbr.offline(reader);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000;
  double seconds = 2.0;
  std::vector<int> cpus;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--aors" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (a == "--pin" && i + 1 < argc) {
      for (char* p = argv[++i]; *p != '\0';) {
        cpus.push_back(static_cast<int>(std::strtol(p, &p, 10)));
        if (*p == ',') ++p;
      }
    } else {
      std::fprintf(stderr, "usage: location_memory [--aors N] [--seconds S] [--pin CPU[,CPU]]\n");
      return 2;
    }
  }
  if (n == 0 || n > 50'000'000 || seconds <= 0 || seconds > 10) {
    std::fprintf(stderr, "location_memory: N in 1..50M and S in (0, 10], please\n");
    return 2;
  }
  const int width = digits_for(n);
  auto cpu_of = [&](std::size_t i) { return i < cpus.size() ? cpus[i] : -1; };

  Qsbr qsbr(3);  // reader 0: the filling thread; 1 and 2: lookup threads
  const long rss0 = rss_bytes();
  const std::size_t heap0 = heap_in_use();
  auto table = std::make_unique<LocationTable>(n, qsbr);  // a bucket per expected AOR

  // ---- fill: one binding per AOR, built as Registrar::process builds a first binding ----
  AorWriter aor(width);
  char contact[96], call_id[64];
  const auto f0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view key = aor.write(i);
    const int cl =
        std::snprintf(contact, sizeof contact, "sip:user%0*zu@192.0.2.%zu:5060;transport=udp",
                      width, i, 1 + i % 254);
    // 40 characters: "a84c2f0e" + 8 digits + "-3c1d9b7e" + "@192.0.2.x" padded.
    const int il =
        std::snprintf(call_id, sizeof call_id, "a84c2f0e%08zu-3c1d9b7e5f20@192.0.2.%03zu",
                      i % 100'000'000, 1 + i % 254);
    const uint8_t host = static_cast<uint8_t>(1 + i % 254);
    table->update(table->writer(0), key, [&](const AorRecord*, sipwire::RecordArena& arena) {
      // A first registration, built the way Registrar::process builds it: one record block.
      Binding b;
      b.registered_at_ms = kNowMs;
      b.contact = std::string_view(contact, static_cast<std::size_t>(cl));
      b.call_id = std::string_view(call_id, static_cast<std::size_t>(il));
      b.cseq = 1;
      b.expires_at_ms = kNowMs + 3'600'000;
      b.q = 1000;
      b.next_hop = NetAddress::ipv4(192, 0, 2, host, 5060);
      return AorRecord::build({&b, 1}, arena);
    });
  }
  const double fill_s = std::chrono::duration<double>(Clock::now() - f0).count();
  const long rss1 = rss_bytes();
  const std::size_t heap1 = heap_in_use();
  if (table->aor_count() != n || table->binding_count() != n) {
    std::fprintf(stderr, "location_memory: table holds %zu AORs, %zu bindings\n",
                 table->aor_count(), table->binding_count());
    return 1;
  }

  std::printf("AORs: %zu (one binding each; contact %d chars, Call-ID %d chars, AOR %zu chars)\n",
              n, static_cast<int>(std::strlen(contact)), static_cast<int>(std::strlen(call_id)),
              aor.len);
  std::printf("fill: %.2f s, %.0f updates/s\n", fill_s, static_cast<double>(n) / fill_s);
  std::printf("RSS: %.1f MiB before, %.1f MiB after: +%.1f MiB, %.1f bytes/AOR\n",
              static_cast<double>(rss0) / 1048576, static_cast<double>(rss1) / 1048576,
              static_cast<double>(rss1 - rss0) / 1048576,
              static_cast<double>(rss1 - rss0) / static_cast<double>(n));
  std::printf("heap in use (mallinfo2, bucket array included): +%.1f MiB, %.1f bytes/AOR\n",
              static_cast<double>(heap1 - heap0) / 1048576,
              static_cast<double>(heap1 - heap0) / static_cast<double>(n));
  std::printf("sizeof: Binding %zu, AorRecord %zu, NetAddress %zu, std::string %zu\n",
              sizeof(Binding), sizeof(AorRecord), sizeof(NetAddress), sizeof(std::string));

  // ---- lookups ----
  {
    pin(cpu_of(0));
    const LookupResult base =
        lookups(*table, qsbr, 1, n, width, seconds / 4, 88172645463325252ull, false, nullptr);
    std::printf("key generation alone (subtract): %.1f ns per key\n",
                base.seconds * 1e9 / static_cast<double>(base.lookups));
    const LookupResult one =
        lookups(*table, qsbr, 1, n, width, seconds, 88172645463325252ull, true, nullptr);
    std::printf("lookups, 1 thread (CPU %d): %.2f M/s, %.1f ns per lookup, %.4f found\n", cpu_of(0),
                static_cast<double>(one.lookups) / one.seconds / 1e6,
                one.seconds * 1e9 / static_cast<double>(one.lookups),
                static_cast<double>(one.found) / static_cast<double>(one.lookups));
    if (one.found != one.lookups) return 1;
  }
  {
    std::atomic<bool> start{false};
    LookupResult res[2];
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 2; ++t)
      threads.emplace_back([&, t] {
        pin(cpu_of(t));
        res[t] = lookups(*table, qsbr, 1 + t, n, width, seconds, 0x9E3779B97F4A7C15ull * (t + 1),
                         true, &start);
      });
    start.store(true, std::memory_order_release);
    for (auto& th : threads) th.join();
    double total = 0;
    for (unsigned t = 0; t < 2; ++t) {
      total += static_cast<double>(res[t].lookups) / res[t].seconds;
      if (res[t].found != res[t].lookups) return 1;
    }
    std::printf("lookups, 2 threads (CPUs %d,%d): %.2f M/s in all (%.2f + %.2f M/s)\n", cpu_of(0),
                cpu_of(1), total / 1e6, static_cast<double>(res[0].lookups) / res[0].seconds / 1e6,
                static_cast<double>(res[1].lookups) / res[1].seconds / 1e6);
  }
  return 0;
}
