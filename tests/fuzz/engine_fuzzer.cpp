// libFuzzer target: the whole engine, as the data plane drives it. Each input is split into
// datagrams at "\n---\n"; they go in order to two ProxyCores, a stateless one and a stateful
// one (transactions, forking; its timers run between datagrams), each with its registrar and
// location service, so REGISTERs made by earlier datagrams shape what later ones reach. Besides
// crashes and sanitizer reports it fails when the engine sends something impossible: an empty
// datagram, too many segments, or (stateless) a segment outside both the input and the scratch
// it was given. The stateful proxy also sends copies from its own message store. And what it
// sends while handling a datagram the parser accepts (or when its timers fire) must parse, and
// a request it sends must carry its own Via on top (of the address it leaves from: one of two
// IPv4 addresses, or the IPv6 one), and a forwarded one the body and the fields
// it came with (but those a proxy edits; not checked behind the server policy, whose rules add
// and remove fields). The answer to a malformed request is an error response with no bare CR or
// LF.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sipwire/engine/proxy_core.h"
#include "sipwire/message.h"
#if SIPWIRE_FUZZ_GATE
#include "policy_gate.h"
#include "sipwire/config.h"
#endif

namespace {
using namespace sipwire;

class CheckingOutbox : public Outbox {
 public:
  // input_parses: whether the datagram being handled is one the parser accepts (timers run
  // with an empty input that counts as accepted); `received`: that datagram, parsed.
  // fields_kept: no server policy edits fields (see kept_fields).
  CheckingOutbox(std::string_view input, bool own_copies, bool input_parses,
                 const Message* received = nullptr, bool fields_kept = true)
      : input_(input),
        own_copies_(own_copies),
        input_parses_(input_parses),
        fields_kept_(fields_kept),
        received_(received) {}
  char* scratch(std::size_t bytes) override {
    arenas_.emplace_back(new char[bytes]);
    sizes_.push_back(bytes);
    return arenas_.back().get();
  }
  bool send_from(const NetAddress&, const NetAddress& to,
                 std::span<const std::string_view> segments) override {
    if (!to.valid() || segments.empty() || segments.size() > kMaxSegments) std::abort();
    std::size_t total = 0;
    bool fresh = true;  // made now, of the datagram and scratch: not a copy the proxy kept
    for (std::string_view s : segments) {
      fresh &= owned(s);
      total += s.size();
    }
    if (!own_copies_ && !fresh) std::abort();
    if (total == 0) std::abort();
    // What the proxy sends is SIP its peers can parse: a forwarded request or relayed
    // response is what the parser accepted plus the proxy's edits, and a generated response
    // is made of fields the parser accepted. (The answer to a malformed request is made of
    // what could be read of it, and may lack a field the request lacked; but it is an error
    // response whose lines end in CRLF and nothing else, so that every receiver reads the same
    // fields in it.)
    sent_.clear();
    for (std::string_view s : segments) sent_.append(s);
    if (!input_parses_) {
      bool framed = sent_.starts_with("SIP/2.0 4") || sent_.starts_with("SIP/2.0 5");
      for (std::size_t i = 0; i < sent_.size(); ++i) {
        if (sent_[i] == '\r') framed &= i + 1 < sent_.size() && sent_[i + 1] == '\n';
        if (sent_[i] == '\n') framed &= i > 0 && sent_[i - 1] == '\r';
      }
      if (!framed) {
        std::fprintf(stderr, "answered a malformed request with this:\n%s\n", sent_.c_str());
        std::abort();
      }
      return true;
    }
    static const auto sent_message = std::make_unique<Message>();
    const ParseError e = parse_message(sent_, *sent_message);
    if (!e.ok()) {
      std::fprintf(stderr, "sent a message that does not parse (%u at %u: %.*s):\n%s\n", e.status,
                   e.offset, static_cast<int>(e.reason.size()), e.reason.data(), sent_.c_str());
      std::abort();
    }
    // §16.6 step 8: every request the proxy sends (forwarded, a CANCEL or ACK of its own, a
    // probe) carries its own Via on top, with an RFC 3261 branch, so the answer comes back: the
    // address of the destination's IP family, where it leaves from.
    // (Over IPv4 the second listen address too, where a request came in at it.)
    const Via& top = sent_message->top_via();
    const bool ours = to.is_ipv6() ? top.host == "[::1]" && top.port == 5060
                                   : (top.host == "127.0.0.1" && top.port == 5060) ||
                                         (top.host == "127.0.0.3" && top.port == 5070);
    if (sent_message->is_request() && (!ours || !top.has_rfc3261_branch())) {
      std::fprintf(stderr, "sent a request without our Via on top:\n%s\n", sent_.c_str());
      std::abort();
    }
    // §16.6: a forwarded request keeps its body byte for byte. (A CANCEL is the proxy's own,
    // §9.1, whatever the one it received carried.)
    if (received_ != nullptr && received_->is_request() && sent_message->is_request() &&
        sent_message->method() == received_->method() && received_->method() != Method::kCancel &&
        sent_message->body() != received_->body()) {
      std::fprintf(stderr, "forwarded a request with another body:\n%s\n", sent_.c_str());
      std::abort();
    }
    // §8.2.6.2: a response the proxy makes to a request it received copies the request's From,
    // Call-ID, CSeq (its number may be written without leading zeros) and Via fields (the top
    // Via may gain received and rport), and its To, with a tag added when the request's To had
    // none (but to a 100 Trying). Only for a response made now (a stateful proxy answers a
    // retransmission with the response it stored for the first, whose fields the fuzzer's
    // "retransmission" need not share) to the request received (not the 487 a CANCEL brings
    // its INVITE).
    if (fresh && received_ != nullptr && received_->is_request() && !sent_message->is_request() &&
        sent_message->cseq().method_name == received_->cseq().method_name) {
      const Message& rq = *received_;
      const Message& rs = *sent_message;
      bool same = rs.value(HeaderId::kFrom) == rq.value(HeaderId::kFrom) &&
                  rs.call_id() == rq.call_id() && rs.cseq().number == rq.cseq().number &&
                  rs.cseq().method_name == rq.cseq().method_name;
      const std::string_view to_in = rq.value(HeaderId::kTo), to_out = rs.value(HeaderId::kTo);
      // (A 100 Trying may go without the tag.)
      same &= rq.to().tag().empty()
                  ? to_out.starts_with(to_in) && (!rs.to().tag().empty() || rs.status_code() == 100)
                  : to_out == to_in;
      std::vector<std::string_view> vias_in, vias_out;
      for (const HeaderField f : rq.fields(HeaderId::kVia)) vias_in.push_back(f.value);
      for (const HeaderField f : rs.fields(HeaderId::kVia)) vias_out.push_back(f.value);
      const Via &top_in = rq.top_via(), &top_out = rs.top_via();
      same &= vias_in.size() == vias_out.size() && !vias_in.empty() &&
              std::equal(vias_in.begin() + 1, vias_in.end(), vias_out.begin() + 1) &&
              top_out.transport == top_in.transport && top_out.host == top_in.host &&
              top_out.port == top_in.port && top_out.branch == top_in.branch;
      if (!same) {
        std::fprintf(stderr, "answered a request without its From/To/Call-ID/CSeq/Via:\n%s\n",
                     sent_.c_str());
        std::abort();
      }
    }
    // §16.6 step 3: a forwarded request's Max-Forwards is one less, or 70 where it had none.
    if (received_ != nullptr && received_->is_request() && sent_message->is_request() &&
        sent_message->method() == received_->method() && received_->method() != Method::kCancel &&
        sent_message->max_forwards() !=
            (received_->has_max_forwards() ? received_->max_forwards() - 1 : 70)) {
      std::fprintf(stderr, "forwarded a request with Max-Forwards %d (received %d):\n%s\n",
                   sent_message->max_forwards(), received_->max_forwards(), sent_.c_str());
      std::abort();
    }
    if (fields_kept_ && received_ != nullptr && received_->is_request() &&
        sent_message->is_request() && sent_message->method() == received_->method() &&
        received_->method() != Method::kCancel &&
        kept_fields(*sent_message) != kept_fields(*received_)) {
      std::fprintf(stderr, "forwarded a request with other fields:\n%s\n", sent_.c_str());
      std::abort();
    }
    return true;
  }

