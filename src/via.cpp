#include "sipwire/via.h"

#include "cursor.h"
#include "header_params.h"
#include "sipwire/scalars.h"

namespace sipwire {

using detail::Cursor;

bool Via::has_rfc3261_branch() const {
  return branch.substr(0, 7) == "z9hG4bK";
}

namespace {

// The parameters a proxy relies on get their own grammar checked (§20.42, RFC 3581), in the
// same pass that validates the generic parameter syntax.
struct ViaParam {
  Via& v;
  ParseError operator()(std::string_view name, std::string_view value, bool has_value,
                        const Cursor& c) const {
    const uint32_t at = c.offset_of(name.data());
    switch (name.size()) {
      case 6:
        if (chars::iequals(name, "branch")) {
          if (!has_value || value.front() == '"' || value.front() == '[')
            return ParseError::bad(at, "Malformed Via branch");
          v.branch = value;
        }
        break;
      case 8:
        if (chars::iequals(name, "received")) {
          // received = IPv4address / IPv6address; RFC 5118 §4.5: accept brackets too.
          if (!has_value || !(is_ipv4_address(value) || is_ipv6_address(value) ||
                              classify_host(value) == HostKind::kIpv6))
            return ParseError::bad(at, "Malformed Via received");
          v.received = value;
        }
        break;
      case 5:
        if (chars::iequals(name, "maddr")) {
          if (!has_value || classify_host(value) == HostKind::kNone)
            return ParseError::bad(at, "Malformed Via maddr");
          v.maddr = value;
        } else if (chars::iequals(name, "rport")) {
          v.has_rport = true;
          uint32_t port = 0;
          if (has_value && !parse_bounded_uint(value, 65535, port))
            return ParseError::bad(at, "Malformed Via rport");
          v.rport = static_cast<uint16_t>(port);
        }
        break;
      case 3:
        if (chars::iequals(name, "ttl")) {
          uint32_t ttl = 0;
          if (!has_value || value.size() > 3 || !parse_bounded_uint(value, 255, ttl))
            return ParseError::bad(at, "Malformed Via ttl");
          v.ttl = static_cast<uint8_t>(ttl);
          v.has_ttl = true;
        }
        break;
      default:
        break;
    }
    return ParseError::none();
  }
};

}  // namespace

ParseError parse_via(std::string_view element, Via& out, Source src,
                     std::size_t* consumed) {
  out = Via{};
  Cursor c(element, src);
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
  if (ParseError e = detail::parse_header_params(c, out.params, ViaParam{out})) return e;
  c.skip_lws();
  if (consumed != nullptr && c.peek() == ',') {
    *consumed = static_cast<std::size_t>(c.pos() - element.data());
    return ParseError::none();
  }
  if (!c.at_end()) return c.error("Unexpected characters in Via");
  if (consumed != nullptr) *consumed = element.size();
  return ParseError::none();
}

}  // namespace sipwire
