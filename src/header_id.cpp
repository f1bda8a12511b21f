#include "sipwire/header_id.h"

#include <immintrin.h>

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

// Names are found through an open-addressed table of 256 slots keyed by a hash of the length
// and the first and last characters (folded to lower case). The static_assert below proves
// every known name is reached within kMaxProbe slots, so a lookup is a hash, at most a couple
// of slot loads, and one case-folding compare.
constexpr std::size_t kSlots = 256;
constexpr std::size_t kMaxProbe = 2;

constexpr std::array<char, 256> build_fold() {
  std::array<char, 256> t{};
  for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = chars::lower(static_cast<char>(i));
  return t;
}
constexpr std::array<char, 256> kFold = build_fold();

constexpr std::size_t hash_name(std::string_view name) {
  const auto first = static_cast<unsigned char>(kFold[static_cast<unsigned char>(name.front())]);
  const auto last = static_cast<unsigned char>(kFold[static_cast<unsigned char>(name.back())]);
  return (name.size() + first + last * 21) % kSlots;
}

struct Slot {
  HeaderId id = HeaderId::kOther;
  std::string_view name;            // long form, or the one-letter compact form
  std::array<char, 32> lower32{};   // the name in lower case, zero-padded: one vector compare
};
struct Table {
  std::array<Slot, kSlots> slot{};
  std::size_t longest_probe = 0;
};

constexpr void insert(Table& t, HeaderId id, std::string_view name) {
  std::size_t h = hash_name(name);
  std::size_t probe = 0;
  while (t.slot[h].id != HeaderId::kOther) {
    h = (h + 1) % kSlots;
    ++probe;
  }
  t.slot[h] = Slot{id, name, {}};
  for (std::size_t i = 0; i < name.size(); ++i) t.slot[h].lower32[i] = chars::lower(name[i]);
  if (probe + 1 > t.longest_probe) t.longest_probe = probe + 1;
}

constexpr Table build_table(const std::array<HeaderInfo, kHeaderIdCount>& info) {
  Table t{};
  constexpr std::string_view kCompact = "abcdefghijklmnopqrstuvwxyz";
  for (std::size_t i = 1; i < kHeaderIdCount; ++i) {
    insert(t, static_cast<HeaderId>(i), info[i].name);
    if (info[i].compact != '\0')
      insert(t, static_cast<HeaderId>(i),
             kCompact.substr(static_cast<std::size_t>(info[i].compact - 'a'), 1));
  }
  return t;
}

constexpr auto kInfo = build_info();
constexpr Table kTable = build_table(kInfo);
static_assert(kTable.longest_probe <= kMaxProbe, "header name table: too many collisions");

inline bool equals_folded(std::string_view input, std::string_view canonical) {
  for (std::size_t i = 0; i < input.size(); ++i)
    if (kFold[static_cast<unsigned char>(input[i])] !=
        kFold[static_cast<unsigned char>(canonical[i])])
      return false;
  return true;
}
}  // namespace

const std::array<HeaderInfo, kHeaderIdCount> kHeaderInfo = kInfo;

namespace {
// Compares 32 bytes at once. OR 0x20 folds letters to lower case; among the bytes a header
// line can hold (no CR or LF) no other byte folds onto a letter or '-', so the fold is exact.
inline bool equals_folded_wide(const char* input, std::size_t len, const Slot& s) {
  const __m128i fold = _mm_set1_epi8(0x20);
  const auto* in = reinterpret_cast<const __m128i*>(input);
  const auto* canon = reinterpret_cast<const __m128i*>(s.lower32.data());
  const auto m0 = static_cast<uint32_t>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_or_si128(_mm_loadu_si128(in), fold), _mm_loadu_si128(canon))));
  const auto m1 = static_cast<uint32_t>(_mm_movemask_epi8(
      _mm_cmpeq_epi8(_mm_or_si128(_mm_loadu_si128(in + 1), fold), _mm_loadu_si128(canon + 1))));
  const uint32_t equal = m0 | (m1 << 16);
  const uint32_t want = len >= 32 ? ~0u : (1u << len) - 1;
  return (equal & want) == want;
}
}  // namespace

HeaderId classify_header_name(std::string_view name, const char* readable_end) {
  if (name.empty()) return HeaderId::kOther;
  const bool wide = name.size() <= 32 && readable_end != nullptr &&
                    readable_end - name.data() >= 32;
  std::size_t h = hash_name(name);
  for (std::size_t probe = 0; probe < kMaxProbe; ++probe, h = (h + 1) % kSlots) {
    const Slot& s = kTable.slot[h];
    if (s.id == HeaderId::kOther) return HeaderId::kOther;
    if (s.name.size() != name.size()) continue;
    if (wide ? equals_folded_wide(name.data(), name.size(), s) : equals_folded(name, s.name))
      return s.id;
  }
  return HeaderId::kOther;
}

}  // namespace sipwire