 private:
  bool inside(std::string_view s, const char* b, std::size_t n) const {
    return s.data() >= b && s.data() + s.size() <= b + n;
  }
  bool owned(std::string_view s) const {
    if (inside(s, input_.data(), input_.size())) return true;
    for (std::size_t i = 0; i < arenas_.size(); ++i)
      if (inside(s, arenas_[i].get(), sizes_[i])) return true;
    return false;
  }
  // §16.6: a forwarded request is the one received with the proxy's own edits (Request-URI,
  // Via, Max-Forwards, Route, Record-Route; Content-Length may be written again; a Contact
  // behind a NAT gains our alias): every other field goes on as it came, name and value, in
  // order. A Contact differs only by the alias: without ";alias=...~1" it is what was received,
  // but for angle brackets (an addr-spec gains them with the alias).
  static std::vector<std::pair<std::string, std::string>> kept_fields(const Message& m) {
    std::vector<std::pair<std::string, std::string>> kept;
    for (std::size_t i = 0; i < m.header_count(); ++i) {
      const HeaderField f = m.header(i);
      if (f.id == HeaderId::kVia || f.id == HeaderId::kMaxForwards || f.id == HeaderId::kRoute ||
          f.id == HeaderId::kRecordRoute || f.id == HeaderId::kContentLength)
        continue;
      std::string value(f.value);
      if (f.id == HeaderId::kContact) {
        const std::size_t at = value.find(";alias=");
        const std::size_t end = at == std::string::npos ? at : value.find("~1", at);
        if (end != std::string::npos) value.erase(at, end + 2 - at);
        std::erase(value, '<');
        std::erase(value, '>');
      }
      kept.emplace_back(f.name, value);
    }
    return kept;
  }

