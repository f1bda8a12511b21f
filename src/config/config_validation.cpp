#include "config_validation.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "config_schema.h"

namespace sipwire::config_internal {

namespace {

std::string line_note(const KeyPositions& positions, const std::string& path) {
  const auto at = positions.find(path);
  return at ? " (line " + std::to_string(at->line) + ")" : "";
}

// Checks `lower_path` (value `lower`) <= `upper_path` (value `upper`). The error sits on
// whichever of the two the file gave, the first if both: a value left at its default is not
// where the operator can look.
void check_order(const KeyPositions& positions, Diagnostics& diag, const std::string& lower_path,
                 uint32_t lower, const std::string& upper_path, uint32_t upper) {
  if (lower <= upper) return;
  const auto lower_at = positions.find(lower_path);
  const auto upper_at = positions.find(upper_path);
  auto describe = [](const std::string& path, uint32_t value, bool given) {
    return path + " (" + std::to_string(value) + (given ? ")" : ", the default)");
  };
  diag.fail(lower_at ? *lower_at : upper_at.value_or(Position{}),
            describe(lower_path, lower, lower_at.has_value()) + " is greater than " +
                describe(upper_path, upper, upper_at.has_value()));
}

void check_listen(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  if (config.listen.empty()) {
    // An empty `listen = []` has a place in the file; a missing [[listen]] has none.
    diag.fail(positions.find("listen").value_or(Position{}),
              "no [[listen]] table: sipwire needs at least one address to listen on");
    return;
  }
  for (std::size_t i = 0; i < config.listen.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.listen[i].address != config.listen[j].address ||
          config.listen[i].transport != config.listen[j].transport)
        continue;
      const std::string path = "listen[" + std::to_string(i) + "]";
      const std::string earlier = "listen[" + std::to_string(j) + "]";
      diag.fail(positions.find(path).value_or(Position{}),
                path + " (" + config.listen[i].address.to_string() + " " +
                    std::string(transport_name(config.listen[i].transport)) + ") repeats " +
                    earlier + line_note(positions, earlier));
      break;
    }
  }
}

void check_domains(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  for (std::size_t i = 0; i < config.domains.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.domains[i] != config.domains[j]) continue;
      const std::string path = "domains[" + std::to_string(i) + "]";
      const std::string earlier = "domains[" + std::to_string(j) + "]";
      diag.fail(positions.find(path).value_or(Position{}),
                path + " \"" + config.domains[i] + "\" repeats " + earlier);
      break;
    }
  }
}

// Two routes for one domain would leave the choice between them to file order; an operator
// wanting failover needs a destination set, not a second route.
void check_routes(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.routes[i].domain != config.routes[j].domain) continue;
      const std::string path = "route[" + std::to_string(i) + "].domain";
      const std::string earlier = "route[" + std::to_string(j) + "].domain";
      diag.fail(positions.find(path).value_or(Position{}), path + " \"" + config.routes[i].domain +
                                                               "\" repeats " + earlier +
                                                               line_note(positions, earlier));
      break;
    }
  }
}

// Destination names are unique, and every route's destination names one.
void check_destinations(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  for (std::size_t i = 0; i < config.destinations.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.destinations[i].name != config.destinations[j].name) continue;
      const std::string path = "destination[" + std::to_string(i) + "].name";
      const std::string earlier = "destination[" + std::to_string(j) + "].name";
      diag.fail(positions.find(path).value_or(Position{}),
                path + " \"" + config.destinations[i].name + "\" repeats " + earlier +
                    line_note(positions, earlier));
      break;
    }
  }
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const std::string& name = config.routes[i].destination;
    if (name.empty()) continue;
    bool found = false;
    for (const DestinationConfig& d : config.destinations) found |= d.name == name;
    if (found) continue;
    const std::string path = "route[" + std::to_string(i) + "].destination";
    diag.fail(positions.find(path).value_or(Position{}),
              path + " \"" + name + "\" names no [[destination]]");
  }
}

bool in_block(const NetAddress& address, const CidrBlock& block) {
  if (address.family != block.network.family) return false;
  const unsigned full = block.prefix_length / 8;
  for (unsigned i = 0; i < full; ++i)
    if (address.ip[i] != block.network.ip[i]) return false;
  const unsigned rest = block.prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xffu << (8 - rest));
  return (address.ip[full] & mask) == (block.network.ip[full] & mask);
}

// [dpdk], whatever `io` says: each gateway is on one of the networks (when any are given).
// With io = "dpdk": a port, and specific listen addresses (the DPDK data plane answers ARP and
// neighbour solicitations for exactly the addresses it owns; it has no "every address").
void check_dpdk(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  const DpdkConfig& dpdk = config.dpdk;
  if (!dpdk.networks.empty()) {
    for (std::size_t i = 0; i < dpdk.gateways.size(); ++i) {
      const NetAddress& gateway = dpdk.gateways[i];
      const bool on_link = std::any_of(dpdk.networks.begin(), dpdk.networks.end(),
                                       [&](const CidrBlock& b) { return in_block(gateway, b); });
      if (on_link) continue;
      const std::string path = "dpdk.gateways[" + std::to_string(i) + "]";
      diag.fail(positions.find(path).value_or(Position{}),
                "dpdk.gateways \"" + gateway.ip_string() + "\" is in none of dpdk.networks" +
                    line_note(positions, "dpdk.networks") + ": a gateway must be on-link");
    }
  }
  if (config.io != IoBackend::kDpdk) return;
  if (dpdk.port.empty()) {
    // Where the port belongs: the [dpdk] table when there is one, else the io key.
    const auto at = positions.find("dpdk");
    diag.fail(at ? *at : positions.find("io").value_or(Position{}),
              "io = \"dpdk\" needs [dpdk] port: a PCI address (\"0000:03:00.0\") or a virtual "
              "device (\"net_af_packet0,iface=veth1\")");
  }
  for (std::size_t i = 0; i < config.listen.size(); ++i) {
    const NetAddress& address = config.listen[i].address;
    if (!address.is_unspecified()) continue;
    const std::string path = "listen[" + std::to_string(i) + "]";
    diag.fail(positions.find(path).value_or(Position{}),
              path + ".address \"" + address.ip_string() + "\" is a wildcard, but io = \"dpdk\"" +
                  line_note(positions, "io") +
                  ": the DPDK data plane owns specific addresses; listen on the port's own "
                  "address");
  }
}

}  // namespace

void validate_config(const Config& config, const KeyPositions& positions, Diagnostics& diag) {
  check_listen(config, positions, diag);
  check_domains(config, positions, diag);
  check_routes(config, positions, diag);
  check_destinations(config, positions, diag);
  check_dpdk(config, positions, diag);
  const RegistrarConfig& r = config.registrar;
  check_order(positions, diag, "registrar.min_expires", r.min_expires, "registrar.default_expires",
              r.default_expires);
  check_order(positions, diag, "registrar.default_expires", r.default_expires,
              "registrar.max_expires", r.max_expires);
  // min <= max follows from the two checks above.
  check_order(positions, diag, "timers.t1_ms", config.timers.t1_ms, "timers.t2_ms",
              config.timers.t2_ms);
}

}  // namespace sipwire::config_internal
