// The configuration library: the shipped configs, every validation rule (with the line and a
// message naming the key), unknown keys, TOML syntax errors, file errors, is_our_domain.
#include "sipwire/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sipwire {
namespace {

std::string configs_dir() {
  const char* dir = std::getenv("SIPWIRE_CONFIGS");
  return dir != nullptr ? dir : "configs";
}

// The smallest valid config, to which each test adds what it checks. Two lines long.
constexpr std::string_view kListen = "[[listen]]\naddress = \"127.0.0.1\"\n";

ConfigResult parse(std::string_view text) {
  return parse_config(text, "test.toml");
}

// Passes when `text` is rejected at `line` (and `column`, if not 0) with a message containing
// `needle`.
::testing::AssertionResult FailsAt(std::string_view text, uint32_t line, std::string_view needle,
                                   uint32_t column = 0) {
  const ConfigResult r = parse(text);
  if (r.ok()) return ::testing::AssertionFailure() << "accepted:\n" << text;
  const ConfigError& e = r.error;
  if (e.file != "test.toml" || e.line != line || (column != 0 && e.column != column) ||
      e.message.find(needle) == std::string::npos) {
    return ::testing::AssertionFailure() << "got \"" << e.to_string() << "\", want line " << line
                                         << " col " << column << " containing \"" << needle << "\"";
  }
  return ::testing::AssertionSuccess() << e.to_string();
}

// `rest` after the listen table: in it, or in tables of its own.
std::string with_listen(std::string_view rest) {
  return std::string(kListen) + std::string(rest);
}
// `rest` before the listen table, at the top level.
std::string before_listen(std::string_view rest) {
  return std::string(rest) + std::string(kListen);
}

// ---------------------------------------------------------------------------------------------
// The shipped configs

TEST(ShippedConfigTest, DefaultLoadsWithDocumentedValues) {
  const std::string path = configs_dir() + "/default.toml";
  const ConfigResult r = load_config_file(path);
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.source, path);
  EXPECT_EQ(c.mode, ProxyMode::kStateful);
  EXPECT_TRUE(c.record_route);
  EXPECT_TRUE(c.nat_alias);
  EXPECT_EQ(c.workers, 1u);
  EXPECT_EQ(c.domains, (std::vector<std::string>{"localhost", "127.0.0.1"}));
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].address, NetAddress::ipv4(127, 0, 0, 1, 5060));
  EXPECT_EQ(c.listen[0].transport, Transport::kUdp);
  EXPECT_EQ(c.registrar.min_expires, 60u);
  EXPECT_EQ(c.registrar.max_expires, 3600u);
  EXPECT_EQ(c.registrar.default_expires, 3600u);
  EXPECT_EQ(c.registrar.max_contacts_per_aor, 10u);
  EXPECT_FALSE(c.registrar.reject_foreign_domains);
  EXPECT_EQ(c.registrar.expected_aors, 65536u);
  EXPECT_TRUE(c.registrar.private_contacts_at_source);
  EXPECT_EQ(c.registrar.nat_max_expires, 0u);
  EXPECT_EQ(c.timers.t1_ms, 500u);
  EXPECT_EQ(c.timers.t2_ms, 4000u);
  EXPECT_EQ(c.timers.t4_ms, 5000u);
  EXPECT_EQ(c.timers.timer_c_ms, 181000u);
  EXPECT_EQ(c.limits.max_message_size, 65535u);
  EXPECT_EQ(c.limits.max_transactions_per_worker, 100000u);
  EXPECT_EQ(c.limits.message_store_mb, 64u);
  EXPECT_TRUE(c.routes.empty());
  EXPECT_TRUE(c.rules.empty());
  EXPECT_TRUE(c.trusted_sources.empty());
  EXPECT_EQ(c.auth.users_file, "");
  EXPECT_EQ(c.auth.realm, "");  // the first domain
  EXPECT_EQ(c.auth.nonce_lifetime_s, 300u);
  EXPECT_EQ(c.auth.algorithms, (std::vector<std::string>{"SHA-256", "MD5"}));
  EXPECT_EQ(c.auth.replay_entries_per_worker, 65536u);
  EXPECT_EQ(c.flood.rate_milli_per_s, 0u);
  EXPECT_FALSE(c.flood.enabled());
  EXPECT_EQ(c.flood.action, FloodAction::kReject);
  EXPECT_TRUE(c.flood.exempt.empty());
  EXPECT_EQ(c.flood.sources_per_worker, 65536u);
  EXPECT_EQ(c.io, IoBackend::kSocket);
  EXPECT_TRUE(c.dpdk.port.empty());  // [dpdk] is only an example there
}

// Whether some line of `text` starts with `prefix`.
bool has_line_starting(const std::string& text, std::string_view prefix) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (std::string_view(line).substr(0, prefix.size()) == prefix) return true;
  return false;
}

// default.toml is the operator's reference: every key sipwire reads is written out in it.
TEST(ShippedConfigTest, DefaultSpellsOutEveryKey) {
  std::ifstream in(configs_dir() + "/default.toml");
  ASSERT_TRUE(in) << "cannot open default.toml";
  std::stringstream text;
  text << in.rdbuf();
  for (std::string_view key :
       {"mode = ", "workers = ", "record_route = ", "nat_alias = ", "# route_secret = ",
        "domains = ", "address = ", "port = ", "transport = ", "# advertise = ", "min_expires = ",
        "max_expires = ", "default_expires = ", "max_contacts_per_aor = ",
        "reject_foreign_domains = ", "expected_aors = ", "private_contacts = ",
        "nat_max_expires = ", "t1_ms = ", "t2_ms = ", "t4_ms = ", "timer_c_ms = ",
        "max_message_size = ", "max_transactions_per_worker = ", "message_store_mb = ",
        "[[listen]]", "[registrar]", "[timers]", "[limits]", "trusted_sources = ", "[auth]",
        "users_file = ", "# realm = ", "algorithms = ", "nonce_lifetime_s = ",
        "replay_entries_per_worker = ", "[flood]", "requests_per_second = ", "# burst = ",
        "action = ", "exempt = ", "sources_per_worker = ", "io = ",
        // The DPDK backend is off by default; the reference shows every key of [dpdk].
        "# [dpdk]", "# eal = ", "# port = ", "# exception_tap = ", "# networks = ", "# gateways = ",
        "# mtu = ", "# vlan = ", "# mbufs_per_worker = ", "# queue_size = ", "# burst = ",
        "# reassembly_flows = ", "# reassembly_timeout_ms = ", "# neighbor_hold_ms = ",
        "# neighbor_reachable_ms = ", "# idle_sleep_us = ", "# verify_udp_checksums = ",
        // No route by default, but the reference shows one.
        "# [[route]]", "# domain = ", "# next_hop = ", "# transport = ", "# destination = ",
        // No destination set by default; the reference shows one.
        "# [[destination]]",
        "# algorithm = ", "# probe_interval_ms = ", "# down_after = ", "# up_after = ", "# hops = ",
        // No rule by default either; the reference shows every key of one.
        "# [[rule]]", "# name = ", "# method = ", "# ruri_scheme = ", "# ruri_user = ",
        "# ruri_user_prefix = ", "# ruri_user_regex = ", "# ruri_host = ", "# ruri_host_prefix = ",
        "# ruri_host_regex = ", "# from_uri = ", "# from_uri_prefix = ", "# from_uri_regex = ",
        "# to_uri = ", "# to_uri_prefix = ", "# to_uri_regex = ", "# header = ",
        "# header_regex = ", "# source = ", "# authenticated = ", "# action = ", "# destination = ",
        "# code = ", "# reason = ", "# contacts = ", "# realm = ", "# add_header = ",
        "# remove_header = ", "# set_ruri_user = ", "# set_ruri_host = "}) {
    EXPECT_TRUE(has_line_starting(text.str(), key)) << key;
  }
}

TEST(ShippedConfigTest, RegistrarExampleLoads) {
  const ConfigResult r = load_config_file(configs_dir() + "/registrar.toml");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.mode, ProxyMode::kStateful);
  EXPECT_TRUE(c.registrar.reject_foreign_domains);
  EXPECT_EQ(c.registrar.max_contacts_per_aor, 5u);
  ASSERT_EQ(c.rules.size(), 2u);
  EXPECT_EQ(c.rules[0].action, RuleAction::kReply);
  EXPECT_EQ(c.rules[1].action, RuleAction::kReject);
  EXPECT_EQ(c.rules[1].header, "User-Agent");
}

TEST(ShippedConfigTest, LoadBalancerExampleLoads) {
  const ConfigResult r = load_config_file(configs_dir() + "/load-balancer.toml");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  ASSERT_EQ(c.destinations.size(), 1u);
  EXPECT_EQ(c.destinations[0].algorithm, "call_id_hash");
  EXPECT_EQ(c.destinations[0].hops.size(), 2u);
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].action, RuleAction::kForward);
  EXPECT_EQ(c.rules[0].destination, "app-servers");
}

