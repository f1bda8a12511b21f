#include "dataplane/config_mapping.h"

#include "dataplane/source_address.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace sipwire::dataplane {

EngineSettings engine_settings(const Config& c, const NetAddress& local) {
  EngineSettings s;
  s.mode = c.mode;
  s.local = local;
  s.domains = c.domains;
  s.reject_foreign_domains = c.registrar.reject_foreign_domains;
  // Destination sets are shared by the shards: one health state per hop, probed by shard 0.
  for (const DestinationConfig& d : c.destinations) {
    std::vector<DestinationHop> hops;
    for (const DestinationHopConfig& h : d.hops) hops.push_back({h.address, h.weight, h.priority});
    s.destinations.push_back(std::make_shared<DestinationSet>(
        d.name,
        parse_destination_algorithm(d.algorithm).value_or(DestinationAlgorithm::kRoundRobin),
        std::move(hops), HealthSettings{d.probe_interval_ms, d.down_after, d.up_after}));
  }
  for (const StaticRoute& r : c.routes) {
    int set = -1;
    for (std::size_t i = 0; i < c.destinations.size(); ++i)
      if (c.destinations[i].name == r.destination) set = static_cast<int>(i);
    s.routes.push_back({r.domain, r.next_hop, set});
  }
  s.registrar.min_expires = c.registrar.min_expires;
  s.registrar.max_expires = c.registrar.max_expires;
  s.registrar.default_expires = c.registrar.default_expires;
  s.registrar.max_contacts = c.registrar.max_contacts_per_aor;
  s.registrar.private_contacts_at_source = c.registrar.private_contacts_at_source;
  s.registrar.nat_max_expires = c.registrar.nat_max_expires;
  s.max_message_size = c.limits.max_message_size;
  s.record_route = c.record_route;
  s.nat_alias = c.nat_alias;
  // One key for every shard (a dialog's requests may reach any): the operator's, or drawn now.
  s.route_key = c.route_secret.empty() ? RouteKey::random() : RouteKey::from_secret(c.route_secret);
  s.transactions.capacity = c.limits.max_transactions_per_worker;
  // Each shard's transaction index draws its own hash seed: the fixed default would let
  // anyone who reads the source aim branches at one bucket.
  s.transactions.hash_seed = 0;
  s.transactions.timers.t1_ms = c.timers.t1_ms;
  s.transactions.timers.t2_ms = c.timers.t2_ms;
  s.transactions.timers.t4_ms = c.timers.t4_ms;
  s.transactions.timers.timer_c_ms = c.timers.timer_c_ms;
  // Timer D: "at least 32 seconds" (§17.1.1.2); 64*T1 when T1 is set longer.
  s.transactions.timers.timer_d_ms = std::max<uint32_t>(32000, 64 * c.timers.t1_ms);
  s.message_store_bytes = std::size_t{c.limits.message_store_mb} << 20;
  // Flood protection: per-source token buckets on each shard.
  s.flood.enabled = c.flood.enabled();
  s.flood.drop = c.flood.action == FloodAction::kDrop;
  s.flood.limits.rate_milli_per_s = c.flood.rate_milli_per_s;
  s.flood.limits.burst = c.flood.burst == 0 ? 1 : c.flood.burst;
  s.flood.limits.capacity = c.flood.sources_per_worker;
  for (const CidrBlock& b : c.flood.exempt) {
    Cidr cidr;
    cidr.family = b.network.family;
    cidr.prefix_bits = b.prefix_length;
    cidr.ip = b.network.ip;
    s.flood.limits.exempt.push_back(cidr);
  }
  return s;
}

AdvertisedName advertised_name(const Config& config, const NetAddress& bound, std::string& note) {
  note.clear();
  if (!bound.valid()) return {};
  for (const ListenConfig& l : config.listen)
    if (l.address == bound && !l.advertise.empty()) return {l.advertise, l.advertise_port};
  if (!bound.is_unspecified()) return {};
  if (const auto source = default_source_address(bound.family)) {
    note = bound.to_string() + " is named " + source->ip_string() +
           " in Via and Record-Route: the address this host sends from (set [[listen]] "
           "advertise to name another)";
    return {source->ip_string(), 0};
  }
  const std::string loopback = bound.is_ipv6() ? "::1" : "127.0.0.1";
  note = bound.to_string() + " is named " + loopback +
         " in Via and Record-Route: this host has no default route to find its address by; "
         "set [[listen]] advertise";
  return {loopback, 0};
}

