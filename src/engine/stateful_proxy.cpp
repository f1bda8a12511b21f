#include "stateful_proxy.h"

#include <array>
#include <cstring>

#include "branch.h"
#include "contact_alias.h"
#include "request_forwarder.h"
#include "response_writer.h"
#include "sipwire/engine/message_edits.h"
#include "text_writer.h"
#include "via_fix.h"

namespace sipwire {

namespace {

// Roles a transaction plays in its context, in the low byte of its user data.
constexpr uint32_t kServerRole = 0xFF;
constexpr uint32_t kCancelRole = 0x40;  // | branch index: the CANCEL of that branch
// User data of an Accepted INVITE server transaction that no longer has a context.
constexpr uint64_t kDetached = ~uint64_t{0};
// User data of a Completed non-INVITE server transaction that no longer has a context: it
// owns its final response (last_response) and resends it to detached_reply_to_[its index].
constexpr uint64_t kDetachedResend = ~uint64_t{0} - 1;
constexpr uint64_t kTransactionMask = (uint64_t{1} << 56) - 1;  // 14 hex digits
// The text a branch's request inserts or rewrites (Via, Record-Route, Request-URI, Route from a
// Path, the policy's header edits).
constexpr std::size_t kForwardEditSpace = 1536;

// §16.7 step 6: lower is better. 6xx before anything; then the lowest class; among 4xx the
// responses that let the caller resubmit (a challenge, an unsupported type or extension, an
// incomplete address) first.
int rank(uint16_t status) {
  if (status >= 600) return 0;
  if (status < 400) return 1;
  if (status < 500)
    return status == 401 || status == 407 || status == 415 || status == 420 || status == 484 ? 2
                                                                                             : 3;
  return 4;
}

// The first element of the first Via field: our own Via on a request we forwarded.
std::string_view top_via_text(const Message& m) {
  HeaderElements vias(m, HeaderId::kVia);
  std::string_view el;
  vias.next(el);
  return el;
}

// An ACK (for a non-2xx final response, §17.1.1.3) or a CANCEL (§9.1) of the request `req`
// we sent on a branch: its Request-URI, top Via, From, Call-ID, CSeq number and Route fields;
// To from `to` (the response's for an ACK, the request's for a CANCEL).
bool write_hop_request(TextWriter& w, std::string_view method, const Message& req,
                       std::string_view to) {
  w.put(method).put(" ").put(req.request_uri_text()).put(" SIP/2.0\r\n");
  w.put("Via: ").put(top_via_text(req)).put("\r\nMax-Forwards: 70\r\n");
  w.put("From: ").put(req.value(HeaderId::kFrom)).put("\r\n");
  w.put("To: ").put(to).put("\r\n");
  w.put("Call-ID: ").put(req.call_id()).put("\r\n");
  w.put("CSeq: ").put(req.cseq().number).put(" ").put(method).put("\r\n");
  for (const HeaderField f : req.fields(HeaderId::kRoute))
    w.put("Route: ").put(f.value).put("\r\n");
  w.put("Content-Length: 0\r\n\r\n");
  return w.ok();
}

}  // namespace

struct StatefulProxy::Branch {
  TxnHandle client;
  TxnHandle cancel;
  MessageRef request;         // the forwarded copy (retransmitted; ACK and CANCEL built from it)
  MessageRef response;        // its final non-2xx response, until the best one is chosen
  MessageRef cancel_request;  // our CANCEL of it
  NetAddress to;
  uint32_t uri_at = 0, uri_len = 0, path_at = 0, path_len = 0;  // in the context's targets
  uint16_t q = 1000;
  uint16_t status = 0;  // final status (2xx included); 0 while pending
  bool started = false;
  bool provisional = false;    // a 101-199 arrived: a CANCEL may be sent (§9.1)
  bool cancel_wanted = false;  // to be CANCELled as soon as a provisional arrives
  bool cancelled = false;      // CANCEL sent
  bool generated = false;      // the status was made up here (408 timeout, 503 overload)
  bool trim_ruri = false;      // Target::trim_ruri
  bool strip_maddr = false;    // Target::strip_maddr
  bool strip_alias = false;    // Target::strip_alias
};

// A context's fields but its branches: reset whole when the context is freed, while only the
// branches it used are (a context holds kMaxTargets of them, and most calls use one).
struct ContextState {
  uint32_t index = 0;
  uint32_t generation = 0;
  bool in_use = false;
  bool invite = false;
  bool final_sent = false;    // a final response went upstream (a 2xx, or the best one)
  bool stop_forking = false;  // no further groups: a 2xx, a 6xx, or the caller's CANCEL
  uint16_t live = 0;          // transactions that still refer to this context
  uint8_t count = 0;          // targets
  uint8_t group_end = 0;      // targets [0, group_end) have been started
  int16_t set = -1;           // the destination set the target came from, for failover
  uint64_t tried = 0;         // its hops tried so far
  TxnHandle server;
  MessageRef request;        // the original request
  MessageRef targets;        // the targets' Request-URIs and Paths, packed
  MessageRef last_response;  // what the server transaction resends
  NetAddress source;
  NetAddress response_to;
  ForwardRequest fwd;
  MessageEdits extra;  // the policy's header edits, for every branch
};

struct StatefulProxy::Context : ContextState {
  std::array<Branch, TargetSet::kMaxTargets> branches;
};

StatefulProxy::StatefulProxy(const StatefulSettings& settings, uint64_t now_ms)
    : settings_(settings),
      store_(settings.store_bytes),
      table_(settings.table, *this, now_ms),
      scratch_(std::make_unique<Message>()),
      scratch2_(std::make_unique<Message>()) {
  // Every context holds a server transaction and at least one client transaction.
  const std::size_t n = settings.table.capacity / 2 > 16 ? settings.table.capacity / 2 : 16;
  contexts_.resize(n);
  free_contexts_.reserve(n);
  detached_reply_to_.resize(settings.table.capacity == 0 ? 1 : settings.table.capacity);
  for (std::size_t i = n; i-- > 0;) {
    contexts_[i].index = static_cast<uint32_t>(i);
    free_contexts_.push_back(static_cast<uint32_t>(i));
  }
}

StatefulProxy::~StatefulProxy() = default;

// ---- contexts ----

StatefulProxy::Context* StatefulProxy::allocate_context() {
  if (free_contexts_.empty()) return nullptr;
  Context& c = contexts_[free_contexts_.back()];
  free_contexts_.pop_back();
  c.in_use = true;
  ++live_contexts_;
  return &c;
}

void StatefulProxy::free_context(Context& c) {
  store_.release(c.request);
  store_.release(c.targets);
  store_.release(c.last_response);
  // Branches past `count` were never started (start_next_group and fail_over take them in
  // order) and are still as a reset left them.
  for (std::size_t i = 0; i < c.count; ++i) {
    Branch& b = c.branches[i];
    store_.release(b.request);
    store_.release(b.response);
    store_.release(b.cancel_request);
    b = Branch{};
  }
  const uint32_t index = c.index, generation = c.generation + 1;
  static_cast<ContextState&>(c) = ContextState{};
  c.index = index;
  c.generation = generation;
  free_contexts_.push_back(index);
  --live_contexts_;
}

namespace {
uint64_t user_data(uint32_t index, uint32_t generation, uint32_t role) {
  return (uint64_t{generation} << 32) | (uint64_t{index} << 8) | role;
}
}  // namespace

StatefulProxy::Context* StatefulProxy::context_of(const Transaction& t, int& role) {
  const uint64_t ud = t.user_data();
  if (ud == kDetached || ud == kDetachedResend) return nullptr;
  const auto index = static_cast<uint32_t>((ud >> 8) & 0xFFFFFF);
  role = static_cast<int>(ud & 0xFF);
  if (index >= contexts_.size()) return nullptr;
  Context& c = contexts_[index];
  if (!c.in_use || c.generation != static_cast<uint32_t>(ud >> 32)) return nullptr;
  return &c;
}

const Message& StatefulProxy::parse_stored(const MessageRef& ref, Message& into) {
  // Only messages this shard parsed (or built) are stored, so this parse succeeds.
  parse_message(store_.view(ref), into);
  return into;
}

// ---- requests ----

bool StatefulProxy::absorb(const Message& m, const NetAddress& source, Outbox& out,
                           uint64_t now_ms) {
  out_ = &out;
  now_ms_ = now_ms;
  arrival_key_for_ = nullptr;
  if (m.method() == Method::kAck) {
    Transaction* t = table_.find_server(m);
    // The ACK of a 2xx is a transaction of its own, even when an RFC 2543 client gives it the
    // INVITE's branch (then it matches the INVITE's Accepted transaction): forwarded.
    if (t == nullptr || t->state() == TxnState::kAccepted) return false;
    ++counters_.acks_absorbed;
    t->on_ack(table_.env(), now_ms);
    return true;
  }
  if (m.method() == Method::kCancel) {
    Transaction* t = table_.find_invite_for_cancel(m);
    if (t == nullptr) return false;  // §16.10: unknown, forwarded statelessly
    ++counters_.cancels_received;
    // §16.10: answer the CANCEL, then cancel every pending branch.
    char* buf = out.scratch(m.bytes().size() + 512);
    const std::size_t n =
        buf ? write_response(m, source, {200, "OK", {}}, {buf, m.bytes().size() + 512}) : 0;
    const std::string_view ok(buf, n);
    if (n != 0) out.send(response_destination(m, source), {&ok, 1});
    int role;
    if (Context* c = context_of(*t, role); c != nullptr && !c->final_sent) {
      c->stop_forking = true;
      cancel_pending(*c, TargetSet::kMaxTargets);
    }
    return true;
  }
  Transaction* t = table_.find_server(m, arrival_key_);
  if (t == nullptr) {
    arrival_key_for_ = &m;  // proxy(m) will start the transaction under this key
    return false;
  }
  ++counters_.retransmissions_absorbed;
  t->on_request_retransmission(table_.env(), now_ms);
  return true;
}

void StatefulProxy::overloaded(const Message& m, const NetAddress& source) {
  ++counters_.overloaded;
  const std::size_t space = m.bytes().size() + 512;
  char* buf = out_->scratch(space);
  const std::size_t n =
      buf ? write_response(m, source,
                           {503, "Service Unavailable: transaction limit", "Retry-After: 5\r\n"},
                           {buf, space})
          : 0;
  const std::string_view seg(buf, n);
  if (n != 0) out_->send(response_destination(m, source), {&seg, 1});
}

void StatefulProxy::proxy(const Message& m, const NetAddress& source, const TargetSet& targets,
                          const ForwardRequest& fwd, Outbox& out, uint64_t now_ms) {
  out_ = &out;
  now_ms_ = now_ms;
  // The key absorb(m) looked the request up by, when it did.
  const TransactionTable::ServerKey* key = arrival_key_for_ == &m ? &arrival_key_ : nullptr;
  arrival_key_for_ = nullptr;
  Context* c = allocate_context();
  if (c == nullptr) return overloaded(m, source);
  c->request = store_.put(m.bytes());
  std::size_t text = 0;
  for (std::size_t i = 0; i < targets.count; ++i)
    text += targets.targets[i].uri.size() + targets.targets[i].path.size();
  if (text != 0) c->targets = store_.reserve(text);
  Transaction* t = c->request.empty() || (text != 0 && c->targets.empty())
                       ? nullptr
                       : table_.create_server(m, key, false, c->request, now_ms);
  if (t == nullptr) {
    free_context(*c);
    return overloaded(m, source);
  }
  ++counters_.server_transactions;
  t->set_user_data(user_data(c->index, c->generation, kServerRole));
  c->server = t->handle();
  c->live = 1;
  c->invite = m.method() == Method::kInvite;
  c->source = source;
  c->response_to = response_destination(m, source);
  c->fwd = fwd;
  if (fwd.extra != nullptr) c->extra = *fwd.extra;
  c->fwd.extra = nullptr;
  if (targets.count == 1 && targets.targets[0].set >= 0 && settings_.selectors != nullptr) {
    c->set = targets.targets[0].set;
    c->tried = uint64_t{1} << targets.targets[0].hop;
  }

  // The targets' texts are copied: bindings may change while the branches run.
  std::span<char> packed = store_.writable(c->targets);
  uint32_t at = 0;
  auto copy = [&](std::string_view s) {
    if (!s.empty()) std::memcpy(packed.data() + at, s.data(), s.size());
    at += static_cast<uint32_t>(s.size());
  };
  c->count = static_cast<uint8_t>(targets.count);
  for (std::size_t i = 0; i < targets.count; ++i) {
    const Target& tg = targets.targets[i];
    Branch& b = c->branches[i];
    b.to = tg.to;
    b.q = tg.q;
    b.uri_at = at;
    b.uri_len = static_cast<uint32_t>(tg.uri.size());
    b.trim_ruri = tg.trim_ruri;
    b.strip_maddr = tg.strip_maddr;
    b.strip_alias = tg.strip_alias;
    copy(tg.uri);
    b.path_at = at;
    b.path_len = static_cast<uint32_t>(tg.path.size());
    copy(tg.path);
  }
  store_.set_length(c->targets, at);

  // §16.2: an INVITE is answered 100 Trying at once, so the caller stops retransmitting.
  if (c->invite) respond_generated(*c, 100, "Trying", &m);
  start_next_group(*c, &m);
  maybe_finish(*c);  // every branch of the group may have failed at once
  // A non-INVITE answered here at once (no branch started) detached its server transaction:
  // nothing refers to the context any more.
  if (c->in_use && c->live == 0) free_context(*c);
}

bool StatefulProxy::start_next_group(Context& c, const Message* original) {
  if (c.group_end >= c.count) return false;
  const std::size_t begin = c.group_end;
  const uint16_t q = c.branches[begin].q;
  while (c.group_end < c.count && c.branches[c.group_end].q == q) ++c.group_end;
  const Message& o = original ? *original : parse_stored(c.request, *scratch_);
  for (std::size_t i = begin; i < c.group_end; ++i) start_branch(c, i, o, original != nullptr);
  return true;
}

void StatefulProxy::start_branch(Context& c, std::size_t i, const Message& o, bool received) {
  Branch& b = c.branches[i];
  b.started = true;
  char branch[kBranchLength];
  TextWriter bw(branch);
  put_branch(bw, settings_.shard, (c.fwd.transaction_hash + i) & kTransactionMask, c.fwd.loop_hash);
  const std::string_view targets = store_.view(c.targets);
  ForwardSpec spec;
  spec.branch = bw.view();
  spec.new_ruri = targets.substr(b.uri_at, b.uri_len);
  spec.trim_ruri = b.trim_ruri;
  spec.strip_maddr = b.strip_maddr;
  spec.strip_alias = b.strip_alias;
  spec.alias_contact = settings_.nat_alias ? &settings_.is_our_host : nullptr;
  spec.path = targets.substr(b.path_at, b.path_len);
  spec.pop_routes = c.fwd.pop_routes;
  spec.record_route = settings_.record_route && starts_dialog(o);
  spec.route_key = &settings_.route_key;
  // Named by the address the request came in at, where it is of the branch's family, and sent
  // from it (send_from), whether it starts now or later (from a timer, on a response).
  set_local_ends(spec, settings_.ends, c.source, c.fwd.ingress, b.to);
  spec.extra = c.extra.size() != 0 ? &c.extra : nullptr;
  // A request being handled now is sent as a stateless forward is, its unchanged bytes by
  // reference to the received datagram and the edits from the outbox's scratch (valid until the
  // batch is sent); the store keeps the one copy a retransmission needs. A request started
  // later (the next forking group, a failover) is parsed from the store, whose slots may go
  // before the batch is sent: it leaves from its stored copy.
  char local[kForwardEditSpace];
  char* edits = received ? out_->scratch(kForwardEditSpace) : nullptr;
  const bool by_reference = edits != nullptr;
  if (!by_reference) edits = local;
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  std::size_t used = kForwardEditSpace;
  const std::size_t n =
      render_forward(o, c.source, spec, {edits, kForwardEditSpace}, segments, &used);
  if (by_reference) out_->scratch_used(edits, n != 0 ? used : 0);
  if (n != 0) b.request = store_.put({segments.data(), n});
  Transaction* t = b.request.empty() ? nullptr
                                     : table_.create_client(bw.view(), o.method_name(), false,
                                                            b.request, now_ms_);
  if (t == nullptr) {
    store_.release(b.request);
    ++counters_.overloaded;
    b.status = 503;  // sent upstream as 500 if nothing better arrives (§16.7 step 6)
    b.generated = true;
    return;
  }
  ++counters_.branches;
  t->set_user_data(user_data(c.index, c.generation, static_cast<uint32_t>(i)));
  b.client = t->handle();
  ++c.live;
  if (by_reference) {
    // If the batch refuses it, Timer A/E resends it.
    out_->send_from(c.fwd.ingress, b.to, {segments.data(), n});
  } else {
    const std::string_view bytes = store_.view(b.request);
    out_->send_from(c.fwd.ingress, b.to, {&bytes, 1});
  }
}

void StatefulProxy::cancel_branch(Context& c, std::size_t i) {
  Branch& b = c.branches[i];
  if (!c.invite || !b.started || b.status != 0 || b.cancelled) return;
  if (!b.provisional) {
    b.cancel_wanted = true;  // §9.1: not before the branch has answered at all
    return;
  }
  b.cancelled = true;
  if (table_.get(b.client) == nullptr) return;
  const Message& req = parse_stored(b.request, *scratch2_);
  b.cancel_request = store_.reserve(req.header_end() + 256);
  std::span<char> buf = store_.writable(b.cancel_request);
  TextWriter w(buf);
  if (b.cancel_request.empty() || !write_hop_request(w, "CANCEL", req, req.value(HeaderId::kTo))) {
    store_.release(b.cancel_request);
    return;
  }
  store_.set_length(b.cancel_request, w.size());
  ++counters_.cancels_sent;
  Transaction* t =
      table_.create_client(req.top_via().branch, "CANCEL", false, b.cancel_request, now_ms_);
  if (t != nullptr) {
    t->set_user_data(user_data(c.index, c.generation, kCancelRole | static_cast<uint32_t>(i)));
    b.cancel = t->handle();
    ++c.live;
  }
  const std::string_view bytes = store_.view(b.cancel_request);
  out_->send_from(c.fwd.ingress, b.to, {&bytes, 1});
}

bool StatefulProxy::fail_over(Context& c, std::size_t failed) {
  if (c.set < 0 || c.stop_forking || c.count >= TargetSet::kMaxTargets) return false;
  DestinationSelector& selector = (*settings_.selectors)[static_cast<std::size_t>(c.set)];
  const Message& o = parse_stored(c.request, *scratch_);
  const std::optional<std::size_t> hop = selector.select(o.call_id(), c.tried);
  if (!hop) return false;
  c.tried |= uint64_t{1} << *hop;
  const std::size_t i = c.count++;
  Branch& b = c.branches[i];
  const Branch& before = c.branches[failed];
  b = Branch{};
  b.to = selector.set().hop(*hop).address;
  b.q = before.q;
  // The same Request-URI as the hop it replaces (a foreign one written without our maddr).
  b.uri_at = before.uri_at;
  b.uri_len = before.uri_len;
  b.trim_ruri = before.trim_ruri;
  b.strip_maddr = before.strip_maddr;
  b.strip_alias = before.strip_alias;
  c.group_end = c.count;
  ++counters_.failovers;
  start_branch(c, i, o, false);
  if (b.status != 0) return fail_over(c, i);  // could not even start: the next one
  return true;
}

void StatefulProxy::cancel_pending(Context& c, std::size_t except) {
  for (std::size_t i = 0; i < c.group_end; ++i)
    if (i != except) cancel_branch(c, i);
}

// ---- responses ----

bool StatefulProxy::on_response(const Message& m, const NetAddress& source, Outbox& out,
                                uint64_t now_ms) {
  out_ = &out;
  response_source_ = source;
  now_ms_ = now_ms;
  Transaction* t = table_.find_client(m);
  if (t == nullptr) return false;
  response_ = &m;
  t->on_response(table_.env(), m.status_code(), now_ms);
  response_ = nullptr;
  return true;
}

void StatefulProxy::pass_response(Transaction& t, uint16_t status) {
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr || role == static_cast<int>(kServerRole) || (role & kCancelRole) != 0) return;
  Branch& b = c->branches[static_cast<std::size_t>(role)];
  const Message& r = *response_;
  // §16.7 step 3: with our Via removed, a response with no Via left was not meant to go on.
  // Its status still counts for this branch; upstream gets a response of our own instead.
  // Two Via fields are the usual answer; one field is split to see whether it lists two.
  bool upstream_via = r.count(HeaderId::kVia) >= 2;
  if (!upstream_via) {
    HeaderElements vias(r, HeaderId::kVia);
    std::string_view via;
    upstream_via = vias.next(via) && vias.next(via);
  }
  if (!upstream_via) {
    ++counters_.viafree_responses;
    if (status < 300) {
      if (status >= 200) b.status = status;
      return;
    }
    b.status = status;
    b.generated = true;  // send_best answers with this status itself
    if (status >= 600) {
      c->stop_forking = true;
      cancel_pending(*c, static_cast<std::size_t>(role));
    }
    return maybe_finish(*c);
  }
  // The response as it goes upstream: our Via removed (§16.7 step 3), a NATed callee's Contact
  // aliased.
  MessageEdits edits;
  remove_first_element(r, static_cast<std::size_t>(r.find(HeaderId::kVia)), edits);
  if (settings_.nat_alias)
    alias_response_contact(r, response_source_, settings_.is_our_host, *out_, edits);
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  const std::size_t n = edits.render(r.bytes(), segments);

