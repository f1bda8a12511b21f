#include "sipwire/validate.h"

#include "cursor.h"
#include "header_params.h"

namespace sipwire {

namespace {

uint32_t offset_in(const Message& msg, std::string_view part) {
  return static_cast<uint32_t>(part.data() - msg.bytes().data());
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!chars::is(c, chars::kToken)) return false;
  return true;
}

// Applies `check` to every element of every field with this id; empty elements are errors.
template <class Check>
ParseError each_element(const Message& msg, HeaderId id, std::string_view empty_reason,
                        Check check) {
  HeaderElements it(msg, id);
  std::string_view element;
  while (it.next(element)) {
    if (element.empty()) {
      const int f = msg.find(id);
      return ParseError::bad(msg.header(static_cast<std::size_t>(f)).offset, empty_reason);
    }
    if (ParseError e = check(element)) return e;
  }
  return ParseError::none();
}

// rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§20.17), e.g. "Sat, 13 Nov 2010 23:29:00 GMT"
bool is_rfc1123_date(std::string_view s) {
  static constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29) return false;
  auto one_of = [](std::string_view v, const auto& set) {
    for (std::string_view x : set)
      if (v == x) return true;
    return false;
  };
  auto digits = [&s](std::size_t at, std::size_t n) {
    for (std::size_t i = at; i < at + n; ++i)
      if (!chars::is_digit(s[i])) return false;
    return true;
  };
  return one_of(s.substr(0, 3), kDays) && s.substr(3, 2) == ", " && digits(5, 2) && s[7] == ' ' &&
         one_of(s.substr(8, 3), kMonths) && s[11] == ' ' && digits(12, 4) && s[16] == ' ' &&
         digits(17, 2) && s[19] == ':' && digits(20, 2) && s[22] == ':' && digits(23, 2) &&
         s.substr(25) == " GMT";
}

// media-type = m-type SLASH m-subtype *(SEMI m-parameter)
ParseError check_media_type(const Message& msg, std::string_view v) {
  detail::Cursor c(v, msg.bytes().data());
  if (c.take_while(chars::kToken).empty() || !c.eat_separator('/') ||
      c.take_while(chars::kToken).empty())
    return c.error("Malformed Content-Type");
  std::string_view params;
  if (ParseError e = detail::parse_header_params(c, params)) return e;
  if (!c.at_end()) return c.error("Malformed Content-Type");
  return ParseError::none();
}

// Retry-After = delta-seconds [ comment ] *( SEMI retry-param )
ParseError check_retry_after(const Message& msg, std::string_view v) {
  detail::Cursor c(v, msg.bytes().data());
  uint32_t seconds = 0;
  if (!parse_delta_seconds(c.take_while(chars::kDigit), seconds))
    return c.error("Malformed Retry-After");
  c.skip_lws();
  if (c.eat('(')) {
    int depth = 1;
    while (!c.at_end() && depth > 0) {
      const char ch = c.peek();
      c.advance();
      if (ch == '\\' && !c.at_end()) c.advance();
      depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
    }
    if (depth != 0) return c.error("Unterminated comment in Retry-After");
  }
  std::string_view params;
  if (ParseError e = detail::parse_header_params(c, params)) return e;
  if (!c.at_end()) return c.error("Malformed Retry-After");
  return ParseError::none();
}

// warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT
ParseError check_warning(const Message& msg, std::string_view v) {
  const bool ok = v.size() >= 4 && chars::is_digit(v[0]) && chars::is_digit(v[1]) &&
                  chars::is_digit(v[2]) && v[3] == ' ';
  return ok ? ParseError::none() : ParseError::bad(offset_in(msg, v), "Malformed Warning code");
}

ParseError check_delta(const Message& msg, HeaderId id, std::string_view reason) {
  if (!msg.has(id)) return ParseError::none();
  const std::string_view v = msg.value(id);
  uint32_t seconds = 0;
  return parse_delta_seconds(v, seconds) ? ParseError::none()
                                         : ParseError::bad(offset_in(msg, v), reason);
}

}  // namespace

