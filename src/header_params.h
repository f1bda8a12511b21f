// Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string. Internal to the parser.
#pragma once

#include "cursor.h"

namespace sipwire::detail {

// Accepts every parameter; for elements whose parameters need no further checks.
struct AnyParam {
  ParseError operator()(std::string_view, std::string_view, bool, const Cursor&) const {
    return ParseError::none();
  }
};

// The cursor sits just after the element's main part. Consumes every ";param", calling
// on_param(name, value, has_value, cursor) for each as it goes, so the caller interprets
// parameters in the same pass that validates them (an error it returns can point at the
// parameter through the cursor's offsets). Sets `params` to the text after the first ';'.
// Stops at the first character that cannot continue the parameters.
template <class OnParam>
inline ParseError parse_header_params(Cursor& c, std::string_view& params, OnParam&& on_param) {
  params = {};
  const char* first = nullptr;
  while (c.eat_separator(';')) {
    if (first == nullptr) first = c.pos();
    const std::string_view name = c.take_while(chars::kToken);
    if (name.empty()) return c.error("Empty or malformed parameter");
    std::string_view value;
    const bool has_value = c.eat_separator('=');
    if (has_value) {
      const char* v = c.pos();
      if (c.peek() == '"') {
        bool ok = false;
        c.take_quoted(ok);
        if (!ok) return c.error("Unterminated quoted string in parameter");
      } else if (c.peek() == '[') {
        while (!c.at_end() && c.peek() != ']') c.advance();
        if (!c.eat(']')) return c.error("Unterminated IPv6 reference in parameter");
      } else if (c.take_while(chars::kGenValue).empty()) {
        return c.error("Empty parameter value");
      }
      value = std::string_view(v, static_cast<std::size_t>(c.pos() - v));
    }
    if (ParseError e = on_param(name, value, has_value, c)) return e;
  }
  if (first != nullptr) params = std::string_view(first, static_cast<std::size_t>(c.pos() - first));
  return ParseError::none();
}

inline ParseError parse_header_params(Cursor& c, std::string_view& params) {
  return parse_header_params(c, params, AnyParam{});
}

}  // namespace sipwire::detail
