// name-addr / addr-spec with header parameters: the element of From, To, Contact, Route,
// Record-Route, Path, Reply-To and similar headers (RFC 3261 §20.10 and §25.1).
#pragma once

#include <string_view>

#include "sipwire/parse_error.h"
#include "sipwire/uri.h"

namespace sipwire {

struct NameAddr {
  std::string_view display;  // a quoted-string with its quotes, or *(token LWS); "" if none
  std::string_view uri;      // the URI text (inside the angle brackets when `angle`)
  std::string_view params;   // header parameters after the URI, without the first ';'
  bool angle = false;        // written as <...>
  bool star = false;         // "Contact: *"
  // The tag parameter's value ("" if none), found while the parameters are parsed: a proxy
  // reads From's and To's tags several times per message (loop and transaction keys).
  std::string_view tag_value;
  // A Contact's expires and q parameters (the first of each), read by parse_contact as it
  // validates them: a registrar needs both for every binding. Unset by the other parsers.
  uint32_t expires = 0;  // when has_expires
  uint16_t q = 1000;     // thousandths; 1000 when the Contact has no q
  bool has_expires = false;

  std::string_view tag() const { return tag_value; }
};

// Parses one element (already split from its list and trimmed). Validates the display name,
// the URI (fully, with parse_uri) and the parameters. An addr-spec written without angle
// brackets must not contain ',', ';' or '?' (§20): its URI ends at the first ';'.
ParseError parse_name_addr(std::string_view element, NameAddr& out, Source src = {});

// As parse_name_addr, but the URI is only checked for its shape: a scheme, a colon, and bytes
// a URI can hold (what parse_message does for From and To: RFC 3261 §16.3 has a proxy ignore
// the parts it does not use, well-formed or not). Parse `out.uri` with parse_uri to use it;
// validate_all does. Everything parse_name_addr accepts, this accepts with the same result.
ParseError parse_from_to(std::string_view element, NameAddr& out, Source src = {});

// As parse_name_addr, plus Contact's "*" and its parameter rules: q is a qvalue (0 to 1, at
// most three decimals) and expires is delta-seconds.
ParseError parse_contact(std::string_view element, NameAddr& out, Source src = {});

// Route, Record-Route and Path take only name-addr (angle brackets required).
ParseError parse_route(std::string_view element, NameAddr& out, Source src = {});
// As parse_route, and `uri` is the parsed URI (what parse_uri(out.uri) gives), from the same
// pass: a proxy routes by it.
ParseError parse_route(std::string_view element, NameAddr& out, Uri& uri, Source src = {});

// q-value in thousandths (0 to 1000); false when malformed.
bool parse_qvalue(std::string_view text, unsigned& thousandths);

}  // namespace sipwire
