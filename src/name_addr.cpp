#include "sipwire/name_addr.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "cursor.h"
#include "header_params.h"
#include "parse_check.h"
#include "parse_elements.h"
#include "sipwire/params.h"
#include "sipwire/scalars.h"
#include "sipwire/uri.h"

namespace sipwire {

using detail::Cursor;

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

// How much of an element's URI parse_message checks. Contact, Route and the Request-URI are
// parsed fully: a registrar stores them and a proxy routes by them. From and To are only read
// by a proxy as opaque text and for their tags, and §16.3 has a proxy ignore (and forward
// unchanged) components it does not use, well-formed or not: their URIs are checked only for
// the shape the element's grammar needs (a scheme, a colon, and bytes a URI can hold, so the
// brackets and parameters around it are delimited right), and parsed where they are used (the
// registrar's AOR, the identity check, validate_all).
enum class UriCheck { kFull, kShape };

// The start of scheme ":" 1*(URI bytes), scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
// for text already known to hold only URI bytes: the scheme, its colon, and a byte after it.
// Bytes past the text up to `readable` may be loaded (skip_class).
bool uri_scheme_ok(std::string_view text, const char* readable) {
  const char* b = text.data();
  const char* e = b + text.size();
  uint32_t head = 0;
  if (e - b > 4) std::memcpy(&head, b, 4);
  if (head == 0x3A706973u) return true;  // "sip:", nearly every From and To
  if (b == e || !chars::is(*b, chars::kAlpha)) return false;
  const char* colon = chars::skip_class(b + 1, e, readable, chars::kScheme);
  return colon != e && *colon == ':' && colon + 1 != e;
}

// scheme ":" 1*(URI bytes). Everything parse_uri accepts passes.
bool uri_shape_ok(std::string_view text, const char* readable) {
  return chars::skip_class(text.data(), text.data() + text.size(), readable, chars::kUriText) ==
             text.data() + text.size() &&
         uri_scheme_ok(text, readable);
}

template <UriCheck kCheck>
ParseError check_uri(std::string_view text, Source src) {
  if constexpr (kCheck == UriCheck::kFull) {
    Uri uri;
    return parse_uri(text, uri, src);
  } else {
    if (uri_shape_ok(text, src.readable_end)) return ParseError::none();
    const char* origin = src.origin ? src.origin : text.data();
    return ParseError::bad(static_cast<uint32_t>(text.data() - origin), "Malformed URI");
  }
}

template <UriCheck kCheck, class OnParam>
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
    if (c.peek() != '<')
      return c.error("Quoted display name not followed by an address in angle brackets");
    laquot = c.pos();
  } else {
    laquot = find_laquot(c);
    if (laquot != nullptr && laquot != c.pos())
      out.display = detail::trim_lws({c.pos(), static_cast<std::size_t>(laquot - c.pos())});
  }

  if (laquot != nullptr) {
    c.advance(static_cast<std::size_t>(laquot - c.pos()) + 1);  // to just past the '<'
    if (chars::is_wsp(c.peek()))
      return c.error("Whitespace inside the angle brackets of an address");
    // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no white space inside the brackets, which
    // parse_uri rejects as an invalid character.
    const char* uri_start = c.pos();
    const void* raquot = std::memchr(uri_start, '>', static_cast<std::size_t>(c.end() - uri_start));
    c.advance(raquot ? static_cast<std::size_t>(static_cast<const char*>(raquot) - uri_start)
                     : static_cast<std::size_t>(c.end() - uri_start));
    if (c.at_end()) return c.error("Missing closing angle bracket after URI");
    out.uri = std::string_view(uri_start, static_cast<std::size_t>(c.pos() - uri_start));
    out.angle = true;
    if (ParseError e = check_uri<kCheck>(out.uri, c.source())) return e;
    c.advance();  // '>'
  } else {
    // addr-spec: the URI runs to the first ';' (header parameters) or white space.
    const char* uri_start = c.pos();
    while (!c.at_end() && c.peek() != ';' && !chars::is_wsp(c.peek()) && c.peek() != '\r')
      c.advance();
    out.uri = std::string_view(uri_start, static_cast<std::size_t>(c.pos() - uri_start));
    if (ParseError e = check_uri<kCheck>(out.uri, c.source())) {
      // "Bell, Alexander <sip:...>": a display name with non-token characters, unquoted.
      if (element.find('<') != std::string_view::npos)
        return ParseError::bad(c.offset_of(uri_start), "Display name must be quoted");
      return e;
    }
    // §20: "the name-addr form MUST be used if the addr-spec contains a comma, semicolon,
    // or question mark" (a semicolon already ends the URI here).
    if (out.uri.find_first_of(",?") != std::string_view::npos)
      return ParseError::bad(c.offset_of(uri_start),
                             "URI with ',' or '?' must be in angle brackets");
  }
  if (ParseError e = detail::parse_header_params(c, out.params, on_param)) return e;
  c.skip_lws();
  if (!c.at_end()) return c.error("Unexpected characters after address");
  find_param(out.params, "tag", &out.tag_value);
  return ParseError::none();
}

