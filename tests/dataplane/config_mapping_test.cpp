// Every key of a configuration file reaches what it configures: the engine settings of the
// shards and the options the I/O backends are opened with (dataplane/config_mapping.h). A key
// read and checked by the config loader but dropped on the way would otherwise go unnoticed.
#include "dataplane/config_mapping.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sipwire::dataplane {
namespace {

Config load(std::string_view text) {
  const ConfigResult r = parse_config(text, "test.toml");
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  return r.ok() ? *r.config : Config{};
}

// Every engine-facing key set away from its default.
constexpr std::string_view kEngineKeys = R"(mode = "stateless"
record_route = false
nat_alias = false
workers = 3
domains = ["Example.COM"]
[[listen]]
address = "192.0.2.5"
port = 5070
[registrar]
min_expires = 30
max_expires = 7200
default_expires = 1800
max_contacts_per_aor = 4
reject_foreign_domains = true
private_contacts = "contact"
nat_max_expires = 45
[timers]
t1_ms = 1000
t2_ms = 8000
t4_ms = 9000
timer_c_ms = 200000
[limits]
max_message_size = 9000
max_transactions_per_worker = 5000
message_store_mb = 16
[flood]
requests_per_second = 20
burst = 7
action = "drop"
exempt = ["10.0.0.0/8"]
sources_per_worker = 4096
[[destination]]
name = "pbx"
algorithm = "priority"
probe_interval_ms = 5000
down_after = 2
up_after = 4
hops = [
  { address = "192.0.2.10:5060", priority = 1 },
  { address = "192.0.2.11", weight = 3, priority = 2 },
]
[[route]]
domain = "pbx.example"
destination = "pbx"
[[route]]
domain = "carrier.example"
next_hop = "198.51.100.7:5080"
)";

TEST(EngineSettingsTest, EveryEngineKeyReachesTheShards) {
  const Config c = load(kEngineKeys);
  const NetAddress local = NetAddress::ipv4(192, 0, 2, 5, 5070);
  const EngineSettings s = engine_settings(c, local);
  EXPECT_EQ(s.mode, ProxyMode::kStateless);
  EXPECT_EQ(s.local, local);
  EXPECT_FALSE(s.record_route);
  EXPECT_FALSE(s.nat_alias);
  EXPECT_EQ(s.domains, c.domains);
  EXPECT_NE(std::find(s.domains.begin(), s.domains.end(), "example.com"), s.domains.end());
  EXPECT_TRUE(s.reject_foreign_domains);
  EXPECT_EQ(s.registrar.min_expires, 30u);
  EXPECT_EQ(s.registrar.max_expires, 7200u);
  EXPECT_EQ(s.registrar.default_expires, 1800u);
  EXPECT_EQ(s.registrar.max_contacts, 4u);
  EXPECT_FALSE(s.registrar.private_contacts_at_source);
  EXPECT_EQ(s.registrar.nat_max_expires, 45u);
  EXPECT_EQ(s.transactions.timers.t1_ms, 1000u);
  EXPECT_EQ(s.transactions.timers.t2_ms, 8000u);
  EXPECT_EQ(s.transactions.timers.t4_ms, 9000u);
  EXPECT_EQ(s.transactions.timers.timer_c_ms, 200000u);
  // Timer D is 64*T1 once that passes RFC 3261's 32 s floor.
  EXPECT_EQ(s.transactions.timers.timer_d_ms, 64000u);
  EXPECT_EQ(s.max_message_size, 9000u);
  EXPECT_EQ(s.transactions.capacity, 5000u);
  EXPECT_EQ(s.message_store_bytes, std::size_t{16} << 20);

  EXPECT_TRUE(s.flood.enabled);
  EXPECT_TRUE(s.flood.drop);
  EXPECT_EQ(s.flood.limits.rate_milli_per_s, 20000u);
  EXPECT_EQ(s.flood.limits.burst, 7u);
  EXPECT_EQ(s.flood.limits.capacity, 4096u);
  ASSERT_EQ(s.flood.limits.exempt.size(), 1u);
  EXPECT_EQ(s.flood.limits.exempt[0].prefix_bits, 8);
  EXPECT_TRUE(s.flood.limits.exempt[0].contains(NetAddress::ipv4(10, 1, 2, 3, 0)));
  EXPECT_FALSE(s.flood.limits.exempt[0].contains(NetAddress::ipv4(11, 0, 0, 1, 0)));

  ASSERT_EQ(s.destinations.size(), 1u);
  const DestinationSet& pbx = *s.destinations[0];
  EXPECT_EQ(pbx.name(), "pbx");
  EXPECT_EQ(pbx.algorithm(), DestinationAlgorithm::kPriority);
  EXPECT_EQ(pbx.health().probe_interval_ms, 5000u);
  EXPECT_EQ(pbx.health().down_after, 2u);
  EXPECT_EQ(pbx.health().up_after, 4u);
  ASSERT_EQ(pbx.size(), 2u);
  EXPECT_EQ(pbx.hop(0).address, NetAddress::ipv4(192, 0, 2, 10, 5060));
  EXPECT_EQ(pbx.hop(0).priority, 1u);
  EXPECT_EQ(pbx.hop(1).address, NetAddress::ipv4(192, 0, 2, 11, 5060));
  EXPECT_EQ(pbx.hop(1).weight, 3u);
  EXPECT_EQ(pbx.hop(1).priority, 2u);

  ASSERT_EQ(s.routes.size(), 2u);
  EXPECT_EQ(s.routes[0].domain, "pbx.example");
  EXPECT_EQ(s.routes[0].set, 0);  // the destination set it names
  EXPECT_EQ(s.routes[1].domain, "carrier.example");
  EXPECT_EQ(s.routes[1].set, -1);
  EXPECT_EQ(s.routes[1].next_hop, NetAddress::ipv4(198, 51, 100, 7, 5080));
}

