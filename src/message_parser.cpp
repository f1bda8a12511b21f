// Stage 2 of parsing: walk the lines stage 1 found, index the header fields, and parse the
// fields a proxy routes by. See message.h for the contract.
#include <cstring>

#include "cursor.h"
#include "parse_check.h"
#include "parse_elements.h"
#include "parse_header_name.h"
#include "parse_scalars.h"
#include "sipwire/line_scanner.h"
#include "sipwire/message.h"

namespace sipwire {

namespace {

constexpr uint16_t kNotImplemented = 501;

// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Returns 0 for SIP/2.0, the 505 status for a
// well-formed other version, and 400 for anything else.
uint16_t check_version(std::string_view v) {
  if (v.size() < 7 || !chars::iequals(v.substr(0, 4), "SIP/")) return status::kBadRequest;
  std::size_t i = 4;
  std::size_t major = 0, minor = 0;
  while (i < v.size() && chars::is_digit(v[i])) ++i, ++major;
  if (major == 0 || i == v.size() || v[i] != '.') return status::kBadRequest;
  ++i;
  while (i < v.size() && chars::is_digit(v[i])) ++i, ++minor;
  if (minor == 0 || i != v.size()) return status::kBadRequest;
  return v.substr(4) == "2.0" ? status::kOk : status::kVersionNotSupported;
}

ParseError version_error(uint16_t code, uint32_t at) {
  if (code == status::kVersionNotSupported) return {code, at, "SIP version not supported"};
  return ParseError::bad(at, "Malformed SIP version");
}

// A header id as a bit of a 64-bit set (header_table asserts every id fits).
constexpr uint64_t bit(HeaderId id) {
  return uint64_t{1} << index(id);
}

const char* find_byte(const char* p, const char* end, char c) {
  while (p < end && *p != c) ++p;
  return p;
}

}  // namespace

// Stage 2. Its functions return whether the message is still valid; the first error is kept
// in err_ (the element parsers write it there too, see parse_elements.h), so no error value is
// passed back through memory from every header line.
class MessageParser {
 public:
  MessageParser(std::string_view buffer, Message& m, const ParseOptions& o)
      : d_(buffer.data()), n_(buffer.size()), m_(m), opt_(o) {}

  ParseError run();

 private:
  uint32_t off(const char* p) const { return static_cast<uint32_t>(p - d_); }
  // Field parsers may read ahead to the end of the datagram to scan 16 bytes at a time.
  Source src() const { return {d_, d_ + n_}; }
  Message::Span span(const char* b, const char* e) const {
    return {off(b), static_cast<uint32_t>(e - b)};
  }
  std::string_view text(const char* b, const char* e) const {
    return {b, static_cast<std::size_t>(e - b)};
  }
  // Record an error and return false. Cold: kept out of the hot code.
  [[gnu::cold]] [[gnu::noinline]] bool fail(ParseError e) {
    err_ = e;
    return false;
  }
  [[gnu::cold]] [[gnu::noinline]] bool bad(uint32_t at, std::string_view why) {
    err_ = ParseError::bad(at, why);
    return false;
  }
  void reset();
  bool parse();
  bool parse_start_line(const char* b, const char* e);
  bool parse_request_line(const char* b, const char* e);
  bool parse_status_line(const char* b, const char* e);
  // Inlined into the per-line loop, with the switch over the routing fields: they run for
  // every header line, and a call would cost about as much as their common path. The field
  // parsers themselves (Via, name-addr, URI, CSeq) stay out of line.
  [[gnu::always_inline]] inline bool add_field(const char* b, const char* e);
  [[gnu::always_inline]] inline bool parse_routing_field(const Message::Field& field);
  bool parse_call_id(const char* b, const char* e);
  bool parse_contacts(std::string_view value);
  bool parse_contact(std::string_view element);
  bool check_structure();
  bool frame_body(std::size_t header_end);
  void clear_unreached();

