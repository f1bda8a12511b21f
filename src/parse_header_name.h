// Header-name lookup, inline for the message parser's per-line loop (header_id.cpp wraps it
// as classify_header_name). Internal to the parser.
#pragma once

#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipwire/chars.h"
#include "sipwire/header_id.h"

namespace sipwire::detail {

namespace header_table {
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

// OR 0x20 folds letters to lower case. Other bytes may fold onto other non-letters; the hash
// only picks the slot to compare against, and no known name contains such a byte, so an input
// name that does lands on a slot whose compare fails.
constexpr std::size_t hash_name(const char* name, std::size_t len) {
  const auto first = static_cast<unsigned char>(name[0] | 0x20);
  const auto last = static_cast<unsigned char>(name[len - 1] | 0x20);
  return (len + first + last * 21) % kSlots;
}

struct Slot {
  HeaderId id = HeaderId::kOther;
  uint8_t length = 0;              // of the long form, or 1 for the compact form
  std::array<char, 32> lower32{};  // the name in lower case, zero-padded
};
struct Table {
  std::array<Slot, kSlots> slot{};
  std::size_t longest_probe = 0;
};

constexpr void insert(Table& t, HeaderId id, std::string_view name) {
  std::size_t h = hash_name(name.data(), name.size());
  std::size_t probe = 0;
  while (t.slot[h].id != HeaderId::kOther) {
    h = (h + 1) % kSlots;
    ++probe;
  }
  t.slot[h] = Slot{id, static_cast<uint8_t>(name.size()), {}};
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

inline constexpr Table kTable = build_table(build_info());
static_assert(kTable.longest_probe <= kMaxProbe, "header name table: too many collisions");
static_assert(kHeaderIdCount <= 64, "header ids must fit a 64-bit mask");

// OR 0x20 folds letters to lower case. Among the bytes a header line can hold (no CR or LF) no
// other byte folds onto a letter or '-', so the fold is exact. Compared a word at a time, the
// last word overlapping the one before, so no byte past the name is read.
inline uint64_t folded8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v | 0x2020202020202020u;
}
inline uint32_t folded4(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v | 0x20202020u;
}
template <class Word>
inline Word word(const char* p) {
  Word v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline bool equals_folded(const char* input, std::size_t len, const Slot& s) {
  const char* canon = s.lower32.data();
  if (len >= 8) {
    for (std::size_t i = 0; i + 8 < len; i += 8)
      if (folded8(input + i) != word<uint64_t>(canon + i)) return false;
    return folded8(input + len - 8) == word<uint64_t>(canon + len - 8);
  }
  if (len >= 4)
    return folded4(input) == word<uint32_t>(canon) &&
           folded4(input + len - 4) == word<uint32_t>(canon + len - 4);
  for (std::size_t i = 0; i < len; ++i)
    if (static_cast<char>(input[i] | 0x20) != canon[i]) return false;
  return true;
}

}  // namespace header_table

// The first ':' of the field [b, e), or nullptr. Where 32 bytes from b are readable, two
// vector compares look only at those 32 (header names are short; the caller takes the general
// way when this finds nothing); on the last lines of a message without a body, memchr.
inline const char* find_name_colon(const char* b, const char* e, const char* readable_end) {
  if (readable_end - b < 32)  // the last lines of a message without a body
    return static_cast<const char*>(std::memchr(b, ':', static_cast<std::size_t>(e - b)));
  const __m128i colon = _mm_set1_epi8(':');
  const auto* in = reinterpret_cast<const __m128i*>(b);
  const uint32_t m =
      static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(in), colon))) |
      static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(in + 1), colon)))
          << 16;
  if (m == 0) return nullptr;
  const char* c = b + __builtin_ctz(m);
  return c < e ? c : nullptr;
}

namespace common_names {

// Little-endian words of name text, for comparing a line's first bytes a word at a time.
template <std::size_t N>
constexpr uint64_t word_of(const char (&s)[N]) {
  uint64_t w = 0;
  for (std::size_t i = 0; i + 1 < N && i < 8; ++i)
    w |= uint64_t{static_cast<unsigned char>(s[i])} << (8 * i);
  return w;
}
// The low `bytes` bytes of a word.
constexpr uint64_t low(std::size_t bytes) {
  return bytes >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1;
}

}  // namespace common_names

