#include "contact_alias.h"

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

bool add_contact_alias(const Message& m, const NetAddress& source,
                       const std::function<bool(std::string_view)>& is_our_host, TextWriter& w,
                       MessageEdits& edits) {
  if (m.count(HeaderId::kContact) != 1) return false;
  HeaderElements contacts(m, HeaderId::kContact);
  std::string_view element, more;
  if (!contacts.next(element) || contacts.next(more)) return false;  // one Contact only
  NameAddr na;
  Uri uri;
  if (!parse_contact(element, na).ok() || na.star || !parse_uri(na.uri, uri).ok() || !uri.is_sip())
    return false;
  if (uri.host_kind != HostKind::kIpv4 && uri.host_kind != HostKind::kIpv6) return false;
  const std::optional<NetAddress> contact = NetAddress::parse(uri.host, 5060);
  if (!contact || !contact->is_private() || contact->same_ip(source)) return false;
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

void alias_response_contact(const Message& r, const NetAddress& source,
                            const std::function<bool(std::string_view)>& is_our_host, Outbox& out,
                            MessageEdits& edits) {
  const uint16_t status = r.status_code();
  if (status <= 100 || status >= 300 || !sets_remote_target(r.cseq().method) ||
      !r.has(HeaderId::kContact))
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
