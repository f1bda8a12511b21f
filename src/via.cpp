#include "sipwire/via.h"

#include "cursor.h"
#include "header_params.h"
#include "sipwire/params.h"
#include "sipwire/scalars.h"

namespace sipwire {

using detail::Cursor;

bool Via::has_rfc3261_branch() const { return branch.substr(0, 7) == "z9hG4bK"; }

namespace {

// The parameters a proxy relies on get their own grammar checked (§20.42, RFC 3581).
ParseError check_via_params(Via& v, uint32_t at) {
  ParamIterator it(v.params);
  Param p;
  while (it.next(p)) {
    if (chars::iequals(p.name, "branch")) {
      if (!p.has_value || p.value.empty()) return ParseError::bad(at, "Via branch without a value");
      for (char c : p.value)
        if (!chars::is(c, chars::kToken)) return ParseError::bad(at, "Malformed Via branch");
      v.branch = p.value;
    } else if (chars::iequals(p.name, "received")) {
      // received = IPv4address / IPv6address; RFC 5118 §4.5: accept brackets too.
      const bool ok = p.has_value && (is_ipv4_address(p.value) || is_ipv6_address(p.value) ||
                                      classify_host(p.value) == HostKind::kIpv6);
      if (!ok) return ParseError::bad(at, "Malformed Via received");
      v.received = p.value;
    } else if (chars::iequals(p.name, "maddr")) {
      if (!p.has_value || classify_host(p.value) == HostKind::kNone)
        return ParseError::bad(at, "Malformed Via maddr");
      v.maddr = p.value;
    } else if (chars::iequals(p.name, "ttl")) {
      uint32_t ttl = 0;
      if (!p.has_value || p.value.size() > 3 || !parse_bounded_uint(p.value, 255, ttl))
        return ParseError::bad(at, "Malformed Via ttl");
      v.ttl = static_cast<uint8_t>(ttl);
      v.has_ttl = true;
    } else if (chars::iequals(p.name, "rport")) {
      v.has_rport = true;
      uint32_t port = 0;
      if (p.has_value && !parse_bounded_uint(p.value, 65535, port))
        return ParseError::bad(at, "Malformed Via rport");
      v.rport = static_cast<uint16_t>(port);
    }
  }
  return ParseError::none();
}

}  // namespace

ParseError parse_via(std::string_view element, Via& out, const char* origin) {
  out = Via{};
  Cursor c(element, origin);
  const uint32_t at = c.offset();
  // sent-protocol = protocol-name SLASH protocol-version SLASH transport
  out.protocol = c.take_while(chars::kToken);
  if (out.protocol.empty() || !c.eat_separator('/')) return c.error("Malformed Via protocol");
  out.version = c.take_while(chars::kToken);
  if (out.version.empty() || !c.eat_separator('/')) return c.error("Malformed Via version");
  out.transport = c.take_while(chars::kToken);
  if (out.transport.empty()) return c.error("Malformed Via transport");
  if (!c.skip_lws()) return c.error("Missing space before Via sent-by");

  // sent-by = host [ COLON port ]
  const char* host_start = c.pos();
  if (c.peek() == '[') {
    while (!c.at_end() && c.peek() != ']') c.advance();
    if (!c.eat(']')) return c.error("Unterminated IPv6 reference in Via");
  } else {
    c.take_while(chars::kHostname);
  }
  out.host = std::string_view(host_start, static_cast<std::size_t>(c.pos() - host_start));
  out.host_kind = classify_host(out.host);
  if (out.host_kind == HostKind::kNone)
    return ParseError::bad(c.offset_of(host_start), "Invalid Via sent-by host");
  if (c.eat_separator(':')) {
    uint32_t port = 0;
    if (!parse_bounded_uint(c.take_while(chars::kDigit), 65535, port))
      return c.error("Invalid Via sent-by port");
    out.port = static_cast<uint16_t>(port);
    out.has_port = true;
  }
  if (ParseError e = detail::parse_header_params(c, out.params)) return e;
  c.skip_lws();
  if (!c.at_end()) return c.error("Unexpected characters in Via");
  return check_via_params(out, at);
}

}  // namespace sipwire
