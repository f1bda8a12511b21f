#include "via_fix.h"

#include "sipwire/chars.h"
#include "text_writer.h"

namespace sipwire {

namespace {

// Where the top Via element ends: after its parameters, else after its sent-by (the parser
// already found both; re-parsing the element here would cost as much as parsing it).
const char* top_via_end(const Via& via) {
  if (!via.params.empty()) return via.params.data() + via.params.size();
  const char* p = via.host.data() + via.host.size();
  if (via.has_port) {
    while (*p == ' ' || *p == '\t' || *p == ':') ++p;
    while (*p >= '0' && *p <= '9') ++p;
  }
  return p;
}

}  // namespace

bool compute_via_fix(const Message& msg, const NetAddress& source, ViaFix& fix) {
  fix = ViaFix{};
  const int first = msg.find(HeaderId::kVia);
  if (first < 0) return false;
  const Via& via = msg.top_via();
  const char* base = msg.bytes().data();
  fix.top_end = static_cast<uint32_t>(top_via_end(via) - base);

  if (via.has_rport && via.rport == 0 && !via.rport_name.empty()) {
    // ";rport" without a value (RFC 3581 §4): "=port" goes right after the name.
    fix.rport_at = static_cast<uint32_t>(via.rport_name.data() + via.rport_name.size() - base);
    TextWriter w({fix.rport_text, sizeof fix.rport_text});
    w.put("=").put(uint64_t{source.port});
    fix.rport_len = w.size();
  }
  // §18.2.1: received when the sent-by host is not the source address (compared as text: the
  // host of a Via that matches is written the way write_ip writes it, and a mismatch in form
  // only costs a redundant, harmless received parameter).
  char ip[64];
  const std::size_t n = source.write_ip(ip);
  const std::string_view source_ip(ip, n);
  std::string_view host = via.host;
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const bool differs = !chars::iequals(host, source_ip);
  if (via.received.empty() && (differs || via.has_rport)) {
    TextWriter w({fix.received_text, sizeof fix.received_text});
    w.put(";received=").put(source_ip);
    fix.received_len = w.size();
    fix.received_at = fix.top_end;
  }
  return true;
}

NetAddress response_destination(const Message& msg, const NetAddress& source) {
  const Via& v = msg.top_via();
  NetAddress to = source;
  if (!v.has_rport) to.port = v.has_port ? v.port : 5060;
  return to;
}

}  // namespace sipwire
