// The header fields sipwire knows by name, with their compact forms (RFC 3261 §7.3.3 and the
// extensions that assign one) and the two properties the parser enforces: whether a field may
// appear once only, and whether its value is a comma-separated list.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sipwire {

enum class HeaderId : uint8_t {
  kOther = 0,  // an extension header sipwire does not know: kept, indexed by position, forwarded
  kAccept,
  kAcceptContact,
  kAcceptEncoding,
  kAcceptLanguage,
  kAlertInfo,
  kAllow,
  kAllowEvents,
  kAuthenticationInfo,
  kAuthorization,
  kCallId,
  kCallInfo,
  kContact,
  kContentDisposition,
  kContentEncoding,
  kContentLanguage,
  kContentLength,
  kContentType,
  kCSeq,
  kDate,
  kErrorInfo,
  kEvent,
  kExpires,
  kFrom,
  kIdentity,
  kInReplyTo,
  kMaxForwards,
  kMimeVersion,
  kMinExpires,
  kMinSE,
  kOrganization,
  kPAssertedIdentity,
  kPath,
  kPriority,
  kPrivacy,
  kProxyAuthenticate,
  kProxyAuthorization,
  kProxyRequire,
  kRAck,
  kReason,
  kRecordRoute,
  kReferTo,
  kReferredBy,
  kRejectContact,
  kReplyTo,
  kRequestDisposition,
  kRequire,
  kRetryAfter,
  kRoute,
  kRSeq,
  kServer,
  kServiceRoute,
  kSessionExpires,
  kSubject,
  kSubscriptionState,
  kSupported,
  kTimestamp,
  kTo,
  kUnsupported,
  kUserAgent,
  kVia,
  kWarning,
  kWwwAuthenticate,
  kCount_,
};

inline constexpr std::size_t kHeaderIdCount = static_cast<std::size_t>(HeaderId::kCount_);

namespace header_flags {
inline constexpr uint8_t kSingle = 1;  // at most one field of this name in a message
inline constexpr uint8_t kList = 2;    // value is a comma-separated list (#element)
}  // namespace header_flags

struct HeaderInfo {
  std::string_view name;  // canonical long form, as sipwire writes it
  char compact;           // compact form, or '\0'
  uint8_t flags;
};

// Indexed by HeaderId.
extern const std::array<HeaderInfo, kHeaderIdCount> kHeaderInfo;

constexpr std::size_t index(HeaderId id) {
  return static_cast<std::size_t>(id);
}
inline const HeaderInfo& info(HeaderId id) {
  return kHeaderInfo[index(id)];
}

// Maps a field name (long or compact, any case) to its id; kOther for names sipwire does not
// know, and for anything that is not a token. No allocation: a hash, one or two slot loads,
// one case-insensitive compare.
HeaderId classify_header_name(std::string_view name);

}  // namespace sipwire
