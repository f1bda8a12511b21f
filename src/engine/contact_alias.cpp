#include "contact_alias.h"

#include <immintrin.h>

#include <algorithm>

#include "../parse_check.h"
#include "sipwire/chars.h"
#include "sipwire/name_addr.h"
#include "sipwire/params.h"

namespace sipwire {

bool sets_remote_target(Method method) {
  switch (method) {
    case Method::kInvite:
    case Method::kSubscribe:
    case Method::kRefer:
    case Method::kNotify:
    case Method::kUpdate:
      return true;
    default:
      return false;
  }
}

namespace {

// The first byte in [p, e) that is `a` or `b`, or e; 16 bytes at a time where the bytes up
// to `readable` (the message's end) allow.
const char* find_either(const char* p, const char* e, const char* readable, char a, char b) {
  while (p < e && readable - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const auto hits = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b)))));
    if (hits != 0) return std::min(p + __builtin_ctz(hits), e);
    p += 16;
  }
  while (p < e && *p != a && *p != b) ++p;
  return p;
}

// Whether the one Contact field of `m` may name a private IP address other than `source`'s: a
// look at its bytes for the URI's host, which the full parse (add_contact_alias) then checks.
// Every forwarded INVITE and every 1xx/2xx to one asks, and nearly all Contacts name a public
// address or a host name: a full parse of the Contact costs several hundred instructions, this
// a few dozen. It may say yes where the parse says no (a display name holding "sip:"), never
// the reverse for a Contact the parse accepts.
bool may_name_private_address(const Message& m, const NetAddress& source) {
  if (m.count(HeaderId::kContact) != 1) return false;
  const std::string_view v = m.value(HeaderId::kContact);
  const char* p = v.data();
  const char* const e = p + v.size();
  const char* const readable = m.bytes().data() + m.bytes().size();
  if (p < e && *p == '"') {  // a quoted display name: skipped, escapes and all
    for (p = find_either(p + 1, e, readable, '"', '\\'); p < e && *p == '\\';)
      p = find_either(p + 2 < e ? p + 2 : e, e, readable, '"', '\\');
    if (p < e) ++p;
  }
  // name-addr: the URI follows the '<' (a token display name holds none); addr-spec: the URI
  // is the value up to its first ';' (where a '<' may follow, in a header parameter).
  const char* lt = find_either(p, e, readable, '<', ';');
  const bool angle = lt < e && *lt == '<';
  if (angle) p = lt + 1;
  while (p < e && (*p == ' ' || *p == '\t')) ++p;
  if (e - p < 5 || chars::lower(p[0]) != 's' || chars::lower(p[1]) != 'i' ||
      chars::lower(p[2]) != 'p')
    return false;  // not a SIP URI: never aliased
  p += chars::lower(p[3]) == 's' ? 4 : 3;
  if (*p != ':') return false;
  ++p;
  // The host follows the userinfo's '@' (a user part may hold ';' and '?', not '>'; an
  // addr-spec holds no ';'), else the scheme.
  const char* at = find_either(p, e, readable, '@', angle ? '>' : ';');
  if (at < e && *at == '@') p = at + 1;
  // Only a literal can be private: an IPv6 reference, or an IPv4 address in one of the
  // private blocks, told by its first octets before anything is parsed (public addresses and
  // host names, nearly every Contact, stop here). The prefixes cover every IPv4 block of
  // NetAddress::is_private, some more widely ("100." for 100.64/10): is_private decides.
  const std::string_view rest(p, static_cast<std::size_t>(e - p));
  std::size_t end;
  if (!rest.empty() && rest[0] == '[') {
    end = rest.find(']');
    if (end == std::string_view::npos) return false;
    ++end;
  } else {
    if (rest.empty() || rest[0] != '1') return false;
    bool maybe = false;
    for (const std::string_view block : {"10.", "100.", "127.", "169.254.", "172.", "192.168."})
      maybe |= rest.starts_with(block);
    if (!maybe) return false;
    end = 0;
    while (end < rest.size() && (chars::is_digit(rest[end]) || rest[end] == '.')) ++end;
  }
  const std::optional<NetAddress> host = NetAddress::parse(rest.substr(0, end), 5060);
  return host && host->is_private() && !host->same_ip(source);
}

