#include "config_schema.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "hostname.h"
#include "table_reader.h"

namespace sipwire::config_internal {

namespace {

constexpr int64_t kUint32Max = std::numeric_limits<uint32_t>::max();
// Timers are capped at an hour: larger values are typos, and the engine multiplies T1 by 64
// (timers B, F, H) in 32-bit milliseconds, which an hour keeps far from overflow.
constexpr int64_t kMaxTimerMs = 3'600'000;
// Worker shards: far beyond any CPU count sipwire is deployed on, small enough for per-shard
// tables sized by it.
constexpr int64_t kMaxWorkers = 256;

const toml::table* subtable(TableReader& parent, std::string_view key) {
  const toml::node* node = parent.find(key);
  if (node == nullptr) return nullptr;
  if (const auto* table = node->as_table()) return table;
  parent.wrong_type(key, *node, "a table ([" + parent.key_path(key) + "])");
  return nullptr;
}

// The tables of a [[key]] array; an empty list when absent or wrong (wrong is reported).
std::vector<const toml::table*> array_of_tables(TableReader& parent, std::string_view key) {
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
  for (const toml::node& element : *array) {
    if (const auto* table = element.as_table()) {
      tables.push_back(table);
    } else {
      parent.diagnostics().fail(position_of(element.source()),
                                path + " must be a list of tables ([[" + path + "]]), not hold " +
                                    std::string(type_name(element.type())));
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

void read_listen(TableReader& root, Config& config, KeyPositions& positions) {
  const std::vector<const toml::table*> tables = array_of_tables(root, "listen");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    TableReader t(*tables[i], "listen[" + std::to_string(i) + "]", "[[listen]]", root.diagnostics(),
                  positions);
    t.only_keys({"address", "port", "transport"});
    t.require("address");
    std::string address;
    uint32_t port = 5060;
    const bool have_address = t.read_string("address", address);
    t.read_uint("port", 1, 65535, port);
    ListenConfig listen;
    listen.transport = read_transport(t);
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
    t.only_keys({"domain", "next_hop", "transport"});
    t.require("domain");
    t.require("next_hop");
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
    if (t.read_string("next_hop", next_hop)) {
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
    route.transport = read_transport(t);
    config.routes.push_back(std::move(route));
  }
}

void read_registrar(TableReader& root, RegistrarConfig& registrar, KeyPositions& positions) {
  const toml::table* table = subtable(root, "registrar");
  if (table == nullptr) return;
  TableReader t(*table, "registrar", "[registrar]", root.diagnostics(), positions);
  t.only_keys({"min_expires", "max_expires", "default_expires", "max_contacts_per_aor",
               "reject_foreign_domains"});
  // Expires values are delta-seconds, which RFC 3261 §20.19 allows up to 2^32-1.
  t.read_uint("min_expires", 1, kUint32Max, registrar.min_expires);
  t.read_uint("max_expires", 1, kUint32Max, registrar.max_expires);
  t.read_uint("default_expires", 1, kUint32Max, registrar.default_expires);
  t.read_uint("max_contacts_per_aor", 1, 1000, registrar.max_contacts_per_aor);
  t.read_bool("reject_foreign_domains", registrar.reject_foreign_domains);
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
  root.only_keys({"mode", "workers", "record_route", "domains", "listen", "registrar", "timers",
                  "limits", "route"});

  std::size_t mode = 0;  // choices in ProxyMode's order, so the index is the value
  if (root.read_choice("mode", {"stateful", "stateless", "redirect"}, mode))
    config.mode = static_cast<ProxyMode>(mode);
  root.read_bool("record_route", config.record_route);
  uint32_t workers = config.workers;
  root.read_uint("workers", 0, kMaxWorkers, workers);
  config.workers = workers;

  read_domains(root, config, positions);
  read_listen(root, config, positions);
  read_registrar(root, config.registrar, positions);
  read_timers(root, config.timers, positions);
  read_limits(root, config.limits, positions);
  read_routes(root, config, positions);
}

}  // namespace sipwire::config_internal