// The Record-Route key: from route_secret, the same for every mapping of the same secret (a
// restart, another proxy of a cluster); without one, drawn anew (never the all-zero default).
TEST(EngineSettingsTest, TheRouteKeyComesFromTheSecretOrIsDrawn) {
  const NetAddress local = NetAddress::ipv4(127, 0, 0, 1, 5060);
  const Config with = load(
      "route_secret = \"0123456789abcdef0123456789abcdef\"\n"
      "[[listen]]\naddress = \"127.0.0.1\"\n");
  const EngineSettings a = engine_settings(with, local), b = engine_settings(with, local);
  const RouteKey expected = RouteKey::from_secret("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(a.route_key.k0, expected.k0);
  EXPECT_EQ(a.route_key.k1, expected.k1);
  EXPECT_EQ(b.route_key.k0, expected.k0);
  const Config without = load("[[listen]]\naddress = \"127.0.0.1\"\n");
  const EngineSettings c = engine_settings(without, local), d = engine_settings(without, local);
  EXPECT_FALSE(c.route_key.k0 == 0 && c.route_key.k1 == 0);
  EXPECT_FALSE(c.route_key.k0 == d.route_key.k0 && c.route_key.k1 == d.route_key.k1);
}

TEST(EngineSettingsTest, TheShippedDefaultsKeepTheEnginesDefaults) {
  const Config c = load("[[listen]]\naddress = \"127.0.0.1\"\n");
  const EngineSettings s = engine_settings(c, NetAddress::ipv4(127, 0, 0, 1, 5060));
  const EngineSettings d;
  EXPECT_EQ(s.mode, ProxyMode::kStateful);  // the config's default mode
  EXPECT_TRUE(s.record_route);
  EXPECT_TRUE(s.nat_alias);
  EXPECT_FALSE(s.flood.enabled);
  EXPECT_EQ(s.registrar.min_expires, d.registrar.min_expires);
  EXPECT_EQ(s.registrar.max_expires, d.registrar.max_expires);
  EXPECT_EQ(s.registrar.default_expires, d.registrar.default_expires);
  EXPECT_EQ(s.registrar.max_contacts, d.registrar.max_contacts);
  EXPECT_EQ(s.transactions.timers.t1_ms, d.transactions.timers.t1_ms);
  EXPECT_EQ(s.transactions.timers.t2_ms, d.transactions.timers.t2_ms);
  EXPECT_EQ(s.transactions.timers.t4_ms, d.transactions.timers.t4_ms);
  EXPECT_EQ(s.transactions.timers.timer_d_ms, 32000u);  // the RFC's floor at T1 = 500 ms
  EXPECT_EQ(s.transactions.capacity, d.transactions.capacity);
  EXPECT_EQ(s.max_message_size, d.max_message_size);
  EXPECT_EQ(s.message_store_bytes, d.message_store_bytes);
}

TEST(EngineSettingsTest, EachShardsTransactionIndexDrawsItsOwnHashSeed) {
  const EngineSettings s =
      engine_settings(load("[[listen]]\naddress = \"127.0.0.1\"\n"), NetAddress{});
  // 0: each table draws a seed of its own (TransactionTableTest.ASeedOfZeroIsDrawn), instead
  // of the fixed one the tests use, which anyone can read in the source.
  EXPECT_EQ(s.transactions.hash_seed, 0u);
}

TEST(LocationBucketsTest, OneBucketPerExpectedAorRoundedUpToAPowerOfTwo) {
  const Config c =
      load("[[listen]]\naddress = \"127.0.0.1\"\n[registrar]\nexpected_aors = 100000\n");
  EXPECT_EQ(location_buckets(c), 100000u);
  Qsbr qsbr(1);
  EXPECT_EQ(LocationTable(location_buckets(c), qsbr).bucket_count(), 131072u);
  const Config d = load("[[listen]]\naddress = \"127.0.0.1\"\n");
  EXPECT_EQ(location_buckets(d), 65536u);  // the default, as before the key existed
}

// A reload (SIGHUP) applies the policy, the trusted sources and [auth]; everything else that
// changed is named, so that the operator knows it waits for a restart.
TEST(ReloadTest, NamesWhatOnlyARestartApplies) {
  const std::string base = R"(mode = "stateful"
trusted_sources = ["10.0.0.0/8"]
[[listen]]
address = "127.0.0.1"
port = 5060
[timers]
t1_ms = 500
[auth]
realm = "example.com"
)";
  const Config running = load(base);
  EXPECT_TRUE(changes_needing_restart(running, load(base)).empty());

  // The policy's own parts: nothing waits.
  std::string policy = base;
  policy.replace(policy.find("10.0.0.0/8"), 10, "192.0.2.0/24");
  policy.replace(policy.find("example.com"), 11, "example.net");
  policy += "[[rule]]\nname = \"r\"\nmethod = \"OPTIONS\"\naction = \"reject\"\ncode = 403\n";
  EXPECT_TRUE(changes_needing_restart(running, load(policy)).empty());

  // The rest, named in file order.
  std::string rest = base;
  rest.replace(rest.find("stateful"), 8, "stateless");
  rest.replace(rest.find("5060"), 4, "5070");
  rest.replace(rest.find("t1_ms = 500"), 11, "t1_ms = 600");
  rest += "[dpdk]\nmtu = 9000\n[registrar]\nexpected_aors = 1024\n";
  EXPECT_EQ(changes_needing_restart(running, load(rest)),
            (std::vector<std::string>{"mode", "[[listen]]", "[registrar]", "[timers]", "[dpdk]"}));
}

