// Compiling the rules into one Hyperscan database, and deciding per message. The subject's
// layout and the expression of each pattern are in include/sipwire/policy/pattern.h.
#include "sipwire/policy/policy.h"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <string_view>
#include <tuple>

#include "sipwire/header_id.h"
#include "sipwire/name_addr.h"
#include "sipwire/params.h"
#include "sipwire/policy/pattern.h"

namespace sipwire::policy {

namespace {

constexpr uint32_t kFirstHeaderTag = 5;  // tags 0..4: the RuleField values before kHeader
constexpr uint16_t kNoTag = 0xFFFF;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// A header a rule names: by id when sipwire knows it (so compact forms match), else by name.
struct HeaderName {
  HeaderId id;
  std::string name;
  bool matches(const HeaderField& field) const {
    return id != HeaderId::kOther
               ? field.id == id
               : field.id == HeaderId::kOther && equals_ignoring_case(field.name, name);
  }
};

}  // namespace

struct Policy::Impl {
  // A rule's non-string predicates, and how many string predicates it needs.
  struct Rule {
    uint32_t method_mask = 0;  // bit per Method (not kExtension)
    std::vector<std::string> extension_methods;
    bool any_method = true;
    int8_t transport = -1;      // Transport, or -1: any
    int8_t authenticated = -1;  // 0, 1, or -1: any
    bool challenge = false;     // matches only unauthenticated requests
    uint16_t need = 0;          // distinct string predicates
    std::vector<CidrBlock> sources;
    // Header edits, ready to insert.
    std::string add_text;  // "X-Foo: bar\r\n..."
    std::vector<HeaderName> remove;
    std::string set_user;     // without '@'
    std::string set_user_at;  // user + "@", for a URI without a user
    bool has_set_user = false;
    std::string set_host;
    bool has_set_host = false;
  };

  hs_database_t* db = nullptr;
  std::vector<Rule> rules;
  // Rules with no string predicate, in order: evaluate() checks them without the scan.
  std::vector<uint32_t> unconditional;
  // Pattern id -> the rules that need it (compressed rows).
  std::vector<uint32_t> pattern_rule_start;  // size patterns + 1
  std::vector<uint32_t> pattern_rules;
  std::size_t patterns = 0;
  // Which subject fields to build: RuleField tags 0..4, then the named headers.
  std::array<bool, kFirstHeaderTag> need_field{};
  std::array<uint16_t, kHeaderIdCount> header_tag{};  // by HeaderId; kNoTag: not needed
  std::vector<std::pair<std::string, uint16_t>> other_header_tags;  // unknown names
  std::vector<CidrBlock> trusted;

  ~Impl() { hs_free_database(db); }

  bool direct_ok(const Rule& r, const Message& msg, const NetAddress& source, Transport transport,
                 bool authenticated) const {
    if (!r.any_method) {
      const Method m = msg.method();
      bool ok = m != Method::kExtension && (r.method_mask >> static_cast<unsigned>(m)) & 1u;
      if (!ok) {
        for (const std::string& name : r.extension_methods)
          if (name == msg.method_name()) ok = true;
      }
      if (!ok) return false;
    }
    if (r.transport >= 0 && static_cast<Transport>(r.transport) != transport) return false;
    if (r.authenticated >= 0 && (r.authenticated == 1) != authenticated) return false;
    if (r.challenge && authenticated) return false;
    if (!r.sources.empty()) {
      bool in = false;
      for (const CidrBlock& block : r.sources)
        if (cidr_contains(block, source)) in = true;
      if (!in) return false;
    }
    return true;
  }
};

Policy::~Policy() = default;

std::size_t Policy::pattern_count() const {
  return impl_->patterns;
}

std::size_t Policy::database_size() const {
  std::size_t size = 0;
  if (impl_->db != nullptr) hs_database_size(impl_->db, &size);
  return size;
}

bool cidr_contains(const CidrBlock& block, const NetAddress& address) {
  if (block.network.family != address.family) return false;
  const unsigned full = block.prefix_length / 8;
  if (std::memcmp(block.network.ip.data(), address.ip.data(), full) != 0) return false;
  const unsigned rest = block.prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF00u >> rest);
  return (block.network.ip[full] & mask) == (address.ip[full] & mask);
}

