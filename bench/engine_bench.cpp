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
// Stateful cases (another ProxyCore, ProxyMode::kStateful, Bob registered; CallRig):
//   stateful/invite_transaction   one iteration = one call setup, all the proxy's work: the
//                                 caller's INVITE (100 Trying sent, INVITE forwarded: server
//                                 + client transaction), the callee's 180 and 200 relayed
//                                 (the 200 ends both), the caller's ACK forwarded statelessly.
//                                 A new call number per iteration in branches and Call-IDs;
//                                 the responses carry the branch the proxy wrote, copied out
//                                 of the INVITE it sent. Checked: counters, sends per
//                                 direction, no transaction, context or store slot left
//   stateful/invite_forward       the INVITE leg alone (100 + forward); the calls it leaves
//                                 open are ended by their 200s every 128, timing paused
//   baseline/rewrite_call         the per-call rewriting alone (subtract from both)
//
// Besides the benchmarks, the program has modes of its own (flags before the usual
// Google Benchmark ones):
//   --alloc-check        counts operator new calls per message for every case and exits
//   --loop CASE N        handles CASE's message N times and exits: what callgrind measures
//                        (instructions per message = (refs at N=10001 - refs at N=1) / 10000;
//                        a stateful case runs N calls or N INVITE legs)
//   --show CASE          prints the message of CASE and what the engine sends for it
//   --memory             what one call in progress holds in the stateful proxy
#include <benchmark/benchmark.h>

#include <array>
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
#include "count_allocations.h"
#include "sipwire/engine/location.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/engine/proxy_core.h"
#include "sipwire/engine/qsbr.h"
#include "stateful_proxy.h"

// ---- allocations, counted by tests/support/count_allocations.cpp (per thread; the program
// handles messages on one) ----

namespace {
uint64_t allocations_so_far() {
  return sipwire::testing::allocations().calls;
}
uint64_t allocated_bytes_so_far() {
  return sipwire::testing::allocations().bytes;
}
// --alloc-check lists the sizes asked for while handling one message.
constexpr std::size_t kMaxLogged = 256;
std::size_t g_logged[kMaxLogged];
std::size_t g_n_logged = 0;
void log_sizes(bool on) {
  sipwire::testing::log_allocation_sizes(
      on ? std::span<std::size_t>(g_logged) : std::span<std::size_t>{}, &g_n_logged);
}
}  // namespace

