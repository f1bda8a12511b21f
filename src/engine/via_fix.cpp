#include "via_fix.h"

#include <cstdio>

#include "sipwire/chars.h"
#include "sipwire/params.h"

namespace sipwire {

bool compute_via_fix(const Message& msg, const NetAddress& source, ViaFix& fix) {
  fix = ViaFix{};
  const int first = msg.find(HeaderId::kVia);
  if (first < 0) return false;
  const std::string_view value = msg.header(static_cast<std::size_t>(first)).value;
  Via via;
  std::size_t consumed = 0;
  if (!parse_via(value, via, {}, &consumed).ok()) return false;
  const char* base = msg.bytes().data();
  fix.top_begin = static_cast<uint32_t>(value.data() - base);
  // The element ends before any white space that precedes a ", next-value".
  std::size_t end = consumed;
  while (end > 0 && (value[end - 1] == ' ' || value[end - 1] == '\t')) --end;
  fix.top_end = static_cast<uint32_t>(fix.top_begin + end);

  if (via.has_rport && via.rport == 0) {
    ParamIterator it(via.params);
    Param p;
    while (it.next(p))
      if (!p.has_value && chars::iequals(p.name, "rport")) {
        fix.rport_at = static_cast<uint32_t>(p.name.data() + p.name.size() - base);
        fix.rport_len = static_cast<std::size_t>(
            std::snprintf(fix.rport_text, sizeof fix.rport_text, "=%u", source.port));
      }
  }
  const auto sent_by = NetAddress::parse(via.host, source.port);
  const bool differs = !sent_by || sent_by->ip != source.ip || sent_by->family != source.family;
  if (via.received.empty() && (differs || via.has_rport)) {
    char ip[64];
    const std::size_t n = source.write_ip(ip);
    fix.received_len = static_cast<std::size_t>(std::snprintf(
        fix.received_text, sizeof fix.received_text, ";received=%.*s", static_cast<int>(n), ip));
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