PolicyResult Policy::compile(const Config& config, const PolicyOptions& options) {
  std::unique_ptr<Policy> policy(new Policy());
  policy->config_ = config;
  policy->impl_ = std::make_unique<Impl>();
  Impl& impl = *policy->impl_;
  impl.header_tag.fill(kNoTag);
  impl.trusted = options.trusted_sources;
  const std::vector<RuleConfig>& rules = policy->config_.rules;

  auto fail = [&](uint32_t line, uint32_t column, std::string message) {
    return PolicyResult{nullptr, ConfigError{config.source, line, column, std::move(message)}};
  };

  // Distinct patterns: (tag, kind, text, caseless) -> id, with the first place it was written.
  std::map<std::tuple<uint32_t, PatternKind, std::string>, uint32_t> ids;
  std::vector<std::string> expressions;
  std::vector<unsigned> flags;
  std::vector<const RulePattern*> origin;
  std::vector<std::vector<uint32_t>> users;  // pattern id -> rules
  uint16_t next_header_tag = kFirstHeaderTag;

  for (std::size_t r = 0; r < rules.size(); ++r) {
    const RuleConfig& rc = rules[r];
    Impl::Rule rule;
    for (const std::string& name : rc.methods) {
      const Method m = classify_method(name);
      if (m == Method::kExtension) {
        rule.extension_methods.push_back(name);
      } else {
        rule.method_mask |= 1u << static_cast<unsigned>(m);
      }
    }
    rule.any_method = rc.methods.empty();
    if (rc.transport) rule.transport = static_cast<int8_t>(*rc.transport);
    if (rc.authenticated) rule.authenticated = *rc.authenticated ? 1 : 0;
    rule.challenge = rc.action == RuleAction::kChallenge;
    rule.sources = rc.sources;
    for (const std::string& line : rc.add_headers) rule.add_text.append(line).append("\r\n");
    for (const std::string& name : rc.remove_headers)
      rule.remove.push_back({classify_header_name(name), name});
    if (rc.set_ruri_user) {
      rule.has_set_user = true;
      rule.set_user = *rc.set_ruri_user;
      rule.set_user_at = *rc.set_ruri_user + "@";
    }
    if (rc.set_ruri_host) {
      rule.has_set_host = true;
      rule.set_host = *rc.set_ruri_host;
    }

    for (const RulePattern& p : rc.patterns) {
      uint32_t tag = static_cast<uint32_t>(p.field);
      if (p.field == RuleField::kHeader) {
        const HeaderId id = classify_header_name(rc.header);
        uint16_t* slot = nullptr;
        if (id != HeaderId::kOther) {
          slot = &impl.header_tag[index(id)];
        } else {
          for (auto& [name, t] : impl.other_header_tags)
            if (equals_ignoring_case(name, rc.header)) slot = &t;
          if (slot == nullptr)
            slot = &impl.other_header_tags.emplace_back(rc.header, kNoTag).second;
        }
        if (*slot == kNoTag) {
          if (next_header_tag == kNoTag - 1)
            return fail(p.line, p.column, "too many distinct headers in rules");
          *slot = next_header_tag++;
        }
        tag = *slot;
      } else {
        impl.need_field[tag] = true;
      }
      const auto key = std::make_tuple(tag, p.kind, p.text);
      auto [it, inserted] = ids.try_emplace(key, static_cast<uint32_t>(expressions.size()));
      if (inserted) {
        expressions.push_back(field_expression(tag, p.kind, p.text));
        flags.push_back(HS_FLAG_MULTILINE | HS_FLAG_SINGLEMATCH |
                        (field_is_caseless(p.field, p.kind) ? HS_FLAG_CASELESS : 0u));
        origin.push_back(&p);
        users.emplace_back();
      }
      users[it->second].push_back(static_cast<uint32_t>(r));
      ++rule.need;
    }
    if (rule.need == 0) impl.unconditional.push_back(static_cast<uint32_t>(r));
    impl.rules.push_back(std::move(rule));
  }
  if (rules.size() > 0xFFFF) return fail(0, 0, "more than 65535 rules");

  impl.patterns = expressions.size();
  impl.pattern_rule_start.push_back(0);
  for (const auto& list : users) {
    impl.pattern_rules.insert(impl.pattern_rules.end(), list.begin(), list.end());
    impl.pattern_rule_start.push_back(static_cast<uint32_t>(impl.pattern_rules.size()));
  }
  if (!expressions.empty()) {
    std::vector<const char*> exprs;
    std::vector<unsigned> hs_ids;
    for (std::size_t i = 0; i < expressions.size(); ++i) {
      exprs.push_back(expressions[i].c_str());
      hs_ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(exprs.data(), flags.data(), hs_ids.data(),
                         static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &impl.db,
                         &error) != HS_SUCCESS) {
      std::string why = error != nullptr && error->message != nullptr ? error->message
                                                                      : "hs_compile_multi failed";
      const int at = error != nullptr ? error->expression : -1;
      hs_free_compile_error(error);
      if (at >= 0 && static_cast<std::size_t>(at) < origin.size()) {
        const RulePattern& p = *origin[static_cast<std::size_t>(at)];
        return fail(p.line, p.column,
                    "pattern \"" + p.text + "\" is not one Hyperscan accepts: " + why);
      }
      return fail(0, 0, "the rules' patterns do not compile: " + why);
    }
  }
  return PolicyResult{std::move(policy), {}};
}

