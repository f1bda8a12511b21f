// Digest authentication per request (src/auth): what the proxy adds to a request that carries
// credentials. One request per iteration.
//
//   parse/credentials        parse_digest_credentials of a typical Proxy-Authorization value
//   verify/MD5, verify/SHA256  the whole check of a correct request: parse, nonce MAC and age,
//                            users-table lookup, HA2 and response hashes, constant-time compare,
//                            replay table (nc increases every iteration)
//   verify_bad/SHA256        the same with a wrong password (same work minus the replay table)
//   challenge/407            a fresh nonce and the two Proxy-Authenticate lines
//
// The headers are computed before timing (they are the client's work): KBatch headers for one
// nonce with nc 1..kBatch; after each batch a new authenticator (new replay table) is made with
// the timer paused.
//
//   --alloc-check   counts heap allocations per verification + challenge after warm-up and
//                   exits: operator new (sipwire's code; must be 0) and OpenSSL's CRYPTO_malloc
//                   (OpenSSL 3.0's EVP_DigestInit_ex2 re-creates the provider's digest context
//                   on every init: one small malloc/free per digest, 6 per request here)
#include <benchmark/benchmark.h>
#include <openssl/crypto.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "count_allocations.h"
#include "sipwire/auth/verify.h"

namespace {

using namespace sipwire::auth;

std::size_t g_openssl_allocations = 0;

void* count_malloc(size_t n, const char*, int) {
  ++g_openssl_allocations;
  return std::malloc(n);
}
void* count_realloc(void* p, size_t n, const char*, int) {
  ++g_openssl_allocations;
  return std::realloc(p, n);
}
void count_free(void* p, const char*, int) {
  std::free(p);
}

constexpr std::string_view kRealm = "example.com";
constexpr uint64_t kT0 = 1'700'000'000'000;
constexpr int kBatch = 4096;

struct Rig {
  NonceSecret secret;
  UsersTable users;
  DigestHasher client;
  std::string nonce;

  Rig() {
    secret.bytes.fill(9);
    std::string text = "# bench\n";
    for (int i = 0; i < 1000; ++i) {  // a realistic table: the user is one of 2000 entries
      for (Algorithm a : kAllAlgorithms) {
        HexDigest ha1;
        std::string user = "user" + std::to_string(i);
        client.ha1(a, user, kRealm, "password-" + user, ha1);
        text += user + " example.com " + std::string(to_string(a)) + " " + std::string(ha1.view()) +
                "\n";
      }
    }
    UsersLoad load = parse_users_file(text, "bench");
    if (!load.table) std::abort();
    users = std::move(*load.table);
    Nonce n;
    make_nonce(client, secret, kRealm, kT0, 1, n);
    nonce = std::string(n.view());
  }

  std::string header(Algorithm a, uint32_t nc, std::string_view password) {
    char nc_text[9];
    std::snprintf(nc_text, sizeof nc_text, "%08x", nc);
    HexDigest ha1, ha2, resp;
    std::string_view uri = "sip:bob@example.com";
    client.ha1(a, "user500", kRealm, password, ha1);
    client.ha2(a, "INVITE", uri, ha2);
    client.response(a, ha1.view(), nonce, nc_text, "0a4f113b", "auth", ha2.view(), resp);
    return "Digest username=\"user500\", realm=\"example.com\", nonce=\"" + nonce +
           "\", uri=\"sip:bob@example.com\", response=\"" + std::string(resp.view()) +
           "\", algorithm=" + std::string(to_string(a)) +
           ", cnonce=\"0a4f113b\", qop=auth, nc=" + nc_text;
  }