  if (status < 200) {
    // Any provisional, 100 included, lets the branch be CANCELled (§9.1).
    b.provisional = true;
    if (b.cancel_wanted) cancel_branch(*c, static_cast<std::size_t>(role));
    if (status == 100) return;  // hop by hop: the caller had our own
    if (!c->final_sent) send_upstream(*c, status, {segments.data(), n});
    return;
  }
  b.status = status;
  if (status < 300) {
    // §16.7 step 5: every 2xx goes upstream at once, even after another branch's.
    const bool first = !c->final_sent;
    c->final_sent = true;
    c->stop_forking = true;
    if (first) ++counters_.final_responses;
    if (c->invite) cancel_pending(*c, static_cast<std::size_t>(role));
    if (!c->invite) {
      if (first) send_upstream(*c, status, {segments.data(), n});
      return;
    }
    // INVITE: every 2xx goes straight up (the UAC retransmits its ACK, not we our 2xx). The
    // server transaction turns Accepted (RFC 6026) to absorb INVITE retransmissions for 64*T1
    // on its own: it is detached from the context, which ends with its branches, and keeps no
    // copy (nothing is resent from Accepted).
    out_->send_from(c->fwd.ingress, c->response_to, {segments.data(), n});
    if (Transaction* s = table_.get(c->server)) {
      s->on_tu_response(table_.env(), status, MessageRef{}, now_ms_);
      s->set_user_data(kDetached);
      c->server = TxnHandle{};
      store_.release(c->last_response);
      store_.release(c->request);
      --c->live;  // the branch being answered is live still: the context outlives this call
    }
    return;
  }
  if (c->final_sent) return;  // a 2xx already went: this branch's end is ours alone
  b.response = store_.put(r.bytes());
  if ((status == 503 || status == 408) && fail_over(*c, static_cast<std::size_t>(role))) return;
  if (status >= 600) {
    c->stop_forking = true;
    cancel_pending(*c, static_cast<std::size_t>(role));
  }
  maybe_finish(*c);
}

