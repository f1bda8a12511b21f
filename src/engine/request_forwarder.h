// A forwarded request as gather segments (RFC 3261 §16.6): the received bytes with our Via on
// top, Max-Forwards decremented (or added), received/rport noted in the client's Via
// (RFC 3581), optionally a new Request-URI, the binding's Path as Route (RFC 3327), our own
// Route removed (§16.4) and a Record-Route of ours added (§16.6 step 4). The inserted text is
// written into caller-given scratch; the message itself is not copied. The stateless proxy
// sends the segments as they are; the stateful proxy stores one copy for retransmission.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "sipwire/engine/local_ends.h"
#include "sipwire/engine/message_edits.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/engine/route_signature.h"
#include "sipwire/message.h"
#include "sipwire/net_address.h"

namespace sipwire {

struct ForwardSpec {
  std::string_view local_host;  // as in our Via and Route ("[v6]" bracketed)
  uint16_t local_port = 5060;
  std::string_view branch;    // our Via's branch
  std::string_view new_ruri;  // empty: keep the Request-URI
  // new_ruri may hold headers or a method parameter (a registered Contact may, a Request-URI
  // may not: §19.1.1): they are left out (§16.6 step 2). See unfit_for_request_uri().
  bool trim_ruri = false;
  // new_ruri is a Request-URI whose maddr named us: written without it, its port and its
  // transport parameter (RFC 3261 §16.4).
  bool strip_maddr = false;
  // new_ruri is a Request-URI with our NAT alias (contact_alias.h): written without it.
  bool strip_alias = false;
  // Non-null: the Contact gets our NAT alias where add_contact_alias says (this function says
  // which hosts are ours).
  const std::function<bool(std::string_view)>* alias_contact = nullptr;
  std::string_view path;      // Route values to add first (a binding's Path); may be empty
  uint8_t pop_routes = 0;     // how many Route elements at the top name us: removed
  bool record_route = false;  // add "Record-Route: <sip:host:port;lr>"
  // With record_route: the Record-Route URIs signed with this key (";sw=", route_signature.h).
  const RouteKey* route_key = nullptr;
  // With record_route, where the request came in when that is not where it leaves (another IP
  // family): a second Record-Route below the first, with this address (RFC 6157 §3.1), so the
  // caller's side reaches us in its own family. Empty: one Record-Route.
  std::string_view inbound_host;
  uint16_t inbound_port = 5060;
  // More edits of the received bytes (a policy rule's header edits). Those touching the
  // Request-URI are left out when new_ruri replaces it.
  const MessageEdits* extra = nullptr;
};

// Sets the addresses of ours `spec` writes for a request from `source`, which came in at
// listen address `ingress` (invalid: not known), to `to` (set spec.record_route first): the
// Via and Record-Route name the end it leaves from, the ingress where it is of the next hop's
// family, else the first of that family; a record-routed request that crosses IP families
// gets the second Record-Route, for the end it came in at.
inline void set_local_ends(ForwardSpec& spec, const LocalEnds& ends, const NetAddress& source,
                           const NetAddress& ingress, const NetAddress& to) {
  const LocalEnd& egress = ends.toward(to, ingress);
  spec.local_host = egress.host;
  spec.local_port = egress.port;
  if (const LocalEnd& in = ends.toward(source, ingress); spec.record_route && &in != &egress) {
    spec.inbound_host = in.host;
    spec.inbound_port = in.port;
  }
}

// Renders the forwarded form of request `m`, received from `source`, into `segments`; returns
// how many were written, or 0 when `scratch` is too small or the edits do not fit.
// `scratch_used` (optional) gets how many bytes of `scratch` the segments refer to.
std::size_t render_forward(const Message& m, const NetAddress& source, const ForwardSpec& spec,
                           std::span<char> scratch,
                           std::span<std::string_view, Outbox::kMaxSegments> segments,
                           std::size_t* scratch_used = nullptr);

// Whether `uri` may hold what a Request-URI must not (§19.1.1): headers or a method parameter.
// A look at the bytes (a ";method" in a user part says yes too, which costs only a parse when
// forwarding). The registrar asks once per new contact (Binding::trim_ruri), so that
// forwarding does not.
bool unfit_for_request_uri(std::string_view uri);

// Whether our Record-Route belongs on `m` (§16.6 step 4): a request that starts a dialog
// (INVITE, SUBSCRIBE, REFER; RFC 6665 and RFC 3515), outside one (no To tag). Other requests
// would carry it for nothing.
bool starts_dialog(const Message& m);

// Edit that removes the first element of list field `i` (a Via or Route value): the whole
// line when it is the only element, else the element and the comma after it.
void remove_first_element(const Message& m, std::size_t i, MessageEdits& edits);

// Edits that remove the first `n` Route elements of `m`, across its Route fields (ours at the
// top of the Route set: one, or two where we record-routed a request that changed IP family).
void remove_first_routes(const Message& m, std::size_t n, MessageEdits& edits);

// Edit that removes the last element of list field `i`: the whole line when it is the only
// element, else the element and the comma before it. Sets `last` to the removed element.
void remove_last_element(const Message& m, std::size_t i, MessageEdits& edits,
                         std::string_view& last);

}  // namespace sipwire