TEST(ShippedConfigTest, EdgeProxyExampleLoads) {
  const ConfigResult r = load_config_file(configs_dir() + "/edge-proxy.toml");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.mode, ProxyMode::kStateful);
  EXPECT_EQ(c.auth.users_file, "/etc/sipwire/users");
  EXPECT_EQ(c.auth.realm, "example.com");
  EXPECT_TRUE(c.flood.enabled());
  ASSERT_EQ(c.destinations.size(), 1u);
  EXPECT_EQ(c.destinations[0].name, "carrier");
  EXPECT_EQ(c.destinations[0].algorithm, "priority");
  ASSERT_EQ(c.destinations[0].hops.size(), 2u);
  EXPECT_EQ(c.destinations[0].hops[0].priority, 1u);
  EXPECT_EQ(c.destinations[0].hops[1].priority, 2u);
  ASSERT_EQ(c.rules.size(), 7u);
  EXPECT_EQ(c.rules[0].action, RuleAction::kReply);      // OPTIONS ping
  EXPECT_EQ(c.rules[1].action, RuleAction::kLookup);     // from the carrier
  EXPECT_EQ(c.rules[2].action, RuleAction::kChallenge);  // REGISTER
  EXPECT_EQ(c.rules[3].action, RuleAction::kRegister);
  EXPECT_EQ(c.rules[4].action, RuleAction::kChallenge);  // INVITE
  const RuleConfig& to_carrier = c.rules[5];
  EXPECT_EQ(to_carrier.action, RuleAction::kForward);
  EXPECT_EQ(to_carrier.destination, "carrier");
  EXPECT_EQ(to_carrier.authenticated, std::optional<bool>(true));
  EXPECT_EQ(to_carrier.add_headers, (std::vector<std::string>{"X-Edge: sipwire"}));
  EXPECT_EQ(to_carrier.remove_headers, (std::vector<std::string>{"Proxy-Authorization"}));
  EXPECT_EQ(c.rules[6].action, RuleAction::kLookup);
}

TEST(ShippedConfigTest, StatelessExampleLoads) {
  const ConfigResult r = load_config_file(configs_dir() + "/stateless-example.toml");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.mode, ProxyMode::kStateless);
  // workers = 0: one per CPU.
  const unsigned cpus = std::thread::hardware_concurrency();
  EXPECT_EQ(c.workers, cpus == 0 ? 1u : std::min(cpus, 256u));
  EXPECT_EQ(c.domains, (std::vector<std::string>{"example.com", "192.0.2.1", "2001:db8::1"}));
  ASSERT_EQ(c.listen.size(), 2u);
  EXPECT_EQ(c.listen[0].address, NetAddress::ipv4(192, 0, 2, 1, 5060));
  EXPECT_EQ(c.listen[1].address, *NetAddress::parse("2001:db8::1", 5060));
  EXPECT_FALSE(c.registrar.reject_foreign_domains);
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].domain, "carrier.example");
  EXPECT_EQ(c.routes[0].next_hop, NetAddress::ipv4(198, 51, 100, 7, 5070));
  EXPECT_EQ(c.routes[0].transport, Transport::kUdp);
  EXPECT_EQ(c.routes[1].domain, "ipv6.carrier.example");
  EXPECT_EQ(c.routes[1].next_hop.to_string(), "[2001:db8:100::7]:5060");
}

// ---------------------------------------------------------------------------------------------
// [[rule]]: the server policy

TEST(RuleConfigTest, ReadsEveryMatchKey) {
  const ConfigResult r = parse(with_listen(R"([[rule]]
name = "all"
method = ["INVITE", "MESSAGE"]
ruri_scheme = "sip"
ruri_user = "alice"
ruri_user_prefix = "+49"
ruri_user_regex = "^[0-9]{4}$"
ruri_host = "example.com"
ruri_host_prefix = "10."
ruri_host_regex = "example"
from_uri = "sip:a@b"
from_uri_prefix = "sip:"
from_uri_regex = "@b$"
to_uri = "sip:c@d"
to_uri_prefix = "sips:"
to_uri_regex = "^sip"
header = "User-Agent"
header_regex = "friendly-scanner"
source = ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]
transport = "tcp"
authenticated = false
action = "forward"
destination = "carriers"
add_header = ["X-Foo: bar", "X-Baz:qux"]
remove_header = "X-Bar"
set_ruri_user = "bob"
set_ruri_host = "192.0.2.20"
)"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  ASSERT_EQ(r.config->rules.size(), 1u);
  const RuleConfig& rule = r.config->rules[0];
  EXPECT_EQ(rule.name, "all");
  EXPECT_EQ(rule.line, 3u);
  EXPECT_EQ(rule.methods, (std::vector<std::string>{"INVITE", "MESSAGE"}));
  ASSERT_EQ(rule.patterns.size(), 14u);
  EXPECT_EQ(rule.patterns[0].field, RuleField::kRuriScheme);
  EXPECT_EQ(rule.patterns[2].kind, PatternKind::kPrefix);
  EXPECT_EQ(rule.patterns[2].text, "+49");
  EXPECT_EQ(rule.patterns[2].line, 8u);
  EXPECT_EQ(rule.patterns[13].field, RuleField::kHeader);
  EXPECT_EQ(rule.header, "User-Agent");
  ASSERT_EQ(rule.sources.size(), 3u);
  EXPECT_EQ(rule.sources[0].prefix_length, 8u);
  EXPECT_EQ(rule.sources[1].prefix_length, 32u);
  EXPECT_TRUE(rule.sources[1].network.is_ipv6());
  EXPECT_EQ(rule.sources[2].prefix_length, 32u);
  EXPECT_EQ(rule.transport, Transport::kTcp);
  EXPECT_EQ(rule.authenticated, false);
  EXPECT_EQ(rule.action, RuleAction::kForward);
  EXPECT_EQ(rule.destination, "carriers");
  EXPECT_EQ(rule.add_headers, (std::vector<std::string>{"X-Foo: bar", "X-Baz:qux"}));
  EXPECT_EQ(rule.remove_headers, (std::vector<std::string>{"X-Bar"}));
  EXPECT_EQ(rule.set_ruri_user, "bob");
  EXPECT_EQ(rule.set_ruri_host, "192.0.2.20");
}

TEST(RuleConfigTest, ReadsEveryAction) {
  const ConfigResult r = parse(with_listen(R"([[rule]]
name = "reg"
action = "register"
[[rule]]
name = "look"
action = "lookup"
[[rule]]
name = "redir"
action = "redirect"
contacts = ["sip:a@192.0.2.1", "tel:+4930123"]
[[rule]]
name = "rej"
action = "reject"
code = 603
reason = "Decline"
[[rule]]
name = "auth"
action = "challenge"
realm = "example.com"
[[rule]]
name = "ping"
method = "OPTIONS"
action = "reply"
code = 200
)"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const auto& rules = r.config->rules;
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].action, RuleAction::kRegister);
  EXPECT_EQ(rules[1].action, RuleAction::kLookup);
  EXPECT_EQ(rules[2].action, RuleAction::kRedirect);
  EXPECT_EQ(rules[2].code, 302);
  EXPECT_EQ(rules[2].contacts.size(), 2u);
  EXPECT_EQ(rules[3].code, 603);
  EXPECT_EQ(rules[3].reason, "Decline");
  EXPECT_EQ(rules[4].realm, "example.com");
  EXPECT_EQ(rules[5].code, 200);
  EXPECT_EQ(rules[5].reason, "");
}

TEST(RuleConfigTest, BadRegexIsAnErrorAtItsValue) {
  // Hyperscan refuses back-references and unbalanced groups.
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nruri_user_regex = \"(a)\\\\1\"\n"
                                  "action = \"lookup\"\n"),
                      5, "rule[0].ruri_user_regex \"(a)\\1\" is not a regular expression", 19));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nheader = \"X\"\n"
                                  "header_regex = \"a)|(b\"\naction = \"lookup\"\n"),
                      6, "rule[0].header_regex \"a)|(b\" is not a regular expression"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nfrom_uri_regex = \"[a-\"\n"
                                  "action = \"lookup\"\n"),
                      5, "rule[0].from_uri_regex"));
  // "^" is the field's start, and only as the first character.
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nruri_user_regex = \"^a|b\"\n"
                                  "action = \"lookup\"\n"),
                      5, "group the alternatives: ^(?:a|b)"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nruri_user_regex = \"a|^b\"\n"
                                  "action = \"lookup\"\n"),
                      5, "'^' may only be its first character"));
  EXPECT_TRUE(parse(with_listen("[[rule]]\nname = \"r\"\nruri_user_regex = \"^(?:a|b)$|\"\n"
                                "action = \"lookup\"\n"))
                  .ok() == false);
  EXPECT_TRUE(parse(with_listen("[[rule]]\nname = \"r\"\nruri_user_regex = \"^[|](a|b)$\"\n"
                                "action = \"lookup\"\n"))
                  .ok());
}

TEST(RuleConfigTest, UnknownActionAndKeys) {
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"drop\"\n"), 5,
                      "rule[0].action \"drop\" is not one of \"register\", \"lookup\""));
  EXPECT_TRUE(
      FailsAt(with_listen("[[rule]]\nname = \"r\"\nruri_usr = \"a\"\naction = \"lookup\"\n"), 5,
              "unknown key 'ruri_usr' in [[rule]]; did you mean 'ruri_user'?"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\n"), 3,
                      "rule[0].action is required in [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\naction = \"lookup\"\n"), 3,
                      "rule[0].name is required in [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[rule]\nname = \"r\"\n"), 3, "rule must be written [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\n"
                                  "[[rule]]\nname = \"r\"\naction = \"register\"\n"),
                      7, "rule[1].name \"r\" repeats rule[0].name (line 3)"));
}

TEST(RuleConfigTest, ActionsNeedTheirParameters) {
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"reject\"\n"), 3,
                      "rule[0].code is required in [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"reply\"\n"), 3,
                      "rule[0].code is required in [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"forward\"\n"), 3,
                      "rule[0].destination is required in [[rule]]"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"redirect\"\n"), 3,
                      "rule[0].contacts is required in [[rule]]"));
  // Parameters of another action are errors, not silently ignored.
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\ncode = 404\n"), 6,
                      "rule[0].code does not apply to action \"lookup\""));
  EXPECT_TRUE(FailsAt(
      with_listen(
          "[[rule]]\nname = \"r\"\naction = \"reject\"\ncode = 403\nadd_header = \"X: y\"\n"),
      7, "rule[0].add_header does not apply to action \"reject\""));
}