void StatefulProxy::maybe_finish(Context& c) {
  if (c.final_sent) return;
  for (;;) {
    for (std::size_t i = 0; i < c.group_end; ++i)
      if (c.branches[i].status == 0) return;  // a branch is still out
    if (c.stop_forking || !start_next_group(c, nullptr)) break;
  }
  send_best(c);
}

void StatefulProxy::send_best(Context& c) {
  c.final_sent = true;
  ++counters_.final_responses;
  std::size_t best = TargetSet::kMaxTargets;
  for (std::size_t i = 0; i < c.group_end; ++i) {
    const Branch& b = c.branches[i];
    if (b.status < 300) continue;
    if (best == TargetSet::kMaxTargets || rank(b.status) < rank(c.branches[best].status)) best = i;
  }
  if (best == TargetSet::kMaxTargets)
    return respond_generated(c, 408, standard_reason(408), nullptr);
  const Branch& b = c.branches[best];
  // §16.7 step 6: a 503 is not passed on (it would tell the caller that the proxy is down).
  if (b.status == 503) return respond_generated(c, 500, standard_reason(500), nullptr);
  if (b.generated || b.response.empty())
    return respond_generated(c, b.status, standard_reason(b.status), nullptr);

  const Message& r = parse_stored(b.response, *scratch2_);
  MessageEdits edits;
  remove_first_element(r, static_cast<std::size_t>(r.find(HeaderId::kVia)), edits);
  // §16.7 step 7: a 401/407 carries the challenges of every branch that sent one. Written in
  // the outbox's scratch: when the store has no slot to keep the response in, it goes up from
  // these segments, which the backend reads only after the engine has returned.
  constexpr std::size_t kChallengeSpace = 4096;
  char* challenges = b.status == 401 || b.status == 407 ? out_->scratch(kChallengeSpace) : nullptr;
  TextWriter w({challenges, challenges != nullptr ? kChallengeSpace : 0});
  if (challenges != nullptr) {
    for (std::size_t i = 0; i < c.group_end; ++i) {
      const Branch& other = c.branches[i];
      if (i == best || other.response.empty() || (other.status != 401 && other.status != 407))
        continue;
      const Message& o = parse_stored(other.response, *scratch_);
      for (std::size_t h = 0; h < o.header_count(); ++h) {
        const HeaderField f = o.header(h);
        if (f.id == HeaderId::kWwwAuthenticate)
          w.put("WWW-Authenticate: ").put(f.value).put("\r\n");
        else if (f.id == HeaderId::kProxyAuthenticate)
          w.put("Proxy-Authenticate: ").put(f.value).put("\r\n");
      }
    }
    if (w.ok() && w.size() != 0) edits.add(r.header(0).offset, 0, w.view());
    out_->scratch_used(challenges, w.ok() ? w.size() : 0);
  }
  std::array<std::string_view, Outbox::kMaxSegments> segments;
  const std::size_t n = edits.render(r.bytes(), segments);
  send_upstream(c, b.status, {segments.data(), n});
}

