#include "sipwire/engine/registrar.h"

#include <algorithm>
#include <array>

#include "sipwire/chars.h"
#include "sipwire/engine/aor.h"
#include "sipwire/params.h"

namespace sipwire {

bool same_contact(std::string_view a, std::string_view b) {
  Uri ua, ub;
  if (!parse_uri(a, ua).ok() || !parse_uri(b, ub).ok()) return a == b;
  if (!ua.is_sip() || !ub.is_sip()) return chars::iequals(a, b);
  const uint16_t pa = ua.has_port ? ua.port : 5060;
  const uint16_t pb = ub.has_port ? ub.port : 5060;
  return ua.kind == ub.kind && ua.user == ub.user && chars::iequals(ua.host, ub.host) && pa == pb;
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
                                   std::string_view canonical_host) {
  // Step 5: the AOR is the To URI, which must be SIP or SIPS (RFC 4475 unksm2).
  Uri to_uri;
  Aor aor;
  if (!parse_uri(req.to().uri, to_uri).ok() || !aor.assign(to_uri, canonical_host))
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
  HeaderElements it(req, HeaderId::kContact);
  std::string_view element;
  while (it.next(element)) {
    NameAddr na;
    if (!parse_contact(element, na).ok()) return fail(400, "Malformed Contact");
    if (na.star) {
      star = true;
      continue;
    }
    if (n == kMaxContacts) return fail(403, "Too many contacts in one REGISTER");
    ContactRequest& c = contacts[n++];
    c.uri = na.uri;
    c.expires = has_header_expires ? header_expires : settings_.default_expires;
    std::string_view v;
    if (find_param(na.params, "expires", &v)) parse_delta_seconds(v, c.expires);
    unsigned q = 1000;
    if (find_param(na.params, "q", &v)) parse_qvalue(v, q);
    c.q = static_cast<uint16_t>(q);
    if (c.expires != 0 && c.expires < settings_.min_expires) {
      RegisterOutcome o = fail(423, "Interval Too Brief");
      o.min_expires = settings_.min_expires;
      return o;
    }
    if (c.expires > settings_.max_expires) c.expires = settings_.max_expires;
  }
  if (star && (n > 0 || !has_header_expires || header_expires != 0))
    return fail(400, "Contact '*' needs Expires: 0 and no other Contact");

  std::string path;
  for (std::size_t i = 0; i < req.header_count(); ++i) {
    const HeaderField f = req.header(i);
    if (f.id != HeaderId::kPath) continue;
    if (!path.empty()) path += ", ";
    path += f.value;
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
  outcome.record = table_.update(aor.view(), [&](const AorRecord* old) {
    auto next = std::make_unique<AorRecord>();
    if (old != nullptr) next->bindings = old->bindings;
    auto& b = next->bindings;
    // Expired bindings do not count against the limit and are not reported.
    std::erase_if(b, [&](const Binding& x) { return x.expires_at_ms <= now_ms; });
    // Step 6/7: a binding from the same Call-ID may only change with a higher CSeq.
    auto stale = [&](const Binding& x) { return x.call_id == call_id && cseq <= x.cseq; };
    if (star) {
      for (const Binding& x : b)
        if (stale(x)) {
          outcome = fail(400, "CSeq not newer than the stored binding's");
          return old ? std::make_unique<AorRecord>(*old) : nullptr;
        }
      b.clear();
      return next;
    }
    for (std::size_t i = 0; i < n; ++i) {
      const ContactRequest& c = contacts[i];
      auto found = std::find_if(b.begin(), b.end(),
                                [&](const Binding& x) { return same_contact(x.contact, c.uri); });
      if (found != b.end()) {
        if (stale(*found)) {
          outcome = fail(400, "CSeq not newer than the stored binding's");
          return old ? std::make_unique<AorRecord>(*old) : nullptr;
        }
        if (c.expires == 0) {
          b.erase(found);
          continue;
        }
      } else {
        if (c.expires == 0) continue;
        if (b.size() >= settings_.max_contacts) {
          outcome = fail(403, "Too many registered contacts for this address-of-record");
          return old ? std::make_unique<AorRecord>(*old) : nullptr;
        }
        found = b.emplace(b.end());
        found->registered_at_ms = now_ms;
      }
      found->contact = std::string(c.uri);
      found->path = path;
      found->call_id = std::string(call_id);
      found->cseq = cseq;
      found->expires_at_ms = now_ms + uint64_t{c.expires} * 1000;
      found->q = c.q;
      found->source = source;
    }
    return next;
  });
  if (outcome.status != 200) outcome.record = nullptr;
  return outcome;
}

}  // namespace sipwire