  std::string_view input_;
  bool own_copies_;
  bool input_parses_;
  bool fields_kept_;
  const Message* received_;
  std::vector<std::unique_ptr<char[]>> arenas_;
  std::vector<std::size_t> sizes_;
  std::string sent_;
};

#if SIPWIRE_FUZZ_GATE
// The server policy of the third world: header edits on lookups (the edits the forwarder
// merges with its own), a challenge (digest credentials parsed from the input), a redirect, a
// reject by a header's value and a reply.
constexpr std::string_view kPolicy = R"(
domains = ["localhost", "example.com"]
[[listen]]
address = "127.0.0.1"
[auth]
realm = "localhost"
[[rule]]
name = "reg"
method = "REGISTER"
action = "register"
[[rule]]
name = "scanner"
header = "User-Agent"
header_regex = "scanner"
action = "reject"
code = 403
[[rule]]
name = "secret"
ruri_user = "secret"
action = "challenge"
[[rule]]
name = "moved"
ruri_user = "carol"
action = "redirect"
contacts = ["sip:carol@192.0.2.9:5070"]
[[rule]]
name = "ping"
method = "OPTIONS"
action = "reply"
code = 200
[[rule]]
name = "edit-all"
ruri_user_prefix = "a"
action = "lookup"
add_header = ["X-Fuzz: 1", "X-Fuzz-Too: 2"]
remove_header = ["Subject", "User-Agent", "X-Remove"]
set_ruri_user = "bob"
set_ruri_host = "localhost"
[[rule]]
name = "edit-some"
ruri_host = "localhost"
action = "lookup"
add_header = ["X-B: 2"]
remove_header = ["Subject"]
)";