  std::vector<std::string> batch(Algorithm a, std::string_view password) {
    std::vector<std::string> out;
    for (int i = 1; i <= kBatch; ++i) out.push_back(header(a, static_cast<uint32_t>(i), password));
    return out;
  }
};

Rig& rig() {
  static Rig r;
  return r;
}

void BM_Parse(benchmark::State& state) {
  std::string h = rig().header(Algorithm::kSha256, 1, "password-user500");
  DigestCredentials c;
  for (auto _ : state) {
    sipwire::ParseError e = parse_digest_credentials(h, c);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(c.response.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void verify_loop(benchmark::State& state, Algorithm a, bool right_password, Verdict expected) {
  Rig& r = rig();
  std::vector<std::string> headers = r.batch(a, right_password ? "password-user500" : "wrong");
  auto auth = std::make_unique<DigestAuthenticator>(r.secret, 0, 1024, 1);
  DigestCredentials c;
  int i = 0;
  for (auto _ : state) {
    if (i == kBatch) {
      state.PauseTiming();
      auth = std::make_unique<DigestAuthenticator>(r.secret, 0, 1024, 1);
      i = 0;
      state.ResumeTiming();
    }
    VerifyResult v = auth->verify(headers[i++], c, "INVITE", kRealm, r.users, kT0 + 1000);
    if (v.verdict != expected) {
      state.SkipWithError("unexpected verdict");
      break;
    }
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyMd5(benchmark::State& s) {
  verify_loop(s, Algorithm::kMd5, true, Verdict::kOk);
}
void BM_VerifySha256(benchmark::State& s) {
  verify_loop(s, Algorithm::kSha256, true, Verdict::kOk);
}
void BM_VerifyBadSha256(benchmark::State& s) {
  verify_loop(s, Algorithm::kSha256, false, Verdict::kBadCredentials);
}

void BM_Challenge(benchmark::State& state) {
  Rig& r = rig();
  DigestAuthenticator auth(r.secret, 0, 1024, 1);
  char buf[512];
  uint64_t now = kT0;
  for (auto _ : state) {
    std::size_t n = auth.write_challenge("INVITE", kRealm, false, ++now, buf);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(buf);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Parse)->Name("parse/credentials");
BENCHMARK(BM_VerifyMd5)->Name("verify/MD5");
BENCHMARK(BM_VerifySha256)->Name("verify/SHA256");
BENCHMARK(BM_VerifyBadSha256)->Name("verify_bad/SHA256");
BENCHMARK(BM_Challenge)->Name("challenge/407");

int alloc_check() {
  Rig& r = rig();
  int failures = 0;
  for (Algorithm a : kAllAlgorithms) {
    std::vector<std::string> headers = r.batch(a, "password-user500");
    DigestAuthenticator auth(r.secret, 0, 1024, 1);
    DigestCredentials c;
    char buf[512];
    // Warm-up: the first calls may initialise OpenSSL's per-thread state.
    for (int i = 0; i < 10; ++i) {
      auth.verify(headers[i], c, "INVITE", kRealm, r.users, kT0 + 1000);
      auth.write_challenge("INVITE", kRealm, false, kT0, buf);
    }
    std::size_t before = sipwire::testing::allocations().calls,
                openssl_before = g_openssl_allocations;
    int n = 0;
    for (int i = 10; i < kBatch; ++i, ++n) {
      if (auth.verify(headers[i], c, "INVITE", kRealm, r.users, kT0 + 1000).verdict !=
          Verdict::kOk) {
        std::fprintf(stderr, "unexpected verdict\n");
        return 1;
      }
      auth.write_challenge("INVITE", kRealm, false, kT0, buf);
    }
    std::size_t allocs = sipwire::testing::allocations().calls - before;
    std::size_t openssl = g_openssl_allocations - openssl_before;
    std::printf(
        "%-8s %d verifications + challenges: operator new %zu, OpenSSL CRYPTO_malloc %.2f per "
        "request\n",
        std::string(to_string(a)).c_str(), n, allocs, static_cast<double>(openssl) / n);
    failures += allocs != 0;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before anything calls OpenSSL: route its allocations through the counter.
  CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
  if (argc > 1 && std::strcmp(argv[1], "--alloc-check") == 0) return alloc_check();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
