// The per-worker SIP engine: one datagram in, zero or more datagrams out through an Outbox.
// I/O-free and clock-injected, so every rule is unit-tested with a fake Outbox and a fake
// clock; the socket backend and (later) the DPDK backend drive the same code.
//
// What it does with a datagram:
//  - a malformed request gets the status the parser names (400, 505, 513, ...); a malformed
//    response is dropped;
//  - requests pass RFC 3261 §16.3 (416 scheme, 483 Max-Forwards, 420 Proxy-Require, 482 loop
//    with spirals allowed) and §16.4 (our own Route popped);
//  - a REGISTER for our domain goes to the registrar; an OPTIONS to us without a user is
//    answered 200 (keepalives); neither is refused for Max-Forwards 0, which stops forwarding
//    only, and an OPTIONS that would be forwarded with none left is answered 200 (§16.3 step 3);
//  - other requests go to their target: the next Route, else for our domain the registered
//    contact (location service), else a static route or an IP literal; in redirect mode a
//    302 lists the contacts instead;
//  - in stateless mode forwarding is stateless (§16.11): our Via on top with a deterministic
//    branch, Max-Forwards decremented, received/rport noted in the client's Via; responses are
//    sent back by the Via they carry, ours removed;
//  - in stateful mode (stateful_proxy.h) requests get transactions and are forked to every
//    registered contact; ACKs of 2xx responses and unknown CANCELs still go statelessly.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/engine/destination_set.h"
#include "sipwire/engine/local_ends.h"
#include "sipwire/engine/location.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/engine/rate_limiter.h"
#include "sipwire/engine/registrar.h"
#include "sipwire/engine/request_gate.h"
#include "sipwire/engine/route_signature.h"
#include "sipwire/message.h"
#include "sipwire/proxy_mode.h"
#include "sipwire/txn/transaction_table.h"
#include "sipwire/validate.h"

namespace sipwire {

class TextWriter;
class StatefulProxy;
class HealthProber;
struct Target;
struct TargetSet;

// The shard named by a branch this proxy created ("z9hG4bKsw" + 2 hex digits + ...), or -1
// for any other branch. For the data plane's shard router: responses carry our branch on top.
int branch_shard(std::string_view branch);

struct EngineSettings {
  ProxyMode mode = ProxyMode::kStateless;
  NetAddress local;  // this worker's listen address: Via sent-by, our Route
  // The first listen address of the other IP family, when the data plane listens on both
  // (invalid: it does not). Requests to hosts of that family leave from it, so their Via and
  // Record-Route name it, and a request that crosses families is record-routed twice.
  NetAddress local_other_family;
  // The listen addresses after the first of each family, each with what our Via and
  // Record-Route name for it.
  std::vector<ListenEnd> local_more;
  // What our Via and Record-Route write for `local` and `local_other_family`, where that is
  // not their IP and port (a listen address's `advertise`, or what a wildcard stands for).
  AdvertisedName local_name;
  AdvertisedName local_other_name;
  // This worker's shard, written into every branch we create (branch_shard() reads it back):
  // a response is handed straight to the shard that holds its transaction.
  uint8_t shard = 0;
  std::vector<std::string> domains;     // lower-case; the listen IP is ours too
  bool reject_foreign_domains = false;  // 403 instead of routing requests for other domains
  struct StaticRoute {
    std::string domain;  // lower-case
    NetAddress next_hop;
    int set = -1;  // >= 0: a destination set (destinations[set]) instead of next_hop
  };
  std::vector<StaticRoute> routes;
  RegistrarSettings registrar;
  std::vector<std::string> supported_option_tags = {"path"};  // for Proxy-Require
  std::size_t max_message_size = 65535;
  // Add "Record-Route: <sip:us;lr>" to requests that may start a dialog (§16.6 step 4), so
  // the dialog's later requests come through this proxy too.
  bool record_route = true;
  // The key our Record-Route URIs are signed with (route_signature.h): a request that comes back
  // through our Route skips the server policy only with the signature of its Call-ID. Shared by
  // every shard (a dialog's requests may reach another); the data plane draws it at start or
  // derives it from the configuration's route_secret.
  RouteKey route_key;
  // Dialogs through a NAT (src/engine/contact_alias.h): the Contact of a request or 1xx/2xx
  // response that sets a dialog's remote target, naming a private address other than the one
  // the message came from, is forwarded with ";alias=" that address. (A Request-URI with our
  // alias is routed by it either way.)
  bool nat_alias = true;
  // Stateful mode: the shard's transaction pool and timers, and its store of message copies.
  TxnTableConfig transactions;
  std::size_t message_store_bytes = 64u << 20;
  // Destination sets (shared by every shard) and whether this shard probes their hops.
  std::vector<std::shared_ptr<DestinationSet>> destinations;
  bool probe_destinations = false;
  // Flood protection: per-source rate limits. `enabled` false: none. `drop`: silently drop
  // requests over the limit instead of answering 503 with Retry-After.
  struct Flood {
    bool enabled = false;
    RateLimitConfig limits;
    bool drop = false;
  } flood;
  // Seconds since the Unix epoch for the Date of a REGISTER's 200 (§10.3 step 8; phones set
  // their clocks by it). Null: the system clock. Read at most once per second of the engine's
  // clock, so the per-message path pays a compare.
  int64_t (*wall_clock_s)() = nullptr;
};

struct ProxyCounters {
  uint64_t datagrams = 0;
  uint64_t malformed_requests = 0;   // answered with an error
  uint64_t malformed_responses = 0;  // dropped
  uint64_t requests_forwarded = 0;
  uint64_t responses_forwarded = 0;
  uint64_t responses_sent = 0;  // generated here
  uint64_t registrations = 0;   // REGISTERs answered 200
  uint64_t loops = 0;           // 482
  uint64_t dropped = 0;         // not ours to relay, unroutable response, no scratch space
  uint64_t rate_limited = 0;    // requests over their source's rate (503 or dropped)
  uint64_t challenged = 0;      // 401/407 sent by the policy
  uint64_t relay_refused = 0;   // 403: foreign domain, untrusted and unauthenticated
  uint64_t keepalives = 0;      // datagrams of CRLFs alone: ignored
};

class ProxyCore {
 public:
  // `gate` (optional, not owned, outliving the core): the server policy, asked for every new
  // request (request_gate.h).
  ProxyCore(const EngineSettings& settings, LocationTable& location, RequestGate* gate = nullptr);
  ~ProxyCore();
  // Its registrar asks it which hosts are ours (Registrar::set_our_hosts): it stays put.
  ProxyCore(const ProxyCore&) = delete;
  ProxyCore& operator=(const ProxyCore&) = delete;

