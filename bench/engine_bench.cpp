// The engine alone (ProxyCore + Registrar + LocationTable), no I/O: one datagram in, what it
// sends out through an Outbox that discards it. One message per benchmark iteration, so the
// time per iteration is the time per message; items/s is messages/s.
//
// The Outbox hands out scratch from an arena preallocated once and reset every iteration, and
// sums the sizes of the segments it is given into a counter kept alive with DoNotOptimize:
// what the socket backend does minus the system call.
//
// Cases (the engine is 198.51.100.1:5060, domain example.com, stateless):
//   register/refresh_hot          the phone's periodic REGISTER refreshing its one binding
//                                 (same Call-ID, CSeq + 1), a one-AOR table: CPU cost only
//   register/refresh_random_1M    refreshes of random AORs of a 1M-AOR table (cache misses)
//   register/new_aor_1M           first REGISTER of a new AOR into a table pre-filled with 1M
//   invite/forward_hot            INVITE + SDP to a registered contact (lookup + Via, rport,
//                                 received, Max-Forwards, Request-URI edits), one-AOR table
//   invite/forward_random_1M      the same INVITE to random AORs of the 1M table
//   response/180, response/200    the callee's 180 (no body) and 200 (SDP) relayed back:
//                                 our Via on top is removed, sent to the caller's received/rport
//   options/keepalive             OPTIONS sip:198.51.100.1 answered 200 by the proxy
//   malformed/400                 an INVITE with an unterminated To <...> answered 400
//   baseline/rewrite_register     rewriting the per-iteration fields of the random cases'
//                                 templates alone (what to subtract from the *_1M cases)
//
// Besides the benchmarks, the program has two modes of its own (flags before the usual
// Google Benchmark ones):
//   --alloc-check        counts operator new calls per message for every case and exits
//   --loop CASE N        handles CASE's message N times and exits: what callgrind measures
//                        (instructions per message = (refs at N=10001 - refs at N=1) / 10000)
//   --show CASE          prints the message of CASE and what the engine sends for it
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench_messages.h"
#include "sipwire/engine/location.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/engine/proxy_core.h"
#include "sipwire/engine/qsbr.h"

// ---- counting operator new (plain globals: the program handles messages on one thread) ----

