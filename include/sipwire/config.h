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
};

// Requests whose Request-URI host is exactly `domain` (no subdomains) go to `next_hop`.
struct StaticRoute {
  std::string domain;  // lower-cased
  NetAddress next_hop;
  Transport transport = Transport::kUdp;
};

struct RegistrarConfig {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t max_contacts_per_aor = 10;
  // true: REGISTER and other requests for domains that are not ours are answered 403.
  // false: they are proxied by the static routes.
  bool reject_foreign_domains = false;
};

// RFC 3261 §17.1.1.1 timer values, and the proxy's Timer C (§16.6 step 11).
struct TimerConfig {
  uint32_t t1_ms = 500;
  uint32_t t2_ms = 4000;
  uint32_t t4_ms = 5000;
  uint32_t timer_c_ms = 181000;  // "greater than 3 minutes"
};

struct LimitsConfig {
  uint32_t max_message_size = 65535;
  uint32_t max_transactions_per_worker = 100000;
  // Per worker, for the copies of messages that transactions retransmit (stateful mode).
  uint32_t message_store_mb = 64;
};

struct Config {
  ProxyMode mode = ProxyMode::kStateful;
  // Add our Record-Route to requests that start a dialog, so its later requests pass us too.
  bool record_route = true;
  // Worker threads (shards). Already resolved: 0 in the file means one per CPU.
  unsigned workers = 1;
  // "Our" domains, lower-cased, followed by the IP string of every listen address.
  std::vector<std::string> domains;
  std::vector<ListenConfig> listen;  // at least one
  RegistrarConfig registrar;
  TimerConfig timers;
  LimitsConfig limits;
  std::vector<StaticRoute> routes;
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