  void handle(std::string_view datagram, const NetAddress& source, Outbox& out, uint64_t now_ms) {
    handle(datagram, source, NetAddress{}, out, now_ms);
  }
  // `local`: the listen address the datagram came in at, where the backend knows it. A
  // request forwarded to a host of that address's family leaves from it (the backends send
  // so), which its Via and Record-Route then name.
  void handle(std::string_view datagram, const NetAddress& source, const NetAddress& local,
              Outbox& out, uint64_t now_ms);
  // handle() in two steps, for a backend that parses a whole burst before it handles any of
  // it (the parser's code then stays in the instruction cache for the burst, and the
  // engine's after it): parse_into a message of the caller's, then handle_parsed with what
  // it returned. The same outcome as handle(), datagram by datagram, in the same order.
  ParseError parse_into(std::string_view datagram, Message& m) const;
  void handle_parsed(std::string_view datagram, const ParseError& parsed, Message& m,
                     const NetAddress& source, const NetAddress& local, Outbox& out,
                     uint64_t now_ms);
  // Runs what is due at now_ms (the stateful proxy's transaction timers). Call it from the
  // worker's loop at least every 10 ms, after a batch and when idle, and only once the sends
  // of the batch before have been flushed: it recycles the stored copies they may point into.
  void tick(Outbox& out, uint64_t now_ms);

  const ProxyCounters& counters() const { return counters_; }
  // The stateful proxy (its counters, transactions, stored messages); null in the other modes.
  const StatefulProxy* stateful() const { return stateful_.get(); }
  // For status lines: live transactions, and requests refused 503 for want of space (pools,
  // message store); 0 outside stateful mode.
  std::size_t live_transactions() const;
  uint64_t overloaded() const;
  // The destination-set prober; null on shards that do not probe.
  const HealthProber* prober() const { return prober_.get(); }
  const EngineSettings& settings() const { return settings_; }

