#include "sipwire/header_id.h"

#include "sipwire/chars.h"

namespace sipwire {

namespace {
using namespace header_flags;
constexpr uint8_t kSL = kSingle;
constexpr uint8_t kLS = kList;

constexpr std::array<HeaderInfo, kHeaderIdCount> build_info() {
  std::array<HeaderInfo, kHeaderIdCount> t{};
  auto set = [&t](HeaderId id, std::string_view name, char compact, uint8_t flags) {
    t[index(id)] = HeaderInfo{name, compact, flags};
  };
  set(HeaderId::kOther, "", '\0', 0);
  set(HeaderId::kAccept, "Accept", '\0', kLS);
  set(HeaderId::kAcceptContact, "Accept-Contact", 'a', kLS);
  set(HeaderId::kAcceptEncoding, "Accept-Encoding", '\0', kLS);
  set(HeaderId::kAcceptLanguage, "Accept-Language", '\0', kLS);
  set(HeaderId::kAlertInfo, "Alert-Info", '\0', kLS);
  set(HeaderId::kAllow, "Allow", '\0', kLS);
  set(HeaderId::kAllowEvents, "Allow-Events", 'u', kLS);
  set(HeaderId::kAuthenticationInfo, "Authentication-Info", '\0', kSL);
  set(HeaderId::kAuthorization, "Authorization", '\0', 0);
  set(HeaderId::kCallId, "Call-ID", 'i', kSL);
  set(HeaderId::kCallInfo, "Call-Info", '\0', kLS);
  set(HeaderId::kContact, "Contact", 'm', kLS);
  set(HeaderId::kContentDisposition, "Content-Disposition", '\0', kSL);
  set(HeaderId::kContentEncoding, "Content-Encoding", 'e', kLS);
  set(HeaderId::kContentLanguage, "Content-Language", '\0', kLS);
  set(HeaderId::kContentLength, "Content-Length", 'l', kSL);
  set(HeaderId::kContentType, "Content-Type", 'c', kSL);
  set(HeaderId::kCSeq, "CSeq", '\0', kSL);
  set(HeaderId::kDate, "Date", '\0', kSL);
  set(HeaderId::kErrorInfo, "Error-Info", '\0', kLS);
  set(HeaderId::kEvent, "Event", 'o', kSL);
  set(HeaderId::kExpires, "Expires", '\0', kSL);
  set(HeaderId::kFrom, "From", 'f', kSL);
  set(HeaderId::kIdentity, "Identity", 'y', 0);
  set(HeaderId::kInReplyTo, "In-Reply-To", '\0', kLS);
  set(HeaderId::kMaxForwards, "Max-Forwards", '\0', kSL);
  set(HeaderId::kMimeVersion, "MIME-Version", '\0', kSL);
  set(HeaderId::kMinExpires, "Min-Expires", '\0', kSL);
  set(HeaderId::kMinSE, "Min-SE", '\0', kSL);
  set(HeaderId::kOrganization, "Organization", '\0', kSL);
  set(HeaderId::kPAssertedIdentity, "P-Asserted-Identity", '\0', kLS);
  set(HeaderId::kPath, "Path", '\0', kLS);
  set(HeaderId::kPriority, "Priority", '\0', kSL);
  set(HeaderId::kPrivacy, "Privacy", '\0', 0);
  set(HeaderId::kProxyAuthenticate, "Proxy-Authenticate", '\0', 0);
  set(HeaderId::kProxyAuthorization, "Proxy-Authorization", '\0', 0);
  set(HeaderId::kProxyRequire, "Proxy-Require", '\0', kLS);
  set(HeaderId::kRAck, "RAck", '\0', kSL);
  set(HeaderId::kReason, "Reason", '\0', kLS);
  set(HeaderId::kRecordRoute, "Record-Route", '\0', kLS);
  set(HeaderId::kReferTo, "Refer-To", 'r', kSL);
  set(HeaderId::kReferredBy, "Referred-By", 'b', kSL);
  set(HeaderId::kRejectContact, "Reject-Contact", 'j', kLS);
  set(HeaderId::kReplyTo, "Reply-To", '\0', kSL);
  set(HeaderId::kRequestDisposition, "Request-Disposition", 'd', kLS);
  set(HeaderId::kRequire, "Require", '\0', kLS);
  set(HeaderId::kRetryAfter, "Retry-After", '\0', kSL);
  set(HeaderId::kRoute, "Route", '\0', kLS);
  set(HeaderId::kRSeq, "RSeq", '\0', kSL);
  set(HeaderId::kServer, "Server", '\0', kSL);
  set(HeaderId::kServiceRoute, "Service-Route", '\0', kLS);
  set(HeaderId::kSessionExpires, "Session-Expires", 'x', kSL);
  set(HeaderId::kSubject, "Subject", 's', kSL);
  set(HeaderId::kSubscriptionState, "Subscription-State", '\0', kSL);
  set(HeaderId::kSupported, "Supported", 'k', kLS);
  set(HeaderId::kTimestamp, "Timestamp", '\0', kSL);
  set(HeaderId::kTo, "To", 't', kSL);
  set(HeaderId::kUnsupported, "Unsupported", '\0', kLS);
  set(HeaderId::kUserAgent, "User-Agent", '\0', kSL);
  set(HeaderId::kVia, "Via", 'v', kLS);
  set(HeaderId::kWarning, "Warning", '\0', kLS);
  set(HeaderId::kWwwAuthenticate, "WWW-Authenticate", '\0', 0);
  return t;
}

// Long names are bucketed by (length, first letter). Up to kPerBucket names share a bucket;
// the static_assert below proves the table never overflows.
constexpr std::size_t kMaxLen = 32;
constexpr std::size_t kPerBucket = 3;
struct Buckets {
  std::array<std::array<std::array<HeaderId, kPerBucket>, 27>, kMaxLen> slot{};
  std::array<HeaderId, 256> compact{};
  bool overflow = false;
};

constexpr std::size_t letter(char c) {
  const char l = chars::lower(c);
  return (l >= 'a' && l <= 'z') ? static_cast<std::size_t>(l - 'a') : 26;
}

constexpr Buckets build_buckets(const std::array<HeaderInfo, kHeaderIdCount>& info) {
  Buckets b{};
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    const HeaderInfo& h = info[i];
    const auto id = static_cast<HeaderId>(i);
    if (h.name.size() >= kMaxLen) {
      b.overflow = true;
      continue;
    }
    auto& bucket = b.slot[h.name.size()][letter(h.name[0])];
    std::size_t k = 0;
    while (k < kPerBucket && bucket[k] != HeaderId::kOther) ++k;
    if (k == kPerBucket)
      b.overflow = true;
    else
      bucket[k] = id;
    if (h.compact != '\0') {
      b.compact[static_cast<unsigned char>(h.compact)] = id;
      b.compact[static_cast<unsigned char>(h.compact - 'a' + 'A')] = id;
    }
  }
  return b;
}

constexpr auto kInfo = build_info();
constexpr Buckets kBuckets = build_buckets(kInfo);
static_assert(!kBuckets.overflow, "header bucket table too small: raise kPerBucket or kMaxLen");
}  // namespace

const std::array<HeaderInfo, kHeaderIdCount> kHeaderInfo = kInfo;

HeaderId classify_header_name(std::string_view name) {
  if (name.size() == 1) return kBuckets.compact[static_cast<unsigned char>(name[0])];
  if (name.empty() || name.size() >= kMaxLen) return HeaderId::kOther;
  for (HeaderId id : kBuckets.slot[name.size()][letter(name[0])]) {
    if (id == HeaderId::kOther) break;
    if (chars::iequals(kInfo[index(id)].name, name)) return id;
  }
  return HeaderId::kOther;
}

}  // namespace sipwire
