#include "sipwire/engine/proxy_core.h"

#include <array>
#include <chrono>
#include <cstring>

#include "branch.h"
#include "contact_alias.h"
#include "error_responder.h"
#include "health_prober.h"
#include "request_forwarder.h"
#include "response_writer.h"
#include "sipwire/chars.h"
#include "sipwire/engine/aor.h"
#include "sipwire/engine/message_edits.h"
#include "sipwire/params.h"
#include "sipwire/validate.h"
#include "stateful_proxy.h"
#include "substring.h"
#include "text_writer.h"
#include "via_fix.h"

namespace sipwire {

namespace {

constexpr std::size_t kResponseSpace = 4096;
constexpr std::size_t kEditSpace = 1024;

uint64_t hash_number(uint64_t h, uint32_t n) {
  char digits[12];
  std::size_t len = 0;
  do {
    digits[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  return fnv1a(std::string_view(digits, len), h);
}

}  // namespace

int branch_shard(std::string_view branch) {
  if (branch.size() < kLoopAt || branch.substr(0, kBranchPrefix.size()) != kBranchPrefix) return -1;
  int shard = 0;
  for (std::size_t i = kBranchPrefix.size(); i < kBranchPrefix.size() + 2; ++i) {
    const char c = branch[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return -1;
    shard = shard * 16 + d;
  }
  return shard;
}

std::size_t ProxyCore::live_transactions() const {
  return stateful_ ? stateful_->table().live() : 0;
}

uint64_t ProxyCore::overloaded() const {
  return stateful_ ? stateful_->counters().overloaded : 0;
}

void ProxyCore::tick(Outbox& out, uint64_t now_ms) {
  if (stateful_) stateful_->tick(out, now_ms);
  if (prober_) prober_->tick(out, now_ms);
  if (gate_ != nullptr) gate_->tick(now_ms);
}

ProxyCore::ProxyCore(const EngineSettings& settings, LocationTable& location, RequestGate* gate)
    : settings_(settings),
      location_(location),
      registrar_(location, settings.registrar, settings.shard),
      own_msg_(std::make_unique<Message>()),
      msg_(own_msg_.get()),
      gate_(gate) {
  if (settings_.flood.enabled)
    limiter_ = std::make_unique<SourceRateLimiter>(settings_.flood.limits);
  local_ = LocalEnds(settings_.local, settings_.local_other_family, settings_.local_name,
                     settings_.local_other_name);
  for (const ListenEnd& e : settings_.local_more) local_.add(e);
  our_hosts_ = [this](std::string_view host) { return is_our_host(host); };
  registrar_.set_our_hosts(our_hosts_);
  for (std::string& d : settings_.domains)
    for (char& c : d) c = chars::lower(c);
  // Views of settings_' own strings, built once rather than per request.
  for (const std::string& tag : settings_.supported_option_tags) supported_.push_back(tag);
  for (const auto& set : settings_.destinations) selectors_.emplace_back(*set);
  if (settings_.mode == ProxyMode::kStateful) {
    StatefulSettings st;
    st.selectors = &selectors_;
    st.ends = local_;
    st.shard = settings_.shard;
    st.record_route = settings_.record_route;
    st.route_key = settings_.route_key;
    st.nat_alias = settings_.nat_alias;
    st.is_our_host = our_hosts_;
    st.table = settings_.transactions;
    st.store_bytes = settings_.message_store_bytes;
    stateful_ = std::make_unique<StatefulProxy>(st, 0);
  }
  if (settings_.probe_destinations && !settings_.destinations.empty())
    prober_ = std::make_unique<HealthProber>(settings_.destinations, local_, settings_.shard);
}

ProxyCore::~ProxyCore() = default;

bool ProxyCore::is_our_host(std::string_view host) const {
  if (local_.names(host)) return true;
  // A URI writes an IPv6 reference in brackets; the configuration lists a listen address
  // without them ("2001:db8::2", as Via received does).
  std::string_view bare = host;
  if (bare.size() >= 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  for (const std::string& d : settings_.domains)
    if (chars::iequals(host, d) || chars::iequals(bare, d)) return true;
  return false;
}

std::string_view ProxyCore::canonical_host() const {
  return settings_.domains.empty() ? std::string_view(local_.primary().host)
                                   : settings_.domains.front();
}

bool ProxyCore::is_ours(const Uri& uri) const {
  if (!uri.is_sip()) return false;
  std::string_view maddr;
  if (find_maddr(uri.params, maddr)) {
    // §16.4: a maddr of ours, at the port it came in at, is processed as if it and the port
    // were not there (the host decides); any other maddr says where the request goes.
    return is_our_maddr(uri, maddr) && is_our_host(uri.host);
  }
  return is_our_host(uri.host) && (!uri.has_port || local_.takes_port(uri.host, uri.port));
}

bool ProxyCore::is_our_maddr(const Uri& uri, std::string_view maddr) const {
  return is_our_host(maddr) && local_.takes_port(maddr, uri.has_port ? uri.port : 5060);
}

bool ProxyCore::has_our_maddr(const Uri& uri) const {
  std::string_view maddr;
  return find_maddr(uri.params, maddr) && is_our_maddr(uri, maddr);
}

void ProxyCore::handle(std::string_view datagram, const NetAddress& source, const NetAddress& local,
                       Outbox& out, uint64_t now_ms) {
  handle_parsed(datagram, parse_into(datagram, *own_msg_), *own_msg_, source, local, out, now_ms);
}

ParseError ProxyCore::parse_into(std::string_view datagram, Message& m) const {
  ParseOptions opts;
  opts.max_message_size = settings_.max_message_size;
  return parse_message(datagram, m, opts);
}

void ProxyCore::handle_parsed(std::string_view datagram, const ParseError& e, Message& m,
                              const NetAddress& source, const NetAddress& local, Outbox& out,
                              uint64_t now_ms) {
  ++counters_.datagrams;
  ingress_ = local;
  if (!e) {
    msg_ = &m;
    if (m.is_request())
      handle_request(source, out, now_ms);
    else
      handle_response(source, out, now_ms);
    msg_ = own_msg_.get();
    return;
  }
  const MalformedKind kind = classify_malformed(datagram);
  if (kind == MalformedKind::kKeepalive) {
    ++counters_.keepalives;
    return;
  }
  if (kind == MalformedKind::kResponse) {
    ++counters_.malformed_responses;  // §18.1.2: a broken response is discarded
    return;
  }
  ++counters_.malformed_requests;
  if (kind == MalformedKind::kAck) return;  // an ACK is never answered
  char* buf = out.scratch(kResponseSpace);
  const std::size_t n = buf ? write_error_response(datagram, e, {buf, kResponseSpace}) : 0;
  out.scratch_used(buf, n);
  // The Via of a malformed request is not to be trusted: answer where it came from.
  const std::string_view seg(buf, n);
  if (n == 0 || !out.send(source, {&seg, 1})) {
    ++counters_.dropped;
    return;
  }
  ++counters_.responses_sent;
}

void ProxyCore::reply(const NetAddress& source, Outbox& out, uint16_t code, std::string_view reason,
                      std::string_view extra_headers) {
  if (msg_->method() == Method::kAck) return;
  char* buf = out.scratch(kResponseSpace);
  // A policy rule may leave its reason out: the code's standard phrase then.
  ResponseSpec spec{code, reason.empty() ? standard_reason(code) : reason, extra_headers};
  const std::size_t n = buf ? write_response(*msg_, source, spec, {buf, kResponseSpace}) : 0;
  out.scratch_used(buf, n);
  const std::string_view seg(buf, n);
  if (n == 0 || !out.send(response_destination(*msg_, source), {&seg, 1})) {
    ++counters_.dropped;
    return;
  }
  ++counters_.responses_sent;
}

template <class Write>
void ProxyCore::reply_with(const NetAddress& source, Outbox& out, uint16_t code,
                           std::string_view reason, Write&& write) {
  char* buf = out.scratch(kResponseSpace);
  if (buf == nullptr) {
    ++counters_.dropped;
    return;
  }
  TextWriter extra({buf, kResponseSpace});
  write(extra);
  if (!extra.ok()) return reply(source, out, 500, "Too many contacts to list");
  out.scratch_used(buf, extra.size());
  reply(source, out, code, reason, extra.view());
}

void ProxyCore::reply_register(const NetAddress& source, Outbox& out, const RegisterOutcome& r,
                               uint64_t now_ms) {
  if (r.status == 200) ++counters_.registrations;
  reply_with(source, out, r.status, r.reason, [&](TextWriter& extra) {
    if (r.status == 423) extra.put("Min-Expires: ").put(r.min_expires).put("\r\n");
    if (r.status != 200) return;
    extra.put(date_header(now_ms));  // §10.3 step 8: SHOULD include a Date
    if (r.record == nullptr) return;
    // §10.3 step 8: every current binding, with the time it has left.
    for (const Binding& b : r.record->bindings) {
      if (b.expires_at_ms <= now_ms) continue;
      extra.put("Contact: <").put(b.contact).put(">;expires=");
      extra.put((b.expires_at_ms - now_ms + 999) / 1000);
      if (b.q != 1000) {
        const char q[5] = {'0', '.', static_cast<char>('0' + b.q / 100),
                           static_cast<char>('0' + b.q / 10 % 10),
                           static_cast<char>('0' + b.q % 10)};
        extra.put(";q=").put(std::string_view(q, 5));
      }
      extra.put("\r\n");
    }
    if (!r.record->bindings.empty() && !r.record->bindings.front().path.empty())
      extra.put("Path: ").put(r.record->bindings.front().path).put("\r\n");  // RFC 3327 §5.3
  });
}

std::string_view ProxyCore::date_header(uint64_t now_ms) {
  if (now_ms / 1000 != date_second_) {
    date_second_ = now_ms / 1000;
    const int64_t wall = settings_.wall_clock_s != nullptr
                             ? settings_.wall_clock_s()
                             : std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    char date[29];
    format_sip_date(wall, date);
    TextWriter w({date_.data(), date_.size()});
    w.put("Date: ").put(std::string_view(date, sizeof date)).put("\r\n");
    date_length_ = w.size();
  }
  return {date_.data(), date_length_};
}

void ProxyCore::reply_redirect(const NetAddress& source, Outbox& out, const AorRecord& record,
                               uint64_t now_ms) {
  reply_with(source, out, 302, "Moved Temporarily", [&](TextWriter& extra) {
    for (const Binding& b : record.bindings)
      if (b.expires_at_ms > now_ms) extra.put("Contact: <").put(b.contact).put(">\r\n");
  });
}

bool ProxyCore::reply_unsupported_tags(const NetAddress& source, Outbox& out, HeaderId id) {
  const std::span<const std::string_view> tags(supported_);
  const UnsupportedTags u =
      id == HeaderId::kProxyRequire ? check_proxy_require(*msg_, tags) : check_require(*msg_, tags);
  if (!u.error) return false;
  char buf[512];
  TextWriter w(buf);
  if (u.count > 0) {
    w.put("Unsupported: ");
    for (std::size_t i = 0; i < u.count; ++i) w.put(i ? ", " : "").put(u.tags[i]);
    w.put("\r\n");
  }
  reply(source, out, u.error.status, u.error.reason, w.ok() ? w.view() : "");
  return true;
}

uint32_t ProxyCore::loop_hash() const {
  // §16.6 step 8's loop-detection inputs, without the top Via (which differs every time a
  // request comes round a loop): a looped request hashes the same, a spiral (new Request-URI)
  // does not.
  const Message& m = *msg_;
  uint64_t h = fnv1a(m.request_uri_text());
  h = fnv1a(m.from().tag(), h);
  h = fnv1a(m.to().tag(), h);
  h = fnv1a(m.call_id(), h);
  h = hash_number(h, m.cseq().number);
  h = fnv1a(m.value(HeaderId::kProxyRequire), h);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint64_t ProxyCore::transaction_hash() const {
  // §16.11: the same request (a retransmission, its CANCEL, the ACK of a non-2xx response)
  // must get the same branch. With an RFC 3261 branch the client's top Via identifies the
  // transaction; without one, the fields of RFC 2543 matching do.
  const Message& m = *msg_;
  const Via& v = m.top_via();
  if (v.has_rfc3261_branch()) return hash_number(fnv1a(v.host, fnv1a(v.branch)), v.port);
  uint64_t h = fnv1a(m.request_uri_text());
  h = fnv1a(m.from().tag(), h);
  h = fnv1a(m.call_id(), h);
  h = hash_number(h, m.cseq().number);
  return hash_number(fnv1a(v.host, h), v.port);
}

bool ProxyCore::looped() {
  // A request straight from its client (nearly all) has one Via field of one element, which
  // the parser has parsed: only a Via of ours can show a loop, so its host decides. The
  // element is the whole field when the field's value ends where the element's parameters
  // (or, without any, its sent-by) end.
  const Message& m = *msg_;
  if (m.count(HeaderId::kVia) == 1) {
    const Via& top = m.top_via();
    const std::string_view value = m.value(HeaderId::kVia);
    const std::string_view last = top.params.empty() ? top.host : top.params;
    if (!top.has_port || !top.params.empty()) {
      const bool whole = last.data() + last.size() == value.data() + value.size();
      if (whole && !local_.is(top.host, top.has_port ? top.port : 5060)) return false;
    }
  }
  // Otherwise, nearly every request has never passed us either: when our address appears in no
  // Via field there is nothing to parse.
  bool mentioned = false;
  for (const HeaderField f : msg_->fields(HeaderId::kVia))
    if ((mentioned = local_.mentioned_in(f.value))) break;
  if (!mentioned) return false;
  loop_ = loop_hash();
  char expect[9];
  TextWriter w({expect, 8});
  put_hex(w, *loop_, 8);
  HeaderElements vias(*msg_, HeaderId::kVia);
  std::string_view el;
  while (vias.next(el)) {
    Via v;
    if (!parse_via(el, v).ok()) continue;
    if (!local_.is(v.host, v.has_port ? v.port : 5060)) continue;
    if (v.branch.size() == kLoopAt + 8 &&
        v.branch.substr(0, kBranchPrefix.size()) == kBranchPrefix &&
        v.branch.substr(kLoopAt) == w.view())
      return true;
  }
  return false;
}

void ProxyCore::handle_request(const NetAddress& source, Outbox& out, uint64_t now_ms) {
  const Message& m = *msg_;
  gate_edits_ = nullptr;
  // Flood protection first: a source over its rate costs no more than this.
  if (limiter_ != nullptr) {
    const SourceRateLimiter::Decision d = limiter_->allow(source, now_ms);
    if (!d.allowed()) {
      ++counters_.rate_limited;
      if (settings_.flood.drop || m.method() == Method::kAck) return;
      char retry[32];
      TextWriter w(retry);
      w.put("Retry-After: ").put(uint64_t{d.retry_after_s}).put("\r\n");
      return reply(source, out, 503, "Service Unavailable: rate limit", w.view());
    }
  }
  // A retransmission, the ACK of our non-2xx response or a CANCEL of a pending INVITE belongs
  // to a transaction; it was validated when the transaction began.
  if (stateful_ && stateful_->absorb(m, source, out, now_ms)) return;
  // §16.3 request validation, in its order.
  if (ParseError e = check_request_uri_scheme(m)) return reply(source, out, e.status, e.reason);
  // Max-Forwards 0 stops a request that is to be forwarded. An OPTIONS or a REGISTER may be
  // for us (our address, our registrar), which are no hop: theirs is checked where a request
  // is forwarded, in route().
  if (m.method() != Method::kOptions && m.method() != Method::kRegister)
    if (ParseError e = check_max_forwards(m)) return reply(source, out, e.status, e.reason);
  if (reply_unsupported(source, out, HeaderId::kProxyRequire)) return;
  // The loop hash is needed only when a Via names us or when the request is forwarded.
  loop_.reset();
  if (looped()) {
    ++counters_.loops;
    return reply(source, out, 482, "Loop Detected");
  }

  // A strict router's request to our Record-Route URI, and whether that URI is signed for
  // this Call-ID (before the rewrite puts the real Request-URI back).
  bool strict_routed = false, strict_signed = false;
  if (!undo_strict_routing(source, out, strict_routed, strict_signed)) return;

  // §16.4: a Route naming us is ours to remove; the next one, if any, is where it goes.
  // Two of ours at the top are the two Record-Routes of a request that crossed IP families.
  uint8_t pop_routes = 0;
  bool route_signed = false;  // our top Route carries this Call-ID's signature
  Uri route_uri;
  const Uri* next_route = nullptr;  // &route_uri, or after a strict-router rewrite its URI
  {
    HeaderElements routes(m, HeaderId::kRoute);
    std::string_view el;
    for (int k = 0; k < 3 && routes.next(el); ++k) {
      NameAddr na;
      if (!parse_route(el, na, route_uri).ok()) return reply(source, out, 400, "Malformed Route");
      if (k == pop_routes && k < 2 && is_ours(route_uri)) {
        // (Only a request with a To tag can be of a dialog: the signature is checked for those.)
        if (k == 0 && !m.to().tag().empty())
          route_signed = has_route_signature(settings_.route_key, m.call_id(), route_uri);
        ++pop_routes;
        continue;
      }
      next_route = &route_uri;
      break;
    }
  }

  // The server policy (and digest authentication) decide first, except for requests inside a
  // dialog we record-routed: those carry a To tag and our Route (or, from a strict router, our
  // Record-Route URI as their Request-URI) signed for their Call-ID, and pass as they are. A
  // request outside a dialog with our Route pre-loaded (a phone with us as its outbound proxy)
  // is decided like any other, or adding that Route would skip authentication and make us an
  // open relay; so is one that claims a dialog with our Route unsigned (made up by its sender,
  // or of a dialog set up before a restart that drew a new key).
  const bool in_our_dialog =
      ((pop_routes > 0 && route_signed) || (strict_routed && strict_signed)) &&
      !m.to().tag().empty();
  GateDecision gate;
  gate_edits_ = nullptr;
  // ACK (of a 2xx: ours were absorbed) and CANCEL (of something unknown) are never challenged
  // or refused: they belong to a request that was decided already, or to none.
  if (gate_ != nullptr && !in_our_dialog && m.method() != Method::kAck &&
      m.method() != Method::kCancel) {
    gate = gate_->decide(m, source, out, now_ms);
    if (gate.edits.size() != 0) gate_edits_ = &gate.edits;
    switch (gate.action) {
      case GateAction::kDefault:
        break;
      case GateAction::kRegister:
        if (m.method() != Method::kRegister)
          return reply(source, out, 403, "Forbidden: only REGISTER is accepted here");
        if (reply_unsupported(source, out, HeaderId::kRequire)) return;
        return reply_register(source, out, registrar_.process(m, source, now_ms, canonical_host()),
                              now_ms);
      case GateAction::kLookup:
        return lookup_and_route(source, out, pop_routes, now_ms);
      case GateAction::kForward:
        if (gate.destination < 0 ||
            static_cast<std::size_t>(gate.destination) >= settings_.destinations.size())
          return reply(source, out, 500, "Server Internal Error: no such destination set");
        return route_to_set(static_cast<std::size_t>(gate.destination), source, out, pop_routes,
                            now_ms, has_our_maddr(m.request_uri()));
      case GateAction::kRedirect:
        if (m.method() == Method::kAck) return;
        return reply_with(source, out, gate.code ? gate.code : 302, "Moved Temporarily",
                          [&](TextWriter& extra) {
                            for (const std::string& c : gate.contacts)
                              extra.put("Contact: <").put(c).put(">\r\n");
                          });
      case GateAction::kReject:
      case GateAction::kReply:
        return reply(source, out, gate.code, gate.reason);
      case GateAction::kChallenge:
        ++counters_.challenged;
        return reply(source, out, gate.code,
                     gate.code == 401 ? "Unauthorized" : "Proxy Authentication Required",
                     gate.extra_headers);
      case GateAction::kForbidden:
        ++counters_.relay_refused;
        return reply(source, out, 403, "Forbidden: relaying not allowed");
      case GateAction::kBadRequest:
        return reply(source, out, 400, gate.reason.empty() ? "Malformed credentials" : gate.reason);
      case GateAction::kError:
        return reply(source, out, 500, "Server Internal Error: policy");
    }
  }

  // §16.6 step 6: a next hop without lr is a strict router (RFC 2543), which routes by the
  // Request-URI: it gets its own URI there, and the Request-URI goes last in Route. After the
  // gate, which decides on the request as received (the decisions that carry header edits,
  // lookup and forward, have returned: their edits are offsets into the received bytes).
  // (A gate's edits here would point into the bytes the rewrite replaces: none reach here, as
  // the policy allows edits on lookup and forward only; should any, the rewrite is skipped.)
  if (next_route && next_route->is_sip() && !find_param(next_route->params, "lr") &&
      gate_edits_ == nullptr) {
    // The loop hash is of the request as received (§16.6 step 8), not of the rewrite.
    if (!loop_) loop_ = loop_hash();
    if (!rewrite_for_strict_router(source, out, pop_routes)) return;
    pop_routes = 0;                 // gone with the rewrite
    next_route = &m.request_uri();  // its URI, the Request-URI now: the hop to go to
  }

  if (!next_route && is_ours(m.request_uri())) {
    const Uri& ruri = m.request_uri();
    // Answering it ourselves (registrar, OPTIONS): its Require tags must be ours (§8.2.2.3).
    const bool answered_here = m.method() == Method::kRegister || ruri.user.empty();
    if (answered_here && reply_unsupported(source, out, HeaderId::kRequire)) return;
    if (m.method() == Method::kRegister) {
      // §10.3 step 1: only AORs of our domains are registered here.
      Uri to;
      const bool to_parsed = parse_uri(m.to().uri, to, m.source()).ok();
      if (to_parsed && to.is_sip() && !is_our_host(to.host))
        return reply(source, out, 404, "Not Found: address-of-record not in our domain");
      return reply_register(
          source, out,
          registrar_.process(m, source, now_ms, canonical_host(), to_parsed ? &to : nullptr),
          now_ms);
    }
    if (ruri.user.empty()) {
      if (m.method() == Method::kOptions) return reply_options(source, out);
      return reply(source, out, 404, "Not Found");
    }
    return lookup_and_route(source, out, pop_routes, now_ms);
  }

  // A request of a dialog whose remote target we aliased (a Contact behind a NAT) goes to the
  // alias, its Request-URI written without it.
  if (!next_route && in_our_dialog) {
    if (const std::optional<NetAddress> alias = alias_address(m.request_uri())) {
      TargetSet targets;
      targets.add({m.request_uri_text(), {}, *alias, 1000});
      targets.targets[0].strip_alias = true;
      return route(source, out, targets, pop_routes, now_ms);
    }
  }

  // A Route to follow, or another domain.
  std::optional<NetAddress> to;
  const Uri& target = next_route ? *next_route : m.request_uri();
  // Where it goes: a maddr, else the host (RFC 3263 §4); but a Request-URI of another domain
  // with a maddr of ours goes to that domain, written without the maddr and port (§16.4), or
  // the next hop would send it back.
  std::string_view host = destination_host(target);
  const bool strip_maddr =
      !next_route && host.data() != target.host.data() && is_our_maddr(target, host);
  if (strip_maddr) host = target.host;
  // (A maddr not ours sends it elsewhere: foreign too.)
  // (A request inside a dialog we record-routed goes to the remote target the dialog learnt,
  // an address and no domain of anyone's: not refused.)
  if (!next_route && settings_.reject_foreign_domains && !in_our_dialog &&
      (!is_our_host(target.host) || host.data() != target.host.data()))
    return reply(source, out, 403, "Forbidden: domain not served here");
  for (const auto& static_route : settings_.routes) {
    if (!chars::iequals(static_route.domain, host)) continue;
    if (static_route.set >= 0)
      return route_to_set(static_cast<std::size_t>(static_route.set), source, out, pop_routes,
                          now_ms, strip_maddr);
    to = static_route.next_hop;
  }
  if (!to && strip_maddr) {
    // The host at the default port: the port went with the maddr.
    if (target.host_kind == HostKind::kIpv4 || target.host_kind == HostKind::kIpv6)
      to = NetAddress::parse(target.host, 5060);
  } else if (!to) {
    to = literal_address(target);
  }
  if (!to) return reply(source, out, 404, "No route to the destination domain");
  TargetSet targets;
  targets.add({{}, {}, *to, 1000});
  if (strip_maddr) {
    targets.targets[0].uri = m.request_uri_text();
    targets.targets[0].strip_maddr = true;
  }
  route(source, out, targets, pop_routes, now_ms);
}

void ProxyCore::lookup_and_route(const NetAddress& source, Outbox& out, uint8_t pop_routes,
                                 uint64_t now_ms) {
  const Message& m = *msg_;
  const Uri& ruri = m.request_uri();
  Aor aor;
  if (!aor.assign(ruri, canonical_host())) return reply(source, out, 404, "Not Found");
  const AorRecord* record = location_.find(aor.view());
  // §16.5: every live binding is a target, best first: highest q, then the latest.
  std::array<const Binding*, TargetSet::kMaxTargets> live{};
  std::size_t n = 0;
  if (record != nullptr)
    for (const Binding& b : record->bindings) {
      if (b.expires_at_ms <= now_ms) continue;
      std::size_t at = n < live.size() ? n++ : live.size();
      // Insertion into the sorted prefix; past the limit, a better binding evicts the worst.
      auto better = [](const Binding* x, const Binding* y) {
        return x->q > y->q || (x->q == y->q && x->registered_at_ms > y->registered_at_ms);
      };
      if (at == live.size()) {
        if (!better(&b, live.back())) continue;
        at = live.size() - 1;
      }
      while (at > 0 && better(&b, live[at - 1])) {
        live[at] = live[at - 1];
        --at;
      }
      live[at] = &b;
    }
  if (n == 0)
    return record ? reply(source, out, 480, "Temporarily Unavailable")
                  : reply(source, out, 404, "Not Found");
  if (settings_.mode == ProxyMode::kRedirect) {
    if (m.method() == Method::kAck) return;  // the ACK of our 302
    return reply_redirect(source, out, *record, now_ms);
  }
  TargetSet targets;
  for (std::size_t i = 0; i < n; ++i) {
    const Binding& b = *live[i];
    Target t{b.contact, b.path, b.next_hop, b.q};  // next_hop: resolved at REGISTER
    t.trim_ruri = b.trim_ruri;
    targets.add(t);
  }
  route(source, out, targets, pop_routes, now_ms);
}

void ProxyCore::route_to_set(std::size_t set, const NetAddress& source, Outbox& out,
                             uint8_t pop_routes, uint64_t now_ms, bool strip_maddr) {
  // The hop the set's algorithm picks among those up (the stateful proxy fails over to the
  // next on a 503 or a timeout).
  const std::optional<std::size_t> hop = selectors_[set].select(msg_->call_id());
  if (!hop)
    return reply(source, out, 503, "Service Unavailable: no destination is up",
                 "Retry-After: 10\r\n");
  Target t{{}, {}, settings_.destinations[set]->hop(*hop).address, 1000};
  if (strip_maddr) {
    t.uri = msg_->request_uri_text();
    t.strip_maddr = true;
  }
  t.set = static_cast<int16_t>(set);
  t.hop = static_cast<uint8_t>(*hop);
  TargetSet targets;
  targets.add(t);
  route(source, out, targets, pop_routes, now_ms);
}

bool ProxyCore::undo_strict_routing(const NetAddress& source, Outbox& out, bool& undone,
                                    bool& signed_uri) {
  // §16.4: a strict router (RFC 2543) sent the request to our Record-Route URI, which it put in
  // the Request-URI, and moved the real Request-URI to the end of Route. Our Record-Route URI
  // is our address without a user part, so that is what is recognised.
  const Message& m = *msg_;
  const Uri& ruri = m.request_uri();
  if (!m.has(HeaderId::kRoute) || !ruri.is_sip() || !ruri.user.empty() ||
      !local_.names(ruri.host) || !local_.takes_port(ruri.host, ruri.has_port ? ruri.port : 5060))
    return true;
  std::size_t last_field = 0;
  for (std::size_t i = 0; i < m.header_count(); ++i)
    if (m.header(i).id == HeaderId::kRoute) last_field = i;
  MessageEdits edits;
  std::string_view last;
  remove_last_element(m, last_field, edits, last);
  NameAddr na;
  Uri uri;
  if (!parse_route(last, na, uri).ok()) {
    reply(source, out, 400, "Malformed Route");
    return false;
  }
  signed_uri = has_route_signature(settings_.route_key, m.call_id(), ruri);
  const std::string_view r = m.request_uri_text();
  edits.add(static_cast<uint32_t>(r.data() - m.bytes().data()), static_cast<uint32_t>(r.size()),
            na.uri);
  // "Proceed as if it received this modified request."
  undone = true;
  return continue_with_edited(edits, out);
}

bool ProxyCore::continue_with_edited(const MessageEdits& edits, Outbox& out) {
  const Message& m = *msg_;
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  const std::size_t n = edits.render(m.bytes(), segments);
  std::size_t size = 0;
  for (std::size_t i = 0; i < n; ++i) size += segments[i].size();
  // The rewritten request lives in scratch space until the batch is sent. A rare path.
  char* buf = n != 0 ? out.scratch(size) : nullptr;
  if (buf == nullptr) {
    ++counters_.dropped;
    return false;
  }
  std::size_t at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(buf + at, segments[i].data(), segments[i].size());
    at += segments[i].size();
  }
  ParseOptions opts;
  opts.max_message_size = settings_.max_message_size;
  if (parse_message({buf, size}, *msg_, opts)) {
    ++counters_.dropped;  // cannot happen: the same fields, URIs moved between them
    return false;
  }
  return true;
}

bool ProxyCore::rewrite_for_strict_router(const NetAddress& source, Outbox& out,
                                          uint8_t pop_first) {
  if (pop_first != 0) {  // our own Routes first, so that the strict router's is the first one
    MessageEdits edits;
    remove_first_routes(*msg_, pop_first, edits);
    if (!continue_with_edited(edits, out)) return false;
  }
  const Message& m = *msg_;
  const char* base = m.bytes().data();
  const auto first = static_cast<std::size_t>(m.find(HeaderId::kRoute));
  std::string_view element, second;
  ListSplitter split(m.header(first).value);
  split.next(element);
  const bool more_in_first = split.next(second);
  NameAddr na;
  Uri uri;
  if (!parse_route(element, na, uri).ok()) {
    reply(source, out, 400, "Malformed Route");
    return false;
  }
  std::size_t last = first;
  for (std::size_t i = first + 1; i < m.header_count(); ++i)
    if (m.header(i).id == HeaderId::kRoute) last = i;

  // The Request-URI goes last in Route: after the last Route value, or in place of the strict
  // router's when that is the only one.
  const std::string_view r = m.request_uri_text();
  const bool only = !more_in_first && last == first;
  char* text = out.scratch(r.size() + 4);
  if (text == nullptr) {
    ++counters_.dropped;
    return false;
  }
  TextWriter w({text, r.size() + 4});
  w.put(only ? "<" : ", <").put(r).put(">");
  MessageEdits edits;
  edits.add(static_cast<uint32_t>(r.data() - base), static_cast<uint32_t>(r.size()), na.uri);
  if (only) {
    edits.add(static_cast<uint32_t>(element.data() - base), static_cast<uint32_t>(element.size()),
              w.view());
  } else {
    remove_first_element(m, first, edits);
    const std::string_view v = m.header(last).value;
    edits.add(static_cast<uint32_t>(v.data() + v.size() - base), 0, w.view());
  }
  return continue_with_edited(edits, out);
}

void ProxyCore::reply_options(const NetAddress& source, Outbox& out) {
  reply(source, out, 200, "OK",
        "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\nAccept: application/sdp\r\n");
}

void ProxyCore::route(const NetAddress& source, Outbox& out, const TargetSet& targets,
                      uint8_t pop_routes, uint64_t now_ms) {
  const Message& m = *msg_;
  // §16.3 step 3, for the OPTIONS and REGISTER that handle_request let pass: with no hop left
  // an OPTIONS is answered here as its final recipient would (§11: what we support), which is
  // how a hop-limited OPTIONS finds the element N hops away; anything else gets 483.
  if (m.has_max_forwards() && m.max_forwards() == 0) [[unlikely]] {
    if (m.method() != Method::kOptions) return reply(source, out, 483, "Too Many Hops");
    if (reply_unsupported(source, out, HeaderId::kRequire)) return;
    return reply_options(source, out);
  }
  if (!loop_) loop_ = loop_hash();
  // ACK (of a 2xx) and an unknown CANCEL are forwarded statelessly in every mode (§16.10,
  // §16.11); everything else is forked by the stateful proxy when there is one.
  if (stateful_ && m.method() != Method::kAck && m.method() != Method::kCancel) {
    stateful_->proxy(m, source, targets,
                     {transaction_hash(), *loop_, pop_routes, gate_edits_, ingress_}, out, now_ms);
    return;
  }
  forward(source, out, targets.targets[0], pop_routes);
}

void ProxyCore::forward(const NetAddress& source, Outbox& out, const Target& target,
                        uint8_t pop_routes) {
  const Message& m = *msg_;
  char* buf = out.scratch(kEditSpace);
  if (buf == nullptr) {
    ++counters_.dropped;
    return;
  }
  char branch[kBranchLength];
  TextWriter bw(branch);
  put_branch(bw, settings_.shard, transaction_hash(), *loop_);
  ForwardSpec spec;
  spec.branch = bw.view();
  spec.new_ruri = target.uri;
  spec.trim_ruri = target.trim_ruri;
  spec.strip_maddr = target.strip_maddr;
  spec.strip_alias = target.strip_alias;
  spec.alias_contact = settings_.nat_alias ? &our_hosts_ : nullptr;
  spec.path = target.path;
  spec.pop_routes = pop_routes;
  spec.record_route = settings_.record_route && starts_dialog(m);
  spec.route_key = &settings_.route_key;
  set_local_ends(spec, local_, source, ingress_, target.to);
  spec.extra = gate_edits_;
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  std::size_t used = kEditSpace;
  const std::size_t n = render_forward(m, source, spec, {buf, kEditSpace}, segments, &used);
  out.scratch_used(buf, used);
  if (n == 0 || !out.send(target.to, {segments.data(), n})) {
    ++counters_.dropped;
    return;
  }
  ++counters_.requests_forwarded;
}

void ProxyCore::handle_response(const NetAddress& source, Outbox& out, uint64_t now_ms) {
  const Message& m = *msg_;
  // A response to a client transaction of ours goes through it (§16.7); anything else of ours
  // (a 2xx retransmitted after its transaction ended, a stateless forward's) by its Via.
  if (prober_ && prober_->on_response(m)) return;  // the answer to a health probe
  if (stateful_ && stateful_->on_response(m, source, out, now_ms)) {
    ++counters_.responses_forwarded;
    return;
  }
  const Via& top = m.top_via();
  // Only responses to what we forwarded come back through us (§16.7 step 1).
  if (!local_.is(top.host, top.has_port ? top.port : 5060) ||
      top.branch.substr(0, kBranchPrefix.size()) != kBranchPrefix) {
    ++counters_.dropped;
    return;
  }
  // The next Via says where the response goes: received/rport when the hop noted them.
  HeaderElements vias(m, HeaderId::kVia);
  std::string_view el;
  vias.next(el);
  Via next;
  if (!vias.next(el) || !parse_via(el, next).ok()) {
    ++counters_.dropped;  // no Via left: a response to a request we originated (none yet)
    return;
  }
  const uint16_t port = next.rport != 0 ? next.rport : (next.has_port ? next.port : 5060);
  std::optional<NetAddress> to =
      NetAddress::parse(next.received.empty() ? next.host : next.received, port);
  if (!to) {
    ++counters_.dropped;  // a host name without received: no DNS on the fast path
    return;
  }
  MessageEdits edits;
  remove_first_element(m, static_cast<std::size_t>(m.find(HeaderId::kVia)), edits);
  if (settings_.nat_alias) alias_response_contact(m, source, our_hosts_, out, edits);
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  const std::size_t n = edits.render(m.bytes(), segments);
  if (n == 0 || !out.send(*to, {segments.data(), n})) {
    ++counters_.dropped;
    return;
  }
  ++counters_.responses_forwarded;
}

}  // namespace sipwire