// qdtext without the cases the fast path leaves to the general grammar: quoted-pairs, folds,
// HTAB and the bytes take_quoted rejects (controls, DEL).
constexpr bool is_plain_qdtext(char ch) {
  const auto c = static_cast<unsigned char>(ch);
  return c >= 0x20 && c != 0x7F && c != '"' && c != '\\';
}

// The end of a plain quoted-string (see is_plain_qdtext) starting at the DQUOTE at p, just past
// its closing DQUOTE; nullptr when it is not a plain one. Bytes up to `readable` may be loaded
// to check 16 at a time (a quoted +sip.instance is some 50 bytes).
const char* skip_plain_quoted(const char* p, const char* e, const char* readable) {
  ++p;
  while (p < e && readable - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i control = _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x20)), v),
                                          _mm_set1_epi8(-1));  // below 0x20
    const __m128i special = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)), control));
    const auto stop = static_cast<unsigned>(_mm_movemask_epi8(special));
    if (stop != 0) {
      p = std::min(p + __builtin_ctz(stop), e);
      break;
    }
    p += 16;
  }
  if (p > e) p = e;
  while (p < e && is_plain_qdtext(*p)) ++p;
  return p < e && *p == '"' ? p + 1 : nullptr;
}

// The shapes nearly every From, To and Contact has: [display-name [SP]] "<" URI ">"
// *(";" name ["=" value]), the display name a plain quoted-string or tokens separated by single
// spaces, parameter values tokens, hosts or plain quoted-strings, and no other white space.
// Fills `out` and returns true only when the general grammar accepts the element with the same
// result (on_param sees the same parameters); false on anything else, and the caller parses it
// the general way, which also finds the error and its offset.
// With kFull, the URI is parsed into `*uri` when it is given (a Route whose URI the caller
// routes by), into a temporary otherwise.
template <UriCheck kCheck, class OnParam>
bool parse_name_addr_fast(std::string_view element, NameAddr& out, Source src,
                          const OnParam& on_param, Uri* uri_out) {
  if (src.origin == nullptr) src.origin = element.data();
  const Cursor c(element, src);  // offsets for on_param; never moved
  const char* b = element.data();
  const char* e = c.end();
  const char* readable = c.source().readable_end;
  const char* p = b;
  std::string_view display;
  if (p < e && *p == '"') {
    p = skip_plain_quoted(p, e, readable);
    if (p == nullptr) return false;
    display = {b, static_cast<std::size_t>(p - b)};
    if (p < e && *p == ' ') ++p;
  } else if (p < e && *p != '<') {
    // *(token LWS): the display name is the tokens, without the space before '<'.
    const char* last = p;
    for (;;) {
      last = chars::skip_class(p, e, readable, chars::kToken);
      if (last == p) return false;
      p = last;
      if (p < e && *p == ' ') ++p;
      if (p < e && *p == '<') break;
      if (p == last) return false;
    }
    display = {b, static_cast<std::size_t>(last - b)};
  }
  if (p == e || *p != '<') return false;
  const char* uri = p + 1;
  // '>' is not a URI byte: one scan finds it and proves every byte before it is one.
  const char* raquot = chars::skip_class(uri, e, readable, chars::kUriText);
  if (raquot == e || *raquot != '>') return false;
  const std::string_view uri_text(uri, static_cast<std::size_t>(raquot - uri));
  if constexpr (kCheck == UriCheck::kFull) {
    Uri parsed;
    ParseError uri_error;
    if (!detail::parse_uri(uri_text, uri_out != nullptr ? *uri_out : parsed, c.source(), uri_error))
      return false;
  } else {
    if (!uri_scheme_ok(uri_text, readable)) return false;
  }

  p = raquot + 1;
  const char* params = p;
  std::string_view tag;
  bool tag_seen = false;
  while (p < e && *p == ';') {
    const char* name = p + 1;
    p = chars::skip_class(name, e, readable, chars::kToken);
    if (p == name) return false;
    const bool has_value = p < e && *p == '=';
    const char* value = p + has_value;
    if (has_value) {
      p = value < e && *value == '"' ? skip_plain_quoted(value, e, readable)
                                     : chars::skip_class(value, e, readable, chars::kGenValue);
      if (p == nullptr || p == value) return false;
    }
    const std::string_view param_name(name, static_cast<std::size_t>(value - has_value - name));
    const std::string_view param_value(value, static_cast<std::size_t>(p - value));
    if (on_param(param_name, param_value, has_value, c)) return false;
    if (!tag_seen && chars::iequals(param_name, "tag")) {  // the first one, as find_param
      tag_seen = true;
      tag = param_value;
    }
  }
  if (p != e) return false;

  out.display = display;
  out.uri = uri_text;
  out.params = p == params ? std::string_view{}
                           : std::string_view(params + 1, static_cast<std::size_t>(p - params - 1));
  out.angle = true;
  out.star = false;
  out.tag_value = tag;
  out.expires = 0;  // as NameAddr{} (parse_contact fills them)
  out.q = 1000;
  out.has_expires = false;
  return true;
}

