#include "config_schema.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hostname.h"
#include "sipwire/header_id.h"
#include "sipwire/policy/pattern.h"
#include "sipwire/scalars.h"
#include "sipwire/uri.h"
#include "table_reader.h"

#ifdef SIPWIRE_HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

namespace sipwire::config_internal {

namespace {

constexpr int64_t kUint32Max = std::numeric_limits<uint32_t>::max();
// Timers are capped at an hour: larger values are typos, and the engine multiplies T1 by 64
// (timers B, F, H) in 32-bit milliseconds, which an hour keeps far from overflow.
constexpr int64_t kMaxTimerMs = 3'600'000;
// Worker shards: far beyond any CPU count sipwire is deployed on, small enough for per-shard
// tables sized by it.
constexpr int64_t kMaxWorkers = 256;
// route_secret: 16 characters at least (a secret of 16 random bytes, hex or base64, is longer).
constexpr std::size_t kMinRouteSecret = 16;

const toml::table* subtable(TableReader& parent, std::string_view key) {
  const toml::node* node = parent.find(key);
  if (node == nullptr) return nullptr;
  if (const auto* table = node->as_table()) return table;
  parent.wrong_type(key, *node, "a table ([" + parent.key_path(key) + "])");
  return nullptr;
}

// The tables of a [[key]] array; an empty list when absent or wrong (wrong is reported).
// `element` names what each element must be, for the error about one that is not; empty: the
// tables of a [[key]] list.
std::vector<const toml::table*> array_of_tables(TableReader& parent, std::string_view key,
                                                std::string_view element = {}) {
  std::vector<const toml::table*> tables;
  const toml::node* node = parent.find(key);
  if (node == nullptr) return tables;
  const std::string path = parent.key_path(key);
  if (node->is_table()) {
    parent.diagnostics().fail(
        position_of(node->source()),
        path + " must be written [[" + path + "]] (a list of tables), not [" + path + "]");
    return tables;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    parent.wrong_type(key, *node, "a list of tables ([[" + path + "]])");
    return tables;
  }
  for (const toml::node& e : *array) {
    if (const auto* table = e.as_table()) {
      tables.push_back(table);
    } else if (!element.empty()) {
      parent.diagnostics().fail(position_of(e.source()), path + " must hold " +
                                                             std::string(element) + ", not " +
                                                             std::string(type_name(e.type())));
    } else {
      parent.diagnostics().fail(position_of(e.source()), path + " must be a list of tables ([[" +
                                                             path + "]]), not hold " +
                                                             std::string(type_name(e.type())));
    }
  }
  return tables;
}

// The transport of a [[listen]] or [[route]]: only UDP until the control plane exists.
Transport read_transport(TableReader& table) {
  std::size_t index = 0;
  // Choices in the enum's order, so the index is the value.
  if (!table.read_choice("transport", {"udp", "tcp", "tls"}, index)) return Transport::kUdp;
  const auto transport = static_cast<Transport>(index);
  if (transport != Transport::kUdp) {
    table.diagnostics().fail(position_of(table.find("transport")->source()),
                             table.key_path("transport") + " \"" +
                                 std::string(transport_name(transport)) +
                                 "\" is not supported yet (the control plane will serve it); "
                                 "use \"udp\"");
  }
  return transport;
}

void read_domains(TableReader& root, Config& config, KeyPositions& positions) {
  const toml::node* node = root.find("domains");
  if (node == nullptr) return;
  const auto* array = node->as_array();
  if (array == nullptr) {
    root.wrong_type("domains", *node, "a list of strings");
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string path = "domains[" + std::to_string(i) + "]";
    positions.record(path, position_of(element.source()));
    const auto* string = element.as_string();
    if (string == nullptr) {
      root.diagnostics().fail(
          position_of(element.source()),
          path + " must be a string, not " + std::string(type_name(element.type())));
      continue;
    }
    if (const std::string_view defect = hostname_defect(string->get()); !defect.empty()) {
      root.diagnostics().fail(
          position_of(element.source()),
          path + " \"" + string->get() + "\" is not a valid domain: it " + std::string(defect));
      continue;
    }
    config.domains.push_back(to_lower_ascii(string->get()));
  }
}

// A [[listen]] advertise value split into its host and its port: "host", "host:port",
// "192.0.2.1:5080", an IPv6 address alone or "[2001:db8::1]:5080". The host is checked by the
// caller; `defect` says what is wrong with the port, if anything.
struct AdvertiseValue {
  std::string host;
  uint16_t port = 0;  // 0: none given
  bool bracketed = false;
  std::string_view defect;
};

AdvertiseValue split_advertise(const std::string& text) {
  AdvertiseValue v;
  std::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return {text, 0, true, "has no ] after its IPv6 address"};
    v.host = text.substr(1, close - 1);
    v.bracketed = true;
    const std::string_view rest = std::string_view(text).substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return {text, 0, true, "has something else than :port after ]"};
      port = rest.substr(1);
      has_port = true;
    }
  } else if (const std::size_t colon = text.find(':');
             colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
    // One colon: host:port. More are an IPv6 address without a port (it needs brackets).
    v.host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    has_port = true;
  } else {
    v.host = text;
  }
  if (has_port) {
    uint32_t n = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (const char c : port) {
      digits = digits && c >= '0' && c <= '9';
      if (digits) n = n * 10 + static_cast<uint32_t>(c - '0');
    }
    if (!digits || n == 0 || n > 65535) {
      v.defect = "has a port that is not a number in 1..65535";
      return v;
    }
    v.port = static_cast<uint16_t>(n);
  }
  return v;
}