TEST(ShardAffinityTest, OnlyWhereStateLivesInOneShardOfSeveral) {
  const std::string listen = "[[listen]]\naddress = \"127.0.0.1\"\n";
  EXPECT_TRUE(needs_shard_affinity(load("workers = 2\n" + listen)));  // stateful
  EXPECT_FALSE(needs_shard_affinity(load("workers = 1\n" + listen)));
  EXPECT_FALSE(needs_shard_affinity(load("mode = \"stateless\"\nworkers = 2\n" + listen)));
  EXPECT_FALSE(needs_shard_affinity(load("mode = \"redirect\"\nworkers = 4\n" + listen)));
  // Probed destination sets: shard 0 sends the probes, so their answers must reach it.
  const std::string probed = R"([[destination]]
name = "pbx"
probe_interval_ms = 1000
hops = [{ address = "192.0.2.10" }]
)";
  EXPECT_TRUE(needs_shard_affinity(load("mode = \"stateless\"\nworkers = 2\n" + listen + probed)));
  const std::string unprobed = R"([[destination]]
name = "pbx"
probe_interval_ms = 0
hops = [{ address = "192.0.2.10" }]
)";
  EXPECT_FALSE(
      needs_shard_affinity(load("mode = \"stateless\"\nworkers = 2\n" + listen + unprobed)));
}

// What our Via and Record-Route name for each bound address: its advertise; a specific
// address itself (empty); a wildcard, an address of this host (never the wildcard), said in a
// note for the operator.
TEST(AdvertisedNameTest, AdvertiseOrTheAddressOrWhatAWildcardStandsFor) {
  const Config c = load(R"([[listen]]
address = "127.0.0.1"
port = 5070
advertise = "203.0.113.5"
[[listen]]
address = "127.0.0.1"
port = 5071
[[listen]]
address = "0.0.0.0"
port = 5072
[[listen]]
address = "::"
port = 5073
advertise = "sip.example.net:5080"
)");
  std::string note;
  AdvertisedName name = advertised_name(c, NetAddress::ipv4(127, 0, 0, 1, 5070), note);
  EXPECT_EQ(name.host, "203.0.113.5");
  EXPECT_EQ(name.port, 0);  // the listen port
  EXPECT_EQ(note, "");
  EXPECT_EQ(advertised_name(c, NetAddress::ipv4(127, 0, 0, 1, 5071), note).host, "");
  name = advertised_name(c, *NetAddress::parse("::", 5073), note);
  EXPECT_EQ(name.host, "sip.example.net");
  EXPECT_EQ(name.port, 5080);
  EXPECT_EQ(advertised_name(c, NetAddress{}, note).host, "");  // no address of the other family
  // The wildcard: whatever this host's address is, a specific IPv4 address, told in the note.
  name = advertised_name(c, NetAddress::ipv4(0, 0, 0, 0, 5072), note);
  EXPECT_EQ(name.port, 0);
  const auto ip = NetAddress::parse(name.host, 5072);
  ASSERT_TRUE(ip.has_value()) << name.host;
  EXPECT_FALSE(ip->is_ipv6());
  EXPECT_FALSE(ip->is_unspecified());
  EXPECT_NE(note.find("0.0.0.0:5072 is named " + name.host + " in Via and Record-Route"),
            std::string::npos)
      << note;
}

