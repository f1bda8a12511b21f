#include "sipwire/engine/registrar.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "request_forwarder.h"
#include "sipwire/chars.h"
#include "sipwire/engine/aor.h"
#include "sipwire/list_splitter.h"
#include "sipwire/name_addr.h"

namespace sipwire {

Registrar::Registrar(LocationTable& table, const RegistrarSettings& settings, unsigned writer)
    : table_(table), writer_(table.writer(writer)), settings_(settings) {
  scratch_.reserve(settings_.max_contacts + 32);  // + the most one REGISTER may add
}

bool same_contact(std::string_view a, std::string_view b) {
  if (a == b) return true;  // the usual refresh: the same text
  Uri ua, ub;
  if (!parse_uri(a, ua).ok() || !parse_uri(b, ub).ok()) return a == b;
  if (!ua.is_sip() || !ub.is_sip()) return chars::iequals(a, b);
  const uint16_t pa = ua.has_port ? ua.port : 5060;
  const uint16_t pb = ub.has_port ? ub.port : 5060;
  return ua.kind == ub.kind && ua.user == ub.user && chars::iequals(ua.host, ub.host) && pa == pb;
}

std::string_view destination_host(const Uri& uri) {
  std::string_view maddr;
  return find_maddr(uri.params, maddr) ? maddr : uri.host;
}

std::optional<NetAddress> literal_address(const Uri& uri) {
  const uint16_t port = uri.has_port ? uri.port : 5060;
  const std::string_view host = destination_host(uri);
  if (host.data() != uri.host.data()) return NetAddress::parse(host, port);  // a maddr
  if (uri.host_kind != HostKind::kIpv4 && uri.host_kind != HostKind::kIpv6) return std::nullopt;
  return NetAddress::parse(host, port);
}

NetAddress binding_next_hop(std::string_view contact, std::string_view path,
                            const NetAddress& source, bool& is_source, bool private_at_source,
                            const std::function<bool(std::string_view)>& is_our_host) {
  Uri uri;
  std::optional<NetAddress> to;
  if (parse_uri(contact, uri).ok()) to = literal_address(uri);
  // A phone behind a NAT writes its own (private) address; the REGISTER reached us from its
  // NAT's public one, where requests for it must go (Kamailio's fix_nated_register). One that
  // came from that very address is on a network we reach directly, and one naming us is a
  // registration that loops or spirals through us on purpose.
  if (to && private_at_source && to->is_private() && !to->same_ip(source) &&
      !(is_our_host && is_our_host(destination_host(uri))))
    to.reset();
  if (!path.empty()) {
    NameAddr first_hop;
    Uri hop;
    std::string_view el;
    ListSplitter split(path);
    if (split.next(el) && parse_route(el, first_hop, hop).ok()) to = literal_address(hop);
  }
  is_source = !to.has_value();
  return to ? *to : source;
}

namespace {

struct ContactRequest {
  std::string_view uri;
  uint32_t expires;
  uint16_t q;
};

RegisterOutcome fail(uint16_t status, std::string_view reason) {
  RegisterOutcome o;
  o.status = status;
  o.reason = reason;
  return o;
}

}  // namespace

RegisterOutcome Registrar::process(const Message& req, const NetAddress& source, uint64_t now_ms,
                                   std::string_view canonical_host, const Uri* parsed_to) {
  // Step 5: the AOR is the To URI, which must be SIP or SIPS (RFC 4475 unksm2).
  Uri to_uri;
  if (parsed_to == nullptr && parse_uri(req.to().uri, to_uri, req.source()).ok())
    parsed_to = &to_uri;
  Aor aor;
  if (parsed_to == nullptr || !aor.assign(*parsed_to, canonical_host))
    return fail(400, "To must hold a SIP or SIPS address-of-record");

  uint32_t header_expires = settings_.default_expires;
  bool has_header_expires = false;
  if (req.has(HeaderId::kExpires)) {
    if (!parse_delta_seconds(req.value(HeaderId::kExpires), header_expires))
      return fail(400, "Malformed Expires");
    has_header_expires = true;
  }

  // Step 6: the Contacts (parse_message validated a REGISTER's Contacts already).
  constexpr std::size_t kMaxContacts = 32;
  std::array<ContactRequest, kMaxContacts> contacts;
  std::size_t n = 0;
  bool star = false;
  // One Contact element; an outcome when it ends the REGISTER (423, 403).
  auto take = [&](const NameAddr& na) -> std::optional<RegisterOutcome> {
    if (na.star) {
      star = true;
      return std::nullopt;
    }
    if (n == kMaxContacts) return fail(403, "Too many contacts in one REGISTER");
    ContactRequest& c = contacts[n++];
    c.uri = na.uri;
    c.expires = has_header_expires ? header_expires : settings_.default_expires;
    // expires and q as parse_contact read them (the first of each).
    if (na.has_expires) c.expires = na.expires;
    c.q = na.q;
    if (c.expires != 0 && c.expires < settings_.min_expires) {
      RegisterOutcome o = fail(423, "Interval Too Brief");
      o.min_expires = settings_.min_expires;
      return o;
    }
    if (c.expires > settings_.max_expires) c.expires = settings_.max_expires;
    return std::nullopt;
  };
  if (req.contacts_kept()) {
    // The usual REGISTER: parse_message kept its Contacts parsed.
    for (const NameAddr& na : req.contacts())
      if (auto outcome = take(na)) return *outcome;
  } else {
    HeaderElements it(req, HeaderId::kContact);
    std::string_view element;
    while (it.next(element)) {
      NameAddr na;
      if (!parse_contact(element, na).ok()) return fail(400, "Malformed Contact");
      if (auto outcome = take(na)) return *outcome;
    }
  }
  if (star && (n > 0 || !has_header_expires || header_expires != 0))
    return fail(400, "Contact '*' needs Expires: 0 and no other Contact");

  // Path values of the REGISTER (RFC 3327), as one comma-separated list. A REGISTER with
  // several Path fields is rare: their text is joined in a small buffer.
  char path_buf[1024];
  std::size_t path_len = 0;
  std::string_view path;
  for (const HeaderField f : req.fields(HeaderId::kPath)) {
    if (path.empty()) {
      path = f.value;
      continue;
    }
    if (path.data() != path_buf) {
      if (path.size() > sizeof path_buf) return fail(500, "Path too long");
      std::memcpy(path_buf, path.data(), path.size());
      path_len = path.size();
    }
    if (path_len + 2 + f.value.size() > sizeof path_buf) return fail(500, "Path too long");
    std::memcpy(path_buf + path_len, ", ", 2);
    std::memcpy(path_buf + path_len + 2, f.value.data(), f.value.size());
    path_len += 2 + f.value.size();
    path = std::string_view(path_buf, path_len);
  }

  const std::string_view call_id = req.call_id();
  const uint32_t cseq = req.cseq().number;
  if (n == 0 && !star) {
    // A query: the current bindings, unchanged.
    RegisterOutcome o;
    o.record = table_.find(aor.view());
    return o;
  }

  RegisterOutcome outcome;
  outcome.record = table_.update(
      writer_, aor.view(), [&](const AorRecord* old, RecordArena& arena) -> const AorRecord* {
        auto& b = scratch_;
        b.clear();
        // Expired bindings do not count against the limit and are not reported.
        if (old != nullptr)
          for (const Binding& x : old->bindings)
            if (x.expires_at_ms > now_ms) b.push_back(x);
        // Step 6/7: a binding from the same Call-ID may only change with a higher CSeq.
        auto stale = [&](const Binding& x) { return x.call_id == call_id && cseq <= x.cseq; };
        auto refuse = [&](uint16_t status, std::string_view reason) {
          outcome = fail(status, reason);
          return old;  // nothing changes
        };
        if (star) {
          for (const Binding& x : b)
            if (stale(x)) return refuse(400, "CSeq not newer than the stored binding's");
          return nullptr;
        }
        for (std::size_t i = 0; i < n; ++i) {
          const ContactRequest& c = contacts[i];
          auto found = std::find_if(
              b.begin(), b.end(), [&](const Binding& x) { return same_contact(x.contact, c.uri); });
          const bool refresh = found != b.end();
          if (refresh) {
            // The same Call-ID and CSeq again: a retransmission (our 200 was lost, or is still on
            // its way). It changes nothing and is answered like the first, with the bindings as
            // they are; a UDP client must not be told its REGISTER failed because it repeated it.
            if (found->call_id == call_id && found->cseq == cseq) return old;
            if (stale(*found)) return refuse(400, "CSeq not newer than the stored binding's");
            if (c.expires == 0) {
              b.erase(found);
              continue;
            }
          } else {
            if (c.expires == 0) continue;
            if (b.size() >= settings_.max_contacts)
              return refuse(403, "Too many registered contacts for this address-of-record");
            found = b.emplace(b.end());
            found->registered_at_ms = now_ms;
          }
          // Views of the request (or of the old record): build() copies them into the new record.
          // A refresh with the same contact and Path text keeps the resolved next hop (unless it
          // was the source address, which may have changed): only a new binding parses them.
          if (!refresh || found->contact != c.uri || found->path != path) {
            found->next_hop = binding_next_hop(c.uri, path, source, found->next_hop_is_source,
                                               settings_.private_contacts_at_source, is_our_host_);
            found->trim_ruri = unfit_for_request_uri(c.uri);
          } else if (found->next_hop_is_source)
            found->next_hop = source;
          found->contact = c.uri;
          found->path = path;
          found->call_id = call_id;
          found->cseq = cseq;
          const uint32_t nat_cap = settings_.nat_max_expires;
          const uint32_t expires = nat_cap != 0 && found->next_hop_is_source && c.expires > nat_cap
                                       ? nat_cap
                                       : c.expires;
          found->expires_at_ms = now_ms + uint64_t{expires} * 1000;
          found->q = c.q;
        }
        return b.empty() ? nullptr : AorRecord::build(b, arena);
      });
  if (outcome.status != 200) outcome.record = nullptr;
  return outcome;
}

}  // namespace sipwire