TEST(RuleConfigTest, BadValues) {
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"reject\"\ncode = 200\n"), 6,
                      "rule[0].code (200) must be between 400 and 699"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"reply\"\ncode = \"200\"\n"),
                      6, "rule[0].code must be an integer, not a string"));
  EXPECT_TRUE(FailsAt(
      with_listen(
          "[[rule]]\nname = \"r\"\naction = \"redirect\"\ncode = 404\ncontacts = \"sip:a@b\"\n"),
      6, "rule[0].code (404) must be between 300 and 399"));
  EXPECT_TRUE(FailsAt(
      with_listen("[[rule]]\nname = \"r\"\nsource = [\"10.0.0.0/8\", \"10.0.0.1/8\"]\n"
                  "action = \"lookup\"\n"),
      5, "rule[0].source \"10.0.0.1/8\" has address bits set past the prefix length /8", 25));
  EXPECT_TRUE(
      FailsAt(with_listen("[[rule]]\nname = \"r\"\nsource = \"::/129\"\naction = \"lookup\"\n"), 5,
              "has a prefix length over 128"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nsource = \"gw.example\"\n"
                                  "action = \"lookup\"\n"),
                      5, "is not an IPv4 or IPv6 address block"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nmethod = [\"INVITE\", 3]\n"
                                  "action = \"lookup\"\n"),
                      5, "rule[0].method must hold strings, not an integer"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nauthenticated = \"yes\"\n"
                                  "action = \"lookup\"\n"),
                      5, "rule[0].authenticated must be a boolean"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\ntransport = \"sctp\"\n"
                                  "action = \"lookup\"\n"),
                      5, "rule[0].transport \"sctp\" is not one of"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\nheader_regex = \"x\"\n"
                                  "action = \"lookup\"\n"),
                      3, "rule[0].header_regex needs rule[0].header too"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"redirect\"\n"
                                  "contacts = [\"nonsense\"]\n"),
                      6, "rule[0].contacts \"nonsense\" is not a sip:, sips: or tel: URI"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\n"
                                  "remove_header = \"Via\"\n"),
                      6, "rule[0].remove_header: a rule may not remove Via"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\n"
                                  "add_header = \"no colon\"\n"),
                      6, "rule[0].add_header \"no colon\" is not a header line"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\n"
                                  "set_ruri_user = \"a@b\"\n"),
                      6, "rule[0].set_ruri_user \"a@b\" is not a SIP URI user part"));
  EXPECT_TRUE(FailsAt(with_listen("[[rule]]\nname = \"r\"\naction = \"lookup\"\n"
                                  "set_ruri_host = \"bad host\"\n"),
                      6, "rule[0].set_ruri_host \"bad host\" is not a host name"));
}

// ---------------------------------------------------------------------------------------------
// Values that load

TEST(ConfigTest, OmittedKeysTakeTheirDefaults) {
  const ConfigResult r = parse(kListen);
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.source, "test.toml");
  EXPECT_EQ(c.mode, ProxyMode::kStateful);
  EXPECT_EQ(c.workers, 1u);
  EXPECT_EQ(c.domains, (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_EQ(c.listen[0].address.port, 5060);  // port defaults to 5060
  EXPECT_EQ(c.registrar.min_expires, 60u);
  EXPECT_EQ(c.timers.t2_ms, 4000u);
  EXPECT_EQ(c.limits.max_message_size, 65535u);
}

TEST(ConfigTest, ReadsEveryValue) {
  const ConfigResult r = parse(R"(
mode = "redirect"
workers = 8
domains = ["Example.COM", "voice.example.com"]
[[listen]]
address = "[::1]"
port = 5080
[registrar]
min_expires = 30
max_expires = 7200
default_expires = 600
max_contacts_per_aor = 1000
reject_foreign_domains = true
expected_aors = 16777216
[timers]
t1_ms = 1
t2_ms = 1
t4_ms = 3600000
[limits]
max_message_size = 1024
max_transactions_per_worker = 10000000
[[route]]
domain = "Peer.Example.NET"
next_hop = "192.0.2.10"
)");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.mode, ProxyMode::kRedirect);
  EXPECT_EQ(c.workers, 8u);
  // Lower-cased, then the listen address.
  EXPECT_EQ(c.domains, (std::vector<std::string>{"example.com", "voice.example.com", "::1"}));
  EXPECT_EQ(c.listen[0].address.to_string(), "[::1]:5080");
  EXPECT_EQ(c.registrar.min_expires, 30u);
  EXPECT_EQ(c.registrar.max_expires, 7200u);
  EXPECT_EQ(c.registrar.default_expires, 600u);
  EXPECT_EQ(c.registrar.max_contacts_per_aor, 1000u);
  EXPECT_TRUE(c.registrar.reject_foreign_domains);
  EXPECT_EQ(c.registrar.expected_aors, 16777216u);
  EXPECT_EQ(c.timers.t1_ms, 1u);
  EXPECT_EQ(c.timers.t2_ms, 1u);
  EXPECT_EQ(c.timers.t4_ms, 3600000u);
  EXPECT_EQ(c.limits.max_message_size, 1024u);
  EXPECT_EQ(c.limits.max_transactions_per_worker, 10000000u);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].domain, "peer.example.net");
  EXPECT_EQ(c.routes[0].next_hop, NetAddress::ipv4(192, 0, 2, 10, 5060));
}

TEST(ConfigTest, WorkersZeroMeansOnePerCpu) {
  const ConfigResult r = parse("workers = 0\n" + std::string(kListen));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const unsigned cpus = std::thread::hardware_concurrency();
  EXPECT_GE(r.config->workers, 1u);
  if (cpus != 0) {
    EXPECT_EQ(r.config->workers, std::min(cpus, 256u));
  }
}

TEST(ConfigTest, SameAddressOnAnotherPortIsNotADuplicate) {
  const ConfigResult r = parse(with_listen("[[listen]]\naddress = \"127.0.0.1\"\nport = 5070\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.config->listen.size(), 2u);
  // One IP string in domains for the two listens.
  EXPECT_EQ(r.config->domains, (std::vector<std::string>{"127.0.0.1"}));
}

// ---------------------------------------------------------------------------------------------
// Top-level keys

TEST(ConfigErrorTest, Mode) {
  EXPECT_TRUE(FailsAt(before_listen("mode = \"proxy\"\n"), 1,
                      "mode \"proxy\" is not one of \"stateful\", \"stateless\", \"redirect\"", 8));
  EXPECT_TRUE(
      FailsAt(before_listen("mode = \"Stateful\"\n"), 1, "mode \"Stateful\" is not one of"));
  EXPECT_TRUE(FailsAt(before_listen("mode = 1\n"), 1, "mode must be a string, not an integer (1)"));
}

TEST(ConfigErrorTest, Workers) {
  EXPECT_TRUE(
      FailsAt(before_listen("workers = 257\n"), 1, "workers (257) must be between 0 and 256", 11));
  EXPECT_TRUE(
      FailsAt(before_listen("workers = -1\n"), 1, "workers (-1) must be between 0 and 256"));
  EXPECT_TRUE(FailsAt(before_listen("\nworkers = \"4\"\n"), 2,
                      "workers must be an integer, not a string (\"4\")"));
  EXPECT_TRUE(FailsAt(before_listen("workers = 1.5\n"), 1,
                      "workers must be an integer, not a floating-point number"));
}

TEST(ConfigErrorTest, RouteSecret) {
  EXPECT_TRUE(FailsAt(before_listen("route_secret = \"short\"\n"), 1,
                      "route_secret must be at least 16 characters (it is 5)", 16));
  EXPECT_TRUE(FailsAt(before_listen("route_secret = 1234567890123456789\n"), 1,
                      "route_secret must be a string, not an integer"));
}

TEST(ConfigTest, RouteSecretIsRead) {
  const ConfigResult r = parse(before_listen("route_secret = \"0123456789abcdef0123\"\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.config->route_secret, "0123456789abcdef0123");
}

TEST(ConfigErrorTest, Domains) {
  EXPECT_TRUE(FailsAt(before_listen("domains = [\"ok.example\", \"bad_name.example\"]\n"), 1,
                      "domains[1] \"bad_name.example\" is not a valid domain: it has a character "
                      "other than letters, digits, '-' and '.'",
                      26));
  EXPECT_TRUE(FailsAt(before_listen("domains = [\"\"]\n"), 1,
                      "domains[0] \"\" is not a valid domain: it is empty"));
  EXPECT_TRUE(FailsAt(before_listen("domains = [\"a..example\"]\n"), 1,
                      "domains[0] \"a..example\" is not a valid domain: it has an empty label"));
  EXPECT_TRUE(FailsAt(
      before_listen("domains = [\"-a.example\"]\n"), 1,
      "domains[0] \"-a.example\" is not a valid domain: it has a label starting or ending in '-'"));
  EXPECT_TRUE(FailsAt(before_listen("domains = [\"" + std::string(64, 'a') + ".example\"]\n"), 1,
                      "label longer than 63"));
  EXPECT_TRUE(FailsAt(before_listen("domains = \"localhost\"\n"), 1,
                      "domains must be a list of strings, not a string (\"localhost\")"));
  EXPECT_TRUE(FailsAt(before_listen("domains = [\n  \"a.example\",\n  5,\n]\n"), 3,
                      "domains[1] must be a string, not an integer", 3));
  EXPECT_TRUE(FailsAt(before_listen("domains = [\"a.example\", \"b.example\", \"A.Example\"]\n"), 1,
                      "domains[2] \"a.example\" repeats domains[0]"));
}

// Top-level keys written after a [[listen]] belong to that listen entry, as TOML says: the
// error names the table they landed in.
TEST(ConfigErrorTest, TopLevelKeyAfterATable) {
  EXPECT_TRUE(FailsAt(with_listen("mode = \"stateless\"\n"), 3,
                      "unknown key 'mode' in [[listen]] (known keys: address, port, transport, "
                      "advertise)"));
}

// ---------------------------------------------------------------------------------------------
// [[listen]]

TEST(ConfigErrorTest, NoListen) {
  const ConfigResult r = parse("mode = \"stateful\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.line, 0u);
  EXPECT_EQ(r.error.to_string(),
            "test.toml: no [[listen]] table: sipwire needs at least one address to listen on");
  EXPECT_TRUE(FailsAt("mode = \"stateful\"\nlisten = []\n", 2, "no [[listen]] table"));
}

TEST(ConfigErrorTest, ListenPort) {
  EXPECT_TRUE(
      FailsAt(with_listen("port = 0\n"), 3, "listen[0].port (0) must be between 1 and 65535", 8));
  EXPECT_TRUE(FailsAt(with_listen("port = 65536\n"), 3,
                      "listen[0].port (65536) must be between 1 and 65535"));
  EXPECT_TRUE(FailsAt(with_listen("port = \"5060\"\n"), 3,
                      "listen[0].port must be an integer, not a string"));
  // The second entry names its own index.
  EXPECT_TRUE(FailsAt(with_listen("[[listen]]\naddress = \"::1\"\nport = 99999\n"), 5,
                      "listen[1].port (99999) must be between 1 and 65535"));
}

TEST(ConfigErrorTest, ListenAddress) {
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = \"localhost\"\n", 2,
                      "listen[0].address \"localhost\" is not an IPv4 or IPv6 address", 11));
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = \"192.0.2.256\"\n", 2,
                      "listen[0].address \"192.0.2.256\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = \"::1::2\"\n", 2, "listen[0].address \"::1::2\""));
  EXPECT_TRUE(
      FailsAt("\n[[listen]]\nport = 5060\n", 2, "listen[0].address is required in [[listen]]"));
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = 127\n", 2,
                      "listen[0].address must be a string, not an integer"));
}

