// A parse or validation outcome as a value: the per-message path throws nothing.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipwire {

// The SIP status codes the parser and validator answer with.
namespace status {
inline constexpr uint16_t kOk = 0;  // not a SIP code: "no error"
inline constexpr uint16_t kBadRequest = 400;
inline constexpr uint16_t kUnsupportedUriScheme = 416;
inline constexpr uint16_t kBadExtension = 420;
inline constexpr uint16_t kLoopDetected = 482;
inline constexpr uint16_t kTooManyHops = 483;
inline constexpr uint16_t kMessageTooLarge = 513;
inline constexpr uint16_t kVersionNotSupported = 505;
}  // namespace status

// `reason` names the defect and is always a string literal (static storage), so an error can be
// copied into a response's reason phrase without owning memory. `offset` is the byte offset of
// the defect in the message buffer.
struct ParseError {
  uint16_t status = status::kOk;
  uint32_t offset = 0;
  std::string_view reason{};

  constexpr bool ok() const { return status == status::kOk; }
  constexpr explicit operator bool() const { return !ok(); }  // true when there is an error

  static constexpr ParseError none() { return {}; }
  static constexpr ParseError bad(uint32_t at, std::string_view why) {
    return {status::kBadRequest, at, why};
  }
};

// Where a piece of text lies, for the element parsers (URI, Via, name-addr, ...): error offsets
// count from `origin` (default: the text's own start), and scanners may load, but never use,
// bytes up to `readable_end` (default: the text's end) so they can work 16 bytes at a time.
// The message parser passes the whole datagram as readable; a caller with a lone string
// passes nothing. Converts from a plain origin pointer.
struct Source {
  const char* origin = nullptr;
  const char* readable_end = nullptr;

  constexpr Source() = default;
  constexpr Source(const char* origin_at) : origin(origin_at) {}  // NOLINT: implicit by design
  constexpr Source(const char* origin_at, const char* readable)
      : origin(origin_at), readable_end(readable) {}
};

}  // namespace sipwire