void read_listen(TableReader& root, Config& config, KeyPositions& positions) {
  const std::vector<const toml::table*> tables = array_of_tables(root, "listen");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    TableReader t(*tables[i], "listen[" + std::to_string(i) + "]", "[[listen]]", root.diagnostics(),
                  positions);
    t.only_keys({"address", "port", "transport", "advertise"});
    t.require("address");
    std::string address;
    uint32_t port = 5060;
    const bool have_address = t.read_string("address", address);
    t.read_uint("port", 1, 65535, port);
    ListenConfig listen;
    listen.transport = read_transport(t);
    if (std::string advertise; t.read_string("advertise", advertise)) {
      const AdvertiseValue value = split_advertise(advertise);
      const auto ip = NetAddress::parse(value.host, 0);
      std::string_view defect = value.defect;
      const bool host_ok = ip ? ip->is_ipv6() || !value.bracketed
                              : !value.bracketed && hostname_defect(value.host).empty();
      if (defect.empty() && !host_ok)
        defect = "is neither an IP address nor a host name, with an optional :port";
      if (defect.empty() && ip && ip->is_unspecified())
        defect = "is a wildcard: name an address the peers reach us at";
      if (!defect.empty()) {
        t.diagnostics().fail(
            position_of(t.find("advertise")->source()),
            t.key_path("advertise") + " \"" + advertise + "\" " + std::string(defect));
      } else {
        listen.advertise = ip ? ip->ip_string() : to_lower_ascii(value.host);
        listen.advertise_port = value.port;
      }
    }
    if (have_address) {
      const auto parsed = NetAddress::parse(address, static_cast<uint16_t>(port));
      if (!parsed) {
        t.diagnostics().fail(position_of(t.find("address")->source()),
                             t.key_path("address") + " \"" + address +
                                 "\" is not an IPv4 or IPv6 address (host names are not "
                                 "resolved)");
      } else {
        listen.address = *parsed;
      }
    }
    config.listen.push_back(listen);
  }
}

void read_routes(TableReader& root, Config& config, KeyPositions& positions) {
  const std::vector<const toml::table*> tables = array_of_tables(root, "route");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    TableReader t(*tables[i], "route[" + std::to_string(i) + "]", "[[route]]", root.diagnostics(),
                  positions);
    t.only_keys({"domain", "next_hop", "destination", "transport"});
    t.require("domain");
    const bool has_next_hop = t.find("next_hop") != nullptr;
    const bool has_destination = t.find("destination") != nullptr;
    if (has_next_hop == has_destination)
      t.diagnostics().fail(t.position(), "route[" + std::to_string(i) +
                                             "] needs exactly one of next_hop (an address) and "
                                             "destination (a [[destination]] name)");
    StaticRoute route;
    std::string domain;
    if (t.read_string("domain", domain)) {
      if (const std::string_view defect = hostname_defect(domain); !defect.empty()) {
        t.diagnostics().fail(position_of(t.find("domain")->source()),
                             t.key_path("domain") + " \"" + domain +
                                 "\" is not a valid domain: it " + std::string(defect));
      }
      route.domain = to_lower_ascii(domain);
    }
    std::string next_hop;
    if (has_next_hop && t.read_string("next_hop", next_hop)) {
      const auto parsed = NetAddress::parse_host_port(next_hop);
      if (!parsed) {
        t.diagnostics().fail(position_of(t.find("next_hop")->source()),
                             t.key_path("next_hop") + " \"" + next_hop +
                                 "\" is not an IP address with an optional port 1..65535 "
                                 "(\"192.0.2.10:5060\", \"[2001:db8::1]:5060\"; host names "
                                 "are not resolved)");
      } else {
        route.next_hop = *parsed;
      }
    }
    if (has_destination) t.read_string("destination", route.destination);
    route.transport = read_transport(t);
    config.routes.push_back(std::move(route));
  }
}

void read_destinations(TableReader& root, Config& config, KeyPositions& positions) {
  const std::vector<const toml::table*> tables = array_of_tables(root, "destination");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const std::string path = "destination[" + std::to_string(i) + "]";
    TableReader t(*tables[i], path, "[[destination]]", root.diagnostics(), positions);
    t.only_keys({"name", "algorithm", "probe_interval_ms", "down_after", "up_after", "hops"});
    t.require("name");
    t.require("hops");
    DestinationConfig d;
    t.read_string("name", d.name);
    std::size_t algorithm = 0;
    static constexpr std::string_view kAlgorithms[] = {"round_robin", "weighted", "call_id_hash",
                                                       "priority"};
    if (t.read_choice("algorithm", {"round_robin", "weighted", "call_id_hash", "priority"},
                      algorithm))
      d.algorithm = std::string(kAlgorithms[algorithm]);
    t.read_uint("probe_interval_ms", 0, kMaxTimerMs, d.probe_interval_ms);
    t.read_uint("down_after", 1, 100, d.down_after);
    t.read_uint("up_after", 1, 100, d.up_after);
    const std::vector<const toml::table*> hops =
        array_of_tables(t, "hops", "hop tables ({ address = \"192.0.2.20:5060\" })");
    // An empty list; a list holding something else has been reported for what it holds.
    if (const toml::node* node = t.find("hops");
        node != nullptr && node->is_array() && node->as_array()->empty())
      t.diagnostics().fail(position_of(t.find("hops")->source()),
                           t.key_path("hops") + " must list at least one hop");
    if (hops.size() > 64)
      t.diagnostics().fail(
          position_of(t.find("hops")->source()),
          t.key_path("hops") + " lists " + std::to_string(hops.size()) + " hops; at most 64");
    for (std::size_t h = 0; h < hops.size(); ++h) {
      TableReader hop(*hops[h], path + ".hops[" + std::to_string(h) + "]",
                      "a hop of [[destination]]", root.diagnostics(), positions);
      hop.only_keys({"address", "weight", "priority"});
      hop.require("address");
      DestinationHopConfig c;
      std::string address;
      if (hop.read_string("address", address)) {
        const auto parsed = NetAddress::parse_host_port(address);
        if (!parsed)
          hop.diagnostics().fail(position_of(hop.find("address")->source()),
                                 hop.key_path("address") + " \"" + address +
                                     "\" is not an IP address with an optional port (host "
                                     "names are not resolved)");
        else
          c.address = *parsed;
      }
      hop.read_uint("weight", 0, 1000, c.weight);
      hop.read_uint("priority", 0, 65535, c.priority);
      d.hops.push_back(c);
    }
    config.destinations.push_back(std::move(d));
  }
}

