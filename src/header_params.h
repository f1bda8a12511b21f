// Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string. Internal to the parser.
#pragma once

#include "cursor.h"

namespace sipwire::detail {

// The cursor sits just after the element's main part. Consumes every ";param" and sets
// `params` to the text after the first ';' ("" if none). Stops at the first character that
// cannot continue the parameters; the caller decides whether anything may follow.
inline ParseError parse_header_params(Cursor& c, std::string_view& params) {
  params = {};
  const char* first = nullptr;
  while (c.eat_separator(';')) {
    if (first == nullptr) first = c.pos();
    if (c.take_while(chars::kToken).empty()) return c.error("Empty or malformed parameter");
    if (c.eat_separator('=')) {
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
    }
  }
  if (first != nullptr) params = std::string_view(first, static_cast<std::size_t>(c.pos() - first));
  return ParseError::none();
}

}  // namespace sipwire::detail