// --- the per-shard evaluator -------------------------------------------------------------

struct PolicyEvaluator::Scratch {
  hs_scratch_t* hs = nullptr;
};

PolicyEvaluator::PolicyEvaluator(std::size_t max_message_size)
    // Each subject byte comes from the message; a field can be copied twice at most (the
    // From URI and a rule on the From header). Tag lines: at most 8 bytes for each of the
    // five fixed fields and each header field.
    : capacity_(2 * max_message_size + 8 * (kFirstHeaderTag + Message::kMaxHeaders) + 64),
      subject_(new char[capacity_]),
      scratch_(new Scratch()) {}

PolicyEvaluator::~PolicyEvaluator() {
  hs_free_scratch(scratch_->hs);
  delete scratch_;
}

bool PolicyEvaluator::prepare(const Policy& policy) {
  if (hits_.size() < policy.impl_->rules.size()) hits_.resize(policy.impl_->rules.size());
  if (policy.impl_->db == nullptr) return true;
  return hs_alloc_scratch(policy.impl_->db, &scratch_->hs) == HS_SUCCESS;
}

namespace {

struct ScanContext {
  const Policy::Impl* impl;
  uint16_t* hits;
  const Message* msg;
  const NetAddress* source;
  Transport transport;
  bool authenticated;
  uint32_t best;  // lowest matching rule so far; UINT32_MAX: none
};

int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* context) {
  auto& c = *static_cast<ScanContext*>(context);
  const Policy::Impl& impl = *c.impl;
  for (uint32_t i = impl.pattern_rule_start[id]; i < impl.pattern_rule_start[id + 1]; ++i) {
    const uint32_t r = impl.pattern_rules[i];
    if (++c.hits[r] != impl.rules[r].need || r >= c.best) continue;
    if (impl.direct_ok(impl.rules[r], *c.msg, *c.source, c.transport, c.authenticated)) c.best = r;
  }
  return 0;
}

// Appends one field (tag line, value line) to the subject; false if it does not fit.
bool append_field(char* out, std::size_t capacity, std::size_t& size, uint32_t tag,
                  std::string_view value) {
  char digits[8];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + tag % 10);
    tag /= 10;
  } while (tag != 0);
  if (size + 1 + n + 1 + value.size() + 1 > capacity) return false;
  out[size++] = kTagByte;
  while (n > 0) out[size++] = digits[--n];
  out[size++] = '\n';
  for (const char ch : value) out[size++] = (ch == '\n' || ch == '\r' || ch == kTagByte) ? ' ' : ch;
  out[size++] = '\n';
  return true;
}

}  // namespace

