#include "sipwire/stream_framer.h"

#include <array>
#include <cstdint>

#include "sipwire/header_id.h"
#include "sipwire/line_scanner.h"
#include "sipwire/scalars.h"

namespace sipwire {

namespace {

Frame error(uint16_t code, std::size_t at, std::string_view why) {
  Frame f;
  f.kind = Frame::Kind::kError;
  f.error = ParseError{code, static_cast<uint32_t>(at), why};
  return f;
}

// The value of a header line "name *WSP : value"; "" when the line is not that header.
bool is_content_length_line(std::string_view line, std::string_view& value) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':' && line[i] != ' ' && line[i] != '\t') ++i;
  const HeaderId id = classify_header_name(line.substr(0, i));
  if (id != HeaderId::kContentLength) return false;
  while (i < line.size() && line[i] != ':') ++i;
  value = i < line.size() ? line.substr(i + 1) : std::string_view{};
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return true;
}

}  // namespace

Frame find_frame(std::string_view s, std::size_t max_message_size) {
  Frame f;
  if (s.size() >= 1 && s[0] == '\r') {
    if (s.size() < 4) return f;  // "\r", "\r\n", "\r\n\r": cannot tell ping from pong yet
    if (s[1] != '\n') return error(status::kBadRequest, 1, "Bare CR in stream");
    if (s[2] == '\r' && s[3] == '\n') return Frame{Frame::Kind::kPing, 4, {}};
    return Frame{Frame::Kind::kPong, 2, {}};
  }

  std::array<uint32_t, 256> lines;
  const std::size_t window = s.size() < max_message_size ? s.size() : max_message_size;
  const LineScan scan = scan_lines(s.data(), window, lines.data(), lines.size());
  if (scan.bad_at != LineScan::kNotFound)
    return error(status::kBadRequest, scan.bad_at, "Bare CR or LF in header");
  if (scan.overflow) return error(status::kMessageTooLarge, 0, "Too many header lines");
  if (scan.header_end == LineScan::kNotFound) {
    if (s.size() >= max_message_size)
      return error(status::kMessageTooLarge, 0, "Message too large");
    return f;
  }

  // Header lines are lines[k-1]+1 .. lines[k]-1 for k >= 1; folded lines start with WSP and
  // never name a header, and Content-Length's value is never folded in practice: a folded one
  // fails the digit check and the connection is closed, which is the safe outcome.
  bool found = false;
  uint32_t length = 0;
  for (std::size_t k = 1; k < scan.lines; ++k) {
    const std::size_t b = lines[k - 1] + 1;
    const std::string_view line = s.substr(b, lines[k] - 1 - b);
    std::string_view value;
    if (!is_content_length_line(line, value)) continue;
    if (found) return error(status::kBadRequest, b, "Multiple Content-Length header fields");
    if (!parse_bounded_uint(value, UINT32_MAX, length))
      return error(status::kBadRequest, b, "Malformed Content-Length");
    found = true;
  }
  if (!found) return error(status::kBadRequest, 0, "Missing Content-Length on a stream transport");
  const std::size_t total = scan.header_end + length;
  if (total > max_message_size) return error(status::kMessageTooLarge, 0, "Message too large");
  if (s.size() < total) return f;
  return Frame{Frame::Kind::kMessage, total, {}};
}

}  // namespace sipwire