void read_registrar(TableReader& root, RegistrarConfig& registrar, KeyPositions& positions) {
  const toml::table* table = subtable(root, "registrar");
  if (table == nullptr) return;
  TableReader t(*table, "registrar", "[registrar]", root.diagnostics(), positions);
  t.only_keys({"min_expires", "max_expires", "default_expires", "max_contacts_per_aor",
               "reject_foreign_domains", "expected_aors", "private_contacts", "nat_max_expires"});
  // Expires values are delta-seconds, which RFC 3261 §20.19 allows up to 2^32-1.
  t.read_uint("min_expires", 1, kUint32Max, registrar.min_expires);
  t.read_uint("max_expires", 1, kUint32Max, registrar.max_expires);
  t.read_uint("default_expires", 1, kUint32Max, registrar.default_expires);
  t.read_uint("max_contacts_per_aor", 1, 1000, registrar.max_contacts_per_aor);
  t.read_bool("reject_foreign_domains", registrar.reject_foreign_domains);
  t.read_uint("expected_aors", 1024, 16'777'216, registrar.expected_aors);
  if (std::size_t choice = 0; t.read_choice("private_contacts", {"source", "contact"}, choice))
    registrar.private_contacts_at_source = choice == 0;
  t.read_uint("nat_max_expires", 0, kUint32Max, registrar.nat_max_expires);
}

void read_timers(TableReader& root, TimerConfig& timers, KeyPositions& positions) {
  const toml::table* table = subtable(root, "timers");
  if (table == nullptr) return;
  TableReader t(*table, "timers", "[timers]", root.diagnostics(), positions);
  t.only_keys({"t1_ms", "t2_ms", "t4_ms", "timer_c_ms"});
  t.read_uint("t1_ms", 1, kMaxTimerMs, timers.t1_ms);
  t.read_uint("t2_ms", 1, kMaxTimerMs, timers.t2_ms);
  t.read_uint("t4_ms", 1, kMaxTimerMs, timers.t4_ms);
  // §16.6 step 11 asks for more than 3 minutes; shorter values are the operator's choice
  // (a ringing phone is cancelled sooner), but not below a second.
  t.read_uint("timer_c_ms", 1000, kMaxTimerMs, timers.timer_c_ms);
}

void read_limits(TableReader& root, LimitsConfig& limits, KeyPositions& positions) {
  const toml::table* table = subtable(root, "limits");
  if (table == nullptr) return;
  TableReader t(*table, "limits", "[limits]", root.diagnostics(), positions);
  t.only_keys({"max_message_size", "max_transactions_per_worker", "message_store_mb"});
  // Below 1024 bytes no real INVITE fits; above 65535 a UDP datagram cannot carry it.
  t.read_uint("max_message_size", 1024, 65535, limits.max_message_size);
  t.read_uint("max_transactions_per_worker", 1, 10'000'000, limits.max_transactions_per_worker);
  t.read_uint("message_store_mb", 1, 65536, limits.message_store_mb);
}

// --- [[rule]]: the server policy ---------------------------------------------------------

bool is_token_char(char c) {
  // RFC 3261 §25.1 token
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
}
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

// A string, or a list of strings: each element with its position. False (reported) when wrong.
struct StringAt {
  std::string value;
  Position at;
};
bool read_string_list(TableReader& t, std::string_view key, std::vector<StringAt>& out) {
  const toml::node* node = t.find(key);
  if (node == nullptr) return false;
  if (const auto* string = node->as_string()) {
    out.push_back({string->get(), position_of(node->source())});
    return true;
  }
  const auto* array = node->as_array();
  if (array == nullptr) {
    t.wrong_type(key, *node, "a string or a list of strings");
    return false;
  }
  bool ok = true;
  for (const toml::node& element : *array) {
    if (const auto* string = element.as_string()) {
      out.push_back({string->get(), position_of(element.source())});
    } else {
      t.diagnostics().fail(
          position_of(element.source()),
          t.key_path(key) + " must hold strings, not " + std::string(type_name(element.type())));
      ok = false;
    }
  }
  if (ok && out.empty()) {
    t.diagnostics().fail(position_of(node->source()),
                         t.key_path(key) + " is empty: leave the key out instead");
    ok = false;
  }
  return ok;
}

