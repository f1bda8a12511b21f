#include "error_responder.h"

#include "sipwire/chars.h"
#include "sipwire/header_id.h"
#include "text_writer.h"

namespace sipwire {

namespace {
bool copy_needed(HeaderId id) {
  return id == HeaderId::kVia || id == HeaderId::kFrom || id == HeaderId::kTo ||
         id == HeaderId::kCallId || id == HeaderId::kCSeq;
}
}  // namespace

MalformedKind classify_malformed(std::string_view d) {
  while (d.starts_with("\r\n")) d.remove_prefix(2);
  if (d.empty()) return MalformedKind::kKeepalive;
  // As the parser tells a Status-Line from a Request-Line, and reads the method (case-sensitive).
  if (d.size() >= 4 && chars::iequals(d.substr(0, 4), "SIP/")) return MalformedKind::kResponse;
  return d.starts_with("ACK ") ? MalformedKind::kAck : MalformedKind::kRequest;
}

std::size_t write_error_response(std::string_view d, const ParseError& error, std::span<char> out) {
  TextWriter w(out);
  // The reason names the defect (parse_error.h); put_reason keeps it within the grammar.
  w.put("SIP/2.0 ").put(error.status).put(" ").put_reason(error.reason).put("\r\n");
  bool has_via = false;
  std::size_t line = d.find("\r\n");
  while (line != std::string_view::npos && line + 2 < d.size()) {
    const std::size_t begin = line + 2;
    std::size_t end = d.find("\r\n", begin);
    if (end == std::string_view::npos || end == begin) break;  // the empty line: headers end
    // Whole header fields only: a field continues on lines that start with white space.
    while (end + 2 < d.size() && chars::is_wsp(d[end + 2])) {
      end = d.find("\r\n", end + 2);
      if (end == std::string_view::npos) return 0;
    }
    const std::string_view field = d.substr(begin, end - begin);
    std::size_t name_end = 0;
    while (name_end < field.size() && chars::is(field[name_end], chars::kToken)) ++name_end;
    std::size_t colon = name_end;
    while (colon < field.size() && chars::is_wsp(field[colon])) ++colon;
    if (colon < field.size() && field[colon] == ':') {
      const HeaderId id = classify_header_name(field.substr(0, name_end));
      if (copy_needed(id)) {
        // Control bytes other than HT and folds would corrupt the response: leave such fields
        // out. A CR or LF counts only as a fold's CRLF; a bare one would end the line for some
        // receivers and not for others (the rest of the field read as a header of its own).
        bool clean = true;
        for (std::size_t i = 0; i < field.size(); ++i) {
          const auto c = static_cast<unsigned char>(field[i]);
          if (c == '\r')
            clean &= i + 2 < field.size() && field[i + 1] == '\n' && chars::is_wsp(field[i + 2]);
          else if (c == '\n')
            clean &= i > 0 && field[i - 1] == '\r';
          else
            clean &= c >= 0x20 || c == '\t';
        }
        if (clean) {
          w.put(field).put("\r\n");
          has_via |= id == HeaderId::kVia;
        }
      }
    }
    line = end;
  }
  if (!has_via) return 0;
  w.put("Server: sipwire\r\nContent-Length: 0\r\n\r\n");
  return w.ok() ? w.size() : 0;
}

}  // namespace sipwire
