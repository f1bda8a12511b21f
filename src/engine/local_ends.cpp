#include "sipwire/engine/local_ends.h"

#include "substring.h"

namespace sipwire {

bool LocalEnds::mentioned_in(std::string_view text) const {
  if (contains(text, primary_.host) || (has_other_ && contains(text, other_.host))) return true;
  for (const LocalEnd& e : more_)
    if (contains(text, e.host)) return true;
  return false;
}

bool LocalEnds::more_is(std::string_view host, uint16_t port) const {
  for (const LocalEnd& e : more_)
    if (host == e.host && port == e.port) return true;
  return false;
}

bool LocalEnds::more_names(std::string_view host) const {
  for (const LocalEnd& e : more_)
    if (chars::iequals(host, e.host)) return true;
  return false;
}

bool LocalEnds::any_takes_port(std::string_view host, uint16_t port) const {
  // Every end, the first of each family included: the port of an end `host` is, if any.
  const LocalEnd* ends[2] = {&primary_, has_other_ ? &other_ : nullptr};
  bool address = false;
  for (const LocalEnd* e : ends)
    if (e != nullptr && chars::iequals(host, e->host)) {
      if (port == e->port) return true;
      address = true;
    }
  for (const LocalEnd& e : more_)
    if (chars::iequals(host, e.host)) {
      if (port == e.port) return true;
      address = true;
    }
  if (address) return false;
  // Another name of ours: the port of any end, written or listened at.
  if (port == primary_.port || port == primary_.address.port ||
      (has_other_ && (port == other_.port || port == other_.address.port)))
    return true;
  for (const LocalEnd& e : more_)
    if (port == e.port || port == e.address.port) return true;
  return false;
}

}  // namespace sipwire