void StatefulProxy::respond_generated(Context& c, uint16_t code, std::string_view reason,
                                      const Message* original) {
  const Message& o = original ? *original : parse_stored(c.request, *scratch_);
  MessageRef ref = store_.reserve(o.header_end() + 512);
  const std::size_t n =
      ref.empty() ? 0 : write_response(o, c.source, {code, reason, {}}, store_.writable(ref));
  if (n == 0) {
    store_.release(ref);
    return;
  }
  store_.set_length(ref, n);
  const std::string_view bytes = store_.view(ref);
  send_stored_upstream(c, code, ref, bytes);
}

void StatefulProxy::send_upstream(Context& c, uint16_t status,
                                  std::span<const std::string_view> segments) {
  if (segments.empty()) return;  // edits that could not be rendered: nothing garbled goes up
  MessageRef ref = store_.put(segments);
  if (ref.empty()) {
    // No room to keep it for retransmission: it still goes once.
    out_->send_from(c.fwd.ingress, c.response_to, segments);
    return;
  }
  send_stored_upstream(c, status, ref, store_.view(ref));
}

void StatefulProxy::send_stored_upstream(Context& c, uint16_t status, MessageRef ref,
                                         std::string_view bytes) {
  out_->send_from(c.fwd.ingress, c.response_to, {&bytes, 1});
  Transaction* s = table_.get(c.server);
  if (s == nullptr) {
    store_.release(ref);
    return;
  }
  // The server transaction resends the latest response; the one before it is freed. The call
  // may end the transaction (a 2xx to an INVITE), and with it this context: nothing of `c` is
  // touched afterwards.
  MessageRef previous = c.last_response;
  c.last_response = ref;
  if (status >= 200 && !c.invite) {
    // The server transaction only resends `ref` from now on (Timer J: 64*T1 over UDP): it
    // is detached from the context, with the response and where it goes, so the context ends
    // with its branches instead of 32 s later. A branch's client transaction is still live
    // here (answered, or timed out and not yet ended), except when no branch could start at
    // all: proxy() then frees the context.
    release_after_final(c);
    detached_reply_to_[s->handle().index] = {c.response_to, c.fwd.ingress};
    s->set_user_data(kDetachedResend);
    c.server = TxnHandle{};
    c.last_response = MessageRef{};
    --c.live;
  }
  s->on_tu_response(table_.env(), status, ref, now_ms_);
  store_.release(previous);
}