namespace {
uint64_t g_allocs = 0;
uint64_t g_alloc_bytes = 0;
// --alloc-check lists the sizes asked for while handling one message.
bool g_log_sizes = false;
std::size_t g_logged[64];
std::size_t g_n_logged = 0;

void* counted_alloc(std::size_t n) {
  ++g_allocs;
  g_alloc_bytes += n;
  if (g_log_sizes && g_n_logged < 64) g_logged[g_n_logged++] = n;
  void* p = std::malloc(n != 0 ? n : 1);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* counted_aligned_alloc(std::size_t n, std::align_val_t a) {
  ++g_allocs;
  g_alloc_bytes += n;
  const std::size_t al = static_cast<std::size_t>(a);
  void* p = std::aligned_alloc(al, (n + al - 1) / al * al);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned_alloc(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace sipwire::bench {
namespace {

const NetAddress kProxy = NetAddress::ipv4(198, 51, 100, 1, 5060);
const NetAddress kAlicePhone = NetAddress::ipv4(192, 0, 2, 45, 5060);     // registers, no NAT
const NetAddress kAliceNat = NetAddress::ipv4(203, 0, 113, 17, 31877);    // calls from behind NAT
const NetAddress kBobPhone = NetAddress::ipv4(203, 0, 113, 80, 5060);     // the callee
constexpr uint64_t kNowMs = 1'790'000'000'000;                           // the injected clock
constexpr std::size_t kLargeTable = 1'000'000;

// ---- the Outbox ----

class DiscardOutbox final : public Outbox {
 public:
  DiscardOutbox() : arena_(new char[kArena]) {}
  char* scratch(std::size_t bytes) override {
    if (kArena - used_ < bytes) return nullptr;
    char* p = arena_.get() + used_;
    used_ += bytes;
    return p;
  }
  bool send(const NetAddress& to, std::span<const std::string_view> segments) override {
    if (segments.size() > kMaxSegments) return false;
    std::size_t n = 0;
    for (std::string_view s : segments) n += s.size();
    sent_bytes_ += n + to.port;
    ++sent_;
    return true;
  }
  void reset() { used_ = 0; }
  uint64_t sent() const { return sent_; }
  uint64_t& sent_bytes() { return sent_bytes_; }

 private:
  static constexpr std::size_t kArena = 64 * 1024;
  std::unique_ptr<char[]> arena_;
  std::size_t used_ = 0;
  uint64_t sent_ = 0;
  uint64_t sent_bytes_ = 0;
};

// Keeps what is sent, for building the response cases and for --show.
class CaptureOutbox final : public Outbox {
 public:
  struct Sent {
    NetAddress to;
    std::string bytes;
  };
  char* scratch(std::size_t bytes) override {
    arenas_.push_back(std::make_unique<char[]>(bytes));
    return arenas_.back().get();
  }
  bool send(const NetAddress& to, std::span<const std::string_view> segments) override {
    std::string joined;
    for (std::string_view s : segments) joined += s;
    sent.push_back({to, std::move(joined)});
    return true;
  }
  std::vector<Sent> sent;

 private:
  std::vector<std::unique_ptr<char[]>> arenas_;
};

// ---- messages ----

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const std::size_t at = s.find(from);
  if (at == std::string::npos) {
    std::fprintf(stderr, "engine_bench: template text '%.*s' not found\n",
                 static_cast<int>(from.size()), from.data());
    std::abort();
  }
  return s.replace(at, from.size(), to);
}

void put_digits(char* p, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
}

// Increments a fixed-width decimal number in place (a CSeq): the cheapest rewrite per message.
void increment(char* p, int width) {
  for (int i = width - 1; i >= 0; --i) {
    if (p[i] != '9') {
      ++p[i];
      return;
    }
    p[i] = '0';
  }
}

constexpr int kCSeqWidth = 9;
constexpr int kUserWidth = 7;

// A message with fixed-width fields rewritten in place per iteration: the user number
// ("UUUUUUU", wherever it occurs: To, From, Contact, Call-ID, Request-URI) and the CSeq
// ("SSSSSSSSS").
class Template {
 public:
  explicit Template(std::string text) : text_(std::move(text)) {
    for (std::size_t at = text_.find("UUUUUUU"); at != std::string::npos;
         at = text_.find("UUUUUUU", at + kUserWidth))
      user_at_.push_back(at);
    cseq_at_ = text_.find("SSSSSSSSS");
    set_user(0);
    if (cseq_at_ != std::string::npos) put_digits(&text_[cseq_at_], 100'000'000, kCSeqWidth);
  }
  void set_user(uint64_t n) {
    for (std::size_t at : user_at_) put_digits(&text_[at], n, kUserWidth);
  }
  void set_cseq(uint64_t n) { put_digits(&text_[cseq_at_], n, kCSeqWidth); }
  void next_cseq() { increment(&text_[cseq_at_], kCSeqWidth); }
  std::string_view view() const { return text_; }

 private:
  std::string text_;
  std::vector<std::size_t> user_at_;
  std::size_t cseq_at_ = std::string::npos;
};

// kRegister (the desk phone's refresh), with a CSeq we can increment.
std::string make_hot_register() {
  return replace_once(std::string(kRegister), "CSeq: 2 REGISTER", "CSeq: SSSSSSSSS REGISTER");
}

// The same phone shape for AOR userNNNNNNN: a Call-ID of its own (~40 characters).
std::string make_user_register() {
  std::string s = std::string(kRegister);
  s = replace_once(s, "From: \"Alice\" <sip:alice@example.com>", "From: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "To: \"Alice\" <sip:alice@example.com>", "To: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "Call-ID: 0_1938305642@192.0.2.45", "Call-ID: 0_1938305642-UUUUUUU-a7c3@192.0.2.45");
  s = replace_once(s, "CSeq: 2 REGISTER", "CSeq: SSSSSSSSS REGISTER");
  s = replace_once(s, "<sip:alice@192.0.2.45:5060>", "<sip:userUUUUUUU@192.0.2.45:5060>");
  return s;
}

// kInviteSdp to userNNNNNNN instead of bob.
std::string make_user_invite() {
  std::string s = std::string(kInviteSdp);
  s = replace_once(s, "INVITE sip:bob@example.com", "INVITE sip:userUUUUUUU@example.com");
  s = replace_once(s, "To: <sip:bob@example.com>", "To: <sip:userUUUUUUU@example.com>");
  return s;
}

// Bob's REGISTER, so the INVITE has a contact to reach.
std::string make_bob_register() {
  std::string s = std::string(kRegister);
  s = replace_once(s, "From: \"Alice\" <sip:alice@example.com>", "From: <sip:bob@example.com>");
  s = replace_once(s, "To: \"Alice\" <sip:alice@example.com>", "To: <sip:bob@example.com>");
  s = replace_once(s, "Call-ID: 0_1938305642@192.0.2.45", "Call-ID: 5a1e_20731@203.0.113.80");
  s = replace_once(s, "<sip:alice@192.0.2.45:5060>", "<sip:bob@203.0.113.80:5060>");
  return s;
}

// kOptions as a keepalive to the proxy's address.
std::string make_options_keepalive() {
  std::string s = std::string(kOptions);
  s = replace_once(s, "OPTIONS sip:example.com", "OPTIONS sip:198.51.100.1");
  s = replace_once(s, "To: <sip:example.com>", "To: <sip:198.51.100.1>");
  return s;
}

// kInviteSdp with an unterminated To name-addr: the parser names 400.
std::string make_malformed_invite() {
  return replace_once(std::string(kInviteSdp), "To: <sip:bob@example.com>\r\n",
                      "To: <sip:bob@example.com\r\n");
}

// The callee's answers as they reach the proxy: the Vias of the INVITE the proxy forwarded
// (ours on top, the caller's with rport/received), Bob's To tag, and for the 200 the SDP
// answer of kOk200RecordRoute.
std::string callee_response(const std::string& forwarded_invite, bool ok) {
  std::string vias;
  for (std::size_t at = forwarded_invite.find("\r\nVia: "); at != std::string::npos;
       at = forwarded_invite.find("\r\nVia: ", at + 2)) {
    const std::size_t end = forwarded_invite.find("\r\n", at + 2);
    vias += forwarded_invite.substr(at + 2, end - at - 2) + "\r\n";
  }
  const std::string_view ok200 = kOk200RecordRoute;
  const std::string body(ok200.substr(ok200.find("\r\n\r\n") + 4));
  std::string s = ok ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 180 Ringing\r\n";
  s += vias;
  s += "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
       "To: <sip:bob@example.com>;tag=as6a1d8f0c\r\n"
       "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10\r\n"
       "CSeq: 23011 INVITE\r\n"
       "Server: Asterisk PBX 18.20.0\r\n"
       "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE\r\n"
       "Supported: replaces, timer\r\n"
       "Contact: <sip:bob@203.0.113.80:5060>\r\n";
  if (ok) {
    s += "Content-Type: application/sdp\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
  } else {
    s += "Content-Length: 0\r\n\r\n";
  }
  return s;
}

// ---- the engine under test ----

struct Engine {
  explicit Engine(std::size_t buckets) : qsbr(1), table(buckets, qsbr) {
    settings.local = kProxy;
    settings.domains = {"example.com"};
    settings.registrar.min_expires = 60;
    settings.registrar.max_expires = 3600;
    settings.registrar.default_expires = 3600;
    settings.registrar.max_contacts = 10;
    core = std::make_unique<ProxyCore>(settings, table);
    qsbr.online(0);
  }
  // What a worker does per datagram (quiescent once per message: a batch of one).
  void handle(std::string_view m, const NetAddress& from) {
    out.reset();
    core->handle(m, from, out, kNowMs);
    qsbr.quiescent(0);
  }
  std::vector<CaptureOutbox::Sent> capture(std::string_view m, const NetAddress& from) {
    CaptureOutbox c;
    core->handle(m, from, c, kNowMs);
    qsbr.quiescent(0);
    return std::move(c.sent);
  }

  Qsbr qsbr;
  LocationTable table;
  EngineSettings settings;
  std::unique_ptr<ProxyCore> core;
  DiscardOutbox out;
};

// Everything a case needs: its messages and the engine they run on.
struct Messages {
  Template hot_register{make_hot_register()};
  Template user_register{make_user_register()};
  Template user_invite{make_user_invite()};
  std::string bob_register = make_bob_register();
  std::string invite = std::string(kInviteSdp);
  std::string options = make_options_keepalive();
  std::string malformed = make_malformed_invite();
  std::string ringing, ok;
};

Messages& messages() {
  static Messages m;
  return m;
}

// A small engine: Alice and Bob registered, the response cases built from a real forward.
Engine& small_engine() {
  static Engine* e = [] {
    auto* e = new Engine(1024);
    Messages& m = messages();
    e->handle(m.hot_register.view(), kAlicePhone);
    e->handle(m.bob_register, kBobPhone);
    const auto fwd = e->capture(m.invite, kAliceNat);
    if (fwd.size() != 1 || fwd[0].bytes.rfind("INVITE ", 0) != 0) {
      std::fprintf(stderr, "engine_bench: the INVITE was not forwarded\n");
      std::abort();
    }
    m.ringing = callee_response(fwd[0].bytes, false);
    m.ok = callee_response(fwd[0].bytes, true);
    return e;
  }();
  return *e;
}

// A large engine: 1M AORs (user0000000..user0999999) registered through the engine, in a
// table sized for 2M (new_aor_1M keeps adding AORs); every AOR refreshed later gets a
// CSeq above every earlier one.
uint64_t g_large_cseq = 100'000'000;
uint64_t g_next_new_user = kLargeTable;

Engine& large_engine() {
  static Engine* e = [] {
    auto* e = new Engine(2 * kLargeTable);
    Template& t = messages().user_register;
    t.set_cseq(100'000'000);
    for (uint64_t u = 0; u < kLargeTable; ++u) {
      t.set_user(u);
      e->handle(t.view(), kAlicePhone);
    }
    if (e->table.aor_count() != kLargeTable) {
      std::fprintf(stderr, "engine_bench: pre-fill registered %zu AORs\n", e->table.aor_count());
      std::abort();
    }
    return e;
  }();
  return *e;
}

// Random AOR sequence over the 1M table (an LCG step: every index once per 1M).
struct UserSequence {
  uint64_t x = 12345;
  uint64_t next() {
    x = (x * 2'862'933'555'777'941'757ull + 3'037'000'493ull);
    return (x >> 33) % kLargeTable;
  }
};

// ---- the cases, shared by the benchmarks, --alloc-check and --loop ----

enum class Expect { kRegistration, kForward, kResponseRelayed, kResponseSent, kMalformed };

struct Case {
  const char* name;
  Engine& (*engine)();
  // Prepares and returns the next message (and its source).
  std::string_view (*next)(NetAddress& from);
  Expect expect;
};

std::string_view next_hot_register(NetAddress& from) {
  Template& t = messages().hot_register;
  t.next_cseq();
  from = kAlicePhone;
  return t.view();
}
UserSequence g_refresh_seq;
std::string_view next_random_refresh(NetAddress& from) {
  Template& t = messages().user_register;
  t.set_user(g_refresh_seq.next());
  t.set_cseq(++g_large_cseq);
  from = kAlicePhone;
  return t.view();
}
std::string_view next_new_aor(NetAddress& from) {
  Template& t = messages().user_register;
  t.set_user(g_next_new_user++);
  t.set_cseq(++g_large_cseq);
  from = kAlicePhone;
  return t.view();
}
std::string_view next_invite(NetAddress& from) {
  from = kAliceNat;
  return messages().invite;
}
UserSequence g_invite_seq{777};
std::string_view next_random_invite(NetAddress& from) {
  Template& t = messages().user_invite;
  t.set_user(g_invite_seq.next());
  from = kAliceNat;
  return t.view();
}
std::string_view next_ringing(NetAddress& from) {
  from = kBobPhone;
  return messages().ringing;
}
std::string_view next_ok(NetAddress& from) {
  from = kBobPhone;
  return messages().ok;
}
std::string_view next_options(NetAddress& from) {
  from = kAlicePhone;
  return messages().options;
}
std::string_view next_malformed(NetAddress& from) {
  from = kAliceNat;
  return messages().malformed;
}

// A new AOR per message needs distinct users: for the small-table variants (--loop,
// --alloc-check), users from 1M up in the small engine.
uint64_t g_small_new_user = 5'000'000;
std::string_view next_new_aor_small(NetAddress& from) {
  Template& t = messages().user_register;
  t.set_user(g_small_new_user++);
  t.set_cseq(100'000'001);
  from = kAlicePhone;
  return t.view();
}

const Case kCases[] = {
    {"register/refresh_hot", small_engine, next_hot_register, Expect::kRegistration},
    {"register/refresh_random_1M", large_engine, next_random_refresh, Expect::kRegistration},
    {"register/new_aor_1M", large_engine, next_new_aor, Expect::kRegistration},
    {"register/new_aor_small", small_engine, next_new_aor_small, Expect::kRegistration},
    {"invite/forward_hot", small_engine, next_invite, Expect::kForward},
    {"invite/forward_random_1M", large_engine, next_random_invite, Expect::kForward},
    {"response/180", small_engine, next_ringing, Expect::kResponseRelayed},
    {"response/200", small_engine, next_ok, Expect::kResponseRelayed},
    {"options/keepalive", small_engine, next_options, Expect::kResponseSent},
    {"malformed/400", small_engine, next_malformed, Expect::kMalformed},
};

const Case* find_case(std::string_view name) {
  for (const Case& c : kCases)
    if (name == c.name) return &c;
  return nullptr;
}

uint64_t expected_counter(const ProxyCounters& k, Expect e) {
  switch (e) {
    case Expect::kRegistration: return k.registrations;
    case Expect::kForward: return k.requests_forwarded;
    case Expect::kResponseRelayed: return k.responses_forwarded;
    case Expect::kResponseSent: return k.responses_sent;
    case Expect::kMalformed: return k.malformed_requests;
  }
  return 0;
}

// ---- benchmarks ----

void run_case(benchmark::State& state, const Case* c) {
  Engine& e = c->engine();
  NetAddress from;
  const uint64_t before = expected_counter(e.core->counters(), c->expect);
  const uint64_t sent_before = e.out.sent();
  const uint64_t allocs_before = g_allocs;
  const uint64_t alloc_bytes_before = g_alloc_bytes;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string_view m = c->next(from);
    bytes += m.size();
    e.handle(m, from);
    benchmark::DoNotOptimize(e.out.sent_bytes());
  }
  const uint64_t n = state.iterations();
  const uint64_t got = expected_counter(e.core->counters(), c->expect) - before;
  if (got != n || e.out.sent() - sent_before != n) {
    state.SkipWithError("the engine did not do what the case expects for every message");
    return;
  }
  // Read before the counters are set: Google Benchmark allocates to store them.
  const auto allocs = static_cast<double>(g_allocs - allocs_before);
  const auto alloc_bytes = static_cast<double>(g_alloc_bytes - alloc_bytes_before);
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["allocs/msg"] = benchmark::Counter(allocs, benchmark::Counter::kAvgIterations);
  state.counters["alloc_B/msg"] =
      benchmark::Counter(alloc_bytes, benchmark::Counter::kAvgIterations);
}

// The per-iteration rewriting of the random cases alone (no engine).
void BM_baseline_rewrite(benchmark::State& state) {
  Template& t = messages().user_register;
  UserSequence seq{99};
  uint64_t cseq = 200'000'000;
  const uint64_t allocs_before = g_allocs;
  for (auto _ : state) {
    t.set_user(seq.next());
    t.set_cseq(++cseq);
    benchmark::DoNotOptimize(t.view().data());
    benchmark::ClobberMemory();
  }
  t.set_user(0);
  state.counters["allocs/msg"] = benchmark::Counter(static_cast<double>(g_allocs - allocs_before),
                                                    benchmark::Counter::kAvgIterations);
}

void register_benchmarks() {
  for (const Case& c : kCases) {
    if (std::string_view(c.name) == "register/new_aor_small") continue;  // --alloc-check only
    auto* b = benchmark::RegisterBenchmark(c.name, run_case, &c);
    b->Unit(benchmark::kNanosecond);
    // A bounded number of new AORs: 200k per run, so the 1M table grows by ~1.2M at most.
    if (std::string_view(c.name) == "register/new_aor_1M") b->Iterations(200'000);
  }
  benchmark::RegisterBenchmark("baseline/rewrite_register", BM_baseline_rewrite)
      ->Unit(benchmark::kNanosecond);
}

// ---- --alloc-check, --loop, --show ----

int alloc_check() {
  std::printf("%-28s %12s %14s %12s\n", "case", "allocs/msg", "alloc bytes/msg", "allocs/20000");
  for (const Case& c : kCases) {
    if (c.engine == large_engine) continue;  // the same code paths as the small variants
    Engine& e = c.engine();
    NetAddress from;
    for (int i = 0; i < 100; ++i) e.handle(c.next(from), from);  // warm up
    constexpr int kN = 20000;
    const uint64_t before = expected_counter(e.core->counters(), c.expect);
    const uint64_t a0 = g_allocs, b0 = g_alloc_bytes;
    for (int i = 0; i < kN; ++i) e.handle(c.next(from), from);
    const uint64_t a = g_allocs - a0, b = g_alloc_bytes - b0;
    const bool ok = expected_counter(e.core->counters(), c.expect) - before == kN;
    std::printf("%-28s %12.2f %14.1f %12llu%s", c.name, static_cast<double>(a) / kN,
                static_cast<double>(b) / kN, static_cast<unsigned long long>(a),
                ok ? "" : "   (UNEXPECTED OUTCOME)");
    if (a != 0) {  // the sizes operator new is asked for, in order, for one more message
      g_n_logged = 0;
      g_log_sizes = true;
      e.handle(c.next(from), from);
      g_log_sizes = false;
      std::printf("   sizes:");
      for (std::size_t i = 0; i < g_n_logged; ++i) std::printf(" %zu", g_logged[i]);
    }
    std::printf("\n");
  }
  return 0;
}

int loop(const Case& c, long n) {
  Engine& e = c.engine();
  NetAddress from;
  const uint64_t before = expected_counter(e.core->counters(), c.expect);
  for (long i = 0; i < n; ++i) e.handle(c.next(from), from);
  benchmark::DoNotOptimize(e.out.sent_bytes());
  return expected_counter(e.core->counters(), c.expect) - before == static_cast<uint64_t>(n) ? 0
                                                                                              : 1;
}

int show(const Case& c) {
  Engine& e = c.engine();
  NetAddress from;
  const std::string_view m = c.next(from);
  std::printf("==== %s: %zu bytes from %s\n%.*s", c.name, m.size(), from.to_string().c_str(),
              static_cast<int>(m.size()), m.data());
  for (const auto& s : e.capture(m, from))
    std::printf("==== sent to %s (%zu bytes)\n%s", s.to.to_string().c_str(), s.bytes.size(),
                s.bytes.c_str());
  return 0;
}

}  // namespace
}  // namespace sipwire::bench

int main(int argc, char** argv) {
  using namespace sipwire::bench;
  if (argc >= 2 && std::strcmp(argv[1], "--alloc-check") == 0) return alloc_check();
  if (argc >= 3 && (std::strcmp(argv[1], "--loop") == 0 || std::strcmp(argv[1], "--show") == 0)) {
    const Case* c = find_case(argv[2]);
    if (c == nullptr) {
      std::fprintf(stderr, "engine_bench: no case %s; cases:", argv[2]);
      for (const Case& k : kCases) std::fprintf(stderr, " %s", k.name);
      std::fprintf(stderr, "\n");
      return 2;
    }
    if (std::strcmp(argv[1], "--show") == 0) return show(*c);
    if (argc != 4) {
      std::fprintf(stderr, "usage: engine_bench --loop CASE N\n");
      return 2;
    }
    return loop(*c, std::atol(argv[3]));
  }
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
