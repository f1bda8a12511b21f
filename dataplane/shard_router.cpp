#include "dataplane/shard_router.h"

#include <cstddef>
#include <random>

#include "sipwire/engine/proxy_core.h"
#include "sipwire/siphash.h"

namespace sipwire::dataplane {
namespace {

constexpr std::string_view kMagicCookie = "z9hG4bK";

// White space inside a header value; CR and LF too, so a folded value (a continuation line
// starting with SP or HTAB) reads as one.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// `name` equals the lower-case `want`, ignoring ASCII case.
bool name_is(std::string_view name, std::string_view want) {
  if (name.size() != want.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (lower(name[i]) != want[i]) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The branch parameter of the first via-parm in a Via header value ("SIP/2.0/UDP host;a;
// branch=x, SIP/2.0/UDP ..."), or empty. Parameters may sit in any order, with white space
// around ';' and '='; a quoted value (a generic parameter) is skipped whole.
std::string_view first_via_branch(std::string_view v) {
  std::size_t i = 0;
  const std::size_t n = v.size();
  // sent-protocol and sent-by hold neither ';' nor ',' (an IPv6 reference is "[...]:port").
  while (i < n && v[i] != ';' && v[i] != ',') ++i;
  while (i < n && v[i] == ';') {
    ++i;
    while (i < n && is_space(v[i])) ++i;
    const std::size_t name_start = i;
    while (i < n && !is_space(v[i]) && v[i] != '=' && v[i] != ';' && v[i] != ',') ++i;
    const std::string_view name = v.substr(name_start, i - name_start);
    while (i < n && is_space(v[i])) ++i;
    std::string_view value;
    if (i < n && v[i] == '=') {
      ++i;
      while (i < n && is_space(v[i])) ++i;
      if (i < n && v[i] == '"') {
        const std::size_t value_start = ++i;
        while (i < n && v[i] != '"') i += v[i] == '\\' ? 2 : 1;
        if (i >= n) return {};  // unterminated quoted string
        value = v.substr(value_start, i - value_start);
        ++i;
      } else {
        const std::size_t value_start = i;
        while (i < n && !is_space(v[i]) && v[i] != ';' && v[i] != ',') ++i;
        value = v.substr(value_start, i - value_start);
      }
      while (i < n && is_space(v[i])) ++i;
    }
    if (name_is(name, "branch")) return value;
  }
  return {};  // end of the first via-parm (',' or the end) without a branch
}

}  // namespace

RouteKeys scan_route_keys(std::string_view d) {
  RouteKeys keys;
  const std::size_t n = d.size();
  std::size_t eol = d.find('\n');
  if (eol == std::string_view::npos) return keys;
  std::string_view first = d.substr(0, eol);
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  if (first.empty()) return keys;  // a keep-alive CRLF, or a stray blank line
  keys.readable = true;
  keys.response = first.starts_with("SIP/");

  bool via_seen = false;
  std::size_t pos = eol + 1;
  while (pos < n) {
    // One logical header: its line and the continuation lines that fold into it.
    std::size_t end = d.find('\n', pos);
    if (end == std::string_view::npos) end = n;
    std::string_view line = d.substr(pos, end - pos);
    if (line.empty() || line == "\r") break;  // the blank line ending the header section
    while (end < n && end + 1 < n && (d[end + 1] == ' ' || d[end + 1] == '\t')) {
      const std::size_t next = d.find('\n', end + 1);
      end = next == std::string_view::npos ? n : next;
    }
    const std::string_view header = d.substr(pos, end - pos);
    pos = end + 1;

    std::size_t i = 0;
    while (i < header.size() && header[i] != ':' && !is_space(header[i])) ++i;
    const std::string_view name = header.substr(0, i);
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    if (name.empty() || i >= header.size() || header[i] != ':') continue;  // not a header
    const std::string_view value = header.substr(i + 1);

    if (!via_seen && (name_is(name, "via") || name_is(name, "v"))) {
      via_seen = true;  // only the top Via counts, even when it has no branch
      keys.branch = first_via_branch(value);
    } else if (keys.call_id.empty() && (name_is(name, "call-id") || name_is(name, "i"))) {
      keys.call_id = trim(value);
    }
    // Enough to route: a response needs the branch only, a request the Call-ID (and the
    // branch, its fallback when the Call-ID is missing).
    if (via_seen && (keys.response || !keys.call_id.empty())) break;
  }
  return keys;
}

namespace {
RouteHashKey drawn_route_key() {
  std::random_device rd;
  return {detail::random_key_word(rd), detail::random_key_word(rd)};
}
// Drawn before main() runs, so no worker pays a guard on its first use.
const RouteHashKey kRouteKey = drawn_route_key();
}  // namespace

const RouteHashKey& route_hash_key() {
  return kRouteKey;
}

uint64_t route_hash(std::string_view key) {
  // About as many instructions as the byte-wise FNV-1a it replaced, for a 30-byte Call-ID.
  return detail::SipHash13::of(kRouteKey.k0, kRouteKey.k1, key);
}

unsigned route_datagram(std::string_view datagram, unsigned shards, unsigned current) {
  if (shards <= 1 || current >= shards) return current;
  const RouteKeys keys = scan_route_keys(datagram);
  if (!keys.readable) return current;
  if (keys.response) {
    const int shard = branch_shard(keys.branch);
    return shard >= 0 && static_cast<unsigned>(shard) < shards ? static_cast<unsigned>(shard)
                                                               : current;
  }
  if (!keys.call_id.empty()) return static_cast<unsigned>(route_hash(keys.call_id) % shards);
  if (keys.branch.starts_with(kMagicCookie))
    return static_cast<unsigned>(route_hash(keys.branch) % shards);
  return current;
}

}  // namespace sipwire::dataplane
