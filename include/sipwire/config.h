// sipwire's configuration: the TOML file an operator writes, read into plain values.
//
// Library code shared by the data plane and (later) the control plane's reload: no I/O besides
// reading the file it is given, no logging, no exit. A bad file is an error value naming
// file:line:column and what is wrong; nothing throws. Unknown keys and tables are errors, so a
// typo is never silently ignored. configs/default.toml documents every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipwire/net_address.h"
#include "sipwire/proxy_mode.h"

namespace sipwire {

enum class Transport : uint8_t { kUdp, kTcp, kTls };

struct ListenConfig {
  NetAddress address;
  Transport transport = Transport::kUdp;
  // The host our Via and Record-Route name for this address, when it is not the address
  // itself: the public address of a host behind a one-to-one NAT, or a name. An IP address
  // (IPv6 without brackets) or a host name, lower-cased; empty: the address (for a wildcard,
  // the data plane names the address its host sends from).
  std::string advertise;
  // The port our Via and Record-Route write with it, where the NAT forwards another port to
  // ours (advertise = "203.0.113.5:5080"); 0: the listen port.
  uint16_t advertise_port = 0;

  bool operator==(const ListenConfig&) const = default;
};

// Requests whose Request-URI host is exactly `domain` (no subdomains) go to `next_hop`, or
// to a hop of the destination set named `destination` (exactly one of the two is set).
struct StaticRoute {
  std::string domain;  // lower-cased
  NetAddress next_hop;
  std::string destination;
  Transport transport = Transport::kUdp;

  bool operator==(const StaticRoute&) const = default;
};

// A destination set ([[destination]]): next hops that requests are spread over and failed
// over between, with OPTIONS health probing.
struct DestinationHopConfig {
  NetAddress address;
  uint32_t weight = 1;
  uint32_t priority = 0;

  bool operator==(const DestinationHopConfig&) const = default;
};
struct DestinationConfig {
  std::string name;
  std::string algorithm = "round_robin";  // round_robin, weighted, call_id_hash, priority
  uint32_t probe_interval_ms = 10000;     // 0: not probed, always up
  uint32_t down_after = 3;
  uint32_t up_after = 2;
  std::vector<DestinationHopConfig> hops;  // 1..64

  bool operator==(const DestinationConfig&) const = default;
};

struct RegistrarConfig {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts_per_aor = 10;
  // true: REGISTER and other requests for domains that are not ours are answered 403.
  // false: they are proxied by the static routes.
  bool reject_foreign_domains = false;
  // The location service's hash table: one bucket per expected AOR, rounded up to a power of
  // two, 1024..16777216 (8 bytes each). More AORs still register, with longer chains.
  uint32_t expected_aors = 65536;
  // private_contacts = "source" (true) or "contact" (false): where a binding whose Contact
  // names a private address, registered from another address, is reached.
  bool private_contacts_at_source = true;
  // Non-zero: the longest registration granted to a phone reached at its REGISTER's source.
  uint32_t nat_max_expires = 0;

  bool operator==(const RegistrarConfig&) const = default;
};

// RFC 3261 §17.1.1.1 timer values, and the proxy's Timer C (§16.6 step 11).
struct TimerConfig {
  uint32_t t1_ms = 500;
  uint32_t t2_ms = 4000;
  uint32_t t4_ms = 5000;
  uint32_t timer_c_ms = 181000;  // "greater than 3 minutes"

  bool operator==(const TimerConfig&) const = default;
};

struct LimitsConfig {
  uint32_t max_message_size = 65535;
  uint32_t max_transactions_per_worker = 100000;
  // Per worker, for the copies of messages that transactions retransmit (stateful mode).
  uint32_t message_store_mb = 64;

  bool operator==(const LimitsConfig&) const = default;
};

// A [[rule]] of the server policy (src/policy compiles them; docs/ARCHITECTURE.md, "Server
// policy"). Every match key given must hold for the rule to match (an absent key always holds);
// the first matching rule in file order decides.
enum class RuleAction : uint8_t {
  kRegister,   // registrar
  kLookup,     // location service, then forward; 404 (no such user) or 480 (none registered)
  kForward,    // to the destination set `destination`
  kRedirect,   // `code` (3xx) with `contacts`
  kReject,     // `code` (4xx-6xx) and `reason`
  kChallenge,  // unauthenticated: digest challenge; authenticated: the next rules decide
  kReply,      // `code` (2xx-6xx) and `reason`, e.g. 200 to OPTIONS pings
};

// Which string a rule pattern is matched against.
enum class RuleField : uint8_t {
  kRuriScheme,  // "sip", "sips", "tel", ...
  kRuriUser,
  kRuriHost,
  kFromUri,  // the From header's URI (without display name and header parameters)
  kToUri,
  kHeader,  // every field of the rule's `header`, each value on its own
};
enum class PatternKind : uint8_t { kExact, kPrefix, kRegex };

struct RulePattern {
  RuleField field = RuleField::kRuriUser;
  PatternKind kind = PatternKind::kExact;
  std::string text;   // as written (exact and prefix: a literal; regex: Hyperscan syntax)
  uint32_t line = 0;  // of the value in the file, for errors found when the policy compiles
  uint32_t column = 0;
};

// An address block "10.0.0.0/8" or "2001:db8::/32"; a plain address is a /32 or /128.
struct CidrBlock {
  NetAddress network;  // port 0; bits past prefix_length are zero
  uint8_t prefix_length = 0;

