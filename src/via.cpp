#include "sipwire/via.h"

#include "cursor.h"
#include "header_params.h"
#include "parse_check.h"
#include "parse_elements.h"
#include "parse_host.h"
#include "parse_scalars.h"
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
          v.rport_name = has_value ? std::string_view{} : name;
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

// The shape nearly every Via has: "SIP/2.0/" transport SP host [":" port] *(";" name
// ["=" token-or-host]), no white space but the one SP, ending the text or at a comma. Fills
// `out` and returns true only when the general grammar accepts the element with the same
// result; false on anything else (the caller then parses it the general way).
bool parse_via_fast(std::string_view element, Via& out, Source src, std::size_t* consumed) {
  const Cursor c(element, src);  // error offsets for ViaParam; never moved
  const char* b = element.data();
  const char* e = c.end();
  const char* readable = c.source().readable_end;
  if (e - b < 10 || detail::load8(b) != detail::load8("SIP/2.0/")) return false;
  const char* transport = b + 8;
  const char* p = chars::skip_class(transport, e, readable, chars::kToken);
  if (p == transport || p == e || *p != ' ') return false;

  const char* host = p + 1;
  const detail::HostScan scan = detail::scan_host(host, e, readable);
  if (scan.kind == HostKind::kNone) return false;
  const HostKind kind = scan.kind;
  p = scan.end;
  const std::string_view host_text(host, static_cast<std::size_t>(p - host));
  uint32_t port = 0;
  const bool has_port = p < e && *p == ':';
  if (has_port) {
    const char* digits = ++p;
    p = chars::skip_class(digits, e, readable, chars::kDigit);
    if (!detail::parse_uint(digits, p, 65535, port)) return false;
  }

  out = Via{};
  out.protocol = {b, 3};
  out.version = {b + 4, 3};
  out.transport = {transport, static_cast<std::size_t>(host - 1 - transport)};
  out.host = host_text;
  out.host_kind = kind;
  out.port = static_cast<uint16_t>(port);
  out.has_port = has_port;
  const char* params = p;
  while (p < e && *p == ';') {
    const char* name = p + 1;
    // branch and rport, as nearly every Via writes them, by one word compare: no name scan and
    // no dispatch on the name. Any other spelling or case takes the general way below, which
    // gives the same result.
    if (readable - name >= 8) {
      const uint64_t w = detail::load8(name);
      // The word may run past the element (into the message after it): the match counts only
      // when the name lies inside the element.
      if (e - name >= 7 && (w & 0x00FFFFFFFFFFFFFFull) == detail::load8("branch=\0")) {
        const char* value = name + 7;
        p = chars::skip_class(value, e, readable, chars::kGenValue);
        if (p == value) return false;  // empty, quoted or a bracketed host: the general way
        out.branch = {value, static_cast<std::size_t>(p - value)};
        continue;
      }
      if (e - name >= 5 && (w & 0xFFFFFFFFFFull) == detail::load8("rport\0\0\0") &&
          (name + 5 == e || name[5] == ';' || name[5] == ',')) {
        out.has_rport = true;
        out.rport_name = {name, 5};
        out.rport = 0;
        p = name + 5;
        continue;
      }
    }
    p = chars::skip_class(name, e, readable, chars::kToken);
    if (p == name) return false;
    const char* value = p;
    const bool has_value = p < e && *p == '=';
    if (has_value) {
      value = p + 1;
      p = chars::skip_class(value, e, readable, chars::kGenValue);
      if (p == value) return false;
    }
    if (ViaParam{out}({name, static_cast<std::size_t>(value - name - has_value)},
                      {value, static_cast<std::size_t>(p - value)}, has_value, c))
      return false;
  }
  if (p != e && (consumed == nullptr || *p != ',')) return false;
  if (p != params) out.params = {params + 1, static_cast<std::size_t>(p - params - 1)};
  if (consumed != nullptr) *consumed = static_cast<std::size_t>(p - b);
  return true;
}

#ifdef SIPWIRE_CHECK_FAST_PATHS
bool same(std::string_view a, std::string_view b) {
  return a.data() == b.data() && a.size() == b.size();
}
bool same_via(const Via& a, const Via& b) {
  return same(a.protocol, b.protocol) && same(a.version, b.version) &&
         same(a.transport, b.transport) && same(a.host, b.host) && a.host_kind == b.host_kind &&
         a.port == b.port && a.has_port == b.has_port && same(a.branch, b.branch) &&
         same(a.received, b.received) && same(a.maddr, b.maddr) && a.ttl == b.ttl &&
         a.has_ttl == b.has_ttl && a.has_rport == b.has_rport && a.rport == b.rport &&
         same(a.rport_name, b.rport_name) && same(a.params, b.params);
}
#endif

ParseError parse_via_general(std::string_view element, Via& out, Source src, std::size_t* consumed);

}  // namespace

bool detail::parse_via(std::string_view element, Via& out, Source src, std::size_t* consumed,
                       ParseError& err) {
  if (parse_via_fast(element, out, src, consumed)) {
#ifdef SIPWIRE_CHECK_FAST_PATHS
    Via general;
    std::size_t general_consumed = 0;
    detail::check_fast_path(
        !parse_via_general(element, general, src, consumed ? &general_consumed : nullptr) &&
        same_via(general, out) && (consumed == nullptr || general_consumed == *consumed));
#endif
    return true;
  }
  return keep(parse_via_general(element, out, src, consumed), err);
}

ParseError parse_via(std::string_view element, Via& out, Source src, std::size_t* consumed) {
  ParseError err;
  detail::parse_via(element, out, src, consumed, err);
  return err;
}

namespace {

ParseError parse_via_general(std::string_view element, Via& out, Source src,
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
  out.host_kind = detail::classify_host_in(out.host, c.source().readable_end);
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

}  // namespace

}  // namespace sipwire