 private:
  void handle_request(const NetAddress& source, Outbox& out, uint64_t now_ms);
  void handle_response(const NetAddress& source, Outbox& out, uint64_t now_ms);
  void reply(const NetAddress& source, Outbox& out, uint16_t code, std::string_view reason,
             std::string_view extra_headers = {});
  // A response whose extra header lines `write(TextWriter&)` composes in scratch space; 500
  // when they do not fit. Defined and used in proxy_core.cpp only.
  template <class Write>
  void reply_with(const NetAddress& source, Outbox& out, uint16_t code, std::string_view reason,
                  Write&& write);
  void reply_register(const NetAddress& source, Outbox& out, const RegisterOutcome& r,
                      uint64_t now_ms);
  // 420 with Unsupported (or 400 for a malformed list) when the request's Require or
  // Proxy-Require (`id`) names an option tag we do not support; false if not.
  // Most requests carry neither header: that case is decided here, inline, and the check's
  // result (16 tag views) is not built for them.
  bool reply_unsupported(const NetAddress& source, Outbox& out, HeaderId id) {
    return msg_->has(id) && reply_unsupported_tags(source, out, id);
  }
  bool reply_unsupported_tags(const NetAddress& source, Outbox& out, HeaderId id);
  void reply_redirect(const NetAddress& source, Outbox& out, const AorRecord& record,
                      uint64_t now_ms);
  // 200 to an OPTIONS we answer as its final recipient (§11): the methods and body we take.
  void reply_options(const NetAddress& source, Outbox& out);
  bool is_ours(const Uri& uri) const;
  // Whether `maddr`, the maddr parameter of `uri`, names us at the URI's port (§16.4).
  bool is_our_maddr(const Uri& uri, std::string_view maddr) const;
  // Whether `uri` has a maddr parameter that names us.
  bool has_our_maddr(const Uri& uri) const;
  bool is_our_host(std::string_view host) const;
  // The host AORs of our domain are stored under: the first configured domain, else our IP.
  std::string_view canonical_host() const;
  uint32_t loop_hash() const;
  uint64_t transaction_hash() const;
  // Whether a Via of ours carries this request's loop hash (computed into loop_ only when a
  // Via names us at all).
  bool looped();
  // §16.4 strict-router fix-up: when the Request-URI is our Record-Route URI, the last Route
  // becomes the Request-URI again and msg_ is re-parsed from the rewritten bytes. False when
  // the request was answered (a malformed Route) or dropped. `undone`: whether it was rewritten
  // (the request came by our Record-Route, as one with our Route does); `signed_uri`: whether
  // that Record-Route URI carried the signature of the request's Call-ID.
  bool undo_strict_routing(const NetAddress& source, Outbox& out, bool& undone, bool& signed_uri);
  // §16.6 step 6: the next hop is a strict router (its Route URI has no lr). Its URI becomes
  // the Request-URI and the Request-URI the last Route value; `pop_first`: our own Route comes
  // first and goes too. msg_ is re-parsed from the rewritten bytes. False when the request was
  // answered (a malformed Route) or dropped.
  bool rewrite_for_strict_router(const NetAddress& source, Outbox& out, uint8_t pop_first);
  // Renders `edits` of msg_ into scratch space and re-parses msg_ from it: the request handled
  // from here on. False (and counted as dropped) when there is no scratch space.
  bool continue_with_edited(const MessageEdits& edits, Outbox& out);
  // The request goes to `targets`: forked by the stateful proxy, else to the first, statelessly.
  void route(const NetAddress& source, Outbox& out, const TargetSet& targets, uint8_t pop_routes,
             uint64_t now_ms);
  void forward(const NetAddress& source, Outbox& out, const Target& target, uint8_t pop_routes);
  // The location service's bindings of the Request-URI's AOR as targets (404/480 if none).
  void lookup_and_route(const NetAddress& source, Outbox& out, uint8_t pop_routes, uint64_t now_ms);
  // The hop of destination set `set` its algorithm picks (503 when none is up); with
  // `strip_maddr`, the Request-URI goes without its maddr (ours), port and transport (§16.4).
  void route_to_set(std::size_t set, const NetAddress& source, Outbox& out, uint8_t pop_routes,
                    uint64_t now_ms, bool strip_maddr);

  EngineSettings settings_;
  LocationTable& location_;
  Registrar registrar_;
  std::unique_ptr<Message> own_msg_;  // what handle() parses into
  Message* msg_;                      // the message being handled: own_msg_'s or the caller's
  LocalEnds local_;                   // our listen addresses, as Via and Record-Route name them
  NetAddress ingress_;                // where the current datagram came in (invalid: not known)
  std::vector<std::string_view> supported_;  // views of settings_.supported_option_tags
  std::optional<uint32_t> loop_;  // the current request's loop-detection hash, once computed
  std::unique_ptr<StatefulProxy> stateful_;     // mode stateful only
  std::unique_ptr<HealthProber> prober_;        // the shard that probes destination sets
  std::vector<DestinationSelector> selectors_;  // this shard's, one per destination set
  RequestGate* gate_ = nullptr;
  std::function<bool(std::string_view)> our_hosts_;  // is_our_host, for those that ask
  std::unique_ptr<SourceRateLimiter> limiter_;
  const MessageEdits* gate_edits_ = nullptr;  // the current request's policy header edits
  ProxyCounters counters_;
  // "Date: ...\r\n" for the current second of the engine's clock (date_second_).
  std::string_view date_header(uint64_t now_ms);
  uint64_t date_second_ = UINT64_MAX;
  std::array<char, 48> date_{};
  std::size_t date_length_ = 0;
};

}  // namespace sipwire