void add_interface_domains(Config& config) {
  std::vector<std::string> hosts;
  for (const ListenConfig& l : config.listen)
    if (l.address.is_unspecified())
      for (const NetAddress& ip : interface_addresses(l.address.family))
        hosts.push_back(ip.ip_string());
  for (std::string& host : hosts)
    if (std::find(config.domains.begin(), config.domains.end(), host) == config.domains.end())
      config.domains.push_back(std::move(host));
}

bool needs_shard_affinity(const Config& config) {
  bool probed = false;
  for (const DestinationConfig& d : config.destinations) probed |= d.probe_interval_ms != 0;
  return (config.mode == ProxyMode::kStateful || probed) && config.workers > 1;
}

std::vector<std::string> changes_needing_restart(const Config& running, const Config& next) {
  std::vector<std::string> changed;
  auto check = [&changed](bool same, const char* name) {
    if (!same) changed.emplace_back(name);
  };
  check(running.mode == next.mode, "mode");
  check(running.io == next.io, "io");
  check(running.record_route == next.record_route, "record_route");
  check(running.nat_alias == next.nat_alias, "nat_alias");
  check(running.workers == next.workers, "workers");
  check(running.domains == next.domains, "domains");
  check(running.listen == next.listen, "[[listen]]");
  check(running.registrar == next.registrar, "[registrar]");
  check(running.timers == next.timers, "[timers]");
  check(running.limits == next.limits, "[limits]");
  check(running.flood == next.flood, "[flood]");
  check(running.dpdk == next.dpdk, "[dpdk]");
  check(running.routes == next.routes, "[[route]]");
  check(running.destinations == next.destinations, "[[destination]]");
  return changed;
}

std::size_t location_buckets(const Config& config) {
  return config.registrar.expected_aors;  // the table rounds it up to a power of two
}

SocketBackendOptions socket_backend_options(const Config& config) {
  SocketBackendOptions options;
  for (const ListenConfig& l : config.listen) options.listen.push_back(l.address);
  options.workers = config.workers;
  // One byte more than the engine accepts: a longer datagram, cut to that, is still too large
  // for the engine, which answers it 513. (65535 at most: no UDP datagram is longer.)
  options.max_datagram = std::min<std::size_t>(config.limits.max_message_size + 1, 65535);
  options.shard_affinity = needs_shard_affinity(config);
  return options;
}

std::optional<DpdkBackendOptions> dpdk_backend_options(const Config& config,
                                                       std::span<const std::string> extra_eal,
                                                       std::string& error) {
  if (config.dpdk.port.empty()) {
    error = "--io dpdk needs [dpdk] port in " + config.source;
    return std::nullopt;
  }
  DpdkBackendOptions options;
  for (const ListenConfig& l : config.listen) {
    // The data plane answers ARP and neighbour discovery for its addresses itself.
    if (l.address.ip == NetAddress{}.ip) {
      error = "the dpdk backend needs specific listen addresses, not " + l.address.to_string();
      return std::nullopt;
    }
    options.listen.push_back(l.address);
  }
  options.eal = config.dpdk.eal;
  options.eal.insert(options.eal.end(), extra_eal.begin(), extra_eal.end());
  options.port = config.dpdk.port;
  options.exception_tap = config.dpdk.exception_tap;
  for (const CidrBlock& n : config.dpdk.networks)
    options.networks.push_back({n.network, n.prefix_length});
  options.gateways = config.dpdk.gateways;
  options.workers = config.workers;
  options.shard_affinity = needs_shard_affinity(config);
  options.mtu = config.dpdk.mtu;
  options.vlan = config.dpdk.vlan;
  options.mbufs_per_worker = config.dpdk.mbufs_per_worker;
  options.queue_size = config.dpdk.queue_size;
  options.burst = config.dpdk.burst;
  options.reassembly_flows = config.dpdk.reassembly_flows;
  options.reassembly_timeout_ms = config.dpdk.reassembly_timeout_ms;
  options.neighbor_hold_ms = config.dpdk.neighbor_hold_ms;
  options.verify_udp_checksums = config.dpdk.verify_udp_checksums;
  options.neighbor_reachable_ms = config.dpdk.neighbor_reachable_ms;
  options.idle_sleep_us = config.dpdk.idle_sleep_us;
  return options;
}

}  // namespace sipwire::dataplane