// A wildcard receives on every address of the host: each of its family is one of our domains
// (for the engine and the server policy); specific addresses add nothing.
TEST(InterfaceDomainsTest, AWildcardMakesEveryAddressOfItsFamilyOurs) {
  Config specific = load("domains = [\"example.com\"]\n[[listen]]\naddress = \"127.0.0.1\"\n");
  const std::vector<std::string> before = specific.domains;
  add_interface_domains(specific);
  EXPECT_EQ(specific.domains, before);

  Config wildcard = load("domains = [\"example.com\"]\n[[listen]]\naddress = \"0.0.0.0\"\n");
  add_interface_domains(wildcard);
  ASSERT_GE(wildcard.domains.size(), 2u);
  EXPECT_EQ(wildcard.domains.front(), "example.com");
  EXPECT_NE(std::find(wildcard.domains.begin(), wildcard.domains.end(), "127.0.0.1"),
            wildcard.domains.end());
  for (std::size_t i = 1; i < wildcard.domains.size(); ++i) {
    const auto ip = NetAddress::parse(wildcard.domains[i], 0);
    ASSERT_TRUE(ip.has_value()) << wildcard.domains[i];
    EXPECT_FALSE(ip->is_ipv6()) << wildcard.domains[i];  // the wildcard's family only
  }
  // Added once, however often asked (a reload adds them to a fresh copy).
  const std::size_t n = wildcard.domains.size();
  add_interface_domains(wildcard);
  EXPECT_EQ(wildcard.domains.size(), n);
}

TEST(SocketBackendOptionsTest, ListenAddressesWorkersAndDatagramLimit) {
  const Config c = load(R"(workers = 2
[[listen]]
address = "127.0.0.1"
port = 5070
[[listen]]
address = "::1"
port = 5071
[limits]
max_message_size = 4000
)");
  const SocketBackendOptions o = socket_backend_options(c);
  EXPECT_EQ(o.listen, (std::vector<NetAddress>{NetAddress::ipv4(127, 0, 0, 1, 5070),
                                               *NetAddress::parse("::1", 5071)}));
  EXPECT_EQ(o.workers, 2u);
  // A byte over the engine's limit: a longer datagram, cut to it, is answered 513.
  EXPECT_EQ(o.max_datagram, 4001u);
  EXPECT_TRUE(o.shard_affinity);
  // No UDP datagram is longer than 65535 bytes: the slot needs no more.
  EXPECT_EQ(socket_backend_options(
                load("[[listen]]\naddress = \"127.0.0.1\"\n[limits]\nmax_message_size = 65535\n"))
                .max_datagram,
            65535u);
}