// advertise: what our Via and Record-Route name for a listen address (behind a NAT, or for a
// wildcard); it is one of our domains too, and a wildcard is not.
TEST(ListenConfigTest, AdvertiseNamesAnAddressOrAHost) {
  const ConfigResult r = parse(
      "domains = [\"example.com\"]\n"
      "[[listen]]\naddress = \"10.0.0.5\"\nadvertise = \"203.0.113.5\"\n"
      "[[listen]]\naddress = \"::\"\nadvertise = \"[2001:DB8:0::5]\"\n"
      "[[listen]]\naddress = \"0.0.0.0\"\nport = 5070\nadvertise = \"SIP.Example.NET\"\n"
      "[[listen]]\naddress = \"0.0.0.0\"\nport = 5080\n");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  ASSERT_EQ(c.listen.size(), 4u);
  EXPECT_EQ(c.listen[0].advertise, "203.0.113.5");
  EXPECT_EQ(c.listen[1].advertise, "2001:db8::5");  // an IPv6 address, canonical, bare
  EXPECT_EQ(c.listen[2].advertise, "sip.example.net");
  EXPECT_EQ(c.listen[3].advertise, "");
  EXPECT_EQ(c.domains, (std::vector<std::string>{"example.com", "10.0.0.5", "203.0.113.5",
                                                 "2001:db8::5", "sip.example.net"}));
  for (const ListenConfig& l : c.listen) EXPECT_EQ(l.advertise_port, 0) << l.advertise;
}

// A port after the host: a NAT that forwards another public port to the listen port.
TEST(ListenConfigTest, AdvertiseTakesAPort) {
  const ConfigResult r = parse(
      "[[listen]]\naddress = \"10.0.0.5\"\nadvertise = \"203.0.113.5:5080\"\n"
      "[[listen]]\naddress = \"::\"\nadvertise = \"[2001:DB8:0::5]:65535\"\n"
      "[[listen]]\naddress = \"0.0.0.0\"\nport = 5070\nadvertise = \"SIP.Example.NET:1\"\n");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  ASSERT_EQ(c.listen.size(), 3u);
  EXPECT_EQ(c.listen[0].advertise, "203.0.113.5");
  EXPECT_EQ(c.listen[0].advertise_port, 5080);
  EXPECT_EQ(c.listen[1].advertise, "2001:db8::5");
  EXPECT_EQ(c.listen[1].advertise_port, 65535);
  EXPECT_EQ(c.listen[2].advertise, "sip.example.net");
  EXPECT_EQ(c.listen[2].advertise_port, 1);
  // The host is one of our domains, without its port.
  EXPECT_EQ(c.domains, (std::vector<std::string>{"10.0.0.5", "203.0.113.5", "2001:db8::5",
                                                 "sip.example.net"}));
}

TEST(ConfigErrorTest, ListenAdvertise) {
  for (const char* port : {"0", "65536", "", "50x", "123456", "-1"})
    EXPECT_TRUE(FailsAt(with_listen("advertise = \"203.0.113.5:" + std::string(port) + "\"\n"), 3,
                        "listen[0].advertise \"203.0.113.5:" + std::string(port) +
                            "\" has a port that is not a number in 1..65535",
                        13))
        << port;
  EXPECT_TRUE(FailsAt(with_listen("advertise = \"[2001:db8::5]5080\"\n"), 3,
                      "listen[0].advertise \"[2001:db8::5]5080\" has something else than :port "
                      "after ]"));
  EXPECT_TRUE(FailsAt(with_listen("advertise = \"[2001:db8::5:5080\"\n"), 3,
                      "listen[0].advertise \"[2001:db8::5:5080\" has no ] after its IPv6 "
                      "address"));
  for (const char* bad : {"[203.0.113.5]:5080", "[sip.example.net]", "sip example:5080"})
    EXPECT_TRUE(FailsAt(with_listen("advertise = \"" + std::string(bad) + "\"\n"), 3,
                        "listen[0].advertise \"" + std::string(bad) +
                            "\" is neither an IP address nor a host name, with an optional :port"))
        << bad;
  EXPECT_TRUE(FailsAt(with_listen("advertise = \"0.0.0.0:5080\"\n"), 3,
                      "listen[0].advertise \"0.0.0.0:5080\" is a wildcard"));
  EXPECT_TRUE(FailsAt(with_listen("advertise = \"sip example\"\n"), 3,
                      "listen[0].advertise \"sip example\" is neither an IP address nor a host "
                      "name"));
  EXPECT_TRUE(FailsAt(with_listen("advertise = \"0.0.0.0\"\n"), 3,
                      "listen[0].advertise \"0.0.0.0\" is a wildcard"));
  EXPECT_TRUE(FailsAt(with_listen("advertise = 5\n"), 3,
                      "listen[0].advertise must be a string, not an integer"));
}

TEST(ConfigErrorTest, ListenTransport) {
  EXPECT_TRUE(FailsAt(with_listen("transport = \"tcp\"\n"), 3,
                      "listen[0].transport \"tcp\" is not supported yet (the control plane will "
                      "serve it)",
                      13));
  EXPECT_TRUE(FailsAt(with_listen("transport = \"tls\"\n"), 3,
                      "listen[0].transport \"tls\" is not supported yet"));
  EXPECT_TRUE(FailsAt(with_listen("transport = \"sctp\"\n"), 3,
                      "listen[0].transport \"sctp\" is not one of \"udp\", \"tcp\", \"tls\""));
}

TEST(ConfigErrorTest, DuplicateListen) {
  EXPECT_TRUE(FailsAt(with_listen("\n[[listen]]\naddress = \"127.0.0.1\"\nport = 5060\n"), 4,
                      "listen[1] (127.0.0.1:5060 udp) repeats listen[0] (line 1)"));
  // The same address written differently is the same address.
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = \"::1\"\n[[listen]]\naddress = \"[0:0::1]\"\n", 3,
                      "listen[1] ([::1]:5060 udp) repeats listen[0]"));
}

TEST(ConfigErrorTest, ListenWrittenAsPlainTable) {
  EXPECT_TRUE(FailsAt("[listen]\naddress = \"127.0.0.1\"\n", 1,
                      "listen must be written [[listen]] (a list of tables), not [listen]"));
  EXPECT_TRUE(FailsAt("listen = \"127.0.0.1\"\n", 1,
                      "listen must be a list of tables ([[listen]]), not a string"));
}

// ---------------------------------------------------------------------------------------------
// [registrar]

TEST(ConfigErrorTest, ExpiresOrder) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmin_expires = 120\ndefault_expires = 60\n"), 4,
                      "registrar.min_expires (120) is greater than registrar.default_expires (60)",
                      15));
  EXPECT_TRUE(
      FailsAt(with_listen("[registrar]\nmax_expires = 600\ndefault_expires = 900\n"), 5,
              "registrar.default_expires (900) is greater than registrar.max_expires (600)"));
  // Only one side given: the error sits on it, and says the other is the default.
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmax_expires = 1800\n"), 4,
                      "registrar.default_expires (3600, the default) is greater than "
                      "registrar.max_expires (1800)"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmin_expires = 7200\n"), 4,
                      "registrar.min_expires (7200) is greater than registrar.default_expires "
                      "(3600, the default)"));
}

