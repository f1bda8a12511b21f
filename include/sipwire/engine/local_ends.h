// Our addresses as the proxy writes them in Via and Record-Route and recognises them in Via,
// Route and Request-URI: every listen address the data plane has. A request leaves from the
// address it came in at when its next hop is of that family, else from the first listen
// address of the next hop's family (the backends pick the socket or source address that way),
// so that is the address its Via must name, or the response cannot come back to a host of
// that family alone; and a request that crosses from one family to the other is
// record-routed twice (RFC 3261 §16.6 step 4, RFC 6157 §3.1), once with each address, so that
// either side reaches us in its own family.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sipwire/chars.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct LocalEnd {
  std::string host;  // as written in a URI or a Via: an IPv6 address in brackets
  uint16_t port = 5060;
  // The family of the listen address behind `host` (which may name another: the public
  // address of a NAT), the one a request to a peer of that family leaves from.
  NetAddress::Family family = NetAddress::Family::kIpv4;
  NetAddress address;  // that listen address, as bound
};

// What our Via and Record-Route write for a listen address that peers reach by another
// (a listen address's `advertise`, or what a wildcard stands for).
struct AdvertisedName {
  std::string host;   // an IP address (IPv6 without brackets) or a host name; empty: its IP
  uint16_t port = 0;  // 0: its port
};

// A listen address and what our Via and Record-Route write for it.
struct ListenEnd {
  NetAddress address;
  AdvertisedName name;
};

class LocalEnds {
 public:
  LocalEnds() = default;
  // `primary` names us where no family decides (the registrar's domain, health probes);
  // `other` is the first listen address of the other family, if any (invalid: none). Each is
  // written as its name gives, or as its own IP and port where the name leaves them out.
  LocalEnds(const NetAddress& primary, const NetAddress& other,
            const AdvertisedName& primary_name = {}, const AdvertisedName& other_name = {})
      : primary_(end_of(primary, primary_name)),
        other_(other.valid() && other.family != primary.family ? end_of(other, other_name)
                                                               : LocalEnd{}),
        has_other_(other.valid() && other.family != primary.family) {}
  // The listen addresses after the first of each family: ours too, and named where a request
  // came in at one and leaves in its family (the backends send from the address a request
  // came in at when its next hop is of that family).
  void add(const ListenEnd& end) { more_.push_back(end_of(end.address, end.name)); }

  const LocalEnd& primary() const { return primary_; }
  // The end a datagram to `peer` leaves from: the one of the peer's family.
  const LocalEnd& toward(const NetAddress& peer) const {
    return has_other_ && peer.family == other_.family ? other_ : primary_;
  }
  // The same for a request that came in at `ingress` (invalid: unknown, or sent later from a
  // timer): that address when it is of the peer's family, as the backends choose.
  const LocalEnd& toward(const NetAddress& peer, const NetAddress& ingress) const {
    if (!more_.empty() && ingress.family == peer.family)
      for (const LocalEnd& e : more_)
        if (e.address == ingress) return e;
    return toward(peer);
  }
  // Whether `host` (as written in a Via or URI, compared exactly) and `port` name one of us.
  // (The first of each family inline: nearly every data plane has no more; the others out of
  // line, in each of these.)
  bool is(std::string_view host, uint16_t port) const {
    return (host == primary_.host && port == primary_.port) ||
           (has_other_ && host == other_.host && port == other_.port) ||
           (!more_.empty() && more_is(host, port));
  }
  // Whether `host` (compared case-insensitively) names one of us, whatever the port.
  bool names(std::string_view host) const {
    return chars::iequals(host, primary_.host) ||
           (has_other_ && chars::iequals(host, other_.host)) ||
           (!more_.empty() && more_names(host));
  }
  // Whether `port` goes with `host` (a host of ours: an address, or a domain of ours) for us:
  // the port an end named `host` writes, or for another name (a listen address behind its
  // advertised name, a domain) the port any end writes or listens at.
  bool takes_port(std::string_view host, uint16_t port) const {
    if (!more_.empty()) return any_takes_port(host, port);
    if (chars::iequals(host, primary_.host)) return port == primary_.port;
    if (has_other_ && chars::iequals(host, other_.host)) return port == other_.port;
    return port == primary_.port || port == primary_.address.port ||
           (has_other_ && (port == other_.port || port == other_.address.port));
  }
  // Whether `text` holds one of our hosts anywhere (a quick look before parsing Vias).
  bool mentioned_in(std::string_view text) const;

 private:
  static LocalEnd end_of(const NetAddress& a, const AdvertisedName& name) {
    const std::string host = name.host.empty() ? a.ip_string() : name.host;
    // An IPv6 reference is bracketed in a URI and a Via (RFC 3261 §25.1, RFC 5118).
    const bool ipv6 = host.find(':') != std::string::npos;
    return {ipv6 ? "[" + host + "]" : host, name.port != 0 ? name.port : a.port, a.family, a};
  }
  bool more_is(std::string_view host, uint16_t port) const;
  bool more_names(std::string_view host) const;
  bool any_takes_port(std::string_view host, uint16_t port) const;

  LocalEnd primary_;
  LocalEnd other_;
  bool has_other_ = false;
  std::vector<LocalEnd> more_;
};

}  // namespace sipwire