  bool operator==(const CidrBlock&) const = default;
};

struct RuleConfig {
  std::string name;   // for logs; unique
  uint32_t line = 0;  // of the [[rule]] header
  uint32_t column = 0;
  // --- match keys ---
  std::vector<std::string> methods;   // any of these (case-sensitive, RFC 3261 §7.1); empty: any
  std::vector<RulePattern> patterns;  // all must match
  std::string header;                 // the header the kHeader pattern looks at (as written)
  std::vector<CidrBlock> sources;     // source address in any of these; empty: any
  std::optional<Transport> transport;
  std::optional<bool> authenticated;
  // --- the action and its parameters ---
  RuleAction action = RuleAction::kReject;
  uint16_t code = 0;        // reject, reply, redirect (default 302)
  std::string reason;       // reject, reply: the reason phrase; empty: the code's standard phrase
  std::string destination;  // forward: the destination set's name
  std::vector<std::string> contacts;  // redirect: the Contact URIs
  std::string realm;                  // challenge: the digest realm; empty: [auth] realm
  // Header edits (lookup and forward only): whole "Name: value" lines added before the first
  // header, names of headers whose every field is removed, Request-URI user/host rewrites.
  std::vector<std::string> add_headers;
  std::vector<std::string> remove_headers;
  std::optional<std::string> set_ruri_user;
  std::optional<std::string> set_ruri_host;
};

// [auth]: digest authentication (src/gate reads it; docs/ARCHITECTURE.md, "Request gate").
struct AuthConfig {
  // The users file (include/sipwire/auth/users_file.h). Empty: no users, so every credential
  // fails (challenges are still sent). Loaded by the gate's factory (make_gate_shared), not by
  // the config library: an unloadable file is reported there as "file:line: what".
  std::string users_file;
  // The digest realm of challenges (a challenge rule's own realm takes precedence). Empty (the
  // default): the first of Config::domains.
  std::string realm;
  // The challenges offered, in order: "SHA-256", "MD5". Clients answer the first they support;
  // some answer only the first one offered (Debian's sipp 3.6 then needs MD5 first).
  std::vector<std::string> algorithms = {"SHA-256", "MD5"};
  uint32_t nonce_lifetime_s = 300;              // 10..86400
  uint32_t replay_entries_per_worker = 65'536;  // nonces tracked per worker, 1024..16777216
};

// [flood]: the per-source rate limiter (include/sipwire/engine/rate_limiter.h). Plain values;
// the engine builds its RateLimitConfig from them.
enum class FloodAction : uint8_t {
  kReject,  // answer 503 with Retry-After
  kDrop,    // drop silently
};
struct FloodConfig {
  // Sustained rate per source, in thousandths of a request per second (the file's
  // requests_per_second times 1000). 0 (the default): no flood protection.
  uint32_t rate_milli_per_s = 0;
  // Requests a quiet source may send at once. Resolved: when the file leaves it out, twice the
  // rate, rounded up (at least 1); 0 only when the limiter is off.
  uint32_t burst = 0;
  FloodAction action = FloodAction::kReject;
  std::vector<CidrBlock> exempt;         // never limited
  uint32_t sources_per_worker = 65'536;  // 1024..16777216

  bool enabled() const { return rate_milli_per_s != 0; }