TEST(ConfigErrorTest, ExpiresRange) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmin_expires = 0\n"), 4,
                      "registrar.min_expires (0) must be between 1 and 4294967295"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmax_expires = 4294967296\n"), 4,
                      "registrar.max_expires (4294967296) must be between 1 and 4294967295"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\ndefault_expires = \"1h\"\n"), 4,
                      "registrar.default_expires must be an integer, not a string (\"1h\")"));
}

TEST(ConfigErrorTest, MaxContacts) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmax_contacts_per_aor = 0\n"), 4,
                      "registrar.max_contacts_per_aor (0) must be between 1 and 1000"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmax_contacts_per_aor = 1001\n"), 4,
                      "registrar.max_contacts_per_aor (1001) must be between 1 and 1000"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nexpected_aors = 1023\n"), 4,
                      "registrar.expected_aors (1023) must be between 1024 and 16777216"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nexpected_aors = 16777217\n"), 4,
                      "registrar.expected_aors (16777217)"));
}

TEST(ConfigErrorTest, PrivateContactsIsSourceOrContact) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nprivate_contacts = \"nat\"\n"), 4,
                      "registrar.private_contacts \"nat\" is not one of \"source\", \"contact\"",
                      20));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nprivate_contacts = true\n"), 4,
                      "registrar.private_contacts must be a string"));
  const ConfigResult r = parse(with_listen("[registrar]\nprivate_contacts = \"contact\"\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_FALSE(r.config->registrar.private_contacts_at_source);
  EXPECT_TRUE(
      FailsAt(with_listen("[registrar]\nnat_max_expires = -1\n"), 4, "registrar.nat_max_expires"));
}

TEST(ConfigErrorTest, RejectForeignDomainsIsBoolean) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nreject_foreign_domains = \"yes\"\n"), 4,
                      "registrar.reject_foreign_domains must be a boolean (true or false), not a "
                      "string (\"yes\")"));
}

TEST(ConfigErrorTest, SectionMustBeATable) {
  EXPECT_TRUE(FailsAt(before_listen("registrar = 5\n"), 1,
                      "registrar must be a table ([registrar]), not an integer (5)"));
}

// ---------------------------------------------------------------------------------------------
// [timers] and [limits]

TEST(ConfigErrorTest, Timers) {
  EXPECT_TRUE(FailsAt(with_listen("[timers]\nt1_ms = 0\n"), 4,
                      "timers.t1_ms (0) must be between 1 and 3600000"));
  EXPECT_TRUE(FailsAt(with_listen("[timers]\nt1_ms = 5000\nt2_ms = 4000\n"), 4,
                      "timers.t1_ms (5000) is greater than timers.t2_ms (4000)"));
  EXPECT_TRUE(FailsAt(with_listen("[timers]\nt2_ms = 400\n"), 4,
                      "timers.t1_ms (500, the default) is greater than timers.t2_ms (400)"));
  EXPECT_TRUE(FailsAt(with_listen("[timers]\nt4_ms = 500.0\n"), 4,
                      "timers.t4_ms must be an integer, not a floating-point number"));
}

TEST(ConfigErrorTest, Limits) {
  EXPECT_TRUE(FailsAt(with_listen("[limits]\nmax_message_size = 1023\n"), 4,
                      "limits.max_message_size (1023) must be between 1024 and 65535"));
  EXPECT_TRUE(FailsAt(with_listen("[limits]\nmax_message_size = 65536\n"), 4,
                      "limits.max_message_size (65536) must be between 1024 and 65535"));
  EXPECT_TRUE(FailsAt(with_listen("[limits]\nmax_transactions_per_worker = 0\n"), 4,
                      "limits.max_transactions_per_worker (0) must be between 1 and 10000000"));
  EXPECT_TRUE(FailsAt(with_listen("[limits]\nmax_transactions_per_worker = 10000001\n"), 4,
                      "limits.max_transactions_per_worker (10000001) must be between 1 and "
                      "10000000"));
}

// ---------------------------------------------------------------------------------------------
// [[route]]

TEST(ConfigErrorTest, RouteDomain) {
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"bad domain\"\nnext_hop = \"192.0.2.1\"\n"),
                      4, "route[0].domain \"bad domain\" is not a valid domain"));
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\nnext_hop = \"192.0.2.1\"\n"
                                  "[[route]]\ndomain = \"A.EXAMPLE\"\nnext_hop = \"192.0.2.2\"\n"),
                      7, "route[1].domain \"a.example\" repeats route[0].domain (line 4)"));
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\nnext_hop = \"192.0.2.1\"\n"), 3,
                      "route[0].domain is required in [[route]]"));
}

// ---------------------------------------------------------------------------------------------
// Destination sets

constexpr std::string_view kPbxSet = R"([[destination]]
name = "pbx"
algorithm = "priority"
probe_interval_ms = 5000
down_after = 2
up_after = 1
hops = [
  { address = "192.0.2.10:5060", priority = 1 },
  { address = "[2001:db8::10]", weight = 3, priority = 2 },
]
)";

TEST(ConfigTest, DestinationSetsAndRoutesToThem) {
  const ConfigResult r =
      parse(with_listen(std::string(kPbxSet) + "[[route]]\ndomain = \"pbx.example\"\n"
                                               "destination = \"pbx\"\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  ASSERT_EQ(c.destinations.size(), 1u);
  const DestinationConfig& d = c.destinations[0];
  EXPECT_EQ(d.name, "pbx");
  EXPECT_EQ(d.algorithm, "priority");
  EXPECT_EQ(d.probe_interval_ms, 5000u);
  EXPECT_EQ(d.down_after, 2u);
  EXPECT_EQ(d.up_after, 1u);
  ASSERT_EQ(d.hops.size(), 2u);
  EXPECT_EQ(d.hops[0].address, NetAddress::ipv4(192, 0, 2, 10, 5060));
  EXPECT_EQ(d.hops[0].priority, 1u);
  EXPECT_EQ(d.hops[1].address.to_string(), "[2001:db8::10]:5060");
  EXPECT_EQ(d.hops[1].weight, 3u);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].destination, "pbx");
}

TEST(ConfigErrorTest, DestinationSets) {
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\ndestination = \"nope\"\n"), 5,
                      "route[0].destination \"nope\" names no [[destination]]"));
  EXPECT_TRUE(FailsAt(with_listen(std::string(kPbxSet) +
                                  "[[route]]\ndomain = \"a.example\"\ndestination = \"pbx\"\n"
                                  "next_hop = \"192.0.2.1\"\n"),
                      13, "needs exactly one of next_hop"));
  EXPECT_TRUE(FailsAt(with_listen("[[destination]]\nname = \"d\"\nalgorithm = \"random\"\n"
                                  "hops = [{ address = \"192.0.2.1\" }]\n"),
                      5, "algorithm \"random\" is not one of"));
  EXPECT_TRUE(FailsAt(with_listen("[[destination]]\nname = \"d\"\nhops = [{ address = \"gw\" }]\n"),
                      5, "destination[0].hops[0].address \"gw\" is not an IP address"));
  EXPECT_TRUE(FailsAt(with_listen("[[destination]]\nname = \"d\"\nhops = []\n"), 5,
                      "destination[0].hops must list at least one hop"));
  // A bare address is not a hop: the error says what a hop looks like (not that the list is
  // empty).
  EXPECT_TRUE(FailsAt(with_listen("[[destination]]\nname = \"d\"\nhops = [\"192.0.2.10\"]\n"), 5,
                      "destination[0].hops must hold hop tables ({ address = \"192.0.2.20:5060\" "
                      "}), not a string",
                      9));
  EXPECT_TRUE(FailsAt(with_listen("[[destination]]\nname = \"d\"\n"), 3,
                      "destination[0].hops is required"));
  EXPECT_TRUE(FailsAt(with_listen(std::string(kPbxSet) + std::string(kPbxSet)), 14,
                      "destination[1].name \"pbx\" repeats destination[0].name"));
}

TEST(ConfigErrorTest, RouteNextHop) {
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\nnext_hop = \"gw.example\"\n"),
                      5, "route[0].next_hop \"gw.example\" is not an IP address", 12));
  EXPECT_TRUE(
      FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\nnext_hop = \"192.0.2.1:0\"\n"), 5,
              "route[0].next_hop \"192.0.2.1:0\" is not an IP address"));
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\n"), 3,
                      "route[0] needs exactly one of next_hop (an address) and destination"));
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\nnext_hop = \"192.0.2.1\"\n"
                                  "transport = \"tls\"\n"),
                      6, "route[0].transport \"tls\" is not supported yet"));
}

// ---------------------------------------------------------------------------------------------
// Unknown keys and tables

// ---------------------------------------------------------------------------------------------
// trusted_sources, [auth], [flood]

