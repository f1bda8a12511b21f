// Server policy: the cost of deciding which rule applies to a message, for 10, 100 and 1,000
// rules (docs/BENCHMARKS.md, "Server policy").
//
//   hyperscan: PolicyEvaluator::evaluate: the subject built, one scan of the single Hyperscan
//              database, the first rule whose predicates all hold.
//   one_by_one: the rules tried in order, each pattern on its field with std::regex_search
//               (ECMAScript; compiled once at setup), exact and prefix patterns by
//               std::string_view comparison, then the method, source, transport checks.
//
// The rule set is a mix of the four shapes below, none of which matches the message; the last
// rule matches everything, so both evaluators decide at the last rule (the worst case for
// evaluating one by one, the usual case for a policy ending in a catch-all).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "bench_messages.h"
#include "sipwire/policy/policy.h"

namespace sipwire {
namespace {

std::string rules_toml(int count) {
  std::string toml = "domains = [\"example.com\"]\n[[listen]]\naddress = \"192.0.2.1\"\n";
  for (int i = 0; i + 1 < count; ++i) {
    const std::string n = std::to_string(i);
    toml += "[[rule]]\nname = \"r" + n + "\"\n";
    switch (i % 4) {
      case 0:
        toml += "method = [\"INVITE\", \"MESSAGE\"]\nruri_user_prefix = \"+49" + n + "\"\n";
        break;
      case 1:
        toml += "ruri_user_regex = \"^9" + n + "[0-9]{3}$\"\n";
        break;
      case 2:
        toml += "header = \"User-Agent\"\nheader_regex = \"scanner-" + n + "\"\n";
        break;
      case 3:
        toml += "from_uri_regex = \"@host" + n + "\\\\.example$\"\nsource = \"10." +
                std::to_string(i % 256) + ".0.0/16\"\n";
        break;
    }
    toml += "action = \"forward\"\ndestination = \"d" + n + "\"\n";
  }
  toml += "[[rule]]\nname = \"last\"\naction = \"lookup\"\n";
  return toml;
}

Config load(int count) {
  const ConfigResult r = parse_config(rules_toml(count), "bench.toml");
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.error.to_string().c_str());
    std::abort();
  }
  return *r.config;
}

const NetAddress kSource = NetAddress::ipv4(192, 0, 2, 45, 5060);

void BM_Hyperscan(benchmark::State& state) {
  const Config config = load(static_cast<int>(state.range(0)));
  const policy::PolicyResult compiled = policy::Policy::compile(config);
  if (!compiled.ok()) std::abort();
  policy::PolicyEvaluator evaluator;
  evaluator.prepare(*compiled.policy);
  Message msg;
  parse_message(bench::kInviteSdp, msg);
  for (auto _ : state) {
    const policy::Decision d =
        evaluator.evaluate(*compiled.policy, msg, kSource, Transport::kUdp, false);
    benchmark::DoNotOptimize(d);
    if (d.rule_index != state.range(0) - 1) std::abort();
  }
  state.counters["patterns"] = static_cast<double>(compiled.policy->pattern_count());
  state.counters["db_bytes"] = static_cast<double>(compiled.policy->database_size());
}

// The baseline: each rule's patterns, in order.
struct NaiveRule {
  std::vector<std::string> methods;
  struct Pattern {
    RuleField field;
    PatternKind kind;
    std::string text;
    std::regex regex;
  };
  std::vector<Pattern> patterns;
  std::string header;
  std::vector<CidrBlock> sources;
};

std::vector<NaiveRule> naive_rules(const Config& config) {
  std::vector<NaiveRule> rules;
  for (const RuleConfig& rc : config.rules) {
    NaiveRule rule{rc.methods, {}, rc.header, rc.sources};
    for (const RulePattern& p : rc.patterns) {
      rule.patterns.push_back({p.field, p.kind, p.text,
                               p.kind == PatternKind::kRegex ? std::regex(p.text) : std::regex()});
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

bool pattern_holds(const NaiveRule::Pattern& p, std::string_view value) {
  switch (p.kind) {
    case PatternKind::kExact:
      return value == p.text;
    case PatternKind::kPrefix:
      return value.substr(0, p.text.size()) == p.text;
    case PatternKind::kRegex:
      return std::regex_search(value.begin(), value.end(), p.regex);
  }
  return false;
}

int naive_decide(const std::vector<NaiveRule>& rules, const Message& msg,
                 const NetAddress& source) {
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const NaiveRule& rule = rules[r];
    if (!rule.methods.empty()) {
      bool any = false;
      for (const std::string& m : rule.methods) any |= m == msg.method_name();
      if (!any) continue;
    }
    if (!rule.sources.empty()) {
      bool any = false;
      for (const CidrBlock& b : rule.sources) any |= policy::cidr_contains(b, source);
      if (!any) continue;
    }
    bool all = true;
    for (const NaiveRule::Pattern& p : rule.patterns) {
      const Uri& ruri = msg.request_uri();
      bool holds = false;
      switch (p.field) {
        case RuleField::kRuriScheme:
          holds = pattern_holds(p, ruri.scheme);
          break;
        case RuleField::kRuriUser:
          holds = pattern_holds(p, ruri.user);
          break;
        case RuleField::kRuriHost:
          holds = pattern_holds(p, ruri.host);
          break;
        case RuleField::kFromUri:
          holds = pattern_holds(p, msg.from().uri);
          break;
        case RuleField::kToUri:
          holds = pattern_holds(p, msg.to().uri);
          break;
        case RuleField::kHeader:
          for (std::size_t i = 0; i < msg.header_count() && !holds; ++i) {
            const HeaderField f = msg.header(i);
            if (f.name == rule.header) holds = pattern_holds(p, f.value);
          }
          break;
      }
      if (!holds) {
        all = false;
        break;
      }
    }
    if (all) return static_cast<int>(r);
  }
  return -1;
}

void BM_OneByOne(benchmark::State& state) {
  const std::vector<NaiveRule> rules = naive_rules(load(static_cast<int>(state.range(0))));
  Message msg;
  parse_message(bench::kInviteSdp, msg);
  for (auto _ : state) {
    const int r = naive_decide(rules, msg, kSource);
    benchmark::DoNotOptimize(r);
    if (r != state.range(0) - 1) std::abort();
  }
}

BENCHMARK(BM_Hyperscan)->Name("policy/hyperscan")->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_OneByOne)->Name("policy/one_by_one_std_regex")->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace sipwire

BENCHMARK_MAIN();