struct CommonName {
  HeaderId id;
  uint8_t length;  // of the name; the ':' follows it at once
};

// The names nearly every request and response carries, written as RFC 3261 writes them and
// followed at once by ':', matched by one or two compares of the line's first 16 bytes (all
// must be readable), before the general lookup: a switch on the first four bytes, then the
// rest of the name and its colon. Anything else (another case, a compact form, white space
// before the colon, another name) gives kOther and takes the general way, which gives the
// same id for these (sanitizer builds check it).
inline CommonName match_common_name(const char* b) {
  using namespace common_names;
  uint64_t w0, w1;
  std::memcpy(&w0, b, 8);
  std::memcpy(&w1, b + 8, 8);
  const auto first4 = static_cast<uint32_t>(w0);
  const auto byte4 = static_cast<unsigned char>(w0 >> 32);
  switch (first4) {
    case word_of("Via:"):
      return {HeaderId::kVia, 3};
    case word_of("To: "):
      return {HeaderId::kTo, 2};
    case word_of("From"):
      if (byte4 == ':') return {HeaderId::kFrom, 4};
      break;
    case word_of("CSeq"):
      if (byte4 == ':') return {HeaderId::kCSeq, 4};
      break;
    case word_of("Call"):
      if (w0 == word_of("Call-ID:")) return {HeaderId::kCallId, 7};
      break;
    case word_of("Cont"):
      if (w0 == word_of("Contact:")) return {HeaderId::kContact, 7};
      if (w0 == word_of("Content-")) {
        if ((w1 & low(7)) == word_of("Length:")) return {HeaderId::kContentLength, 14};
        if ((w1 & low(5)) == word_of("Type:")) return {HeaderId::kContentType, 12};
      }
      break;
    case word_of("Max-"):
      if (w0 == word_of("Max-Forw") && (w1 & low(5)) == word_of("ards:"))
        return {HeaderId::kMaxForwards, 12};
      break;
    case word_of("Reco"):
      if (w0 == word_of("Record-R") && (w1 & low(5)) == word_of("oute:"))
        return {HeaderId::kRecordRoute, 12};
      break;
    case word_of("Rout"):
      if ((w0 & low(6)) == word_of("Route:")) return {HeaderId::kRoute, 5};
      break;
    case word_of("Expi"):
      if (w0 == word_of("Expires:")) return {HeaderId::kExpires, 7};
      break;
    case word_of("Allo"):
      if ((w0 & low(6)) == word_of("Allow:")) return {HeaderId::kAllow, 5};
      break;
    case word_of("User"):
      if (w0 == word_of("User-Age") && (w1 & low(3)) == word_of("nt:"))
        return {HeaderId::kUserAgent, 10};
      break;
    case word_of("Supp"):
      if (w0 == word_of("Supporte") && (w1 & low(2)) == word_of("d:"))
        return {HeaderId::kSupported, 9};
      break;
    default:
      break;
  }
  return {HeaderId::kOther, 0};
}

// classify_header_name(), inline, for a name taken from a header line (which holds no CR or
// LF, so the folded compare is exact; see equals_folded). A "name" that runs across a fold
// holds an LF, which folds onto '*' and so matches no known name.
inline HeaderId classify_name(const char* name, std::size_t len) {
  using namespace header_table;
  if (len == 0) return HeaderId::kOther;
  std::size_t h = hash_name(name, len);
  for (std::size_t probe = 0; probe < kMaxProbe; ++probe, h = (h + 1) % kSlots) {
    const Slot& s = kTable.slot[h];
    if (s.id == HeaderId::kOther) return HeaderId::kOther;
    if (s.length != len) continue;
    if (equals_folded(name, len, s)) return s.id;
  }
  return HeaderId::kOther;
}

}  // namespace sipwire::detail