void StatefulProxy::release_after_final(Context& c) {
  // From now on only the final response is resent, by the server transaction the caller
  // detaches (Timer J: 64*T1 over UDP). The original request, the targets, and each answered
  // branch's request and response are not read again: nothing forks, fails over or answers
  // after the final response, and a non-INVITE client transaction that has its final
  // response resends nothing. A branch still out (a fork) keeps the request its client
  // transaction retransmits until it ends, and with the last of them the context.
  store_.release(c.request);
  store_.release(c.targets);
  for (std::size_t i = 0; i < c.count; ++i) {
    Branch& b = c.branches[i];
    if (b.status == 0) continue;
    if (Transaction* t = table_.get(b.client)) t->set_request(MessageRef{});
    store_.release(b.request);
    store_.release(b.response);
  }
}

// ---- transaction callbacks ----

void StatefulProxy::retransmit(Transaction& t) {
  if (t.user_data() == kDetachedResend) {
    const std::string_view bytes = store_.view(t.last_response());
    const DetachedReply& reply = detached_reply_to_[t.handle().index];
    if (!bytes.empty()) out_->send_from(reply.from, reply.to, {&bytes, 1});
    return;
  }
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr) return;
  const bool server = role == static_cast<int>(kServerRole);
  const std::string_view bytes = store_.view(server ? t.last_response() : t.request());
  if (bytes.empty()) return;
  const NetAddress& to =
      server ? c->response_to : c->branches[static_cast<std::size_t>(role & ~kCancelRole)].to;
  out_->send_from(c->fwd.ingress, to, {&bytes, 1});
}