// "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.1" is 192.0.2.1/32).
std::optional<CidrBlock> parse_cidr(std::string_view text, std::string& why) {
  const std::size_t slash = text.find('/');
  const auto address = NetAddress::parse(text.substr(0, slash), 0);
  if (!address) {
    why = "is not an IPv4 or IPv6 address block (\"10.0.0.0/8\", \"2001:db8::/32\")";
    return std::nullopt;
  }
  const unsigned max = address->is_ipv6() ? 128 : 32;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      why = "has no prefix length after '/'";
      return std::nullopt;
    }
    length = 0;
    for (const char c : digits) length = length * 10 + static_cast<unsigned>(c - '0');
    if (length > max) {
      why = "has a prefix length over " + std::to_string(max);
      return std::nullopt;
    }
  }
  CidrBlock block{*address, static_cast<uint8_t>(length)};
  for (unsigned bit = length; bit < max; ++bit) {
    if (block.network.ip[bit / 8] & (0x80u >> (bit % 8))) {
      why = "has address bits set past the prefix length /" + std::to_string(length);
      return std::nullopt;
    }
  }
  return block;
}

// A list of address blocks (empty allowed: `trusted_sources = []`), into `out`.
void read_cidr_list(TableReader& t, std::string_view key, std::vector<CidrBlock>& out) {
  const toml::node* node = t.find(key);
  if (node == nullptr) return;
  const auto* array = node->as_array();
  if (array == nullptr) {
    t.wrong_type(key, *node, "a list of address blocks ([\"10.0.0.0/8\", \"2001:db8::/32\"])");
    return;
  }
  for (const toml::node& element : *array) {
    const auto* string = element.as_string();
    if (string == nullptr) {
      t.diagnostics().fail(
          position_of(element.source()),
          t.key_path(key) + " must hold strings, not " + std::string(type_name(element.type())));
      continue;
    }
    std::string why;
    if (const auto block = parse_cidr(string->get(), why)) {
      out.push_back(*block);
    } else {
      t.diagnostics().fail(position_of(element.source()),
                           t.key_path(key) + " \"" + string->get() + "\" " + why);
    }
  }
}

