#include "sipwire/uri.h"

#include <cstring>

#include "cursor.h"
#include "parse_check.h"
#include "parse_elements.h"
#include "parse_host.h"

namespace sipwire {

using chars::is;
using detail::Cursor;

bool is_ipv4_address(std::string_view s) {
  // IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255
  int groups = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    unsigned value = 0;
    std::size_t digits = 0;
    while (i < s.size() && chars::is_digit(s[i]) && digits < 4) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++groups;
    if (i == s.size()) return groups == 4;
    if (s[i] != '.' || groups == 4) return false;
    ++i;
  }
  return false;
}

bool is_ipv6_address(std::string_view s) {
  // Up to eight 16-bit hex groups, one "::" standing for one or more zero groups, and an
  // optional IPv4 dotted quad as the last 32 bits. RFC 5118 §4.10: a "::" that runs into a
  // third colon before the dotted quad ("2001:db8:::192.0.2.1") comes from an old ABNF bug
  // and must be tolerated.
  if (s.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t i = 0;
  if (s[0] == ':') {
    if (s[1] != ':') return false;
    compressed = true;
    i = 2;
    if (i == s.size()) return true;  // "::"
  }
  while (i < s.size()) {
    // An embedded IPv4 address ends the address.
    std::size_t j = i;
    while (j < s.size() && chars::is_hex(s[j])) ++j;
    if (j < s.size() && s[j] == '.') {
      if (!is_ipv4_address(s.substr(i))) return false;
      groups += 2;
      return compressed ? groups <= 7 : groups == 8;
    }
    const std::size_t len = j - i;
    if (len == 0 || len > 4) return false;
    ++groups;
    i = j;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;
      compressed = true;
      ++i;
      if (i < s.size() && s[i] == ':') {
        // The tolerated third colon: only directly before a dotted quad.
        const std::string_view rest = s.substr(i + 1);
        return is_ipv4_address(rest) && groups + 2 <= 7;
      }
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // trailing single colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

namespace {
// hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanum and inner '-'; the top
// label starts with a letter. One pass, remembering the previous byte and the last label.
bool is_hostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty()) return false;
  char prev = '.';
  std::size_t top = 0;  // start of the last label
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      if (prev == '.' || prev == '-') return false;  // empty label, or one ending in '-'
      top = i + 1;
    } else if (c == '-') {
      if (prev == '.') return false;  // a label starting with '-'
    } else if (!is(c, chars::kAlpha | chars::kDigit)) {
      return false;
    }
    prev = c;
  }
  return prev != '-' && is(s[top], chars::kAlpha);
}
}  // namespace

HostKind classify_host(std::string_view host) {
  if (host.empty()) return HostKind::kNone;
  if (host.front() == '[')
    return host.size() >= 2 && host.back() == ']' &&
                   is_ipv6_address(host.substr(1, host.size() - 2))
               ? HostKind::kIpv6
               : HostKind::kNone;
  // A name's top label starts with a letter, so only a host ending in a digit can be IPv4.
  if (chars::is_digit(host.back()) && is_ipv4_address(host)) return HostKind::kIpv4;
  return is_hostname(host) ? HostKind::kName : HostKind::kNone;
}