void StatefulProxy::send_ack(Transaction& t, uint16_t) {
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr || response_ == nullptr || role == static_cast<int>(kServerRole) ||
      (role & kCancelRole) != 0)
    return;
  const Branch& b = c->branches[static_cast<std::size_t>(role)];
  const Message& req = parse_stored(b.request, *scratch2_);
  const std::size_t space = req.header_end() + 512;
  char* buf = out_->scratch(space);
  if (buf == nullptr) return;  // the response's retransmission will ask again
  TextWriter w({buf, space});
  if (!write_hop_request(w, "ACK", req, response_->value(HeaderId::kTo))) return;
  const std::string_view ack = w.view();
  out_->send_from(c->fwd.ingress, b.to, {&ack, 1});
}

void StatefulProxy::timer_c_fired(Transaction& t) {
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr || role == static_cast<int>(kServerRole) || (role & kCancelRole) != 0) return;
  const auto i = static_cast<std::size_t>(role);
  // §16.8: a branch that answered provisionally is CANCELled (its 487 ends it); a silent one
  // is taken as a 408.
  Branch& b = c->branches[i];
  if (b.provisional) return cancel_branch(*c, i);
  b.status = 408;
  b.generated = true;
  ++counters_.branch_timeouts;
  maybe_finish(*c);
  t.abandon(table_.env());
}