TEST(ConfigTest, TrustedSourcesAuthAndFlood) {
  const ConfigResult r =
      parse(before_listen("trusted_sources = [\"10.0.0.0/8\", \"192.0.2.7\", \"2001:db8::/32\"]\n"
                          "[auth]\nusers_file = \"/etc/sipwire/users\"\nrealm = \"example.com\"\n"
                          "nonce_lifetime_s = 60\nreplay_entries_per_worker = 2048\n"
                          "[flood]\nrequests_per_second = 2.5\naction = \"drop\"\n"
                          "exempt = [\"127.0.0.0/8\", \"::1\"]\nsources_per_worker = 4096\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  ASSERT_EQ(c.trusted_sources.size(), 3u);
  EXPECT_EQ(c.trusted_sources[0].network, NetAddress::ipv4(10, 0, 0, 0, 0));
  EXPECT_EQ(c.trusted_sources[0].prefix_length, 8);
  EXPECT_EQ(c.trusted_sources[1].prefix_length, 32);
  EXPECT_EQ(c.trusted_sources[2].prefix_length, 32);
  EXPECT_TRUE(c.trusted_sources[2].network.is_ipv6());
  EXPECT_EQ(c.auth.users_file, "/etc/sipwire/users");
  EXPECT_EQ(c.auth.realm, "example.com");
  EXPECT_EQ(c.auth.nonce_lifetime_s, 60u);
  EXPECT_EQ(c.auth.replay_entries_per_worker, 2048u);
  EXPECT_EQ(c.flood.rate_milli_per_s, 2500u);
  EXPECT_EQ(c.flood.burst, 5u);  // twice the rate
  EXPECT_EQ(c.flood.action, FloodAction::kDrop);
  ASSERT_EQ(c.flood.exempt.size(), 2u);
  EXPECT_EQ(c.flood.exempt[1].prefix_length, 128);
  EXPECT_EQ(c.flood.sources_per_worker, 4096u);
}

TEST(ConfigTest, FloodRateAndBurst) {
  auto flood = [](std::string_view body) {
    const ConfigResult r = parse(with_listen("[flood]\n" + std::string(body)));
    EXPECT_TRUE(r.ok()) << r.error.to_string();
    return r.ok() ? r.config->flood : FloodConfig{};
  };
  EXPECT_EQ(flood("requests_per_second = 50\n").rate_milli_per_s, 50000u);
  EXPECT_EQ(flood("requests_per_second = 50\n").burst, 100u);
  EXPECT_EQ(flood("requests_per_second = 0.001\n").rate_milli_per_s, 1u);
  EXPECT_EQ(flood("requests_per_second = 0.001\n").burst, 1u);  // rounded up
  EXPECT_EQ(flood("requests_per_second = 10\nburst = 3\n").burst, 3u);
  EXPECT_EQ(flood("requests_per_second = 0\n").burst, 0u);
  EXPECT_FALSE(flood("requests_per_second = 0\n").enabled());
  EXPECT_EQ(flood("action = \"reject\"\n").action, FloodAction::kReject);
}

TEST(ConfigErrorTest, TrustedSources) {
  EXPECT_TRUE(FailsAt(before_listen("trusted_sources = [\"10.0.0.0/33\"]\n"), 1,
                      "trusted_sources \"10.0.0.0/33\" has a prefix length over 32", 20));
  EXPECT_TRUE(FailsAt(before_listen("trusted_sources = [\"10.1.0.0/8\"]\n"), 1,
                      "has address bits set past the prefix length /8"));
  EXPECT_TRUE(FailsAt(before_listen("trusted_sources = [\"example.com\"]\n"), 1,
                      "is not an IPv4 or IPv6 address block"));
  EXPECT_TRUE(FailsAt(before_listen("trusted_sources = \"10.0.0.0/8\"\n"), 1,
                      "trusted_sources must be a list of address blocks"));
  EXPECT_TRUE(FailsAt(before_listen("trusted_sources = [8]\n"), 1,
                      "trusted_sources must hold strings, not an integer"));
}

TEST(ConfigErrorTest, Auth) {
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nusers = \"x\"\n"), 4, "users"));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nalgorithms = [\"MD5\", \"SHA-512\"]\n"), 4,
                      "auth.algorithms \"SHA-512\" is not one of \"SHA-256\", \"MD5\""));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nalgorithms = [\"MD5\", \"MD5\"]\n"), 4,
                      "auth.algorithms lists \"MD5\" twice"));
  {
    const ConfigResult r = parse(with_listen("[auth]\nalgorithms = \"MD5\"\n"));
    ASSERT_TRUE(r.ok()) << r.error.to_string();
    EXPECT_EQ(r.config->auth.algorithms, (std::vector<std::string>{"MD5"}));
  }
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nnonce_lifetime_s = 5\n"), 4,
                      "auth.nonce_lifetime_s (5) must be between 10 and 86400"));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nreplay_entries_per_worker = 10\n"), 4,
                      "auth.replay_entries_per_worker (10) must be between 1024"));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nrealm = \"two words\"\n"), 4,
                      "auth.realm \"two words\" must be non-empty, without spaces"));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nrealm = \"\"\n"), 4, "auth.realm"));
  EXPECT_TRUE(FailsAt(with_listen("[auth]\nusers_file = 1\n"), 4, "auth.users_file"));
}

TEST(ConfigErrorTest, Flood) {
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nrate = 5\n"), 4, "rate"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\naction = \"block\"\n"), 4, "flood.action"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nrequests_per_second = -1\n"), 4,
                      "flood.requests_per_second (-1) must be 0 (off) or between 0.001 and"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nrequests_per_second = 0.0001\n"), 4,
                      "flood.requests_per_second"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nrequests_per_second = 2000000\n"), 4,
                      "flood.requests_per_second"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nrequests_per_second = \"5\"\n"), 4,
                      "flood.requests_per_second must be a number"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nburst = 0\n"), 4, "flood.burst (0) must be between 1"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nexempt = [\"300.0.0.1\"]\n"), 4,
                      "flood.exempt \"300.0.0.1\" is not an IPv4 or IPv6 address block"));
  EXPECT_TRUE(FailsAt(with_listen("[flood]\nsources_per_worker = 1\n"), 4,
                      "flood.sources_per_worker (1) must be between 1024"));
}

// ---------------------------------------------------------------------------------------------
// io and [dpdk]

TEST(IoBackendTest, ParseAndName) {
  EXPECT_EQ(parse_io_backend("socket"), IoBackend::kSocket);
  EXPECT_EQ(parse_io_backend("dpdk"), IoBackend::kDpdk);
  EXPECT_EQ(parse_io_backend("DPDK"), std::nullopt);  // spelled as in the file, exactly
  EXPECT_EQ(parse_io_backend(""), std::nullopt);
  EXPECT_EQ(parse_io_backend("sockets"), std::nullopt);
  for (const IoBackend io : {IoBackend::kSocket, IoBackend::kDpdk})
    EXPECT_EQ(parse_io_backend(to_string(io)), io);
  EXPECT_EQ(to_string(IoBackend::kSocket), "socket");
  EXPECT_EQ(to_string(IoBackend::kDpdk), "dpdk");
}

TEST(DpdkConfigTest, Defaults) {
  const ConfigResult r = parse(kListen);
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.io, IoBackend::kSocket);
  EXPECT_TRUE(c.dpdk.eal.empty());
  EXPECT_EQ(c.dpdk.port, "");
  EXPECT_EQ(c.dpdk.exception_tap, "");
  EXPECT_TRUE(c.dpdk.networks.empty());
  EXPECT_TRUE(c.dpdk.gateways.empty());
  EXPECT_EQ(c.dpdk.mtu, 1500u);
  EXPECT_EQ(c.dpdk.vlan, 0u);
  EXPECT_EQ(c.dpdk.mbufs_per_worker, 16383u);
  EXPECT_EQ(c.dpdk.queue_size, 1024u);
  EXPECT_EQ(c.dpdk.burst, 32u);
  EXPECT_EQ(c.dpdk.reassembly_flows, 4096u);
  EXPECT_EQ(c.dpdk.reassembly_timeout_ms, 2000u);
  EXPECT_EQ(c.dpdk.neighbor_hold_ms, 1000u);
  EXPECT_EQ(c.dpdk.neighbor_reachable_ms, 60000u);
  EXPECT_EQ(c.dpdk.idle_sleep_us, 100u);
  EXPECT_TRUE(c.dpdk.verify_udp_checksums);
  // An empty [dpdk] changes nothing.
  const ConfigResult empty = parse(with_listen("[dpdk]\n"));
  ASSERT_TRUE(empty.ok()) << empty.error.to_string();
  EXPECT_EQ(empty.config->dpdk.mtu, 1500u);
  EXPECT_EQ(parse(before_listen("io = \"socket\"\n")).config->io, IoBackend::kSocket);
}

