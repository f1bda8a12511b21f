#include "response_writer.h"

#include <cstring>

#include "hex_digits.h"
#include "text_writer.h"
#include "via_fix.h"

namespace sipwire {

void write_to_tag(const Message& req, char (&tag)[16]) {
  // Sixteen hex digits, the lowest nibble first: the tag's form since the first release (a
  // retransmitted request gets the same tag).
  detail::write_hex16(fnv1a(req.from().tag(), fnv1a(req.call_id())), tag);
}

std::size_t format_sip_date(int64_t unix_seconds, char (&out)[29]) {
  static constexpr char kDays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (unix_seconds < 0) unix_seconds = 0;
  const int64_t days = unix_seconds / 86400;
  const int64_t secs = unix_seconds % 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
  const int64_t z = days + 719468;
  const int64_t era = z / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2);
  auto two = [](char* p, int64_t v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  char* p = out;
  std::memcpy(p, kDays[days % 7], 3);
  p[3] = ',';
  p[4] = ' ';
  two(p + 5, day);
  p[7] = ' ';
  std::memcpy(p + 8, kMonths[month - 1], 3);
  p[11] = ' ';
  two(p + 12, year / 100);
  two(p + 14, year % 100);
  p[16] = ' ';
  two(p + 17, secs / 3600);
  p[19] = ':';
  two(p + 20, secs / 60 % 60);
  p[22] = ':';
  two(p + 23, secs % 60);
  std::memcpy(p + 25, " GMT", 4);
  return 29;
}

std::string_view standard_reason(uint16_t code) {
  switch (code) {
    case 100:
      return "Trying";
    case 180:
      return "Ringing";
    case 181:
      return "Call Is Being Forwarded";
    case 182:
      return "Queued";
    case 183:
      return "Session Progress";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Moved Temporarily";
    case 305:
      return "Use Proxy";
    case 380:
      return "Alternative Service";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 407:
      return "Proxy Authentication Required";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Unsupported URI Scheme";
    case 420:
      return "Bad Extension";
    case 421:
      return "Extension Required";
    case 423:
      return "Interval Too Brief";
    case 480:
      return "Temporarily Unavailable";
    case 481:
      return "Call/Transaction Does Not Exist";
    case 482:
      return "Loop Detected";
    case 483:
      return "Too Many Hops";
    case 484:
      return "Address Incomplete";
    case 485:
      return "Ambiguous";
    case 486:
      return "Busy Here";
    case 487:
      return "Request Terminated";
    case 488:
      return "Not Acceptable Here";
    case 491:
      return "Request Pending";
    case 493:
      return "Undecipherable";
    case 500:
      return "Server Internal Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Server Time-out";
    case 505:
      return "Version Not Supported";
    case 513:
      return "Message Too Large";
    case 600:
      return "Busy Everywhere";
    case 603:
      return "Decline";
    case 604:
      return "Does Not Exist Anywhere";
    case 606:
      return "Not Acceptable";
    default:
      break;
  }
  if (code < 200) return "Progress";
  if (code < 300) return "Success";
  if (code < 400) return "Redirection";
  if (code < 500) return "Request Failure";
  if (code < 600) return "Server Failure";
  return "Global Failure";
}

std::size_t write_response(const Message& req, const NetAddress& source, const ResponseSpec& spec,
                           std::span<char> out) {
  TextWriter w(out);
  w.put("SIP/2.0 ").put(spec.code).put(" ").put_reason(spec.reason).put("\r\n");

  ViaFix fix;
  const bool fixed = compute_via_fix(req, source, fix);
  const std::string_view all = req.bytes();
  bool first = true;
  for (const HeaderField f : req.fields(HeaderId::kVia)) {
    w.put("Via: ");
    if (first && fixed) {
      // The top value with "=port" after rport and ";received=ip" at its end.
      const std::size_t v = static_cast<std::size_t>(f.value.data() - all.data());
      const std::size_t v_end = v + f.value.size();
      std::size_t pos = v;
      if (fix.rport_at != 0) {
        w.put(all.substr(pos, fix.rport_at - pos)).put(fix.rport());
        pos = fix.rport_at;
      }
      if (fix.received_at != 0) {
        w.put(all.substr(pos, fix.received_at - pos)).put(fix.received());
        pos = fix.received_at;
      }
      w.put(all.substr(pos, v_end - pos));
    } else {
      w.put(f.value);
    }
    w.put("\r\n");
    first = false;
  }
  w.put("From: ").put(req.value(HeaderId::kFrom)).put("\r\n");
  w.put("To: ").put(req.value(HeaderId::kTo));
  if (req.to().tag().empty() && spec.code > 100) {
    char tag[16];
    write_to_tag(req, tag);
    w.put(";tag=").put(std::string_view(tag, sizeof tag));
  }
  w.put("\r\n");
  w.put("Call-ID: ").put(req.call_id()).put("\r\n");
  w.put("CSeq: ").put(req.cseq().number).put(" ").put(req.cseq().method_name).put("\r\n");
  w.put(spec.extra_headers);
  w.put("Server: sipwire\r\nContent-Length: 0\r\n\r\n");
  return w.ok() ? w.size() : 0;
}

}  // namespace sipwire