void StatefulProxy::failed(Transaction& t, TxnFailure) {
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr || role == static_cast<int>(kServerRole) || (role & kCancelRole) != 0) return;
  Branch& b = c->branches[static_cast<std::size_t>(role)];
  if (b.status != 0) return;
  // §16.7 step 2 / §16.8: a branch that timed out counts as a 408 from it.
  b.status = 408;
  b.generated = true;
  ++counters_.branch_timeouts;
  if (!fail_over(*c, static_cast<std::size_t>(role))) maybe_finish(*c);
}

void StatefulProxy::terminated(Transaction& t) {
  if (t.user_data() == kDetachedResend) {
    MessageRef response = t.last_response();
    store_.release(response);
    return;
  }
  int role;
  Context* c = context_of(t, role);
  if (c == nullptr) return;
  if (role == static_cast<int>(kServerRole)) {
    c->server = TxnHandle{};
  } else if ((role & kCancelRole) != 0) {
    Branch& b = c->branches[static_cast<std::size_t>(role & ~kCancelRole)];
    b.cancel = TxnHandle{};
    // The CANCEL is done and the INVITE still has no final response: give the branch up
    // (§9.1 lets a client stop waiting once its CANCEL has run its course).
    if (b.status == 0) {
      b.status = 408;
      b.generated = true;
      ++counters_.branch_timeouts;
      maybe_finish(*c);
      if (Transaction* invite = table_.get(b.client)) invite->abandon(table_.env());
    }
  } else {
    Branch& b = c->branches[static_cast<std::size_t>(role)];
    b.client = TxnHandle{};
    if (b.status == 0) {  // ended without a final response (transport error, shutdown)
      b.status = 408;
      b.generated = true;
      maybe_finish(*c);
    }
  }
  if (--c->live == 0) free_context(*c);
}

void StatefulProxy::tick(Outbox& out, uint64_t now_ms) {
  // The backend flushed everything sent before this tick: copies released meanwhile (a 200
  // relayed from a slot whose context then ended) may be overwritten now.
  store_.reclaim();
  out_ = &out;
  now_ms_ = now_ms;
  table_.advance(now_ms);
}

}  // namespace sipwire