Decision PolicyEvaluator::evaluate(const Policy& policy, const Message& msg,
                                   const NetAddress& source, Transport transport,
                                   bool authenticated) noexcept {
  const Policy::Impl& impl = *policy.impl_;
  const std::size_t rule_count = impl.rules.size();
  if (hits_.size() < rule_count || !msg.is_request()) return {};
  ScanContext c{&impl, hits_.data(), &msg, &source, transport, authenticated, UINT32_MAX};

  if (impl.db != nullptr) {
    // The subject: only the fields some rule looks at.
    char* out = subject_.get();
    std::size_t size = 0;
    bool fits = true;
    const Uri& ruri = msg.request_uri();
    const std::string_view fixed[kFirstHeaderTag] = {ruri.scheme, ruri.user, ruri.host,
                                                     msg.from().uri, msg.to().uri};
    for (uint32_t tag = 0; tag < kFirstHeaderTag; ++tag)
      if (impl.need_field[tag]) fits &= append_field(out, capacity_, size, tag, fixed[tag]);
    const bool any_other = !impl.other_header_tags.empty();
    for (std::size_t i = 0; i < msg.header_count(); ++i) {
      const HeaderField field = msg.header(i);
      uint16_t tag = impl.header_tag[index(field.id)];
      if (field.id == HeaderId::kOther && any_other) {
        for (const auto& [name, t] : impl.other_header_tags)
          if (equals_ignoring_case(name, field.name)) tag = t;
      }
      if (tag != kNoTag) fits &= append_field(out, capacity_, size, tag, field.value);
    }
    subject_size_ = size;
    if (!fits) return {};  // larger than max_message_size promised: fail closed

    std::memset(hits_.data(), 0, rule_count * sizeof(uint16_t));
    if (hs_scan(impl.db, out, static_cast<unsigned>(size), 0, scratch_->hs, on_match, &c) !=
        HS_SUCCESS)
      return {};  // scratch not prepared for this database
  } else {
    subject_size_ = 0;
  }
  // Rules without string predicates, up to the best rule the scan found.
  for (const uint32_t r : impl.unconditional) {
    if (r >= c.best) break;
    if (impl.direct_ok(impl.rules[r], msg, source, transport, authenticated)) {
      c.best = r;
      break;
    }
  }
  if (c.best != UINT32_MAX) {
    return Decision{Outcome::kRule, static_cast<int>(c.best), &policy.config_.rules[c.best]};
  }
  // The safe default: a request for us is served, anything else is a relay, for trusted or
  // authenticated sources only. For us: its Request-URI names one of our domains, and its
  // maddr, if it has one, too (a maddr elsewhere sends the request there, RFC 3261 §16.4);
  // and every Route it carries names us too (a phone with us as its outbound proxy pre-loads
  // ours; a pre-loaded Route elsewhere sends the request there).
  auto names_us = [&policy](const Uri& uri) {
    std::string_view maddr;
    return policy.config_.is_our_domain(uri.host) &&
           (!find_maddr(uri.params, maddr) || policy.config_.is_our_domain(maddr));
  };
  bool for_us = names_us(msg.request_uri());
  if (for_us && msg.has(HeaderId::kRoute)) {
    HeaderElements routes(msg, HeaderId::kRoute);
    std::string_view element;
    NameAddr route;
    Uri uri;
    while (for_us && routes.next(element))
      for_us = parse_route(element, route, uri).ok() && names_us(uri);
  }
  if (for_us) return Decision{Outcome::kLocal};
  bool trusted = authenticated;
  for (const CidrBlock& block : impl.trusted)
    if (cidr_contains(block, source)) trusted = true;
  return Decision{trusted ? Outcome::kRelay : Outcome::kForbidden};
}

// --- header edits --------------------------------------------------------------------------

bool add_header_edits(const Policy& policy, int rule_index, const Message& msg,
                      MessageEdits& edits) {
  if (rule_index < 0 || static_cast<std::size_t>(rule_index) >= policy.impl_->rules.size())
    return false;
  const Policy::Impl::Rule& rule = policy.impl_->rules[static_cast<std::size_t>(rule_index)];
  const std::string_view bytes = msg.bytes();
  auto offset_of = [&](std::string_view part) {
    return static_cast<uint32_t>(part.data() - bytes.data());
  };

  const Uri& ruri = msg.request_uri();
  if (rule.has_set_user) {
    if (!ruri.user.empty()) {
      if (!edits.add(offset_of(ruri.user), static_cast<uint32_t>(ruri.user.size()), rule.set_user))
        return false;
    } else if (!ruri.host.empty()) {
      if (!edits.add(offset_of(ruri.host), 0, rule.set_user_at)) return false;
    } else {
      return false;
    }
  }
  if (rule.has_set_host) {
    if (ruri.host.empty()) return false;
    if (!edits.add(offset_of(ruri.host), static_cast<uint32_t>(ruri.host.size()), rule.set_host))
      return false;
  }
  if (msg.header_count() == 0) return rule.add_text.empty() && rule.remove.empty();
  if (!rule.add_text.empty() && !edits.add(msg.header(0).offset, 0, rule.add_text)) return false;
  if (rule.remove.empty()) return true;

  // Removed fields, whole lines; adjacent ones merge into one edit.
  uint32_t run_start = 0, run_end = 0;
  bool in_run = false;
  for (std::size_t i = 0; i < msg.header_count(); ++i) {
    const HeaderField field = msg.header(i);
    bool remove = false;
    for (const HeaderName& name : rule.remove) remove |= name.matches(field);
    if (!remove) continue;
    // The whole field: its continuation lines too, those of white space alone after the value
    // included.
    const auto end = static_cast<uint32_t>(msg.field_end(i));
    if (in_run && run_end == field.offset) {
      run_end = end;
      continue;
    }
    if (in_run && !edits.add(run_start, run_end - run_start, {})) return false;
    run_start = field.offset;
    run_end = end;
    in_run = true;
  }
  return !in_run || edits.add(run_start, run_end - run_start, {});
}

}  // namespace sipwire::policy