#ifdef SIPWIRE_CHECK_FAST_PATHS
bool same(std::string_view a, std::string_view b) {
  return a.data() == b.data() && a.size() == b.size();
}
bool same_name_addr(const NameAddr& a, const NameAddr& b) {
  return same(a.display, b.display) && same(a.uri, b.uri) && same(a.params, b.params) &&
         a.angle == b.angle && a.star == b.star && a.tag_value == b.tag_value;
}
#endif

// A functor that keeps what it saw (ContactParam) starts again before each pass.
template <class OnParam>
void restart(const OnParam& on_param) {
  if constexpr (requires { on_param.restart(); }) on_param.restart();
}

// The fast path, else the general grammar; in sanitizer builds every fast answer is checked
// against the general one.
template <UriCheck kCheck, class OnParam>
bool parse_name_addr_either(std::string_view element, NameAddr& out, Source src,
                            const OnParam& on_param, ParseError& err, Uri* uri_out = nullptr) {
  restart(on_param);
  if (parse_name_addr_fast<kCheck>(element, out, src, on_param, uri_out)) {
#ifdef SIPWIRE_CHECK_FAST_PATHS
    NameAddr general;
    if constexpr (requires { on_param.restart(); }) {
      // A functor that keeps values must keep the same ones on the general grammar's pass.
      const auto fast_values = *on_param.values;
      restart(on_param);
      detail::check_fast_path(!parse_name_addr_with<kCheck>(element, general, src, on_param) &&
                              same_name_addr(general, out) && *on_param.values == fast_values);
    } else {
      detail::check_fast_path(!parse_name_addr_with<kCheck>(element, general, src, on_param) &&
                              same_name_addr(general, out));
    }
#endif
    return true;
  }
  restart(on_param);
  if (!detail::keep(parse_name_addr_with<kCheck>(element, out, src, on_param), err)) return false;
  // The general grammar checked the URI with a temporary: parsed again for the caller (the
  // rare shapes the fast path leaves, so it costs nothing where it matters).
  if constexpr (kCheck == UriCheck::kFull)
    if (uri_out != nullptr) return detail::parse_uri(out.uri, *uri_out, src, err);
  return true;
}