// The one Contact of `m`, parsed, when it names a private IP address other than `source`'s.
bool private_contact(const Message& m, const NetAddress& source, NameAddr& na, Uri& uri) {
  if (m.count(HeaderId::kContact) != 1) return false;
  HeaderElements contacts(m, HeaderId::kContact);
  std::string_view element, more;
  if (!contacts.next(element) || contacts.next(more)) return false;  // one Contact only
  if (!parse_contact(element, na).ok() || na.star || !parse_uri(na.uri, uri).ok() || !uri.is_sip())
    return false;
  if (uri.host_kind != HostKind::kIpv4 && uri.host_kind != HostKind::kIpv6) return false;
  const std::optional<NetAddress> contact = NetAddress::parse(uri.host, 5060);
  return contact && contact->is_private() && !contact->same_ip(source);
}

// add_contact_alias past the quick look: the Contact parsed, checked and aliased. Its own
// function, so that the structures it parses into are not cleared for every Contact looked at.
[[gnu::noinline]] bool alias_parsed_contact(
    const Message& m, const NetAddress& source,
    const std::function<bool(std::string_view)>& is_our_host, TextWriter& w, MessageEdits& edits) {
  NameAddr na;
  Uri uri;
  if (!private_contact(m, source, na, uri)) return false;
  if (find_param(uri.params, "alias")) return false;       // aliased already (a spiral)
  if (is_our_host && is_our_host(uri.host)) return false;  // us: a loop or spiral on purpose

  // ";alias=" IP "~" port "~1" (UDP, Kamailio's protocol number), the IPv6 one bracketed.
  char ip[46];
  const std::size_t ip_len = source.write_ip(ip);
  const bool v6 = source.family == NetAddress::Family::kIpv6;
  const std::size_t at = w.size();
  // Parameters go before the URI's headers; an addr-spec (no headers, no parameters) is
  // written whole again inside angle brackets.
  const char* base = m.bytes().data();
  uint32_t insert_at, remove = 0;
  if (na.angle) {
    const std::string_view head =
        uri.has_headers ? na.uri.substr(0, na.uri.size() - uri.headers.size() - 1) : na.uri;
    insert_at = static_cast<uint32_t>(head.data() + head.size() - base);
  } else {
    insert_at = static_cast<uint32_t>(na.uri.data() - base);
    remove = static_cast<uint32_t>(na.uri.size());
    w.put("<").put(na.uri);
  }
  w.put(";alias=").put(v6 ? "[" : "").put({ip, ip_len}).put(v6 ? "]" : "");
  w.put("~").put(uint64_t{source.port}).put("~1");
  if (!na.angle) w.put(">");
  if (!w.ok()) return false;
  return edits.add(insert_at, remove, w.view().substr(at));
}

}  // namespace

bool add_contact_alias(const Message& m, const NetAddress& source,
                       const std::function<bool(std::string_view)>& is_our_host, TextWriter& w,
                       MessageEdits& edits) {
  const bool maybe = may_name_private_address(m, source);
#ifdef SIPWIRE_CHECK_FAST_PATHS
  // The quick look never misses what the parse finds (sanitizer builds and fuzzers check).
  NameAddr na;
  Uri uri;
  detail::check_fast_path(maybe || !private_contact(m, source, na, uri));
#endif
  return maybe && alias_parsed_contact(m, source, is_our_host, w, edits);
}

void alias_response_contact(const Message& r, const NetAddress& source,
                            const std::function<bool(std::string_view)>& is_our_host, Outbox& out,
                            MessageEdits& edits) {
  const uint16_t status = r.status_code();
  if (status <= 100 || status >= 300 || !sets_remote_target(r.cseq().method) ||
      !may_name_private_address(r, source))
    return;
  constexpr std::size_t kSpace = 128;  // ";alias=[IPv6]~port~1>" and, for an addr-spec, <URI
  char* buf = out.scratch(kSpace);
  if (buf == nullptr) return;
  TextWriter w({buf, kSpace});
  add_contact_alias(r, source, is_our_host, w, edits);
  out.scratch_used(buf, w.ok() ? w.size() : 0);
}

std::optional<NetAddress> alias_address(const Uri& uri) {
  std::string_view value;
  if (uri.params.size() < 5 || !find_param(uri.params, "alias", &value)) return std::nullopt;
  // IP "~" port "~" protocol
  const std::size_t first = value.find('~');
  if (first == std::string_view::npos) return std::nullopt;
  const std::size_t second = value.find('~', first + 1);
  const std::string_view port_text =
      value.substr(first + 1, second == std::string_view::npos ? second : second - first - 1);
  uint32_t port = 0;
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  for (const char c : port_text) {
    if (!chars::is_digit(c)) return std::nullopt;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  return NetAddress::parse(value.substr(0, first), static_cast<uint16_t>(port));
}

}  // namespace sipwire
