// The element parsers (uri.h, via.h, name_addr.h, scalars.h) as the message parser calls
// them: they return whether the element is valid, and only on an error write it to `err`.
// The public functions return a 24-byte ParseError through memory from every call; on the
// per-header path that is most of the cost of a call, so the parser keeps the one error it
// can meet in its own state instead. Same grammar, same errors. Internal to the parser.
#pragma once

#include <cstddef>
#include <string_view>

#include "sipwire/name_addr.h"
#include "sipwire/parse_error.h"
#include "sipwire/scalars.h"
#include "sipwire/uri.h"
#include "sipwire/via.h"

namespace sipwire::detail {

bool parse_uri(std::string_view text, Uri& out, Source src, ParseError& err);
bool parse_via(std::string_view element, Via& out, Source src, std::size_t* consumed,
               ParseError& err);
bool parse_name_addr(std::string_view element, NameAddr& out, Source src, ParseError& err);
bool parse_contact(std::string_view element, NameAddr& out, Source src, ParseError& err);
bool parse_from_to(std::string_view element, NameAddr& out, Source src, ParseError& err);

// Records `e` in `err` when it is an error; returns whether it was none. For the general
// (cold) paths, which keep returning ParseError values.
inline bool keep(ParseError e, ParseError& err) {
  if (e.ok()) return true;
  err = e;
  return false;
}

}  // namespace sipwire::detail
