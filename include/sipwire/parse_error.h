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

}  // namespace sipwire
