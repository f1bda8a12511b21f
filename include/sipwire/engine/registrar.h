// The registrar (RFC 3261 §10.3): a REGISTER adds, refreshes or removes the bindings of its
// To address-of-record in the location service. I/O-free: the caller parsed the request, checked
// the domain is ours, and turns the outcome into a response (response_writer.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "sipwire/engine/location.h"
#include "sipwire/message.h"
#include "sipwire/params.h"

namespace sipwire {

struct RegistrarSettings {
  uint32_t min_expires = 60;        // shorter non-zero expiries get 423 with Min-Expires
  uint32_t max_expires = 3600;      // longer ones are shortened to this
  uint32_t default_expires = 3600;  // neither an expires parameter nor an Expires header
  uint32_t max_contacts = 10;       // per AOR; more get 403
  // A Contact naming a private address (NetAddress::is_private) registered from another
  // address, without a Path: reached at the REGISTER's source (a phone behind a NAT, through
  // its NAT's mapping) when true, at the Contact's address when false.
  bool private_contacts_at_source = true;
  // Non-zero: a binding reached at its REGISTER's source (behind a NAT) is granted at most this
  // many seconds, so that the phone's refreshes keep its NAT's mapping open (a NAT keeps a
  // mapping alive for what leaves from inside, RFC 4787 REQ-6).
  uint32_t nat_max_expires = 0;
};

struct RegisterOutcome {
  uint16_t status = 200;
  std::string_view reason = "OK";
  uint32_t min_expires = 0;           // with 423
  const AorRecord* record = nullptr;  // with 200: the bindings now, valid until quiescent()
};

class Registrar {
 public:
  // `writer`: the worker's index (its shard), which picks its own writer of the table.
  Registrar(LocationTable& table, const RegistrarSettings& settings, unsigned writer = 0);

  // `now_ms` is the injected clock (tests step it). `canonical_host` is the domain every alias
  // of ours maps to in AORs; the caller checked the To host is ours. `parsed_to`: the To URI,
  // when the caller parsed it already (else it is parsed here).
  RegisterOutcome process(const Message& request, const NetAddress& source, uint64_t now_ms,
                          std::string_view canonical_host = {}, const Uri* parsed_to = nullptr);
  // Tells which hosts are ours (our addresses and domains): a private Contact naming one of
  // them is us (a registration that loops or spirals through us on purpose), not a phone
  // behind a NAT. Called once, by the proxy core that owns this registrar.
  void set_our_hosts(std::function<bool(std::string_view)> is_our_host) {
    is_our_host_ = std::move(is_our_host);
  }

 private:
  LocationTable& table_;
  LocationTable::Writer& writer_;
  RegistrarSettings settings_;
  std::function<bool(std::string_view)> is_our_host_;
  // The new binding set is composed here before it becomes a record: sized once, so a
  // REGISTER allocates nothing (the record comes from the location table's arena).
  std::vector<Binding> scratch_;
};

// The host a request to `uri` goes to (RFC 3263 §4): its maddr parameter when it has one
// (RFC 3261 §19.1.1), else its host.
std::string_view destination_host(const Uri& uri);

// The address a URI names when the host it goes to (destination_host) is an IP literal (at
// its port, else 5060); none for a host name, which would need DNS.
std::optional<NetAddress> literal_address(const Uri& uri);

// The next hop of a binding of `contact` with `path`, registered from `source` (see
// Binding::next_hop); `is_source` tells whether it is `source`. `private_at_source`:
// RegistrarSettings::private_contacts_at_source; `is_our_host` (may be empty): as
// Registrar::set_our_hosts.
NetAddress binding_next_hop(std::string_view contact, std::string_view path,
                            const NetAddress& source, bool& is_source,
                            bool private_at_source = true,
                            const std::function<bool(std::string_view)>& is_our_host = {});

// Same contact address for §10.3 step 7: URIs compared by scheme, user, host
// (case-insensitively) and port, the way §19.1.4 compares them for these parts.
bool same_contact(std::string_view a, std::string_view b);

}  // namespace sipwire