void read_auth(TableReader& root, AuthConfig& auth, KeyPositions& positions) {
  const toml::table* table = subtable(root, "auth");
  if (table == nullptr) return;
  TableReader t(*table, "auth", "[auth]", root.diagnostics(), positions);
  t.only_keys(
      {"users_file", "realm", "algorithms", "nonce_lifetime_s", "replay_entries_per_worker"});
  t.read_string("users_file", auth.users_file);
  if (t.read_string("realm", auth.realm)) {
    // The users file separates its fields with spaces and tabs: such a realm has no users.
    const bool bad =
        auth.realm.empty() || std::any_of(auth.realm.begin(), auth.realm.end(), [](char c) {
          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"';
        });
    if (bad) {
      t.diagnostics().fail(
          position_of(t.find("realm")->source()),
          t.key_path("realm") + " \"" + auth.realm +
              "\" must be non-empty, without spaces, quotes or control characters");
    }
  }
  std::vector<StringAt> algorithms;
  if (read_string_list(t, "algorithms", algorithms)) {
    auth.algorithms.clear();
    for (const StringAt& a : algorithms) {
      if (a.value != "SHA-256" && a.value != "MD5") {
        t.diagnostics().fail(a.at, t.key_path("algorithms") + " \"" + a.value +
                                       "\" is not one of \"SHA-256\", \"MD5\"");
      } else if (std::find(auth.algorithms.begin(), auth.algorithms.end(), a.value) !=
                 auth.algorithms.end()) {
        t.diagnostics().fail(a.at, t.key_path("algorithms") + " lists \"" + a.value + "\" twice");
      } else {
        auth.algorithms.push_back(a.value);
      }
    }
  }
  t.read_uint("nonce_lifetime_s", 10, 86'400, auth.nonce_lifetime_s);
  t.read_uint("replay_entries_per_worker", 1024, 16'777'216, auth.replay_entries_per_worker);
}

// requests_per_second: an integer or a float, kept in thousandths.
constexpr int64_t kMaxFloodRate = 1'000'000;  // requests per second

void read_flood(TableReader& root, FloodConfig& flood, KeyPositions& positions) {
  const toml::table* table = subtable(root, "flood");
  if (table == nullptr) return;
  TableReader t(*table, "flood", "[flood]", root.diagnostics(), positions);
  t.only_keys({"requests_per_second", "burst", "action", "exempt", "sources_per_worker"});
  if (const toml::node* node = t.find("requests_per_second")) {
    double rate = -1;
    if (const auto* integer = node->as_integer()) {
      rate = static_cast<double>(integer->get());
    } else if (const auto* floating = node->as_floating_point()) {
      rate = floating->get();
    } else {
      t.wrong_type("requests_per_second", *node, "a number");
    }
    if (node->is_number()) {
      const double milli = rate * 1000.0;
      // NaN fails every comparison, so it lands here too.
      if (!(rate >= 0 && rate <= static_cast<double>(kMaxFloodRate)) || (rate > 0 && milli < 1.0)) {
        t.diagnostics().fail(position_of(node->source()),
                             t.key_path("requests_per_second") + " (" + literal_of(*node) +
                                 ") must be 0 (off) or between 0.001 and " +
                                 std::to_string(kMaxFloodRate));
      } else {
        flood.rate_milli_per_s = static_cast<uint32_t>(milli + 0.5);
      }
    }
  }
  const bool has_burst = t.read_uint("burst", 1, 1'000'000'000, flood.burst);
  std::size_t action = 0;  // choices in the enum's order
  if (t.read_choice("action", {"reject", "drop"}, action))
    flood.action = static_cast<FloodAction>(action);
  read_cidr_list(t, "exempt", flood.exempt);
  t.read_uint("sources_per_worker", 1024, 16'777'216, flood.sources_per_worker);
  if (!has_burst && flood.rate_milli_per_s != 0) {
    // Twice the rate, rounded up: rate_milli * 2 / 1000.
    flood.burst = std::max<uint32_t>(1, (flood.rate_milli_per_s * 2 + 999) / 1000);
  }
}

// An interface name Linux accepts (dev_valid_name): 1..15 (IFNAMSIZ - 1) characters, here of
// [A-Za-z0-9_.-], and not "." or "..". Empty when it is one, else what is wrong.
std::string_view interface_name_defect(std::string_view name) {
  if (name.empty() || name.size() > 15) return "must be 1..15 characters long";
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return "may hold only letters, digits, '_', '.' and '-'";
  }
  if (name == "." || name == "..") return "may not be \".\" or \"..\"";
  return {};
}

// [dpdk] gateways: IP addresses, at most one of each family. Each is recorded as
// "dpdk.gateways[i]" for the check against networks (config_validation).
void read_gateways(TableReader& t, std::vector<NetAddress>& out, KeyPositions& positions) {
  const toml::node* node = t.find("gateways");
  if (node == nullptr) return;
  const auto* array = node->as_array();
  if (array == nullptr) {
    t.wrong_type("gateways", *node, "a list of IP addresses ([\"10.0.0.1\", \"2001:db8::1\"])");
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const Position at = position_of(element.source());
    positions.record(t.key_path("gateways") + "[" + std::to_string(i) + "]", at);
    const auto* string = element.as_string();
    if (string == nullptr) {
      t.diagnostics().fail(at, t.key_path("gateways") + " must hold strings, not " +
                                   std::string(type_name(element.type())));
      continue;
    }
    const auto address = NetAddress::parse(string->get(), 0);
    if (!address) {
      t.diagnostics().fail(at, t.key_path("gateways") + " \"" + string->get() +
                                   "\" is not an IPv4 or IPv6 address (host names are not "
                                   "resolved)");
      continue;
    }
    const auto same_family = std::find_if(
        out.begin(), out.end(), [&](const NetAddress& g) { return g.family == address->family; });
    if (same_family != out.end()) {
      t.diagnostics().fail(at, t.key_path("gateways") + " \"" + string->get() + "\" is a second " +
                                   (address->is_ipv6() ? "IPv6" : "IPv4") + " gateway (after " +
                                   same_family->ip_string() +
                                   "): at most one IPv4 and one IPv6 gateway");
      continue;
    }
    out.push_back(*address);
  }
}

void read_dpdk(TableReader& root, DpdkConfig& dpdk, KeyPositions& positions) {
  const toml::table* table = subtable(root, "dpdk");
  if (table == nullptr) return;
  TableReader t(*table, "dpdk", "[dpdk]", root.diagnostics(), positions);
  t.only_keys({"eal", "port", "exception_tap", "networks", "gateways", "mtu", "vlan",
               "mbufs_per_worker", "queue_size", "burst", "reassembly_flows",
               "reassembly_timeout_ms", "neighbor_hold_ms", "neighbor_reachable_ms",
               "idle_sleep_us", "verify_udp_checksums"});
  if (const toml::node* node = t.find("eal")) {
    if (const auto* array = node->as_array()) {
      for (const toml::node& element : *array) {
        if (const auto* string = element.as_string()) {
          dpdk.eal.push_back(string->get());
        } else {
          t.diagnostics().fail(position_of(element.source()),
                               t.key_path("eal") + " must hold strings, not " +
                                   std::string(type_name(element.type())));
        }
      }
    } else {
      t.wrong_type("eal", *node, "a list of strings (EAL arguments: [\"-l\", \"2-3\"])");
    }
  }
  if (t.read_string("port", dpdk.port) && dpdk.port.empty()) {
    t.diagnostics().fail(position_of(t.find("port")->source()),
                         t.key_path("port") +
                             " must not be empty: a PCI address (\"0000:03:00.0\") or a "
                             "virtual device (\"net_af_packet0,iface=veth1\")");
  }
  if (t.read_string("exception_tap", dpdk.exception_tap) && !dpdk.exception_tap.empty()) {
    if (const std::string_view defect = interface_name_defect(dpdk.exception_tap);
        !defect.empty()) {
      t.diagnostics().fail(position_of(t.find("exception_tap")->source()),
                           t.key_path("exception_tap") + " \"" + dpdk.exception_tap +
                               "\" is not an interface name: it " + std::string(defect));
    }
  }
  read_cidr_list(t, "networks", dpdk.networks);
  read_gateways(t, dpdk.gateways, positions);
  t.read_uint("mtu", 576, 9216, dpdk.mtu);
  t.read_uint("vlan", 0, 4094, dpdk.vlan);
  t.read_uint("mbufs_per_worker", 1023, 1'048'575, dpdk.mbufs_per_worker);
  t.read_uint("queue_size", 64, 16'384, dpdk.queue_size);
  t.read_uint("burst", 1, 512, dpdk.burst);
  t.read_uint("reassembly_flows", 16, 1'048'576, dpdk.reassembly_flows);
  t.read_uint("reassembly_timeout_ms", 100, 60'000, dpdk.reassembly_timeout_ms);
  t.read_uint("neighbor_hold_ms", 10, 60'000, dpdk.neighbor_hold_ms);
  t.read_uint("neighbor_reachable_ms", 1000, 3'600'000, dpdk.neighbor_reachable_ms);
  t.read_uint("idle_sleep_us", 0, 100'000, dpdk.idle_sleep_us);
  t.read_bool("verify_udp_checksums", dpdk.verify_udp_checksums);
}

// Why Hyperscan refuses `regex` as a rule pattern, or empty when it accepts it. The regex must
// compile alone (so its parentheses balance and it cannot escape the field wrapper) and
// wrapped as the policy compiles it.
std::string regex_defect(std::string_view regex) {
  if (!regex.empty() && regex.front() == '^' && policy::has_top_level_alternation(regex))
    return "a leading '^' with a top-level '|' is not supported; group the alternatives: "
           "^(?:a|b)";
#ifdef SIPWIRE_HAVE_HYPERSCAN
  const std::string alone(regex);
  const std::string wrapped = policy::field_expression(0, PatternKind::kRegex, regex);
  for (const std::string* expression : {&alone, &wrapped}) {
    hs_database_t* db = nullptr;
    hs_compile_error_t* error = nullptr;
    const unsigned flags =
        HS_FLAG_MULTILINE | HS_FLAG_SINGLEMATCH | (expression == &alone ? HS_FLAG_ALLOWEMPTY : 0u);
    if (hs_compile(expression->c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &error) != HS_SUCCESS) {
      std::string why =
          error != nullptr && error->message != nullptr ? error->message : "hs_compile failed";
      hs_free_compile_error(error);
      if (why.find("start anchor") != std::string::npos)
        why += " (in a rule regex '^' may only be its first character)";
      return why;
    }
    hs_free_database(db);
  }
  return {};
#else
  (void)regex;
  return "this build has no Hyperscan, which rule regexes need";
#endif
}

// Header fields a rule may not add or remove: the ones the proxy itself routes, counts or
// rewrites (RFC 3261 §16.6), whose loss or duplication would break the message.
bool is_protected_header(std::string_view name) {
  switch (classify_header_name(name)) {
    case HeaderId::kVia:
    case HeaderId::kFrom:
    case HeaderId::kTo:
    case HeaderId::kCallId:
    case HeaderId::kCSeq:
    case HeaderId::kMaxForwards:
    case HeaderId::kContentLength:
    case HeaderId::kContentType:
    case HeaderId::kRoute:
    case HeaderId::kRecordRoute:
    case HeaderId::kContact:
      return true;
    default:
      return false;
  }
}

void read_rule_patterns(TableReader& t, RuleConfig& rule) {
  struct Key {
    std::string_view name;
    RuleField field;
    PatternKind kind;
  };
  static constexpr Key kKeys[] = {
      {"ruri_scheme", RuleField::kRuriScheme, PatternKind::kExact},
      {"ruri_user", RuleField::kRuriUser, PatternKind::kExact},
      {"ruri_user_prefix", RuleField::kRuriUser, PatternKind::kPrefix},
      {"ruri_user_regex", RuleField::kRuriUser, PatternKind::kRegex},
      {"ruri_host", RuleField::kRuriHost, PatternKind::kExact},
      {"ruri_host_prefix", RuleField::kRuriHost, PatternKind::kPrefix},
      {"ruri_host_regex", RuleField::kRuriHost, PatternKind::kRegex},
      {"from_uri", RuleField::kFromUri, PatternKind::kExact},
      {"from_uri_prefix", RuleField::kFromUri, PatternKind::kPrefix},
      {"from_uri_regex", RuleField::kFromUri, PatternKind::kRegex},
      {"to_uri", RuleField::kToUri, PatternKind::kExact},
      {"to_uri_prefix", RuleField::kToUri, PatternKind::kPrefix},
      {"to_uri_regex", RuleField::kToUri, PatternKind::kRegex},
      {"header_regex", RuleField::kHeader, PatternKind::kRegex},
  };
  for (const Key& key : kKeys) {
    RulePattern pattern{key.field, key.kind, {}, 0, 0};
    if (!t.read_string(key.name, pattern.text)) continue;
    const Position at = position_of(t.find(key.name)->source());
    pattern.line = at.line;
    pattern.column = at.column;
    if (pattern.text.find_first_of(std::string_view("\r\n\x01", 3)) != std::string::npos &&
        key.kind != PatternKind::kRegex) {
      t.diagnostics().fail(at, t.key_path(key.name) + " must not contain control characters");
      continue;
    }
    if (key.kind == PatternKind::kRegex) {
      if (const std::string why = regex_defect(pattern.text); !why.empty()) {
        t.diagnostics().fail(at, t.key_path(key.name) + " \"" + pattern.text +
                                     "\" is not a regular expression Hyperscan accepts: " + why);
        continue;
      }
    }
    rule.patterns.push_back(std::move(pattern));
  }
  const bool has_header = t.read_string("header", rule.header);
  const bool has_regex = t.find("header_regex") != nullptr;
  if (has_header && !is_token(rule.header)) {
    t.diagnostics().fail(position_of(t.find("header")->source()),
                         t.key_path("header") + " \"" + rule.header + "\" is not a header name");
  }
  if (has_header != has_regex) {
    t.diagnostics().fail(t.position(), t.key_path(has_header ? "header" : "header_regex") +
                                           " needs " +
                                           t.key_path(has_header ? "header_regex" : "header") +
                                           " too: the regex matches the named header's value");
  }
}

void read_rule_matches(TableReader& t, RuleConfig& rule) {
  std::vector<StringAt> list;
  if (read_string_list(t, "method", list)) {
    for (const StringAt& method : list) {
      if (!is_token(method.value)) {
        t.diagnostics().fail(
            method.at, t.key_path("method") + " \"" + method.value + "\" is not a method name");
      }
      rule.methods.push_back(method.value);
    }
  }
  read_rule_patterns(t, rule);
  list.clear();
  if (read_string_list(t, "source", list)) {
    for (const StringAt& source : list) {
      std::string why;
      if (const auto block = parse_cidr(source.value, why)) {
        rule.sources.push_back(*block);
      } else {
        t.diagnostics().fail(source.at, t.key_path("source") + " \"" + source.value + "\" " + why);
      }
    }
  }
  std::size_t transport = 0;  // choices in the enum's order
  if (t.read_choice("transport", {"udp", "tcp", "tls"}, transport))
    rule.transport = static_cast<Transport>(transport);
  bool authenticated = false;
  if (t.read_bool("authenticated", authenticated)) rule.authenticated = authenticated;
}

// Reports `key` when given to an action that does not take it.
void not_for_action(TableReader& t, std::string_view key, std::string_view action,
                    std::string_view which) {
  if (const toml::node* node = t.find(key)) {
    t.diagnostics().fail(position_of(node->source()),
                         t.key_path(key) + " does not apply to action \"" + std::string(action) +
                             "\" (only to " + std::string(which) + ")");
  }
}

void read_rule_action(TableReader& t, RuleConfig& rule) {
  static constexpr std::string_view kActions[] = {"register", "lookup",    "forward", "redirect",
                                                  "reject",   "challenge", "reply"};
  t.require("action");
  std::size_t index = 0;
  if (!t.read_choice("action",
                     {"register", "lookup", "forward", "redirect", "reject", "challenge", "reply"},
                     index))
    return;
  rule.action = static_cast<RuleAction>(index);
  const std::string_view action = kActions[index];
  const RuleAction a = rule.action;

  // code: its range by action, required where the action has no sensible default.
  const bool takes_code =
      a == RuleAction::kReject || a == RuleAction::kReply || a == RuleAction::kRedirect;
  if (!takes_code) {
    not_for_action(t, "code", action, "reject, reply and redirect");
    not_for_action(t, "reason", action, "reject and reply");
  } else {
    const int64_t min = a == RuleAction::kReject ? 400 : a == RuleAction::kReply ? 200 : 300;
    const int64_t max = a == RuleAction::kRedirect ? 399 : 699;
    uint32_t code = a == RuleAction::kRedirect ? 302 : 0;
    if (a != RuleAction::kRedirect) t.require("code");
    if (t.read_uint("code", min, max, code)) rule.code = static_cast<uint16_t>(code);
    if (a == RuleAction::kRedirect) {
      rule.code = static_cast<uint16_t>(code);
      not_for_action(t, "reason", action, "reject and reply");
    } else if (t.read_string("reason", rule.reason)) {
      for (const char c : rule.reason) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
          t.diagnostics().fail(position_of(t.find("reason")->source()),
                               t.key_path("reason") + " must not contain control characters");
          break;
        }
      }
    }
  }

  if (a == RuleAction::kForward) {
    t.require("destination");
    if (t.read_string("destination", rule.destination) && !is_token(rule.destination)) {
      t.diagnostics().fail(position_of(t.find("destination")->source()),
                           t.key_path("destination") + " \"" + rule.destination +
                               "\" is not a destination set name (letters, digits, -._)");
    }
  } else {
    not_for_action(t, "destination", action, "forward");
  }

  if (a == RuleAction::kRedirect) {
    t.require("contacts");
    std::vector<StringAt> contacts;
    if (read_string_list(t, "contacts", contacts)) {
      for (const StringAt& contact : contacts) {
        Uri uri;
        if (parse_uri(contact.value, uri) || uri.kind == UriScheme::kOther) {
          t.diagnostics().fail(contact.at, t.key_path("contacts") + " \"" + contact.value +
                                               "\" is not a sip:, sips: or tel: URI");
        }
        rule.contacts.push_back(contact.value);
      }
    }
  } else {
    not_for_action(t, "contacts", action, "redirect");
  }

  if (a == RuleAction::kChallenge) {
    t.read_string("realm", rule.realm);
  } else {
    not_for_action(t, "realm", action, "challenge");
  }

  // Header edits: only on requests the proxy forwards.
  if (a != RuleAction::kLookup && a != RuleAction::kForward) {
    for (std::string_view key : {"add_header", "remove_header", "set_ruri_user", "set_ruri_host"})
      not_for_action(t, key, action, "lookup and forward");
    return;
  }
  std::vector<StringAt> list;
  if (read_string_list(t, "add_header", list)) {
    for (const StringAt& line : list) {
      const std::size_t colon = line.value.find(':');
      std::string_view name = std::string_view(line.value).substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      const bool control =
          line.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
      if (colon == std::string::npos || !is_token(name) || control) {
        t.diagnostics().fail(line.at, t.key_path("add_header") + " \"" + line.value +
                                          "\" is not a header line (\"Name: value\")");
      } else if (is_protected_header(name)) {
        t.diagnostics().fail(line.at, t.key_path("add_header") + " \"" + line.value +
                                          "\": a rule may not add " + std::string(name) +
                                          " (the proxy manages it)");
      }
      rule.add_headers.push_back(line.value);
    }
  }
  list.clear();
  if (read_string_list(t, "remove_header", list)) {
    for (const StringAt& name : list) {
      if (!is_token(name.value)) {
        t.diagnostics().fail(
            name.at, t.key_path("remove_header") + " \"" + name.value + "\" is not a header name");
      } else if (is_protected_header(name.value)) {
        t.diagnostics().fail(name.at, t.key_path("remove_header") + ": a rule may not remove " +
                                          name.value + " (the proxy manages it)");
      }
      rule.remove_headers.push_back(name.value);
    }
  }
  std::string user;
  if (t.read_string("set_ruri_user", user)) {
    // RFC 3261 §25.1 user: unreserved, escaped, and user-unreserved characters.
    const bool ok = !user.empty() && std::all_of(user.begin(), user.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("-_.!~*'()%&=+$,;?/").find(c) != std::string_view::npos;
    });
    if (!ok) {
      t.diagnostics().fail(
          position_of(t.find("set_ruri_user")->source()),
          t.key_path("set_ruri_user") + " \"" + user + "\" is not a SIP URI user part");
    }
    rule.set_ruri_user = user;
  }
  std::string host;
  if (t.read_string("set_ruri_host", host)) {
    if (classify_host(host) == HostKind::kNone) {
      t.diagnostics().fail(
          position_of(t.find("set_ruri_host")->source()),
          t.key_path("set_ruri_host") + " \"" + host + "\" is not a host name or IP address");
    }
    rule.set_ruri_host = host;
  }
}

void read_rules(TableReader& root, Config& config, KeyPositions& positions) {
  const std::vector<const toml::table*> tables = array_of_tables(root, "rule");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    TableReader t(*tables[i], "rule[" + std::to_string(i) + "]", "[[rule]]", root.diagnostics(),
                  positions);
    t.only_keys({"name",
                 "method",
                 "ruri_scheme",
                 "ruri_user",
                 "ruri_user_prefix",
                 "ruri_user_regex",
                 "ruri_host",
                 "ruri_host_prefix",
                 "ruri_host_regex",
                 "from_uri",
                 "from_uri_prefix",
                 "from_uri_regex",
                 "to_uri",
                 "to_uri_prefix",
                 "to_uri_regex",
                 "header",
                 "header_regex",
                 "source",
                 "transport",
                 "authenticated",
                 "action",
                 "code",
                 "reason",
                 "destination",
                 "contacts",
                 "realm",
                 "add_header",
                 "remove_header",
                 "set_ruri_user",
                 "set_ruri_host"});
    RuleConfig rule;
    rule.line = t.position().line;
    rule.column = t.position().column;
    t.require("name");
    if (t.read_string("name", rule.name)) {
      const Position at = position_of(t.find("name")->source());
      if (rule.name.empty()) t.diagnostics().fail(at, t.key_path("name") + " must not be empty");
      for (std::size_t j = 0; j < config.rules.size(); ++j) {
        if (config.rules[j].name != rule.name) continue;
        t.diagnostics().fail(at, t.key_path("name") + " \"" + rule.name + "\" repeats rule[" +
                                     std::to_string(j) + "].name (line " +
                                     std::to_string(config.rules[j].line) + ")");
        break;
      }
    }
    read_rule_matches(t, rule);
    read_rule_action(t, rule);
    config.rules.push_back(std::move(rule));
  }
}

}  // namespace