std::unique_ptr<RequestGate> make_gate() {
  const ConfigResult config = parse_config(kPolicy, "fuzz-policy.toml");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error.to_string().c_str());
    std::abort();
  }
  const gate::GateSharedResult shared = gate::make_gate_shared(*config.config);
  if (!shared.ok()) {
    std::fprintf(stderr, "%s\n", shared.error.c_str());
    std::abort();
  }
  return std::make_unique<gate::PolicyGate>(shared.shared, 0, 1);
}
#endif

struct World {
  Qsbr qsbr{1};
  LocationTable table{64, qsbr};
  std::unique_ptr<RequestGate> gate;
  std::unique_ptr<ProxyCore> core;
  explicit World(ProxyMode mode, bool with_gate = false) {
    EngineSettings s;
    s.mode = mode;
    s.transactions.capacity = 256;
    s.message_store_bytes = 4 << 20;
    s.local = NetAddress::ipv4(127, 0, 0, 1, 5060);
    // Both IP families, so requests cross between them (our Via per family, two Record-Routes,
    // two of our Routes to take off).
    s.local_other_family = *NetAddress::parse("::1", 5060);
    // And a second IPv4 address, where some inputs come in (named where they leave from it).
    s.local_more = {{NetAddress::ipv4(127, 0, 0, 3, 5070), {}}};
    s.domains = {"localhost", "example.com"};
    s.routes = {{"example.net", NetAddress::ipv4(127, 0, 0, 2, 5060)}};
    s.registrar.max_contacts = 4;
    qsbr.online(0);
#if SIPWIRE_FUZZ_GATE
    if (with_gate) gate = make_gate();
#else
    (void)with_gate;
#endif
    core = std::make_unique<ProxyCore>(s, table, gate.get());
  }
};
}  // namespace

void run(World& world, std::string_view in, bool stateful) {
  const bool fields_kept = world.gate == nullptr;  // the policy's rules add and remove fields
  // Every other input comes from an IPv6 source.
  static const NetAddress kSource6 = *NetAddress::parse("2001:db8::7", 5062);
  const NetAddress source =
      in.size() % 2 != 0 ? kSource6
                         : NetAddress::ipv4(192, 0, 2, static_cast<uint8_t>(in.size() % 250), 5062);
  // Where it came in: our address of its family, for some IPv4 inputs the second one.
  static const NetAddress kLocal6 = *NetAddress::parse("::1", 5060);
  const NetAddress local = source.is_ipv6()     ? kLocal6
                           : in.size() % 4 == 2 ? NetAddress::ipv4(127, 0, 0, 3, 5070)
                                                : NetAddress::ipv4(127, 0, 0, 1, 5060);
  std::size_t pos = 0;
  uint64_t now = 1'000'000 + in.size() * 997;
  while (pos <= in.size()) {
    std::size_t end = in.find("\n---\n", pos);
    if (end == std::string_view::npos) end = in.size();
    const std::string_view datagram = in.substr(pos, end - pos);
    static const auto received = std::make_unique<Message>();
    const bool parses = parse_message(datagram, *received).ok();
    CheckingOutbox out(datagram, stateful, parses, parses ? received.get() : nullptr, fields_kept);
    world.core->handle(datagram, source, local, out, now);
    now += 1000;
    CheckingOutbox timers({}, stateful, true);
    world.core->tick(timers, now);  // retransmissions, timeouts: what the wait let fire
    pos = end + 5;
  }
  world.qsbr.quiescent(0);
  world.table.sweep(world.table.writer(0), now, 64);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Bindings and transactions persist across inputs, as in a running proxy.
  static World* stateless = new World(ProxyMode::kStateless);
  static World* stateful = new World(ProxyMode::kStateful);
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  run(*stateless, in, false);
  run(*stateful, in, true);
#if SIPWIRE_FUZZ_GATE
  static World* gated = new World(ProxyMode::kStateful, true);
  run(*gated, in, true);  // stateful: the policy's inserted texts live in the policy
#endif
  return 0;
}