  // The header ids parse_routing_field parses, one bit each (HeaderId as the bit number).
  static constexpr uint64_t kRouting = bit(HeaderId::kCallId) | bit(HeaderId::kCSeq) |
                                       bit(HeaderId::kMaxForwards) | bit(HeaderId::kContentLength) |
                                       bit(HeaderId::kFrom) | bit(HeaderId::kTo) |
                                       bit(HeaderId::kVia);

  // The parsed elements of Message, one bit each: set once this parse has written it.
  enum Reached : uint8_t {
    kRequestUri = 1,
    kTopVia = 2,
    kFrom = 4,
    kTo = 8,
    kCSeq = 16,
  };

  const char* d_;
  std::size_t n_;
  uint64_t routing_ = kRouting;
  uint8_t reached_ = 0;
  Message& m_;
  const ParseOptions& opt_;
  ParseError err_;
};

bool MessageParser::parse_start_line(const char* b, const char* e) {
  if (e - b >= 4 && chars::iequals(text(b, b + 4), "SIP/")) return parse_status_line(b, e);
  return parse_request_line(b, e);
}

bool MessageParser::parse_request_line(const char* b, const char* e) {
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF, each separator exactly one SP.
  m_.is_request_ = true;
  const char* readable = d_ + n_;
  const char* p = chars::skip_class(b, e, readable, chars::kToken);
  if (p == b) return bad(off(b), "Malformed method in Request-Line");
  if (p == e || *p != ' ') return bad(off(p), "Malformed Request-Line");
  m_.method_span_ = span(b, p);
  m_.method_ = classify_method(text(b, p));

  const char* uri = p + 1;
  const char* uri_end = chars::skip_class(uri, e, readable, chars::kVisible);
  if (uri_end == uri) return bad(off(uri), "Extra whitespace in Request-Line");
  if (uri_end == e || *uri_end != ' ') return bad(off(uri_end), "Malformed Request-URI");
  m_.ruri_ = span(uri, uri_end);

  const char* ver = uri_end + 1;
  const char* ver_end = ver;
  // Nearly every request ends in exactly "SIP/2.0": one 8-byte compare (the CR follows).
  const bool sip20 =
      e - ver == 7 && (detail::load8(ver) & 0x00FFFFFFFFFFFFFF) == detail::load8("SIP/2.0");
  if (sip20)
    ver_end = e;
  else
    while (ver_end<e&& static_cast<unsigned char>(*ver_end)> ' ') ++ver_end;
  if (ver_end != e) {
    // "sip:a@b; lr SIP/2.0" (LWS in the URI) or "SIP/2.0  " (trailing SP) or stray controls.
    const char* q = ver_end;
    while (q < e && *q == ' ') ++q;
    return bad(off(ver_end),
               q == e ? "Trailing whitespace in Request-Line" : "Whitespace inside Request-URI");
  }
  m_.version_ = span(ver, ver_end);
  if (!sip20)
    if (uint16_t code = check_version(text(ver, ver_end)))
      return fail(version_error(code, off(ver)));

  reached_ |= kRequestUri;
  if (!detail::parse_uri(text(uri, uri_end), m_.request_uri_, src(), err_)) return false;
  // §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
  if (m_.request_uri_.has_headers) return bad(off(uri), "Request-URI must not contain headers");
  return true;
}

bool MessageParser::parse_status_line(const char* b, const char* e) {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
  m_.is_request_ = false;
  const char* sp = find_byte(b, e, ' ');
  m_.version_ = span(b, sp);
  if (uint16_t code = check_version(text(b, sp))) return fail(version_error(code, off(b)));
  if (sp == e) return bad(off(sp), "Missing status code");
  const char* code = sp + 1;
  if (e - code < 3 || !chars::is_digit(code[0]) || !chars::is_digit(code[1]) ||
      !chars::is_digit(code[2]) || (e - code > 3 && code[3] != ' '))
    return bad(off(code), "Malformed status code");
  const uint16_t value =
      static_cast<uint16_t>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  if (value < 100 || value > 699) return bad(off(code), "Status code out of range");
  m_.status_code_ = value;
  // The SP before an empty reason phrase is required by the grammar; RFC 4475 noreason has it.
  if (e - code == 3) return bad(off(e), "Missing SP after status code");
  const char* reason = code + 4;
  for (const char* q = reason; q < e; ++q)
    if (!chars::is(*q, chars::kReason)) return bad(off(q), "Invalid character in reason phrase");
  m_.reason_ = span(reason, e);
  return true;
}

namespace {
// A field of several lines may end in folds of white space alone: trailing LWS too, their
// CRLFs with them, so that a value never ends in CRLF (a writer that copies it and adds its own
// would end the header block there). Where the field's text ends without them; add_field trims
// the rest. Rare: out of the per-line path.
[[gnu::cold, gnu::noinline]] const char* end_of_folded_value(const char* b, const char* e) {
  for (;;) {
    while (e > b && chars::is_wsp(e[-1])) --e;
    if (e - b < 2 || e[-1] != '\n') return e;
    e -= 2;  // the line scanner proved the CR before the LF
  }
}
}  // namespace

bool MessageParser::add_field(const char* b, const char* e) {
  // message-header = field-name HCOLON field-value, HCOLON = *( SP / HTAB ) ":" SWS
  const char* readable = d_ + n_;
  const char* name_end;
  HeaderId id = HeaderId::kOther;
  // Nearly every line is "Name:" with a known name. The commonest names, as RFC 3261 writes
  // them, are matched by a word compare or two; other known names are found by their colon,
  // and the exact (case-folded) match with a known name proves it is a token too. Anything
  // else is scanned the general way: a name of token characters, optional white space, the
  // colon.
  const detail::CommonName common =
      readable - b >= 16 ? detail::match_common_name(b) : detail::CommonName{HeaderId::kOther, 0};
  const char* p;
  if (common.id != HeaderId::kOther) {
    id = common.id;
    name_end = b + common.length;
    p = name_end + 1;  // the match includes the colon
    detail::check_fast_path(detail::classify_name(b, common.length) == id &&
                            detail::find_name_colon(b, e, readable) == name_end);
  } else {
    const char* colon = detail::find_name_colon(b, e, readable);
    if (colon != nullptr && colon != b &&
        (id = detail::classify_name(b, static_cast<std::size_t>(colon - b))) != HeaderId::kOther) {
      name_end = colon;
    } else {
      name_end = chars::skip_class(b, e, readable, chars::kToken);
      if (name_end == b) return bad(off(b), "Malformed header field name");
      if (name_end != colon)  // white space before the colon, or an unknown name scanned anew
        id = detail::classify_name(b, static_cast<std::size_t>(name_end - b));
    }
    p = name_end;
    if (p == e || *p != ':') {  // white space before the colon is rare
      while (p < e && chars::is_wsp(*p)) ++p;
      if (p == e || *p != ':') return bad(off(p), "Missing ':' after header field name");
    }
    ++p;
  }

  if (m_.header_count_ == Message::kMaxHeaders)
    return fail({status::kMessageTooLarge, off(b), "Too many header fields"});
  // The value is trimmed once, here: SWS after the colon (folds included), and the white space
  // (folds included) before the field's last CRLF.
  if (e - p >= 2 && p[0] == ' ' && chars::is(p[1], chars::kVisible)) {
    ++p;  // the usual "Name: value": one space, nothing to unfold
  } else {
    for (;;) {
      if (p < e && chars::is_wsp(*p)) {
        ++p;
      } else if (e - p >= 3 && p[0] == '\r' && p[1] == '\n' && chars::is_wsp(p[2])) {
        p += 3;
      } else {
        break;
      }
    }
  }
  while (e > p && chars::is_wsp(e[-1])) --e;
  const std::size_t i = m_.header_count_++;
  Message::Field& field = m_.fields_[i];
  field = Message::Field{off(b), off(p), static_cast<uint32_t>(e - p),
                         static_cast<uint16_t>(name_end - b), id};
  const std::size_t k = index(id);
  if (m_.count_[k]++ == 0) {
    m_.first_[k] = static_cast<uint8_t>(i);
  } else if (info(id).flags & header_flags::kSingle) {
    // RFC 4475 multi01 / mcl01: a single-value field given twice.
    return bad(off(b), id == HeaderId::kContentLength
                           ? "Multiple Content-Length header fields"
                           : "Header field that must appear once appears twice");
  }
  // Only the fields a proxy routes by are parsed now; the others cost nothing more.
  if (routing_ & bit(id)) return parse_routing_field(field);
  return true;
}

bool MessageParser::parse_call_id(const char* b, const char* e) {
  // callid = word [ "@" word ]
  const char* p = chars::skip_class(b, e, d_ + n_, chars::kWord);
  if (p != b && p < e && *p == '@') {
    const char* w = p + 1;
    p = chars::skip_class(w, e, d_ + n_, chars::kWord);
    if (p == w) p = b;  // "word@" is malformed
  }
  if (p == b || p != e) return bad(off(p), "Malformed Call-ID");
  return true;
}

bool MessageParser::parse_contacts(std::string_view value) {
  // A registrar stores these: a REGISTER's contacts are checked now (RFC 4475 regbadct), other
  // requests' only when someone reads them (routing_ has Contact only for REGISTER).
  // Nearly every field holds one element: without a comma there is no list to split (add_field
  // trimmed the value already).
  if (std::memchr(value.data(), ',', value.size()) == nullptr) {
    if (value.empty()) return bad(off(value.data()), "Empty Contact value");
    return parse_contact(value);
  }
  ListSplitter split(value);
  std::string_view element;
  while (split.next(element)) {
    if (element.empty()) return bad(off(value.data()), "Empty Contact value");
    if (!parse_contact(element)) return false;
  }
  return true;
}

bool MessageParser::parse_contact(std::string_view element) {
  // The first kKeptContacts are parsed straight into the Message, for the registrar, which
  // would otherwise parse them again.
  if (m_.contact_total_ < Message::kKeptContacts) {
    if (!detail::parse_contact(element, m_.contacts_[m_.contact_total_], src(), err_)) return false;
  } else {
    NameAddr contact;
    if (!detail::parse_contact(element, contact, src(), err_)) return false;
  }
  ++m_.contact_total_;
  return true;
}

bool MessageParser::parse_routing_field(const Message::Field& field) {
  const char* b = d_ + field.value_offset;
  const char* e = b + field.value_length;
  const std::string_view value = text(b, e);
  switch (field.id) {
    case HeaderId::kCallId:
      return parse_call_id(b, e);
    case HeaderId::kCSeq:
      reached_ |= kCSeq;
      if (detail::parse_cseq_fast(b, e, d_ + n_, m_.cseq_)) return true;
      m_.cseq_ = CSeq{};  // parse_cseq fills it only as far as it gets
      return detail::keep(parse_cseq(value, m_.cseq_, src()), err_);
    case HeaderId::kMaxForwards: {
      uint32_t mf = 0;
      if (!detail::parse_uint(b, e, 255, mf)) return bad(off(b), "Malformed Max-Forwards");
      m_.max_forwards_ = static_cast<int>(mf);
      return true;
    }
    case HeaderId::kContentLength:
      if (!detail::parse_uint(b, e, UINT32_MAX, m_.content_length_))
        return bad(off(b), "Malformed Content-Length");
      m_.has_content_length_ = true;
      return true;
    case HeaderId::kContact:
      return parse_contacts(value);
    case HeaderId::kFrom:
      reached_ |= kFrom;
      return detail::parse_from_to(value, m_.from_, src(), err_);
    case HeaderId::kTo:
      reached_ |= kTo;
      return detail::parse_from_to(value, m_.to_, src(), err_);
    case HeaderId::kVia: {
      // Only the top Via: the routing bit is cleared once it is parsed.
      routing_ &= ~bit(HeaderId::kVia);
      // The top Via straight from the field: parsing stops at a comma before further values.
      if (b == e) return bad(off(b), "Empty Via");
      reached_ |= kTopVia;
      std::size_t consumed = 0;
      return detail::parse_via(value, m_.top_via_, src(), &consumed, err_);
    }
    default:
      return true;
  }
}

bool MessageParser::check_structure() {
  // §8.1.1: To, From, CSeq, Call-ID, Via are mandatory (Max-Forwards is too, but §16.6 step 3
  // has a proxy add it to requests that lack it, as RFC 2543 clients send them).
  static constexpr struct {
    HeaderId id;
    std::string_view reason;
  } kMandatory[] = {
      {HeaderId::kVia, "Missing Via header field"},
      {HeaderId::kFrom, "Missing From header field"},
      {HeaderId::kTo, "Missing To header field"},
      {HeaderId::kCallId, "Missing Call-ID header field"},
      {HeaderId::kCSeq, "Missing CSeq header field"},
  };
  for (const auto& h : kMandatory)
    if (m_.count_[index(h.id)] == 0) return bad(0, h.reason);

  // classify_method() is exact (case-sensitive), so two known methods match when their ids do;
  // only extension methods need their names compared.
  if (m_.is_request_ &&
      (m_.method_ != Method::kExtension ? m_.cseq_.method != m_.method_
                                        : m_.cseq_.method_name != m_.method_name())) {
    const uint32_t at = off(m_.cseq_.method_name.data());
    // RFC 4475 mismatch02: for a method we do not know, 501 is the preferred answer.
    if (m_.method_ == Method::kExtension)
      return fail({kNotImplemented, at, "CSeq method does not match request method"});
    return bad(at, "CSeq method does not match request method");
  }
  return true;
}

bool MessageParser::frame_body(std::size_t header_end) {
  const std::size_t available = n_ - header_end;
  std::size_t length = available;
  if (m_.has_content_length_) {
    // §18.3: a body shorter than Content-Length is an error; bytes past it are ignored.
    if (m_.content_length_ > available) {
      const int at = m_.find(HeaderId::kContentLength);
      return bad(m_.fields_[static_cast<std::size_t>(at)].name_offset,
                 "Content-Length larger than the message body");
    }
    length = m_.content_length_;
  } else if (opt_.framing == Framing::kStream) {
    return bad(0, "Missing Content-Length on a stream transport");
  }
  m_.body_ = Message::Span{static_cast<uint32_t>(header_end), static_cast<uint32_t>(length)};
  m_.size_ = header_end + length;
  return true;
}

void MessageParser::reset() {
  m_.data_ = d_;
  m_.size_ = 0;
  m_.header_count_ = 0;
  m_.first_.fill(Message::kNone);
  m_.count_.fill(0);
  m_.status_code_ = 0;
  m_.is_request_ = false;  // until a Request-Line is read: nothing of the last message stays
  m_.method_ = Method::kExtension;
  m_.method_span_ = m_.ruri_ = m_.version_ = m_.reason_ = m_.body_ = Message::Span{};
  m_.max_forwards_ = -1;
  m_.has_content_length_ = false;
  m_.content_length_ = 0;
  m_.contacts_parsed_ = false;  // the kept Contacts are views of the old buffer: none is read
  m_.contact_total_ = 0;
  // The parsed elements are reset by clear_unreached(), once the parse knows which it wrote.
}

void MessageParser::clear_unreached() {
  // Views from a previous parse point into a buffer that may be gone: none may survive. Each
  // element parser resets what it writes (before it can fail), so only the elements this parse
  // never reached still hold old values.
  if (!(reached_ & kRequestUri)) m_.request_uri_ = Uri{};
  if (!(reached_ & kCSeq)) m_.cseq_ = CSeq{};
  if (!(reached_ & kTopVia)) m_.top_via_ = Via{};
  if (!(reached_ & kFrom)) m_.from_ = NameAddr{};
  if (!(reached_ & kTo)) m_.to_ = NameAddr{};
}

ParseError MessageParser::run() {
  reset();
  const bool ok = parse();
  clear_unreached();
  return ok ? ParseError::none() : err_;
}

bool MessageParser::parse() {
  if (n_ > opt_.max_message_size) return fail({status::kMessageTooLarge, 0, "Message too large"});
  if (n_ > UINT32_MAX) return fail({status::kMessageTooLarge, 0, "Message too large"});

  // §7.5: CRLFs before the start line are ignored (keepalives on streams, stray bytes on UDP).
  std::size_t start = 0;
  while (start + 1 < n_ && d_[start] == '\r' && d_[start + 1] == '\n') start += 2;
  const char* base = d_ + start;

  const LineScan scan = scan_lines(base, n_ - start, m_.line_ends_.data(), Message::kMaxLines);
  if (scan.bad_at != LineScan::kNotFound)
    return bad(static_cast<uint32_t>(start + scan.bad_at), "Bare CR or LF in header");
  if (scan.overflow) return fail({status::kMessageTooLarge, 0, "Too many header lines"});
  if (scan.header_end == LineScan::kNotFound)
    return bad(static_cast<uint32_t>(n_), "Missing empty line after header fields");

  // Line k spans [line_start, line_ends[k] - 1): the CR before each LF is known to be there.
  const uint32_t* ends = m_.line_ends_.data();
  if (!parse_start_line(base, base + ends[0] - 1)) return false;
  if (m_.is_request_ && m_.method_ == Method::kRegister) {
    routing_ |= bit(HeaderId::kContact);
    m_.contacts_parsed_ = true;
  }

  // Header line k (1 <= k < lines) starts after LF ends[k - 1] and ends at the CR before LF
  // ends[k]; the byte after a line's LF begins the next line (the empty line after the last).
  // A line that begins with white space continues the field before it: the loop looks one
  // line ahead, so each field is indexed once, folds included.
  const std::size_t lines = scan.lines;
  if (lines > 1 && chars::is_wsp(base[ends[0] + 1]))
    return bad(off(base + ends[0] + 1), "Continuation line without a header field");
  for (std::size_t k = 1; k < lines; ++k) {
    const char* field_begin = base + ends[k - 1] + 1;
    const char* field_end = base + ends[k] - 1;
    if (k + 1 < lines && chars::is_wsp(base[ends[k] + 1])) [[unlikely]] {
      do ++k;
      while (k + 1 < lines && chars::is_wsp(base[ends[k] + 1]));
      field_end = end_of_folded_value(field_begin, base + ends[k] - 1);
    }
    if (!add_field(field_begin, field_end)) return false;
  }
  return check_structure() && frame_body(start + scan.header_end);
}

ParseError parse_message(std::string_view buffer, Message& out, const ParseOptions& options) {
  return MessageParser(buffer, out, options).run();
}

std::string_view Message::value(HeaderId id) const {
  const int i = find(id);
  return i < 0 ? std::string_view{} : header(static_cast<std::size_t>(i)).value;
}

int Message::find_by_name(std::string_view name) const {
  for (std::size_t i = 0; i < header_count_; ++i) {
    const Field& f = fields_[i];
    if (chars::iequals({data_ + f.name_offset, f.name_length}, name)) return static_cast<int>(i);
  }
  return -1;
}

void HeaderElements::advance_field() {
  have_field_ = field_ != std::default_sentinel;
  if (!have_field_) return;
  split_ = ListSplitter((*field_).value);
  ++field_;
}

bool HeaderElements::next(std::string_view& element) {
  while (have_field_) {
    if (split_.next(element)) return true;
    advance_field();
  }
  return false;
}

}  // namespace sipwire