namespace {

UriScheme scheme_kind(std::string_view s) {
  // Schemes are case-insensitive; OR 0x20 lowers the letters, and the scheme is known to be
  // made of scheme characters, none of which folds onto a letter.
  auto at = [&s](std::size_t i) { return static_cast<char>(s[i] | 0x20); };
  if (s.size() == 3 && at(0) == 's' && at(1) == 'i' && at(2) == 'p') return UriScheme::kSip;
  if (s.size() == 4 && at(0) == 's' && at(1) == 'i' && at(2) == 'p' && at(3) == 's')
    return UriScheme::kSips;
  if (s.size() == 3 && at(0) == 't' && at(1) == 'e' && at(2) == 'l') return UriScheme::kTel;
  return UriScheme::kOther;
}

// uri-parameters = *( ";" pname [ "=" pvalue ] ), the cursor on the first ';'.
ParseError parse_uri_params(Cursor& c, std::string_view& params) {
  const char* start = c.pos();
  while (c.eat(';')) {
    bool bad = false;
    if (c.take_escaped(chars::kParam, bad).empty() || bad)
      return c.error(bad ? "Bad %-escape in URI parameter" : "Empty URI parameter name");
    if (c.eat('=')) {
      if (c.take_escaped(chars::kParam, bad).empty() || bad)
        return c.error(bad ? "Bad %-escape in URI parameter" : "Empty URI parameter value");
    }
  }
  if (c.pos() != start)
    params = std::string_view(start + 1, static_cast<std::size_t>(c.pos() - start - 1));
  return ParseError::none();
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue, the cursor after '?'.
ParseError parse_uri_headers(Cursor& c, std::string_view& headers) {
  const char* start = c.pos();
  do {
    bool bad = false;
    if (c.take_escaped(chars::kHnv, bad).empty() || bad)
      return c.error(bad ? "Bad %-escape in URI header" : "Empty URI header name");
    if (!c.eat('=')) return c.error("URI header without '='");
    c.take_escaped(chars::kHnv, bad);
    if (bad) return c.error("Bad %-escape in URI header");
  } while (c.eat('&'));
  headers = std::string_view(start, static_cast<std::size_t>(c.pos() - start));
  return ParseError::none();
}

ParseError parse_sip_uri(Cursor& c, Uri& out) {
  // userinfo = user [ ":" password ] "@". '@' appears nowhere else unescaped, so: read what
  // would be a user (and password); if '@' follows, it was one. If not, there is no userinfo
  // (the host starts over at the beginning), unless an '@' comes later: then the user part or
  // password is malformed where its scan stopped.
  {
    const Cursor start = c;
    bool bad_user = false, bad_password = false, has_password = false;
    const std::string_view user = c.take_escaped(chars::kUser, bad_user);
    const Cursor user_end = c;
    std::string_view password;
    if (!bad_user && c.peek() == ':') {
      c.advance();
      password = c.take_escaped(chars::kPassword, bad_password);
      has_password = true;
    }
    if (!bad_user && !bad_password && c.peek() == '@') {
      if (user.empty()) return start.error("Empty user part in URI");
      out.user = user;
      out.password = password;
      out.has_password = has_password;
      c.advance();  // '@'
    } else {
      const char* q = user_end.pos();
      while (q < c.end() && *q != '@') ++q;
      if (q < c.end()) {
        if (bad_user || !has_password)
          return user_end.error(bad_user ? "Bad %-escape in URI user"
                                         : "Invalid character in URI user part");
        return c.error(bad_password ? "Bad %-escape in URI password"
                                    : "Invalid character in URI password");
      }
      c = start;
    }
  }

  const char* host_start = c.pos();
  if (c.peek() == '[') {
    while (!c.at_end() && c.peek() != ']') c.advance();
    if (!c.eat(']')) return ParseError::bad(c.offset_of(host_start), "Unterminated IPv6 reference");
  } else {
    c.take_while(chars::kHostname);
  }
  out.host = std::string_view(host_start, static_cast<std::size_t>(c.pos() - host_start));
  out.host_kind = detail::classify_host_in(out.host, c.source().readable_end);
  if (out.host_kind == HostKind::kNone)
    return ParseError::bad(c.offset_of(host_start), "Invalid host in URI");

  if (c.eat(':')) {
    const std::string_view digits = c.take_while(chars::kDigit);
    uint32_t port = 0;
    for (char d : digits) {
      port = port * 10 + static_cast<uint32_t>(d - '0');
      if (port > 65535) break;
    }
    if (digits.empty() || port > 65535) return c.error("Invalid port in URI");
    out.port = static_cast<uint16_t>(port);
    out.has_port = true;
  }
  if (ParseError e = parse_uri_params(c, out.params)) return e;
  if (c.eat('?')) {
    out.has_headers = true;
    if (ParseError e = parse_uri_headers(c, out.headers)) return e;
  }
  if (!c.at_end()) return c.error("Invalid character in URI");
  return ParseError::none();
}

ParseError parse_tel_uri(Cursor& c, Uri& out) {
  // RFC 3966 §3: global-number-digits = "+" *phonedigit DIGIT *phonedigit, phonedigit being
  // DIGIT or a visual separator (- . ( )); local-number-digits = *phonedigit-hex
  // (HEXDIG / "*" / "#") *phonedigit-hex, each with at least one (hex) digit.
  const char* start = c.pos();
  const bool global = c.eat('+');
  bool has_digit = false;
  while (!c.at_end()) {
    const char ch = c.peek();
    const bool separator = ch == '-' || ch == '.' || ch == '(' || ch == ')';
    const bool digit = global ? chars::is_digit(ch) : (chars::is_hex(ch) || ch == '*' || ch == '#');
    if (!digit && !separator) break;
    has_digit |= digit;
    c.advance();
  }
  if (!has_digit) return ParseError::bad(c.offset_of(start), "Invalid telephone number in tel URI");
  out.user = std::string_view(start, static_cast<std::size_t>(c.pos() - start));
  if (ParseError e = parse_uri_params(c, out.params)) return e;
  if (!c.at_end()) return c.error("Invalid character in tel URI");
  return ParseError::none();
}

// The shape nearly every SIP URI has: "sip:" or "sips:" in lower case, [user "@"] host
// [":" port] *(";" pname ["=" pvalue]), with no escape, password, IPv6 reference or headers.
// Fills every field of `out` and returns true only when the general grammar accepts `text`
// with the same result; returns false on anything else, and the caller parses it the general
// way (which also finds the error and its offset).
bool parse_sip_uri_fast(std::string_view text, Uri& out, Source src) {
  const char* b = text.data();
  const char* e = b + text.size();
  const char* readable = src.readable_end && src.readable_end > e ? src.readable_end : e;
  if (e - b < 5 || b[0] != 's' || b[1] != 'i' || b[2] != 'p') return false;
  const bool sips = b[3] == 's';
  const char* p = b + (sips ? 5 : 4);
  if (p[-1] != ':') return false;

  // userinfo: a run of user characters ending in '@'. Without that '@', there is no userinfo
  // only if no '@' comes later (else it is a password or a malformed user part).
  std::string_view user;
  const char* host = p;
  const char* user_end = chars::skip_class(p, e, readable, chars::kUser);
  if (user_end < e && *user_end == '@') {
    if (user_end == p) return false;
    user = {p, static_cast<std::size_t>(user_end - p)};
    host = user_end + 1;
  } else if (user_end < e && std::memchr(user_end, '@', static_cast<std::size_t>(e - user_end))) {
    return false;
  }

  if (host < e && *host == '[') return false;
  const detail::HostScan scan = detail::scan_host(host, e, readable);
  if (scan.kind == HostKind::kNone) return false;
  const HostKind kind = scan.kind;
  const char* q = scan.end;
  const std::string_view host_text(host, static_cast<std::size_t>(q - host));

  uint32_t port = 0;
  const bool has_port = q < e && *q == ':';
  if (has_port) {
    const char* digits = ++q;
    while (q < e && q - digits < 5 && chars::is_digit(*q)) port = port * 10 + (*q++ - '0');
    if (q == digits || port > 65535 || (q < e && chars::is_digit(*q))) return false;
  }

  const char* params = q;
  while (q < e && *q == ';') {
    const char* name = q + 1;
    q = chars::skip_class(name, e, readable, chars::kParam);
    if (q == name || (q < e && *q == '%')) return false;
    if (q < e && *q == '=') {
      const char* value = q + 1;
      q = chars::skip_class(value, e, readable, chars::kParam);
      if (q == value || (q < e && *q == '%')) return false;
    }
  }
  if (q != e) return false;

  out.text = text;
  out.scheme = {b, sips ? 4u : 3u};
  out.kind = sips ? UriScheme::kSips : UriScheme::kSip;
  out.user = user;
  out.password = {};
  out.host = host_text;
  out.host_kind = kind;
  out.port = static_cast<uint16_t>(port);
  out.has_port = has_port;
  out.has_password = false;
  out.params = params == e ? std::string_view{}
                           : std::string_view(params + 1, static_cast<std::size_t>(e - params - 1));
  out.headers = {};
  out.has_headers = false;
  out.opaque = {};
  return true;
}

ParseError parse_uri_general(std::string_view text, Uri& out, Source src) {
  out = Uri{};
  out.text = text;
  Cursor c(text, src);
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!is(c.peek(), chars::kAlpha)) return c.error("URI does not start with a scheme");
  out.scheme = c.take_while(chars::kScheme);
  if (!c.eat(':')) return c.error("URI scheme not followed by ':'");
  out.kind = scheme_kind(out.scheme);
  switch (out.kind) {
    case UriScheme::kSip:
    case UriScheme::kSips:
      return parse_sip_uri(c, out);
    case UriScheme::kTel:
      return parse_tel_uri(c, out);
    case UriScheme::kOther:
      break;
  }
  // absoluteURI: hier-part / opaque-part, both made of uric characters and escapes.
  bool bad = false;
  out.opaque = c.take_escaped(chars::kUric, bad);
  if (bad) return c.error("Bad %-escape in URI");
  if (out.opaque.empty()) return c.error("Empty URI after scheme");
  if (!c.at_end()) return c.error("Invalid character in URI");
  return ParseError::none();
}

#ifdef SIPWIRE_CHECK_FAST_PATHS
bool same(std::string_view a, std::string_view b) {
  return a.data() == b.data() && a.size() == b.size();
}
bool same_uri(const Uri& a, const Uri& b) {
  return same(a.text, b.text) && same(a.scheme, b.scheme) && a.kind == b.kind &&
         same(a.user, b.user) && same(a.password, b.password) && same(a.host, b.host) &&
         a.host_kind == b.host_kind && a.port == b.port && a.has_port == b.has_port &&
         a.has_password == b.has_password && same(a.params, b.params) &&
         same(a.headers, b.headers) && a.has_headers == b.has_headers && same(a.opaque, b.opaque);
}
#endif

}  // namespace

bool detail::parse_uri(std::string_view text, Uri& out, Source src, ParseError& err) {
  if (parse_sip_uri_fast(text, out, src)) {
#ifdef SIPWIRE_CHECK_FAST_PATHS
    Uri general;
    detail::check_fast_path(!parse_uri_general(text, general, src) && same_uri(general, out));
#endif
    return true;
  }
  return keep(parse_uri_general(text, out, src), err);
}

ParseError parse_uri(std::string_view text, Uri& out, Source src) {
  ParseError err;
  detail::parse_uri(text, out, src, err);
  return err;
}

}  // namespace sipwire