std::string_view transport_name(Transport transport) {
  switch (transport) {
    case Transport::kUdp:
      return "udp";
    case Transport::kTcp:
      return "tcp";
    case Transport::kTls:
      return "tls";
  }
  return "?";
}

void read_config(const toml::table& root_table, Config& config, Diagnostics& diag,
                 KeyPositions& positions) {
  TableReader root(root_table, "", "", diag, positions);
  root.only_keys({"mode", "workers", "io", "record_route", "nat_alias", "route_secret", "domains",
                  "trusted_sources", "listen", "registrar", "timers", "limits", "auth", "flood",
                  "dpdk", "route", "destination", "rule"});

  std::size_t mode = 0;  // choices in ProxyMode's order, so the index is the value
  if (root.read_choice("mode", {"stateful", "stateless", "redirect"}, mode))
    config.mode = static_cast<ProxyMode>(mode);
  std::size_t io = 0;  // choices in IoBackend's order
  if (root.read_choice("io", {"socket", "dpdk"}, io)) config.io = static_cast<IoBackend>(io);
  root.read_bool("record_route", config.record_route);
  root.read_bool("nat_alias", config.nat_alias);
  if (root.read_string("route_secret", config.route_secret) &&
      config.route_secret.size() < kMinRouteSecret) {
    root.diagnostics().fail(position_of(root.find("route_secret")->source()),
                            "route_secret must be at least " + std::to_string(kMinRouteSecret) +
                                " characters (it is " + std::to_string(config.route_secret.size()) +
                                "): a short secret can be guessed, and with it our Route forged");
  }
  uint32_t workers = config.workers;
  root.read_uint("workers", 0, kMaxWorkers, workers);
  config.workers = workers;

  read_domains(root, config, positions);
  read_listen(root, config, positions);
  read_registrar(root, config.registrar, positions);
  read_timers(root, config.timers, positions);
  read_limits(root, config.limits, positions);
  read_cidr_list(root, "trusted_sources", config.trusted_sources);
  read_auth(root, config.auth, positions);
  read_flood(root, config.flood, positions);
  read_dpdk(root, config.dpdk, positions);
  read_routes(root, config, positions);
  read_destinations(root, config, positions);
  read_rules(root, config, positions);
}

}  // namespace sipwire::config_internal