TEST(DpdkConfigTest, ReadsEveryKey) {
  const ConfigResult r = parse(R"(io = "dpdk"
[[listen]]
address = "10.0.0.2"
[[listen]]
address = "2001:db8::2"
[dpdk]
eal = ["--no-pci", "--no-huge", "-m", "512"]
port = "net_af_packet0,iface=veth1"
exception_tap = "sw-exc.0_A"
networks = ["10.0.0.0/24", "2001:db8::/64"]
gateways = ["2001:db8::1", "10.0.0.1"]
mtu = 9216
vlan = 4094
mbufs_per_worker = 1023
queue_size = 16384
burst = 512
reassembly_flows = 16
reassembly_timeout_ms = 60000
neighbor_hold_ms = 60000
neighbor_reachable_ms = 3600000
idle_sleep_us = 100000
verify_udp_checksums = false
)");
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  const Config& c = *r.config;
  EXPECT_EQ(c.io, IoBackend::kDpdk);
  EXPECT_EQ(c.dpdk.eal, (std::vector<std::string>{"--no-pci", "--no-huge", "-m", "512"}));
  EXPECT_EQ(c.dpdk.port, "net_af_packet0,iface=veth1");
  EXPECT_EQ(c.dpdk.exception_tap, "sw-exc.0_A");
  ASSERT_EQ(c.dpdk.networks.size(), 2u);
  EXPECT_EQ(c.dpdk.networks[0].network, NetAddress::ipv4(10, 0, 0, 0, 0));
  EXPECT_EQ(c.dpdk.networks[0].prefix_length, 24);
  EXPECT_TRUE(c.dpdk.networks[1].network.is_ipv6());
  EXPECT_EQ(c.dpdk.networks[1].prefix_length, 64);
  ASSERT_EQ(c.dpdk.gateways.size(), 2u);
  EXPECT_EQ(c.dpdk.gateways[0], NetAddress::parse("2001:db8::1", 0));
  EXPECT_EQ(c.dpdk.gateways[1], NetAddress::ipv4(10, 0, 0, 1, 0));
  EXPECT_EQ(c.dpdk.mtu, 9216u);
  EXPECT_EQ(c.dpdk.vlan, 4094u);
  EXPECT_EQ(c.dpdk.mbufs_per_worker, 1023u);
  EXPECT_EQ(c.dpdk.queue_size, 16384u);
  EXPECT_EQ(c.dpdk.burst, 512u);
  EXPECT_EQ(c.dpdk.reassembly_flows, 16u);
  EXPECT_EQ(c.dpdk.reassembly_timeout_ms, 60000u);
  EXPECT_EQ(c.dpdk.neighbor_hold_ms, 60000u);
  EXPECT_EQ(c.dpdk.neighbor_reachable_ms, 3600000u);
  EXPECT_EQ(c.dpdk.idle_sleep_us, 100000u);
  EXPECT_FALSE(c.dpdk.verify_udp_checksums);

  // The other ends of the ranges, a NIC's port, and gateways without networks (any is on-link).
  const ConfigResult low = parse(with_listen(R"([dpdk]
eal = ["-l", "2-3", "--in-memory"]
port = "0000:03:00.0"
gateways = ["192.0.2.1"]
mtu = 576
vlan = 1
mbufs_per_worker = 1048575
queue_size = 64
burst = 1
reassembly_flows = 1048576
reassembly_timeout_ms = 100
neighbor_hold_ms = 10
neighbor_reachable_ms = 1000
idle_sleep_us = 0
)"));
  ASSERT_TRUE(low.ok()) << low.error.to_string();
  EXPECT_EQ(low.config->dpdk.port, "0000:03:00.0");
  EXPECT_EQ(low.config->dpdk.gateways,
            (std::vector<NetAddress>{NetAddress::ipv4(192, 0, 2, 1, 0)}));
  EXPECT_EQ(low.config->dpdk.mtu, 576u);
  EXPECT_EQ(low.config->dpdk.vlan, 1u);
  EXPECT_EQ(low.config->dpdk.mbufs_per_worker, 1048575u);
  EXPECT_EQ(low.config->dpdk.queue_size, 64u);
  EXPECT_EQ(low.config->dpdk.burst, 1u);
  EXPECT_EQ(low.config->dpdk.reassembly_flows, 1048576u);
  EXPECT_EQ(low.config->dpdk.reassembly_timeout_ms, 100u);
  EXPECT_EQ(low.config->dpdk.neighbor_hold_ms, 10u);
  EXPECT_EQ(low.config->dpdk.neighbor_reachable_ms, 1000u);
  EXPECT_EQ(low.config->dpdk.idle_sleep_us, 0u);
}

TEST(ConfigErrorTest, Io) {
  EXPECT_TRUE(FailsAt(before_listen("io = \"xdp\"\n"), 1,
                      "io \"xdp\" is not one of \"socket\", \"dpdk\"", 6));
  EXPECT_TRUE(FailsAt(before_listen("io = \"DPDK\"\n"), 1, "io \"DPDK\" is not one of"));
  EXPECT_TRUE(FailsAt(before_listen("io = 1\n"), 1, "io must be a string, not an integer (1)"));
  EXPECT_TRUE(
      FailsAt(before_listen("dpdk = 1\n"), 1, "dpdk must be a table ([dpdk]), not an integer"));
}

TEST(ConfigErrorTest, DpdkNeedsPort) {
  // Without [dpdk]: at the io key.
  EXPECT_TRUE(FailsAt(before_listen("io = \"dpdk\"\n"), 1, "io = \"dpdk\" needs [dpdk] port", 6));
  // With [dpdk]: at the table, where the port belongs.
  EXPECT_TRUE(FailsAt(before_listen("io = \"dpdk\"\n") + "\n[dpdk]\nmtu = 1500\n", 5,
                      "io = \"dpdk\" needs [dpdk] port"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nport = \"\"\n"), 4, "dpdk.port must not be empty", 8));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nport = 3\n"), 4, "dpdk.port must be a string"));
  // io = "socket" needs no port.
  const ConfigResult r = parse(with_listen("[dpdk]\nmtu = 9000\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.config->dpdk.mtu, 9000u);
}

TEST(ConfigErrorTest, DpdkRanges) {
  struct Case {
    std::string_view line;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"mtu = 575", "dpdk.mtu (575) must be between 576 and 9216"},
           Case{"mtu = 9217", "dpdk.mtu (9217) must be between 576 and 9216"},
           Case{"vlan = 4095", "dpdk.vlan (4095) must be between 0 and 4094"},
           Case{"vlan = -1", "dpdk.vlan"},
           Case{"mbufs_per_worker = 1022",
                "dpdk.mbufs_per_worker (1022) must be between 1023 and 1048575"},
           Case{"mbufs_per_worker = 1048576", "dpdk.mbufs_per_worker (1048576)"},
           Case{"queue_size = 63", "dpdk.queue_size (63) must be between 64 and 16384"},
           Case{"queue_size = 16385", "dpdk.queue_size (16385)"},
           Case{"burst = 0", "dpdk.burst (0) must be between 1 and 512"},
           Case{"burst = 513", "dpdk.burst (513)"},
           Case{"reassembly_flows = 15",
                "dpdk.reassembly_flows (15) must be between 16 and 1048576"},
           Case{"reassembly_flows = 1048577", "dpdk.reassembly_flows (1048577)"},
           Case{"reassembly_timeout_ms = 99",
                "dpdk.reassembly_timeout_ms (99) must be between 100 and 60000"},
           Case{"reassembly_timeout_ms = 60001", "dpdk.reassembly_timeout_ms (60001)"},
           Case{"neighbor_hold_ms = 9", "dpdk.neighbor_hold_ms (9) must be between 10 and 60000"},
           Case{"neighbor_hold_ms = 60001", "dpdk.neighbor_hold_ms (60001)"},
           Case{"neighbor_reachable_ms = 999",
                "dpdk.neighbor_reachable_ms (999) must be between 1000 and 3600000"},
           Case{"neighbor_reachable_ms = 3600001", "dpdk.neighbor_reachable_ms (3600001)"},
           Case{"idle_sleep_us = 100001",
                "dpdk.idle_sleep_us (100001) must be between 0 and 100000"},
           Case{"idle_sleep_us = -1", "dpdk.idle_sleep_us"},
           Case{"mtu = \"1500\"", "dpdk.mtu must be an integer, not a string"},
           Case{"verify_udp_checksums = 0", "dpdk.verify_udp_checksums must be"},
       }) {
    EXPECT_TRUE(
        FailsAt(with_listen("[dpdk]\nport = \"0000:03:00.0\"\n" + std::string(c.line) + "\n"), 5,
                c.message))
        << c.line;
  }
}

TEST(ConfigErrorTest, DpdkEal) {
  EXPECT_TRUE(
      FailsAt(with_listen("[dpdk]\neal = \"-l 2-3\"\n"), 4, "dpdk.eal must be a list of strings"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\neal = [\n  \"-l\",\n  2,\n]\n"), 6,
                      "dpdk.eal must hold strings, not an integer", 3));
  const ConfigResult r = parse(with_listen("[dpdk]\neal = []\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_TRUE(r.config->dpdk.eal.empty());
}

TEST(ConfigErrorTest, DpdkExceptionTap) {
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nexception_tap = \"sipwire-exception\"\n"), 4,
                      "dpdk.exception_tap \"sipwire-exception\" is not an interface name: it must "
                      "be 1..15 characters long",
                      17));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nexception_tap = \"tap 0\"\n"), 4,
                      "dpdk.exception_tap \"tap 0\" is not an interface name: it may hold only "
                      "letters, digits, '_', '.' and '-'"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nexception_tap = \"tap/0\"\n"), 4, "may hold only"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nexception_tap = \"..\"\n"), 4,
                      "dpdk.exception_tap \"..\" is not an interface name"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nexception_tap = 0\n"), 4,
                      "dpdk.exception_tap must be a string"));
  // 15 characters is the longest; "" is no tap.
  for (std::string_view name : {"\"sipwire-except\"", "\"\""}) {
    const ConfigResult r =
        parse(with_listen("[dpdk]\nexception_tap = " + std::string(name) + "\n"));
    EXPECT_TRUE(r.ok()) << r.error.to_string();
  }
}

