#include "response_writer.h"

#include "text_writer.h"
#include "via_fix.h"

namespace sipwire {

uint64_t fnv1a(std::string_view s, uint64_t h) {
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

void write_to_tag(const Message& req, char (&tag)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = fnv1a(req.from().tag(), fnv1a(req.call_id()));
  for (char& c : tag) {
    c = kHex[h & 15];
    h >>= 4;
  }
}

std::size_t write_response(const Message& req, const NetAddress& source, const ResponseSpec& spec,
                           std::span<char> out) {
  TextWriter w(out);
  w.put("SIP/2.0 ").put(spec.code).put(" ").put_reason(spec.reason).put("\r\n");

  ViaFix fix;
  const bool fixed = compute_via_fix(req, source, fix);
  const std::string_view all = req.bytes();
  bool first = true;
  for (std::size_t i = 0; i < req.header_count(); ++i) {
    const HeaderField f = req.header(i);
    if (f.id != HeaderId::kVia) continue;
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
