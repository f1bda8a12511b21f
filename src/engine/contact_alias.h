// Dialogs through a NAT (Kamailio's nathelper add_contact_alias and handle_ruri_alias do the
// same). A dialog's remote target is the Contact of the request or response that set it up;
// a phone behind a NAT writes its private address there, which the other end cannot reach, so
// the ACK, re-INVITE or BYE sent to it through our Record-Route would go nowhere. The Contact
// is forwarded with ";alias=IP~PORT~1" appended to its URI, naming the address the message
// came from (the NAT's mapping, kept open by the phone's registration refreshes); a request
// of the dialog that comes back through us with that alias in its Request-URI goes to that
// address, its Request-URI written without the alias.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "sipwire/engine/message_edits.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/message.h"
#include "sipwire/net_address.h"
#include "sipwire/uri.h"
#include "text_writer.h"

namespace sipwire {

// Whether a message of `method` (a request's, or the request's a response answers) sets or
// refreshes a dialog's remote target: INVITE, SUBSCRIBE, REFER, NOTIFY, UPDATE (RFC 3261
// §12, RFC 6665, RFC 3515, RFC 3311).
bool sets_remote_target(Method method);

// Adds to `edits` the edit that appends ";alias=IP~PORT~1" (`source`, the address `m` came
// from) to the URI of `m`'s Contact, written into `w`, when `m` has one Contact and it names a
// private IP address (NetAddress::is_private) other than `source`'s IP, is not already
// aliased, and does not name a host of ours (`is_our_host` may be empty). An addr-spec
// Contact is written as a name-addr, since a parameter after it would be the header's.
// Returns whether an edit was added.
bool add_contact_alias(const Message& m, const NetAddress& source,
                       const std::function<bool(std::string_view)>& is_our_host, TextWriter& w,
                       MessageEdits& edits);

// For a response going upstream: add_contact_alias when `r` is a 101-299 answer to a request
// that sets a remote target (a callee behind a NAT answering), the text in `out`'s scratch.
void alias_response_contact(const Message& r, const NetAddress& source,
                            const std::function<bool(std::string_view)>& is_our_host, Outbox& out,
                            MessageEdits& edits);

// The address an alias parameter of `uri` names ("IP~PORT~PROTO", as add_contact_alias and
// Kamailio write it), when it has one that parses.
std::optional<NetAddress> alias_address(const Uri& uri);

}  // namespace sipwire