TEST(ConfigErrorTest, DpdkNetworksAndGateways) {
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nnetworks = [\"10.0.0.1/24\"]\n"), 4,
                      "dpdk.networks \"10.0.0.1/24\" has address bits set past the prefix length"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nnetworks = \"10.0.0.0/24\"\n"), 4,
                      "dpdk.networks must be a list of address blocks"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = [\"gw.example\"]\n"), 4,
                      "dpdk.gateways \"gw.example\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = [\"10.0.0.1:5060\"]\n"), 4,
                      "dpdk.gateways \"10.0.0.1:5060\" is not an IPv4 or IPv6 address"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = \"10.0.0.1\"\n"), 4,
                      "dpdk.gateways must be a list of IP addresses"));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = [1]\n"), 4,
                      "dpdk.gateways must hold strings, not an integer"));
  // Two of one family: at the second.
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = [\n  \"10.0.0.1\",\n  \"::1\",\n"
                                  "  \"10.0.0.2\",\n]\n"),
                      7,
                      "dpdk.gateways \"10.0.0.2\" is a second IPv4 gateway (after 10.0.0.1): at "
                      "most one IPv4 and one IPv6 gateway",
                      3));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\ngateways = [\"2001:db8::1\", \"2001:db8::2\"]\n"), 4,
                      "is a second IPv6 gateway"));
  // Outside every network: at the gateway, naming the networks' line; with io = "socket" too.
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nnetworks = [\"10.0.0.0/24\", \"2001:db8::/64\"]\n"
                                  "gateways = [\"10.0.0.1\", \"2001:db8:1::1\"]\n"),
                      5,
                      "dpdk.gateways \"2001:db8:1::1\" is in none of dpdk.networks (line 4): a "
                      "gateway must be on-link",
                      25));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nnetworks = [\"10.0.0.0/25\"]\n"
                                  "gateways = [\"10.0.0.129\"]\n"),
                      5, "dpdk.gateways \"10.0.0.129\" is in none of dpdk.networks"));
  // A gateway of a family no network has is outside them too.
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nnetworks = [\"10.0.0.0/24\"]\ngateways = [\"::1\"]\n"),
                      5, "dpdk.gateways \"::1\" is in none of dpdk.networks"));
  const ConfigResult r =
      parse(with_listen("[dpdk]\nnetworks = [\"10.0.0.0/23\", \"10.1.0.0/16\"]\n"
                        "gateways = [\"10.1.255.254\"]\n"));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
}

TEST(ConfigErrorTest, DpdkWildcardListen) {
  constexpr std::string_view kDpdk = "[dpdk]\nport = \"0000:03:00.0\"\n";
  EXPECT_TRUE(FailsAt("io = \"dpdk\"\n[[listen]]\naddress = \"0.0.0.0\"\n" + std::string(kDpdk), 2,
                      "listen[0].address \"0.0.0.0\" is a wildcard, but io = \"dpdk\" (line 1): "
                      "the DPDK data plane owns specific addresses"));
  EXPECT_TRUE(
      FailsAt("io = \"dpdk\"\n[[listen]]\naddress = \"10.0.0.2\"\n\n[[listen]]\n"
              "address = \"[::]\"\nport = 5070\n" +
                  std::string(kDpdk),
              5, "listen[1].address \"::\" is a wildcard, but io = \"dpdk\""));
  // With sockets a wildcard is fine.
  const ConfigResult r = parse("[[listen]]\naddress = \"0.0.0.0\"\n" + std::string(kDpdk));
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.config->io, IoBackend::kSocket);
}

TEST(ConfigErrorTest, UnknownKeyInDpdk) {
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nport = \"0000:03:00.0\"\nmtus = 1500\n"), 5,
                      "unknown key 'mtus' in [dpdk]; did you mean 'mtu'?", 1));
  EXPECT_TRUE(FailsAt(with_listen("[dpdk]\nlcores = \"2-3\"\n"), 4,
                      "unknown key 'lcores' in [dpdk] (known keys: eal, port, exception_tap"));
  EXPECT_TRUE(
      FailsAt(with_listen("[dpdk.eal]\nl = \"2-3\"\n"), 3, "dpdk.eal must be a list of strings"));
}

TEST(ConfigErrorTest, UnknownTopLevelKey) {
  EXPECT_TRUE(FailsAt("mode = \"stateful\"\nworker = 4\n" + std::string(kListen), 2,
                      "unknown key 'worker' at the top level; did you mean 'workers'?", 1));
  EXPECT_TRUE(FailsAt("log_level = \"debug\"\n" + std::string(kListen), 1,
                      "unknown key 'log_level' at the top level (known keys: mode, workers"));
}

TEST(ConfigErrorTest, UnknownKeyInTable) {
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nmin_expires = 60\n  min_expire = 60\n"), 5,
                      "unknown key 'min_expire' in [registrar]; did you mean 'min_expires'?", 3));
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = \"127.0.0.1\"\nprot = 5060\n", 3,
                      "unknown key 'prot' in [[listen]]; did you mean 'port'?"));
  EXPECT_TRUE(FailsAt(with_listen("[[route]]\ndomain = \"a.example\"\nnext_hop = \"192.0.2.1\"\n"
                                  "nexthop = \"192.0.2.1\"\n"),
                      6, "unknown key 'nexthop' in [[route]]; did you mean 'next_hop'?"));
}

TEST(ConfigErrorTest, UnknownTable) {
  EXPECT_TRUE(FailsAt(with_listen("\n[registar]\nmin_expires = 60\n"), 4,
                      "unknown table [registar]; did you mean 'registrar'?"));
  EXPECT_TRUE(FailsAt(with_listen("[[routes]]\ndomain = \"a.example\"\n"), 3,
                      "unknown table [[routes]]; did you mean 'route'?"));
  EXPECT_TRUE(FailsAt(with_listen("[timers.extra]\nx = 1\n"), 3, "unknown table [timers.extra]"));
}

// ---------------------------------------------------------------------------------------------
// Syntax errors, several errors, files

TEST(ConfigErrorTest, TomlSyntaxError) {
  const ConfigResult r = parse("mode = \"stateful\"\nworkers = 1\nmode2 = \"unterminated\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.line, 3u);
  EXPECT_NE(r.error.message.find("TOML syntax error"), std::string::npos) << r.error.message;
  EXPECT_EQ(r.error.to_string().rfind("test.toml:3:", 0), 0u) << r.error.to_string();
  // A key given twice is a TOML error, at the second one.
  EXPECT_TRUE(FailsAt("workers = 1\nworkers = 2\n", 2, "TOML syntax error"));
  EXPECT_TRUE(FailsAt("[[listen]]\naddress = 127.0.0.1\n", 2, "TOML syntax error"));
}

TEST(ConfigErrorTest, EarliestErrorInTheFileIsReported) {
  // [registrar] is read before [limits], but the error on line 4 comes first in the file.
  EXPECT_TRUE(FailsAt(with_listen("[limits]\nmax_message_size = 1\n[registrar]\nbogus = 1\n"), 4,
                      "limits.max_message_size (1)"));
  EXPECT_TRUE(FailsAt(with_listen("[registrar]\nbogus = 1\n[limits]\nmax_message_size = 1\n"), 4,
                      "unknown key 'bogus'"));
}

TEST(ConfigFileTest, MissingFile) {
  const ConfigResult r = load_config_file("/nonexistent/sipwire.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.file, "/nonexistent/sipwire.toml");
  EXPECT_EQ(r.error.line, 0u);
  EXPECT_EQ(r.error.to_string(),
            "/nonexistent/sipwire.toml: cannot open: No such file or directory");
}

TEST(ConfigFileTest, DirectoryIsNotAConfig) {
  const ConfigResult r = load_config_file(configs_dir());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.message.find("cannot read"), std::string::npos) << r.error.to_string();
}

TEST(ConfigFileTest, ErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "sipwire_config_test_bad.toml";
  {
    std::ofstream out(path);
    out << "[[listen]]\naddress = \"127.0.0.1\"\nport = 0\n";
  }
  const ConfigResult r = load_config_file(path);
  std::remove(path.c_str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.to_string(), path + ":3:8: listen[0].port (0) must be between 1 and 65535");
}

TEST(ConfigErrorTest, ToStringFormats) {
  EXPECT_EQ((ConfigError{"a.toml", 3, 7, "bad"}).to_string(), "a.toml:3:7: bad");
  EXPECT_EQ((ConfigError{"a.toml", 3, 0, "bad"}).to_string(), "a.toml:3: bad");
  EXPECT_EQ((ConfigError{"a.toml", 0, 0, "bad"}).to_string(), "a.toml: bad");
}

// ---------------------------------------------------------------------------------------------
// is_our_domain

Config our_config() {
  const ConfigResult r = parse(R"(domains = ["Example.COM", "192.0.2.99"]
[[listen]]
address = "127.0.0.1"
[[listen]]
address = "::1"
port = 5070
)");
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  return r.ok() ? *r.config : Config{};
}

TEST(OurDomainTest, DomainsIgnoreCase) {
  const Config c = our_config();
  EXPECT_TRUE(c.is_our_domain("example.com"));
  EXPECT_TRUE(c.is_our_domain("EXAMPLE.com"));
  EXPECT_TRUE(c.is_our_domain("example.com."));  // absolute form
  EXPECT_FALSE(c.is_our_domain("sub.example.com"));
  EXPECT_FALSE(c.is_our_domain("example.co"));
  EXPECT_FALSE(c.is_our_domain("example.com.."));
  EXPECT_FALSE(c.is_our_domain(""));
}

TEST(OurDomainTest, ListenAddresses) {
  const Config c = our_config();
  EXPECT_TRUE(c.is_our_domain("127.0.0.1"));
  EXPECT_FALSE(c.is_our_domain("127.0.0.2"));
  EXPECT_TRUE(c.is_our_domain("192.0.2.99"));  // an IP literal listed in domains
  EXPECT_FALSE(c.is_our_domain("192.0.2.9"));
}

TEST(OurDomainTest, Ipv6AnyForm) {
  const Config c = our_config();
  EXPECT_TRUE(c.is_our_domain("[::1]"));
  EXPECT_TRUE(c.is_our_domain("::1"));
  EXPECT_TRUE(c.is_our_domain("[0:0:0:0:0:0:0:1]"));
  EXPECT_FALSE(c.is_our_domain("[::2]"));
  EXPECT_FALSE(c.is_our_domain("[::1"));
}

}  // namespace
}  // namespace sipwire
