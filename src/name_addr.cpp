#include "sipwire/name_addr.h"

#include <cstring>

#include "cursor.h"
#include "header_params.h"
#include "sipwire/params.h"
#include "sipwire/scalars.h"
#include "sipwire/uri.h"

namespace sipwire {

using detail::Cursor;

std::string_view NameAddr::tag() const {
  std::string_view v;
  return find_param(params, "tag", &v) ? v : std::string_view{};
}

namespace {

// Position of the '<' that follows a token display name, or nullptr when the element is an
// addr-spec. display-name = *(token LWS) / quoted-string.
const char* find_laquot(Cursor c) {
  for (;;) {
    if (c.peek() == '<') return c.pos();
    if (c.take_while(chars::kToken).empty()) return nullptr;
    c.skip_lws();
  }
}

}  // namespace

namespace {

template <class OnParam>
ParseError parse_name_addr_with(std::string_view element, NameAddr& out, Source src,
                                OnParam&& on_param) {
  out = NameAddr{};
  if (src.origin == nullptr) src.origin = element.data();
  Cursor c(element, src);
  if (c.at_end()) return c.error("Empty address");

  const char* laquot = nullptr;
  if (c.peek() == '"') {
    bool ok = false;
    out.display = c.take_quoted(ok);
    if (!ok) return c.error("Unterminated quoted display name");
    c.skip_lws();
    if (c.peek() != '<') return c.error("Quoted display name not followed by <URI>");
    laquot = c.pos();
  } else {
    laquot = find_laquot(c);
    if (laquot != nullptr && laquot != c.pos())
      out.display = detail::trim_lws({c.pos(), static_cast<std::size_t>(laquot - c.pos())});
  }

  Uri uri;
  if (laquot != nullptr) {
    c.advance(static_cast<std::size_t>(laquot - c.pos()) + 1);  // to just past the '<'
    if (chars::is_wsp(c.peek())) return c.error("Whitespace after '<' in address");
    // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no white space inside the brackets, which
    // parse_uri rejects as an invalid character.
    const char* uri_start = c.pos();
    const void* raquot = std::memchr(uri_start, '>', static_cast<std::size_t>(c.end() - uri_start));
    c.advance(raquot ? static_cast<std::size_t>(static_cast<const char*>(raquot) - uri_start)
                     : static_cast<std::size_t>(c.end() - uri_start));
    if (c.at_end()) return c.error("Missing '>' after URI");
    out.uri = std::string_view(uri_start, static_cast<std::size_t>(c.pos() - uri_start));
    out.angle = true;
    if (ParseError e = parse_uri(out.uri, uri, c.source())) return e;
    c.advance();  // '>'
  } else {
    // addr-spec: the URI runs to the first ';' (header parameters) or white space.
    const char* uri_start = c.pos();
    while (!c.at_end() && c.peek() != ';' && !chars::is_wsp(c.peek()) && c.peek() != '\r')
      c.advance();
    out.uri = std::string_view(uri_start, static_cast<std::size_t>(c.pos() - uri_start));
    if (ParseError e = parse_uri(out.uri, uri, c.source())) {
      // "Bell, Alexander <sip:...>": a display name with non-token characters, unquoted.
      if (element.find('<') != std::string_view::npos)
        return ParseError::bad(c.offset_of(uri_start), "Display name must be quoted");
      return e;
    }
    // §20: "the name-addr form MUST be used if the addr-spec contains a comma, semicolon,
    // or question mark" (a semicolon already ends the URI here).
    if (out.uri.find_first_of(",?") != std::string_view::npos)
      return ParseError::bad(c.offset_of(uri_start), "URI with ',' or '?' must be enclosed in <>");
  }
  if (ParseError e = detail::parse_header_params(c, out.params, on_param)) return e;
  c.skip_lws();
  if (!c.at_end()) return c.error("Unexpected characters after address");
  return ParseError::none();
}

// Contact's parameters with rules of their own: q is a qvalue, expires is delta-seconds.
struct ContactParam {
  ParseError operator()(std::string_view name, std::string_view value, bool has_value,
                        const Cursor& c) const {
    unsigned q = 0;
    uint32_t seconds = 0;
    if (chars::iequals(name, "q") && (!has_value || !parse_qvalue(value, q)))
      return ParseError::bad(c.offset_of(name.data()), "Invalid q value in Contact");
    if (chars::iequals(name, "expires") && (!has_value || !parse_delta_seconds(value, seconds)))
      return ParseError::bad(c.offset_of(name.data()), "Invalid expires parameter in Contact");
    return ParseError::none();
  }
};

}  // namespace

ParseError parse_name_addr(std::string_view element, NameAddr& out, Source src) {
  return parse_name_addr_with(element, out, src, detail::AnyParam{});
}

bool parse_qvalue(std::string_view text, unsigned& thousandths) {
  // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return false;
  unsigned value = text[0] == '1' ? 1000 : 0;
  if (text.size() > 1) {
    if (text[1] != '.' || text.size() > 5) return false;
    unsigned scale = 100;
    for (std::size_t i = 2; i < text.size(); ++i, scale /= 10) {
      if (!chars::is_digit(text[i])) return false;
      value += static_cast<unsigned>(text[i] - '0') * scale;
    }
    if (value > 1000) return false;
  }
  thousandths = value;
  return true;
}

ParseError parse_contact(std::string_view element, NameAddr& out, Source src) {
  if (element == "*") {
    out = NameAddr{};
    out.star = true;
    return ParseError::none();
  }
  return parse_name_addr_with(element, out, src, ContactParam{});
}

ParseError parse_route(std::string_view element, NameAddr& out, Source src) {
  if (ParseError e = parse_name_addr(element, out, src)) return e;
  if (!out.angle) {
    const uint32_t at = static_cast<uint32_t>(element.data() - (src.origin ? src.origin : element.data()));
    return ParseError::bad(at, "Route URI must be enclosed in <>");
  }
  return ParseError::none();
}

}  // namespace sipwire