  bool operator==(const FloodConfig&) const = default;
};

// Where the data plane's packets come from and go to (the file's top-level `io`; the data
// plane's --io option overrides it).
enum class IoBackend : uint8_t {
  kSocket,  // "socket": kernel UDP sockets
  kDpdk,    // "dpdk": a DPDK port the data plane owns ([dpdk])
};
// "socket", "dpdk": as the file and --io spell them.
std::string_view to_string(IoBackend backend);
// The backend `text` names, exactly as to_string spells it; nullopt for anything else.
std::optional<IoBackend> parse_io_backend(std::string_view text);

// [dpdk]: the DPDK backend's port and its sizing. Read (and checked) whatever `io` says; used
// only when io = "dpdk", which then needs `port`.
struct DpdkConfig {
  // EAL arguments as on a DPDK command line, without the program name ("-l", "2-3", ...).
  std::vector<std::string> eal;
  // The port: a PCI address ("0000:03:00.0") or a virtual device ("net_af_packet0,iface=veth1").
  std::string port;
  // The tap interface the data plane creates for the exception path (what is not SIP goes to
  // the kernel through it): 1..15 characters of [A-Za-z0-9_.-]. Empty: no tap.
  std::string exception_tap;
  // The on-link networks of the port (also the prefix of the tap's address). Empty: every
  // destination is on-link.
  std::vector<CidrBlock> networks;
  // Next hops for destinations outside `networks`: at most one IPv4 and one IPv6, each inside
  // one of `networks` when it is not empty. Port 0.
  std::vector<NetAddress> gateways;
  uint32_t mtu = 1500;  // 576..9216
  // The 802.1Q VLAN our frames carry on the port, 1..4094; 0: untagged.
  uint32_t vlan = 0;
  uint32_t mbufs_per_worker = 16383;      // 1023..1048575
  uint32_t queue_size = 1024;             // RX and TX descriptors per queue, 64..16384
  uint32_t burst = 32;                    // packets per RX/TX burst, 1..512
  uint32_t reassembly_flows = 4096;       // IP reassembly table entries per worker, 16..1048576
  uint32_t reassembly_timeout_ms = 2000;  // 100..60000
  // How long a datagram may wait for its next hop's MAC, 10..60000.
  uint32_t neighbor_hold_ms = 1000;
  // How long a next hop's MAC counts as confirmed before it is asked again, 1000..3600000.
  uint32_t neighbor_reachable_ms = 60000;
  // A worker idle for 1,000 polls in a row sleeps this long between polls, in microseconds,
  // 0..100000; 0: it polls without pause (a dedicated NIC server).
  uint32_t idle_sleep_us = 100;
  // Sum the UDP checksum of SIP datagrams where the port cannot verify it (and of reassembled
  // ones), dropping those that fail, as the kernel does.
  bool verify_udp_checksums = true;

  bool operator==(const DpdkConfig&) const = default;
};

struct Config {
  ProxyMode mode = ProxyMode::kStateful;
  IoBackend io = IoBackend::kSocket;
  // Add our Record-Route to requests that start a dialog, so its later requests pass us too.
  bool record_route = true;
  // Alias the Contacts of dialogs set up from behind a NAT (EngineSettings::nat_alias).
  bool nat_alias = true;
  // The secret our Record-Route signatures are keyed from (EngineSettings::route_key); empty:
  // a key drawn at start.
  std::string route_secret;
  // Worker threads (shards). Already resolved: 0 in the file means one per CPU.
  unsigned workers = 1;
  // "Our" domains, lower-cased, followed by the IP string of every listen address.
  std::vector<std::string> domains;
  std::vector<ListenConfig> listen;  // at least one
  RegistrarConfig registrar;
  TimerConfig timers;
  LimitsConfig limits;
  std::vector<StaticRoute> routes;
  std::vector<DestinationConfig> destinations;  // [[destination]] tables
  std::vector<RuleConfig> rules;                // [[rule]] tables, in file order
  // Sources whose requests for foreign domains are relayed when no rule matches, authenticated
  // or not (policy::PolicyOptions::trusted_sources). Empty: nobody is trusted.
  std::vector<CidrBlock> trusted_sources;
  AuthConfig auth;
  FloodConfig flood;
  DpdkConfig dpdk;
  std::string source;  // the file (or source name) it came from

  // Whether a Request-URI host is ours: a configured domain (case-insensitive, one trailing
  // dot ignored) or a listen IP, in any textual form ("[::1]", "0:0::1", "127.0.0.1").
  // Allocation-free: the data plane calls it per request.
  bool is_our_domain(std::string_view host) const;
};

struct ConfigError {
  std::string file;
  uint32_t line = 0;    // 1-based; 0 when the error has no place in the file (missing file)
  uint32_t column = 0;  // 1-based; 0 when unknown
  std::string message;

  // "file:line:column: message", or "file: message" when there is no line.
  std::string to_string() const;
};

struct ConfigResult {
  std::optional<Config> config;
  ConfigError error;  // meaningful only when !ok()
  bool ok() const { return config.has_value(); }
};

// Reads and parses `path`; a missing or unreadable file is an error too.
ConfigResult load_config_file(const std::string& path);
// Parses TOML text; `source_name` names it in errors and in Config::source.
ConfigResult parse_config(std::string_view toml_text, std::string_view source_name);

}  // namespace sipwire