namespace sipwire::bench {
namespace {

const NetAddress kProxy = NetAddress::ipv4(198, 51, 100, 1, 5060);
const NetAddress kAlicePhone = NetAddress::ipv4(192, 0, 2, 45, 5060);   // registers, no NAT
const NetAddress kAliceNat = NetAddress::ipv4(203, 0, 113, 17, 31877);  // calls from behind NAT
const NetAddress kBobPhone = NetAddress::ipv4(203, 0, 113, 80, 5060);   // the callee
constexpr uint64_t kNowMs = 1'790'000'000'000;                          // the injected clock
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
  bool send_from(const NetAddress&, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
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
  static constexpr std::size_t kArena = 1024 * 1024;  // a burst of 32 responses of 4 KB each
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
  bool send_from(const NetAddress&, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
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
  s = replace_once(s, "From: \"Alice\" <sip:alice@example.com>",
                   "From: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "To: \"Alice\" <sip:alice@example.com>", "To: <sip:userUUUUUUU@example.com>");
  s = replace_once(s, "Call-ID: 0_1938305642@192.0.2.45",
                   "Call-ID: 0_1938305642-UUUUUUU-a7c3@192.0.2.45");
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
// answer of kOk200RecordRoute. With `record_route`, the INVITE's Record-Route fields are
// copied too (§12.1.1), as a callee does.
std::string callee_response(const std::string& forwarded_invite, bool ok,
                            bool record_route = false) {
  std::string vias;
  for (std::string_view name : {std::string_view("Via"), std::string_view("Record-Route")}) {
    if (name == "Record-Route" && !record_route) break;
    const std::string marker = "\r\n" + std::string(name) + ": ";
    for (std::size_t at = forwarded_invite.find(marker); at != std::string::npos;
         at = forwarded_invite.find(marker, at + 2)) {
      const std::size_t end = forwarded_invite.find("\r\n", at + 2);
      vias += forwarded_invite.substr(at + 2, end - at - 2) + "\r\n";
    }
  }
  return callee_answer(ok, vias, "4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10", "<sip:bob@203.0.113.80:5060>");
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
  // Each message is handled as a batch of one would be: the datagram, then the tick the data
  // plane runs after flushing the batch (timers; stored copies released in it recycled).
  void handle(std::string_view m, const NetAddress& from) {
    out.reset();
    core->handle(m, from, out, kNowMs);
    core->tick(out, kNowMs);
    qsbr.quiescent(0);
  }
  std::vector<CaptureOutbox::Sent> capture(std::string_view m, const NetAddress& from) {
    CaptureOutbox c;
    core->handle(m, from, c, kNowMs);
    core->tick(c, kNowMs);
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
    case Expect::kRegistration:
      return k.registrations;
    case Expect::kForward:
      return k.requests_forwarded;
    case Expect::kResponseRelayed:
      return k.responses_forwarded;
    case Expect::kResponseSent:
      return k.responses_sent;
    case Expect::kMalformed:
      return k.malformed_requests;
  }
  return 0;
}

// ---- benchmarks ----

void run_case(benchmark::State& state, const Case* c) {
  Engine& e = c->engine();
  NetAddress from;
  const uint64_t before = expected_counter(e.core->counters(), c->expect);
  const uint64_t sent_before = e.out.sent();
  const uint64_t allocs_before = allocations_so_far();
  const uint64_t alloc_bytes_before = allocated_bytes_so_far();
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
  const auto allocs = static_cast<double>(allocations_so_far() - allocs_before);
  const auto alloc_bytes = static_cast<double>(allocated_bytes_so_far() - alloc_bytes_before);
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["allocs/msg"] = benchmark::Counter(allocs, benchmark::Counter::kAvgIterations);
  state.counters["alloc_B/msg"] =
      benchmark::Counter(alloc_bytes, benchmark::Counter::kAvgIterations);
}

// A burst of 32 of a case's messages, as a data-plane worker gets them from one receive:
// handled one by one (parse, handle), or in two passes (parse all 32, then handle all 32:
// ProxyCore::parse_into, handle_parsed). One iteration is a burst; items/s is messages/s.
constexpr std::size_t kBurst = 32;
void run_burst(benchmark::State& state, const Case* c, bool two_pass) {
  Engine& e = c->engine();
  NetAddress from;
  std::array<std::string, kBurst> copies;
  std::array<NetAddress, kBurst> sources;
  static std::array<Message, kBurst> parsed;
  std::array<ParseError, kBurst> errors;
  const uint64_t before = expected_counter(e.core->counters(), c->expect);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBurst; ++i) copies[i].assign(c->next(sources[i]));
    e.out.reset();
    if (two_pass) {
      for (std::size_t i = 0; i < kBurst; ++i) errors[i] = e.core->parse_into(copies[i], parsed[i]);
      for (std::size_t i = 0; i < kBurst; ++i)
        e.core->handle_parsed(copies[i], errors[i], parsed[i], sources[i], NetAddress{}, e.out,
                              kNowMs);
    } else {
      for (std::size_t i = 0; i < kBurst; ++i) e.core->handle(copies[i], sources[i], e.out, kNowMs);
    }
    e.core->tick(e.out, kNowMs);
    e.qsbr.quiescent(0);
    benchmark::DoNotOptimize(e.out.sent_bytes());
  }
  (void)from;
  const uint64_t n = state.iterations() * kBurst;
  if (expected_counter(e.core->counters(), c->expect) - before != n) {
    state.SkipWithError("the engine did not do what the case expects for every message");
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

// The per-iteration rewriting of the random cases alone (no engine).
void BM_baseline_rewrite(benchmark::State& state) {
  Template& t = messages().user_register;
  UserSequence seq{99};
  uint64_t cseq = 200'000'000;
  const uint64_t allocs_before = allocations_so_far();
  for (auto _ : state) {
    t.set_user(seq.next());
    t.set_cseq(++cseq);
    benchmark::DoNotOptimize(t.view().data());
    benchmark::ClobberMemory();
  }
  t.set_user(0);
  state.counters["allocs/msg"] =
      benchmark::Counter(static_cast<double>(allocations_so_far() - allocs_before),
                         benchmark::Counter::kAvgIterations);
}

// ---- the stateful proxy: one call setup per iteration ----
//
// A stateful ProxyCore (Bob registered) and the four messages of a call setup as they reach
// it: the caller's INVITE, the callee's 180 and 200 (Record-Route copied, our Via on top),
// the caller's ACK of the 200 (a new branch, the To tag, Route: our Record-Route). Each call
// is a new transaction: a 10-digit call number is written into the caller's branches and the
// Call-ID of all four; the callee's responses carry the branch the proxy wrote, copied out of
// the INVITE it sent to Bob (CallOutbox).

constexpr std::string_view kOurBranch = "branch=z9hG4bKsw";
constexpr std::size_t kProxyBranchLength = 34;  // z9hG4bKsw, 2 + 14 hex, '-', 8 hex: branch.h
constexpr int kCallIdWidth = 10;
constexpr std::string_view kCallMarker = "KKKKKKKKKK";

// DiscardOutbox, plus: sends counted by direction (to the callee, to anyone else: the
// caller), and while capture is on, the branch of our Via in a request sent to the callee.
class CallOutbox final : public Outbox {
 public:
  CallOutbox() : arena_(new char[kArena]) {}
  char* scratch(std::size_t bytes) override {
    if (kArena - used_ < bytes) return nullptr;
    char* p = arena_.get() + used_;
    used_ += bytes;
    return p;
  }
  bool send_from(const NetAddress&, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
    if (segments.size() > kMaxSegments) return false;
    std::size_t n = 0;
    for (std::string_view s : segments) n += s.size();
    sent_bytes_ += n + to.port;
    if (!(to == kBobPhone)) {
      ++to_caller_;
      return true;
    }
    ++to_callee_;
    if (capture_) {
      for (std::string_view s : segments) {
        const std::size_t at = s.find(kOurBranch);
        if (at == std::string_view::npos || s.size() - at < 7 + kProxyBranchLength) continue;
        std::memcpy(branch_, s.data() + at + 7, kProxyBranchLength);
        captured_ = true;
        break;
      }
    }
    return true;
  }
  void reset() { used_ = 0; }
  void capture(bool on) {
    capture_ = on;
    if (on) captured_ = false;
  }
  bool captured() const { return captured_; }
  const char* branch() const { return branch_; }
  uint64_t to_callee() const { return to_callee_; }
  uint64_t to_caller() const { return to_caller_; }
  uint64_t& sent_bytes() { return sent_bytes_; }

 private:
  static constexpr std::size_t kArena = 1024 * 1024;  // a burst of 32 responses of 4 KB each
  std::unique_ptr<char[]> arena_;
  std::size_t used_ = 0;
  uint64_t sent_bytes_ = 0, to_callee_ = 0, to_caller_ = 0;
  bool capture_ = false, captured_ = false;
  char branch_[kProxyBranchLength] = {};
};

// A message with the call number (every "KKKKKKKKKK") and optionally our branch (after the
// first "branch=z9hG4bKsw") rewritten in place: 10 and 34 bytes copied per field.
class CallMessage {
 public:
  explicit CallMessage(std::string text) : text_(std::move(text)) {
    for (std::size_t at = text_.find(kCallMarker); at != std::string::npos;
         at = text_.find(kCallMarker, at + kCallIdWidth))
      id_at_.push_back(at);
    if (id_at_.empty()) {
      std::fprintf(stderr, "engine_bench: no call number in a call message\n");
      std::abort();
    }
    const std::size_t b = text_.find(kOurBranch);
    if (b != std::string::npos) branch_at_ = b + 7;
  }
  void set_id(const char* id) {
    for (std::size_t at : id_at_) std::memcpy(&text_[at], id, kCallIdWidth);
  }
  void set_branch(const char* branch) {
    std::memcpy(&text_[branch_at_], branch, kProxyBranchLength);
  }
  bool has_branch() const { return branch_at_ != std::string::npos; }
  std::string_view view() const { return text_; }

 private:
  std::string text_;
  std::vector<std::size_t> id_at_;
  std::size_t branch_at_ = std::string::npos;
};

// kInviteSdp with the call number in its branch and Call-ID (same lengths as before).
std::string make_call_invite() {
  std::string s = std::string(kInviteSdp);
  s = replace_once(s, "branch=z9hG4bKPj9c6d1b0a3e2f4f67a8b59c0d1e2f3a4b",
                   "branch=z9hG4bKPjKKKKKKKKKK-6d1b0a3e2f4f67a8b59c0d");
  s = replace_once(s, "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10",
                   "Call-ID: 4b1f5c2e7d0a4f3c-KKKKKKKKKK-b2a10");
  return s;
}

// The caller's ACK of the 200: sent to Bob's Contact through our Record-Route (§12.2.1.1).
std::string make_call_ack() {
  return "ACK sip:bob@203.0.113.80:5060 SIP/2.0\r\n"
         "Via: SIP/2.0/UDP 192.0.2.45:5060;rport;branch=z9hG4bKPjKKKKKKKKKK-ack1b0a3e2f4f67a8\r\n"
         "Max-Forwards: 70\r\n"
         "Route: <sip:198.51.100.1:5060;lr>\r\n"
         "From: \"Alice\" <sip:alice@example.com>;tag=c3a91f0b5d4e4b2a9e1c\r\n"
         "To: <sip:bob@example.com>;tag=as6a1d8f0c\r\n"
         "Call-ID: 4b1f5c2e7d0a4f3c-KKKKKKKKKK-b2a10\r\n"
         "CSeq: 23011 ACK\r\n"
         "User-Agent: MicroSIP/3.21.3\r\n"
         "Content-Length: 0\r\n"
         "\r\n";
}

// What the proxy's counters and the outbox say, to compare before and after a run.
struct CallSnapshot {
  uint64_t server_transactions, branches, final_responses, overloaded;
  uint64_t relayed, forwarded, dropped, to_callee, to_caller;
};

struct CallCounts {  // expected per call
  uint64_t server_transactions, branches, final_responses, relayed, forwarded, to_callee, to_caller;
};
constexpr CallCounts kFullCall = {1, 1, 1, 2, 1, 2, 3};    // INVITE 100 180 200 ACK
constexpr CallCounts kSettledLeg = {1, 1, 1, 1, 0, 1, 2};  // INVITE 100, later its 200

struct CallRig {
  uint64_t now = kNowMs;  // the rig's clock: 1 ms per message
  CallRig() : qsbr(1), table(1024, qsbr) {
    settings.mode = ProxyMode::kStateful;
    settings.local = kProxy;
    settings.domains = {"example.com"};
    settings.registrar.min_expires = 60;
    settings.registrar.max_expires = 3600;
    settings.registrar.default_expires = 3600;
    settings.registrar.max_contacts = 10;
    // 16,384 transactions (8,192 contexts) and 16 MB of message slots: room for the kLegBatch
    // calls invite_forward leaves open and for the INVITE server transactions that wait 64*T1
    // Accepted (RFC 6026) after their 2xx: the clock moves 1 ms per message, so about 8,000.
    settings.transactions.capacity = 16384;
    settings.message_store_bytes = 16u << 20;
    core = std::make_unique<ProxyCore>(settings, table);
    qsbr.online(0);
    handle(make_bob_register(), kBobPhone);
    if (core->counters().registrations != 1) fail("Bob's REGISTER was not accepted");
  }

  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "engine_bench: stateful call: %s\n", what);
    std::abort();
  }

  // Each message is handled as a batch of one would be: the datagram, then the tick the data
  // plane runs after flushing the batch (timers; stored copies released in it recycled). The
  // clock moves 1 ms per message, so timers (Timer L of the Accepted INVITE server
  // transactions) fire in the measured work as they would in a proxy at ~250 calls/s.
  void handle(std::string_view m, const NetAddress& from) {
    out.reset();
    ++now;
    core->handle(m, from, out, now);
    core->tick(out, now);
    qsbr.quiescent(0);
  }
  std::vector<CaptureOutbox::Sent> capture(std::string_view m, const NetAddress& from) {
    CaptureOutbox c;
    ++now;
    core->handle(m, from, c, now);
    core->tick(c, now);
    qsbr.quiescent(0);
    return std::move(c.sent);
  }
  // Lets every timer run out (Timer L: 64*T1), as after the last call of a run.
  void drain_timers() {
    now += 64 * 500 + 10;
    CaptureOutbox c;
    core->tick(c, now);
    core->tick(c, now);  // recycles what the first tick released
  }

  // The next call number, written into all four messages.
  void next_call() {
    increment(id, kCallIdWidth);
    invite->set_id(id);
    ringing->set_id(id);
    ok->set_id(id);
    ack->set_id(id);
  }

  // The caller's INVITE (the proxy answers 100 and forwards it); our branch goes into the
  // callee's responses. False when no branch was seen in what went to Bob.
  [[gnu::noinline]] bool invite_leg() {
    next_call();
    out.capture(true);
    handle(invite->view(), kAliceNat);
    out.capture(false);
    if (!out.captured()) return false;
    ringing->set_branch(out.branch());
    ok->set_branch(out.branch());
    return true;
  }

  // One whole call setup: INVITE (100, forward), 180, 200 (both transactions end), ACK.
  bool call() {
    if (!invite_leg()) return false;
    handle(ringing->view(), kBobPhone);
    handle(ok->view(), kBobPhone);
    handle(ack->view(), kAliceNat);
    return true;
  }

  // invite_forward: the INVITE leg only; the calls it leaves open are ended in batches by
  // their 200s (settle()), outside the timed part.
  static constexpr std::size_t kLegBatch = 128;
  bool leg() {
    if (!invite_leg()) return false;
    Pending& p = pending[n_pending++];
    std::memcpy(p.id, id, kCallIdWidth);
    std::memcpy(p.branch, out.branch(), kProxyBranchLength);
    return true;
  }
  bool batch_full() const { return n_pending == kLegBatch; }
  void settle() {
    for (std::size_t i = 0; i < n_pending; ++i) {
      ok->set_id(pending[i].id);
      ok->set_branch(pending[i].branch);
      handle(ok->view(), kBobPhone);
    }
    n_pending = 0;
  }

  CallSnapshot snapshot() const {
    const StatefulCounters& s = core->stateful()->counters();
    const ProxyCounters& k = core->counters();
    return {s.server_transactions, s.branches,           s.final_responses, s.overloaded,
            k.responses_forwarded, k.requests_forwarded, k.dropped,         out.to_callee(),
            out.to_caller()};
  }
  // Null when `calls` calls did what `per_call` says since `before` and nothing is left
  // open; else what went wrong.
  const char* check(const CallSnapshot& before, uint64_t calls, const CallCounts& per_call) {
    drain_timers();
    const CallSnapshot now = snapshot();
    const StatefulProxy& p = *core->stateful();
    if (now.overloaded != before.overloaded) return "503: the proxy ran out of space";
    if (now.dropped != before.dropped) return "messages dropped";
    if (now.server_transactions - before.server_transactions !=
        calls * per_call.server_transactions)
      return "server transactions";
    if (now.branches - before.branches != calls * per_call.branches) return "branches";
    if (now.final_responses - before.final_responses != calls * per_call.final_responses)
      return "final responses";
    if (now.relayed - before.relayed != calls * per_call.relayed) return "responses relayed";
    if (now.forwarded - before.forwarded != calls * per_call.forwarded)
      return "requests forwarded statelessly";
    if (now.to_callee - before.to_callee != calls * per_call.to_callee) return "sends to Bob";
    if (now.to_caller - before.to_caller != calls * per_call.to_caller) return "sends to Alice";
    if (p.table().live() != 0) return "transactions left live";
    if (p.live_contexts() != 0) return "response contexts left live";
    if (p.store().counters().in_use != 0) return "message store slots left in use";
    return nullptr;
  }

  // Builds the callee's responses from a real forward of the INVITE (the call number still
  // "KKKKKKKKKK"), then runs that call once through a capturing outbox, checking every
  // message's outcome; with `print`, shows the messages and what the proxy sent (--show).
  void build_and_verify(bool print) {
    invite = std::make_unique<CallMessage>(make_call_invite());
    ack = std::make_unique<CallMessage>(make_call_ack());
    const CallSnapshot before = snapshot();
    auto step = [&](const char* what, std::string_view m, const NetAddress& from) {
      if (print)
        std::printf("==== %s: %zu bytes from %s\n%.*s", what, m.size(), from.to_string().c_str(),
                    static_cast<int>(m.size()), m.data());
      auto sent = capture(m, from);
      if (print)
        for (const auto& s : sent)
          std::printf("==== sent to %s (%zu bytes)\n%s", s.to.to_string().c_str(), s.bytes.size(),
                      s.bytes.c_str());
      return sent;
    };
    const auto fwd = step("caller's INVITE", invite->view(), kAliceNat);
    if (fwd.size() != 2 || fwd[0].to != kAliceNat ||
        fwd[0].bytes.rfind("SIP/2.0 100 Trying\r\n", 0) != 0 || fwd[1].to != kBobPhone ||
        fwd[1].bytes.rfind("INVITE sip:bob@203.0.113.80:5060 SIP/2.0\r\n", 0) != 0)
      fail("the INVITE did not give a 100 to Alice and an INVITE to Bob");
    const StatefulProxy& p = *core->stateful();
    if (p.table().live() != 2 || p.live_contexts() != 1)
      fail("the INVITE did not make a server and a client transaction");
    ringing = std::make_unique<CallMessage>(callee_response(fwd[1].bytes, false, true));
    ok = std::make_unique<CallMessage>(callee_response(fwd[1].bytes, true, true));
    for (CallMessage* m : {ringing.get(), ok.get()}) {
      std::string s(m->view());
      s = replace_once(s, "Call-ID: 4b1f5c2e7d0a4f3c8e9b6a5d4c3b2a10",
                       "Call-ID: 4b1f5c2e7d0a4f3c-KKKKKKKKKK-b2a10");
      *m = CallMessage(std::move(s));
      if (!m->has_branch()) fail("no branch of ours in the callee's response");
    }
    const auto r180 = step("callee's 180", ringing->view(), kBobPhone);
    if (r180.size() != 1 || r180[0].to != kAliceNat ||
        r180[0].bytes.rfind("SIP/2.0 180 Ringing\r\n", 0) != 0)
      fail("the 180 was not relayed to Alice");
    if (r180[0].bytes.find(kOurBranch) != std::string::npos) fail("our Via went upstream");
    const auto r200 = step("callee's 200", ok->view(), kBobPhone);
    if (r200.size() != 1 || r200[0].to != kAliceNat ||
        r200[0].bytes.rfind("SIP/2.0 200 OK\r\n", 0) != 0)
      fail("the 200 was not relayed to Alice");
    // The branch ends with the 2xx; the server transaction waits Accepted, without a copy.
    if (p.table().live() != 1 || p.live_contexts() != 0 || p.store().counters().in_use != 0)
      fail("the 200 did not end the branch and the context and free their messages");
    const auto a = step("caller's ACK", ack->view(), kAliceNat);
    if (a.size() != 1 || a[0].to != kBobPhone ||
        a[0].bytes.rfind("ACK sip:bob@203.0.113.80:5060 SIP/2.0\r\n", 0) != 0)
      fail("the ACK was not forwarded to Bob");
    const CallSnapshot after = snapshot();
    if (after.forwarded - before.forwarded != 1 || after.relayed - before.relayed != 2 ||
        after.server_transactions - before.server_transactions != 1 ||
        after.overloaded != before.overloaded || after.dropped != before.dropped)
      fail("the counters do not match one call");
    std::memcpy(id, "1000000000", kCallIdWidth);
  }

  struct Pending {
    char id[kCallIdWidth];
    char branch[kProxyBranchLength];
  };

  Qsbr qsbr;
  LocationTable table;
  EngineSettings settings;
  std::unique_ptr<ProxyCore> core;
  CallOutbox out;
  std::unique_ptr<CallMessage> invite, ringing, ok, ack;
  char id[kCallIdWidth] = {};
  std::array<Pending, kLegBatch> pending;
  std::size_t n_pending = 0;
};

CallRig& call_rig() {
  static CallRig* r = [] {
    auto* r = new CallRig();
    r->build_and_verify(false);
    return r;
  }();
  return *r;
}

void BM_stateful_transaction(benchmark::State& state) {
  CallRig& r = call_rig();
  const CallSnapshot before = r.snapshot();
  const uint64_t allocs_before = allocations_so_far();
  uint64_t lost = 0;
  for (auto _ : state) {
    lost += !r.call();
    benchmark::DoNotOptimize(r.out.sent_bytes());
  }
  const auto allocs = static_cast<double>(allocations_so_far() - allocs_before);
  const uint64_t n = state.iterations();
  const char* wrong =
      lost != 0 ? "no branch of ours in an INVITE sent to Bob" : r.check(before, n, kFullCall);
  if (wrong != nullptr) {
    state.SkipWithError(wrong);
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["msgs_in/s"] =
      benchmark::Counter(4.0 * static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["allocs/call"] = benchmark::Counter(allocs, benchmark::Counter::kAvgIterations);
}

void BM_stateful_invite_forward(benchmark::State& state) {
  CallRig& r = call_rig();
  const CallSnapshot before = r.snapshot();
  uint64_t allocs = 0;
  uint64_t lost = 0;
  for (auto _ : state) {
    const uint64_t a0 = allocations_so_far();
    lost += !r.leg();
    allocs += allocations_so_far() - a0;
    benchmark::DoNotOptimize(r.out.sent_bytes());
    if (r.batch_full()) {
      state.PauseTiming();
      r.settle();
      state.ResumeTiming();
    }
  }
  r.settle();
  const uint64_t n = state.iterations();
  const char* wrong =
      lost != 0 ? "no branch of ours in an INVITE sent to Bob" : r.check(before, n, kSettledLeg);
  if (wrong != nullptr) {
    state.SkipWithError(wrong);
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.counters["allocs/msg"] =
      benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
}

// What the stateful cases rewrite per call, without the engine: the call number into the four
// messages, our branch found in a forwarded INVITE and copied into the two responses.
void BM_baseline_rewrite_call(benchmark::State& state) {
  CallRig& r = call_rig();
  std::string forwarded = std::string(r.invite->view());
  forwarded.insert(forwarded.find("\r\n") + 2,
                   "Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKsw00e3b0c44298fc1c-14"
                   "9afbf4\r\nRecord-Route: <sip:198.51.100.1:5060;lr>\r\n");
  char branch[kProxyBranchLength];
  for (auto _ : state) {
    r.next_call();
    const std::string_view f = forwarded;
    const std::size_t at = f.find(kOurBranch);
    std::memcpy(branch, f.data() + at + 7, kProxyBranchLength);
    r.ringing->set_branch(branch);
    r.ok->set_branch(branch);
    benchmark::DoNotOptimize(r.ok->view().data());
    benchmark::ClobberMemory();
  }
}

void register_benchmarks() {
  for (const Case& c : kCases) {
    if (std::string_view(c.name) == "register/new_aor_small") continue;  // --alloc-check only
    auto* b = benchmark::RegisterBenchmark(c.name, run_case, &c);
    b->Unit(benchmark::kNanosecond);
    // A bounded number of new AORs: 200k per run, so the 1M table grows by ~1.2M at most.
    if (std::string_view(c.name) == "register/new_aor_1M") b->Iterations(200'000);
  }
  for (const char* name : {"register/refresh_hot", "invite/forward_hot", "options/keepalive"}) {
    const Case* c = find_case(name);
    benchmark::RegisterBenchmark((std::string("burst32/") + name + "/one_by_one").c_str(),
                                 run_burst, c, false);
    benchmark::RegisterBenchmark((std::string("burst32/") + name + "/two_pass").c_str(), run_burst,
                                 c, true);
  }
  benchmark::RegisterBenchmark("stateful/invite_transaction", BM_stateful_transaction)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("stateful/invite_forward", BM_stateful_invite_forward)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("baseline/rewrite_register", BM_baseline_rewrite)
      ->Unit(benchmark::kNanosecond);
  benchmark::RegisterBenchmark("baseline/rewrite_call", BM_baseline_rewrite_call)
      ->Unit(benchmark::kNanosecond);
}

// ---- --alloc-check, --loop, --show ----

// The stateful cases in --alloc-check: per call (4 messages in, 5 out), and the INVITE leg
// alone (its 200s, sent in batches to end the calls, counted apart).
void alloc_check_calls() {
  CallRig& r = call_rig();
  for (int i = 0; i < 100; ++i) r.call();  // warm up
  constexpr int kN = 20000;
  CallSnapshot before = r.snapshot();
  uint64_t a0 = allocations_so_far(), b0 = allocated_bytes_so_far();
  for (int i = 0; i < kN; ++i) r.call();
  uint64_t a = allocations_so_far() - a0, b = allocated_bytes_so_far() - b0;
  const char* wrong = r.check(before, kN, kFullCall);
  std::printf("%-28s %12.2f %14.1f %12llu   per call (INVITE, 180, 200, ACK in)%s%s\n",
              "stateful/invite_transaction", static_cast<double>(a) / kN,
              static_cast<double>(b) / kN, static_cast<unsigned long long>(a),
              wrong ? "   UNEXPECTED OUTCOME: " : "", wrong ? wrong : "");
  before = r.snapshot();
  uint64_t leg_allocs = 0, leg_bytes = 0;
  a0 = allocations_so_far();
  for (int i = 0; i < kN; ++i) {
    const uint64_t l0 = allocations_so_far(), lb0 = allocated_bytes_so_far();
    r.leg();
    leg_allocs += allocations_so_far() - l0;
    leg_bytes += allocated_bytes_so_far() - lb0;
    if (r.batch_full()) r.settle();
  }
  r.settle();
  a = allocations_so_far() - a0;
  wrong = r.check(before, kN, kSettledLeg);
  std::printf("%-28s %12.2f %14.1f %12llu   INVITE leg; with the 200s ending them: %llu%s%s\n",
              "stateful/invite_forward", static_cast<double>(leg_allocs) / kN,
              static_cast<double>(leg_bytes) / kN, static_cast<unsigned long long>(leg_allocs),
              static_cast<unsigned long long>(a), wrong ? "   UNEXPECTED OUTCOME: " : "",
              wrong ? wrong : "");
}

// --loop for the stateful cases: N calls, or N INVITE legs (their 200s sent every kLegBatch;
// callgrind --toggle-collect='*invite_leg*' counts the legs alone).
int loop_calls(bool legs_only, long n) {
  CallRig& r = call_rig();
  const CallSnapshot before = r.snapshot();
  uint64_t lost = 0;
  for (long i = 0; i < n; ++i) {
    if (!legs_only) {
      lost += !r.call();
      continue;
    }
    lost += !r.leg();
    if (r.batch_full()) r.settle();
  }
  r.settle();
  benchmark::DoNotOptimize(r.out.sent_bytes());
  const char* wrong =
      lost != 0 ? "no branch of ours in an INVITE sent to Bob"
                : r.check(before, static_cast<uint64_t>(n), legs_only ? kSettledLeg : kFullCall);
  if (wrong != nullptr) std::fprintf(stderr, "engine_bench: %s\n", wrong);
  return wrong == nullptr ? 0 : 1;
}

// sizeof(StatefulProxy::Context), which is private to stateful_proxy.cpp: a ProxyCore is
// built with `capacity` transactions, so capacity / 2 contexts, and the allocations its
// constructor makes are logged. The context pool is the allocation just before the context
// free list (capacity / 2 uint32_t): its size divided by capacity / 2. `total` is everything
// the constructor allocated.
std::size_t context_bytes(uint32_t capacity, std::size_t store_bytes, std::size_t& total) {
  Qsbr q(1);
  LocationTable t(16, q);
  EngineSettings s;
  s.mode = ProxyMode::kStateful;
  s.local = kProxy;
  s.domains = {"example.com"};
  s.transactions.capacity = capacity;
  s.message_store_bytes = store_bytes;
  const std::size_t n = capacity / 2;
  const uint64_t b0 = allocated_bytes_so_far();
  log_sizes(true);
  auto core = std::make_unique<ProxyCore>(s, t);
  log_sizes(false);
  total = allocated_bytes_so_far() - b0;
  for (std::size_t i = 0; i + 1 < g_n_logged; ++i)
    if (g_logged[i + 1] == n * sizeof(uint32_t) && g_logged[i] % n == 0) return g_logged[i] / n;
  return 0;
}

std::size_t slot_bytes(std::size_t bytes) {
  for (std::size_t s : MessageStore::kSlotBytes)
    if (bytes <= s) return s;
  return 0;
}

// --memory: what one call in progress holds in a stateful proxy.
int memory() {
  std::size_t total_a = 0, total_b = 0, total_default = 0;
  const std::size_t ctx = context_bytes(4096, 1u << 20, total_a);
  const std::size_t ctx_b = context_bytes(8192, 1u << 20, total_b);
  if (ctx == 0 || ctx != ctx_b) {
    std::fprintf(stderr, "engine_bench: context pool not found (%zu, %zu)\n", ctx, ctx_b);
    return 1;
  }
  const EngineSettings defaults;
  context_bytes(defaults.transactions.capacity, defaults.message_store_bytes, total_default);
  const std::size_t txn = TransactionTable::bytes_per_transaction();

  // A call in progress: the INVITE forwarded, then the 180 relayed.
  CallRig& r = call_rig();
  const StatefulProxy& p = *r.core->stateful();
  r.next_call();
  const auto sent = r.capture(r.invite->view(), kAliceNat);  // 100 Trying, INVITE to Bob
  const std::size_t at = sent.size() == 2 ? sent[1].bytes.find(kOurBranch) : std::string::npos;
  if (at == std::string::npos) return 1;
  r.ringing->set_branch(sent[1].bytes.data() + at + 7);
  r.ok->set_branch(sent[1].bytes.data() + at + 7);
  const std::size_t live_txn = p.table().live(), live_ctx = p.live_contexts();
  const uint64_t slots_invite = p.store().counters().in_use;
  const auto up180 = r.capture(r.ringing->view(), kBobPhone);
  const uint64_t slots_ringing = p.store().counters().in_use;
  r.capture(r.ok->view(), kBobPhone);
  r.capture(r.ack->view(), kAliceNat);
  r.drain_timers();
  if (up180.size() != 1 || p.table().live() != 0 || p.store().counters().in_use != 0) return 1;

  const std::size_t invite = r.invite->view().size(), forwarded = sent[1].bytes.size();
  const std::size_t response = up180[0].bytes.size();
  const std::size_t targets = std::string_view("sip:bob@203.0.113.80:5060").size();
  const std::size_t per_call = live_txn * txn + live_ctx * (ctx + sizeof(uint32_t));
  std::printf("One call in progress (ringing) in the stateful proxy, g++ x86-64:\n");
  std::printf(
      "  transactions live           %zu x %zu B (TransactionTable::bytes_per_transaction:"
      " sizeof(Transaction) + 2 index buckets)\n",
      live_txn, txn);
  std::printf(
      "  response contexts live      %zu x %zu B (sizeof(Context) %zu: context pool bytes"
      " / contexts, at 4,096 and 8,192 transactions; + 4 B free-list entry)\n",
      live_ctx, ctx + sizeof(uint32_t), ctx);
  std::printf("  = proxy state per call      %zu B (%zu B per transaction)\n", per_call,
              per_call / (live_txn ? live_txn : 1));
  std::printf("  message store slots in use  %llu after the INVITE, %llu while ringing:\n",
              static_cast<unsigned long long>(slots_invite),
              static_cast<unsigned long long>(slots_ringing));
  std::printf("    original INVITE           %5zu B in a %zu B slot\n", invite, slot_bytes(invite));
  std::printf("    forwarded INVITE          %5zu B in a %zu B slot\n", forwarded,
              slot_bytes(forwarded));
  std::printf("    last response (180)       %5zu B in a %zu B slot\n", response,
              slot_bytes(response));
  std::printf("    targets (Request-URIs)    %5zu B in a %zu B slot\n", targets,
              slot_bytes(targets));
  const std::size_t store =
      slot_bytes(invite) + slot_bytes(forwarded) + slot_bytes(response) + slot_bytes(targets);
  std::printf("    = %zu B of slots for %zu B of bytes\n", store,
              invite + forwarded + response + targets);
  std::printf("  all of it                   %zu B per ringing call\n", per_call + store);
  std::printf("Preallocated by a stateful ProxyCore (everything its constructor allocates):\n");
  std::printf("  defaults (%u transactions, %zu MB store)  %zu B\n", defaults.transactions.capacity,
              defaults.message_store_bytes >> 20, total_default);
  std::printf(
      "  4,096 / 8,192 transactions, 1 MB store     %zu / %zu B: %.1f B per transaction"
      " of capacity\n",
      total_a, total_b, static_cast<double>(total_b - total_a) / 4096.0);
  return 0;
}

int alloc_check() {
  std::printf("%-28s %12s %14s %12s\n", "case", "allocs/msg", "alloc bytes/msg", "allocs/20000");
  for (const Case& c : kCases) {
    if (c.engine == large_engine) continue;  // the same code paths as the small variants
    Engine& e = c.engine();
    NetAddress from;
    for (int i = 0; i < 100; ++i) e.handle(c.next(from), from);  // warm up
    constexpr int kN = 20000;
    const uint64_t before = expected_counter(e.core->counters(), c.expect);
    const uint64_t a0 = allocations_so_far(), b0 = allocated_bytes_so_far();
    for (int i = 0; i < kN; ++i) e.handle(c.next(from), from);
    const uint64_t a = allocations_so_far() - a0, b = allocated_bytes_so_far() - b0;
    const bool ok = expected_counter(e.core->counters(), c.expect) - before == kN;
    std::printf("%-28s %12.2f %14.1f %12llu%s", c.name, static_cast<double>(a) / kN,
                static_cast<double>(b) / kN, static_cast<unsigned long long>(a),
                ok ? "" : "   (UNEXPECTED OUTCOME)");
    if (a != 0) {  // the sizes operator new is asked for, in order, for one more message
      log_sizes(true);
      e.handle(c.next(from), from);
      log_sizes(false);
      std::printf("   sizes:");
      for (std::size_t i = 0; i < g_n_logged; ++i) std::printf(" %zu", g_logged[i]);
    }
    std::printf("\n");
  }
  alloc_check_calls();
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
  if (argc >= 2 && std::strcmp(argv[1], "--memory") == 0) return memory();
  if (argc >= 3 && std::strncmp(argv[2], "stateful/", 9) == 0) {
    const std::string_view name = argv[2];
    const bool legs = name == "stateful/invite_forward";
    if (!legs && name != "stateful/invite_transaction") {
      std::fprintf(stderr,
                   "engine_bench: stateful cases: stateful/invite_transaction"
                   " stateful/invite_forward\n");
      return 2;
    }
    if (std::strcmp(argv[1], "--show") == 0) {
      CallRig r;
      r.build_and_verify(true);
      return 0;
    }
    if (std::strcmp(argv[1], "--loop") == 0 && argc == 4)
      return loop_calls(legs, std::atol(argv[3]));
  }
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