TEST(DpdkBackendOptionsTest, EveryDpdkKeyReachesTheBackend) {
  const Config c = load(R"(workers = 2
[[listen]]
address = "10.0.0.2"
port = 5070
[[listen]]
address = "2001:db8::2"
[dpdk]
eal = ["--no-pci", "--no-huge"]
port = "net_af_packet0,iface=veth1"
exception_tap = "sw-exc0"
networks = ["10.0.0.0/24", "2001:db8::/64"]
gateways = ["10.0.0.1"]
mtu = 9000
vlan = 100
mbufs_per_worker = 4095
queue_size = 512
burst = 64
reassembly_flows = 128
reassembly_timeout_ms = 3000
neighbor_hold_ms = 250
neighbor_reachable_ms = 30000
idle_sleep_us = 0
verify_udp_checksums = false
)");
  std::string error;
  const std::vector<std::string> extra = {"-m", "512"};
  const std::optional<DpdkBackendOptions> o = dpdk_backend_options(c, extra, error);
  ASSERT_TRUE(o.has_value()) << error;
  // The command line's EAL arguments come after the file's.
  EXPECT_EQ(o->eal, (std::vector<std::string>{"--no-pci", "--no-huge", "-m", "512"}));
  EXPECT_EQ(o->port, "net_af_packet0,iface=veth1");
  EXPECT_EQ(o->exception_tap, "sw-exc0");
  EXPECT_EQ(o->listen, (std::vector<NetAddress>{NetAddress::ipv4(10, 0, 0, 2, 5070),
                                                *NetAddress::parse("2001:db8::2", 5060)}));
  ASSERT_EQ(o->networks.size(), 2u);
  EXPECT_EQ(o->networks[0].network, NetAddress::ipv4(10, 0, 0, 0, 0));
  EXPECT_EQ(o->networks[0].prefix_length, 24);
  EXPECT_EQ(o->networks[1].network, NetAddress::parse("2001:db8::", 0));
  EXPECT_EQ(o->networks[1].prefix_length, 64);
  EXPECT_EQ(o->gateways, (std::vector<NetAddress>{NetAddress::ipv4(10, 0, 0, 1, 0)}));
  EXPECT_EQ(o->workers, 2u);
  EXPECT_TRUE(o->shard_affinity);
  EXPECT_EQ(o->mtu, 9000u);
  EXPECT_EQ(o->vlan, 100u);
  EXPECT_EQ(o->mbufs_per_worker, 4095u);
  EXPECT_EQ(o->queue_size, 512u);
  EXPECT_EQ(o->burst, 64u);
  EXPECT_EQ(o->reassembly_flows, 128u);
  EXPECT_EQ(o->reassembly_timeout_ms, 3000u);
  EXPECT_EQ(o->neighbor_hold_ms, 250u);
  EXPECT_EQ(o->neighbor_reachable_ms, 30000u);
  EXPECT_EQ(o->idle_sleep_us, 0u);  // poll without pause
  EXPECT_FALSE(o->verify_udp_checksums);
}

TEST(DpdkBackendOptionsTest, AnUnsetDpdkTableKeepsTheBackendsDefaults) {
  const Config c = load("[[listen]]\naddress = \"10.0.0.2\"\n[dpdk]\nport = \"0000:03:00.0\"\n");
  std::string error;
  const std::optional<DpdkBackendOptions> o = dpdk_backend_options(c, {}, error);
  ASSERT_TRUE(o.has_value()) << error;
  const DpdkBackendOptions d;
  EXPECT_TRUE(o->eal.empty());
  EXPECT_EQ(o->port, "0000:03:00.0");
  EXPECT_EQ(o->exception_tap, "");
  EXPECT_TRUE(o->networks.empty());
  EXPECT_TRUE(o->gateways.empty());
  EXPECT_FALSE(o->shard_affinity);  // one worker
  EXPECT_EQ(o->mtu, d.mtu);
  EXPECT_EQ(o->vlan, 0u);  // untagged
  EXPECT_EQ(o->mbufs_per_worker, d.mbufs_per_worker);
  EXPECT_EQ(o->queue_size, d.queue_size);
  EXPECT_EQ(o->burst, d.burst);
  EXPECT_EQ(o->reassembly_flows, d.reassembly_flows);
  EXPECT_EQ(o->reassembly_timeout_ms, d.reassembly_timeout_ms);
  EXPECT_EQ(o->neighbor_hold_ms, d.neighbor_hold_ms);
  EXPECT_EQ(o->neighbor_reachable_ms, d.neighbor_reachable_ms);
  EXPECT_EQ(o->idle_sleep_us, d.idle_sleep_us);
  EXPECT_TRUE(o->verify_udp_checksums);
}

TEST(DpdkBackendOptionsTest, RefusesAConfigThatCannotRunOnDpdk) {
  std::string error;
  // No port: the file's io = "socket" needs none, but --io dpdk does.
  EXPECT_FALSE(dpdk_backend_options(load("[[listen]]\naddress = \"10.0.0.2\"\n"), {}, error));
  EXPECT_EQ(error, "--io dpdk needs [dpdk] port in test.toml");
  // A wildcard address: the data plane answers ARP and ND for its addresses, so it must know
  // them.
  error.clear();
  EXPECT_FALSE(dpdk_backend_options(
      load("[[listen]]\naddress = \"0.0.0.0\"\n[dpdk]\nport = \"0000:03:00.0\"\n"), {}, error));
  EXPECT_EQ(error, "the dpdk backend needs specific listen addresses, not 0.0.0.0:5060");
}

}  // namespace
}  // namespace sipwire::dataplane