// Contact's parameters with rules of their own: q is a qvalue, expires is delta-seconds. The
// first of each is kept for the registrar (`values`, reset before each pass over them).
struct ContactValues {
  uint32_t expires = 0;
  unsigned q = 1000;
  bool has_expires = false;
  bool has_q = false;
  bool operator==(const ContactValues&) const = default;
};
struct ContactParam {
  ContactValues* values = nullptr;
  void restart() const { *values = ContactValues{}; }
  ParseError operator()(std::string_view name, std::string_view value, bool has_value,
                        const Cursor& c) const {
    if (chars::iequals(name, "q")) {
      unsigned q = 0;
      if (!has_value || !parse_qvalue(value, q))
        return ParseError::bad(c.offset_of(name.data()), "Invalid q value in Contact");
      if (!values->has_q) {
        values->has_q = true;
        values->q = q;
      }
    } else if (chars::iequals(name, "expires")) {
      uint32_t seconds = 0;
      if (!has_value || !parse_delta_seconds(value, seconds))
        return ParseError::bad(c.offset_of(name.data()), "Invalid expires parameter in Contact");
      if (!values->has_expires) {
        values->has_expires = true;
        values->expires = seconds;
      }
    }
    return ParseError::none();
  }
};

// From's and To's tag: tag-param = "tag" EQUAL token (§25.1). A tag without a value, or a
// quoted one, is no tag a dialog can be matched by; a response we made would add ours after
// it, and a receiver reading the first would find none.
struct FromToParam {
  ParseError operator()(std::string_view name, std::string_view value, bool has_value,
                        const Cursor& c) const {
    if (name.size() == 3 && chars::iequals(name, "tag") &&
        (!has_value ||
         chars::skip_class(value.data(), value.data() + value.size(), value.data() + value.size(),
                           chars::kToken) != value.data() + value.size()))
      return ParseError::bad(c.offset_of(name.data()), "Malformed tag parameter");
    return ParseError::none();
  }
};

}  // namespace

bool detail::parse_name_addr(std::string_view element, NameAddr& out, Source src, ParseError& err) {
  return parse_name_addr_either<UriCheck::kFull>(element, out, src, AnyParam{}, err);
}

bool detail::parse_from_to(std::string_view element, NameAddr& out, Source src, ParseError& err) {
  return parse_name_addr_either<UriCheck::kShape>(element, out, src, FromToParam{}, err);
}

bool detail::parse_contact(std::string_view element, NameAddr& out, Source src, ParseError& err) {
  if (element == "*") {
    out = NameAddr{};
    out.star = true;
    return true;
  }
  ContactValues values;
  if (!parse_name_addr_either<UriCheck::kFull>(element, out, src, ContactParam{&values}, err))
    return false;
  out.expires = values.expires;
  out.has_expires = values.has_expires;
  out.q = static_cast<uint16_t>(values.q);
  return true;
}

ParseError parse_name_addr(std::string_view element, NameAddr& out, Source src) {
  ParseError err;
  detail::parse_name_addr(element, out, src, err);
  return err;
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

ParseError parse_from_to(std::string_view element, NameAddr& out, Source src) {
  ParseError err;
  detail::parse_from_to(element, out, src, err);
  return err;
}

ParseError parse_contact(std::string_view element, NameAddr& out, Source src) {
  ParseError err;
  detail::parse_contact(element, out, src, err);
  return err;
}

ParseError parse_route(std::string_view element, NameAddr& out, Source src) {
  Uri uri;
  return parse_route(element, out, uri, src);
}

ParseError parse_route(std::string_view element, NameAddr& out, Uri& uri, Source src) {
  ParseError err;
  if (!parse_name_addr_either<UriCheck::kFull>(element, out, src, detail::AnyParam{}, err, &uri))
    return err;
  if (!out.angle) {
    const uint32_t at =
        static_cast<uint32_t>(element.data() - (src.origin ? src.origin : element.data()));
    return ParseError::bad(at, "Route URI must be in angle brackets");
  }
  return ParseError::none();
}

}  // namespace sipwire