ParseError validate_all(const Message& msg) {
  const char* origin = msg.bytes().data();
  ParseError e = each_element(msg, HeaderId::kVia, "Empty Via value", [&](std::string_view el) {
    Via via;
    return parse_via(el, via, origin);
  });
  if (e) return e;
  // parse_message checked only the shape of the From and To URIs (name_addr.h parse_from_to).
  for (const NameAddr* na : {&msg.from(), &msg.to()}) {
    Uri uri;
    if (!na->uri.empty())
      if ((e = parse_uri(na->uri, uri, origin))) return e;
  }

  bool star = false;
  unsigned contacts = 0;
  e = each_element(msg, HeaderId::kContact, "Empty Contact value", [&](std::string_view el) {
    NameAddr na;
    ++contacts;
    if (ParseError pe = parse_contact(el, na, origin)) return pe;
    star |= na.star;
    return ParseError::none();
  });
  if (e) return e;
  // §10.2.2: "*" stands alone.
  if (star && contacts > 1)
    return ParseError::bad(
        msg.header(static_cast<std::size_t>(msg.find(HeaderId::kContact))).offset,
        "Contact '*' combined with other contacts");

  for (HeaderId id :
       {HeaderId::kRoute, HeaderId::kRecordRoute, HeaderId::kPath, HeaderId::kServiceRoute}) {
    e = each_element(msg, id, "Empty route value", [&](std::string_view el) {
      NameAddr na;
      return parse_route(el, na, origin);
    });
    if (e) return e;
  }
  for (HeaderId id : {HeaderId::kRequire, HeaderId::kProxyRequire, HeaderId::kSupported,
                      HeaderId::kUnsupported, HeaderId::kAllow}) {
    // Supported and Allow may be empty (§20.37: "Supported:" with no tags is legal).
    const bool may_be_empty = id == HeaderId::kSupported || id == HeaderId::kAllow;
    HeaderElements it(msg, id);
    std::string_view el;
    std::size_t n = 0;
    while (it.next(el)) {
      ++n;
      if (el.empty() && may_be_empty && n == 1) continue;
      if (!is_token(el))
        return ParseError::bad(offset_in(msg, el), "Malformed option tag or method");
    }
  }

  if ((e = check_delta(msg, HeaderId::kExpires, "Malformed Expires"))) return e;
  if ((e = check_delta(msg, HeaderId::kMinExpires, "Malformed Min-Expires"))) return e;
  if (msg.has(HeaderId::kDate) && !is_rfc1123_date(msg.value(HeaderId::kDate)))
    return ParseError::bad(offset_in(msg, msg.value(HeaderId::kDate)),
                           "Malformed Date (must be an RFC 1123 date in GMT)");
  if (msg.has(HeaderId::kContentType))
    if ((e = check_media_type(msg, msg.value(HeaderId::kContentType)))) return e;
  if (msg.has(HeaderId::kRetryAfter))
    if ((e = check_retry_after(msg, msg.value(HeaderId::kRetryAfter)))) return e;
  e = each_element(msg, HeaderId::kWarning, "Empty Warning value",
                   [&](std::string_view el) { return check_warning(msg, el); });
  return e;
}

ParseError check_request_uri_scheme(const Message& msg) {
  const Uri& uri = msg.request_uri();
  if (uri.kind == UriScheme::kOther)
    return {status::kUnsupportedUriScheme, offset_in(msg, uri.text), "Unsupported URI Scheme"};
  return ParseError::none();
}

ParseError check_max_forwards(const Message& msg) {
  if (msg.has_max_forwards() && msg.max_forwards() == 0)
    return {status::kTooManyHops, offset_in(msg, msg.value(HeaderId::kMaxForwards)),
            "Too Many Hops"};
  return ParseError::none();
}

namespace {
// The option tags of `id` (Proxy-Require or Require) that `supported` lacks.
UnsupportedTags unsupported_tags(const Message& msg, HeaderId id, std::string_view malformed,
                                 std::span<const std::string_view> supported) {
  UnsupportedTags out;
  if (!msg.has(id)) return out;  // the usual case, and the only one on the fast path
  HeaderElements it(msg, id);
  std::string_view tag;
  while (it.next(tag)) {
    if (!is_token(tag)) {
      out.error = ParseError::bad(offset_in(msg, tag), malformed);
      return out;
    }
    bool known = false;
    for (std::string_view s : supported) known |= chars::iequals(s, tag);
    if (known) continue;
    if (out.count == UnsupportedTags::kMax) {
      out.truncated = true;
      continue;
    }
    if (out.count == 0) out.error = {status::kBadExtension, offset_in(msg, tag), "Bad Extension"};
    out.tags[out.count++] = tag;
  }
  return out;
}
}  // namespace

UnsupportedTags check_proxy_require(const Message& msg,
                                    std::span<const std::string_view> supported) {
  return unsupported_tags(msg, HeaderId::kProxyRequire, "Malformed Proxy-Require", supported);
}

UnsupportedTags check_require(const Message& msg, std::span<const std::string_view> supported) {
  return unsupported_tags(msg, HeaderId::kRequire, "Malformed Require", supported);
}

}  // namespace sipwire
