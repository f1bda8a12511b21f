#include "request_forwarder.h"

#include "contact_alias.h"
#include "sipwire/chars.h"
#include "sipwire/uri.h"
#include "text_writer.h"
#include "via_fix.h"

namespace sipwire {

namespace {

// [begin, end) of a whole header field, its CRLF and continuation lines included, for removing
// it.
std::pair<uint32_t, uint32_t> field_line(const Message& m, std::size_t i) {
  return {m.header(i).offset, static_cast<uint32_t>(m.field_end(i))};
}

// The target's URI as a Request-URI (§16.6 step 2: "If the URI contains any parameters not
// allowed in a Request-URI, they MUST be removed"). A registered Contact may carry headers and
// a method parameter (§19.1.1's table allows both in a REGISTER's Contact, neither in a
// Request-URI); both are left out. Anything else is written as it was registered.
// `uri` without what a Request-URI must not hold (headers, a method parameter; §19.1.1) and,
// with `strip_maddr`, without its maddr, port and transport parameter (§16.4); with
// `strip_alias`, without its alias parameter (our NAT alias, contact_alias.h).
void put_trimmed_request_uri(TextWriter& w, std::string_view uri, bool strip_maddr,
                             bool strip_alias) {
  Uri u;
  if (parse_uri(uri, u) || !u.is_sip()) {
    w.put(uri);
    return;
  }
  // Scheme, user and host[:port] as they are; then the parameters one by one, up to the
  // headers. A parameter holds no ';' (pvalue is paramchars), so ';' splits them.
  std::size_t at = static_cast<std::size_t>(u.host.data() - uri.data()) + u.host.size();
  w.put(uri.substr(0, at));
  if (u.has_port) {
    const std::size_t port_at = at;
    ++at;  // the ':'
    while (at < uri.size() && chars::is_digit(uri[at])) ++at;
    if (!strip_maddr) w.put(uri.substr(port_at, at - port_at));
  }
  std::string_view params = uri.substr(at, uri.find('?', at) - at);
  while (!params.empty()) {
    params.remove_prefix(1);  // the ';'
    const std::size_t end = std::min(params.find(';'), params.size());
    const std::string_view param = params.substr(0, end);
    const std::string_view name = param.substr(0, param.find('='));
    const bool drop =
        chars::iequals(name, "method") ||
        (strip_maddr && (chars::iequals(name, "maddr") || chars::iequals(name, "transport"))) ||
        (strip_alias && chars::iequals(name, "alias"));
    if (!drop) w.put(";").put(param);
    params.remove_prefix(end);
  }
}

}  // namespace

bool unfit_for_request_uri(std::string_view uri) {
  for (std::size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '?') return true;
    if (uri[i] == ';' && chars::iequals(uri.substr(i + 1, 6), "method")) return true;
  }
  return false;
}

bool starts_dialog(const Message& m) {
  if (!m.to().tag().empty()) return false;
  const Method k = m.method();
  return k == Method::kInvite || k == Method::kSubscribe || k == Method::kRefer;
}

namespace {
// Removes the first `n` (> 0) elements of list field `i`: the whole line when it holds no more
// than that, else its value up to element n and the comma before it. Returns how many went.
std::size_t remove_leading_elements(const Message& m, std::size_t i, std::size_t n,
                                    MessageEdits& edits) {
  const HeaderField f = m.header(i);
  std::size_t count = 1;
  // Without a comma the field holds one element (the usual Via or Route): nothing to split.
  if (f.value.find(',') != std::string_view::npos) {
    ListSplitter split(f.value);
    std::string_view el;
    count = 0;
    while (split.next(el)) {
      if (count == n) {
        edits.add(static_cast<uint32_t>(f.value.data() - m.bytes().data()),
                  static_cast<uint32_t>(el.data() - f.value.data()), {});
        return n;
      }
      ++count;
    }
  }
  const auto [b, e] = field_line(m, i);
  edits.add(b, e - b, {});
  return count;
}
}  // namespace

void remove_first_element(const Message& m, std::size_t i, MessageEdits& edits) {
  remove_leading_elements(m, i, 1, edits);
}

void remove_first_routes(const Message& m, std::size_t n, MessageEdits& edits) {
  for (std::size_t i = 0; i < m.header_count() && n > 0; ++i)
    if (m.header(i).id == HeaderId::kRoute) n -= remove_leading_elements(m, i, n, edits);
}

void remove_last_element(const Message& m, std::size_t i, MessageEdits& edits,
                         std::string_view& last) {
  const HeaderField f = m.header(i);
  ListSplitter split(f.value);
  std::string_view el, previous;
  std::size_t count = 0;
  while (split.next(el)) {
    if (count++ > 0) previous = last;
    last = el;
  }
  if (count <= 1) {
    const auto [b, e] = field_line(m, i);
    edits.add(b, e - b, {});
    return;
  }
  const char* base = m.bytes().data();
  const auto from = static_cast<uint32_t>(previous.data() + previous.size() - base);
  const auto to = static_cast<uint32_t>(f.value.data() + f.value.size() - base);
  edits.add(from, to - from, {});
}

std::size_t render_forward(const Message& m, const NetAddress& source, const ForwardSpec& spec,
                           std::span<char> scratch,
                           std::span<std::string_view, Outbox::kMaxSegments> segments,
                           std::size_t* scratch_used) {
  TextWriter w(scratch);
  MessageEdits edits;
  const char* base = m.bytes().data();

  // Inserted before the first header field: our Via (§16.6 step 8), Record-Route (step 4),
  // Max-Forwards when absent (step 3), the binding's Path as Route (RFC 3327).
  const std::size_t top_at = w.size();
  w.put("Via: SIP/2.0/UDP ").put(spec.local_host).put(":").put(spec.local_port);
  w.put(";branch=").put(spec.branch).put("\r\n");
  if (spec.record_route) {
    // The first (top) for the next hop's side, the second for the caller's: each side's route
    // set starts with the one of its own family. Each signed for the dialog's Call-ID.
    char signature[kRouteSignatureSize];
    std::string_view params = ";lr>\r\n";
    char signed_params[sizeof ";lr;=>\r\n" - 1 + kRouteSignatureName.size() + kRouteSignatureSize];
    if (spec.route_key != nullptr) {
      write_route_signature(*spec.route_key, m.call_id(), signature);
      TextWriter p(signed_params);
      p.put(";lr;")
          .put(kRouteSignatureName)
          .put("=")
          .put({signature, sizeof signature})
          .put(">\r\n");
      params = p.view();
    }
    w.put("Record-Route: <sip:").put(spec.local_host).put(":").put(spec.local_port).put(params);
    if (!spec.inbound_host.empty())
      w.put("Record-Route: <sip:")
          .put(spec.inbound_host)
          .put(":")
          .put(spec.inbound_port)
          .put(params);
  }
  if (!m.has_max_forwards()) w.put("Max-Forwards: 70\r\n");
  if (!spec.path.empty()) w.put("Route: ").put(spec.path).put("\r\n");
  const std::size_t top_end = w.size();

  // §18.2.1 / RFC 3581 in the client's Via.
  ViaFix fix;
  std::size_t rport_at = 0, received_at = 0;
  if (compute_via_fix(m, source, fix)) {
    rport_at = w.size();
    w.put(fix.rport());
    received_at = w.size();
    w.put(fix.received());
  }
  const std::size_t mf_at = w.size();
  if (m.has_max_forwards()) w.put(static_cast<uint64_t>(m.max_forwards() - 1));
  const std::size_t mf_end = w.size();
  // The new Request-URI (step 6), copied: the binding it comes from may be replaced meanwhile.
  const std::size_t ruri_at = w.size();
  if (spec.trim_ruri || spec.strip_maddr || spec.strip_alias)
    put_trimmed_request_uri(w, spec.new_ruri, spec.strip_maddr, spec.strip_alias);
  else
    w.put(spec.new_ruri);
  const std::size_t ruri_end = w.size();
  if (!w.ok()) return 0;
  if (scratch_used != nullptr) *scratch_used = w.size();
  auto text = [&](std::size_t b, std::size_t e) {
    return std::string_view(scratch.data() + b, e - b);
  };

  edits.add(m.header(0).offset, 0, text(top_at, top_end));
  if (fix.rport_at != 0) edits.add(fix.rport_at, 0, text(rport_at, received_at));
  if (fix.received_at != 0) edits.add(fix.received_at, 0, text(received_at, mf_at));
  if (m.has_max_forwards()) {
    const std::string_view v = m.value(HeaderId::kMaxForwards);
    edits.add(static_cast<uint32_t>(v.data() - base), static_cast<uint32_t>(v.size()),
              text(mf_at, mf_end));
  }
  if (!spec.new_ruri.empty()) {
    const std::string_view r = m.request_uri_text();
    edits.add(static_cast<uint32_t>(r.data() - base), static_cast<uint32_t>(r.size()),
              text(ruri_at, ruri_end));
  }
  if (spec.pop_routes != 0) remove_first_routes(m, spec.pop_routes, edits);
  // The alias text goes after everything above in the scratch space (their views are taken).
  if (spec.alias_contact != nullptr && sets_remote_target(m.method()) &&
      add_contact_alias(m, source, *spec.alias_contact, w, edits) && scratch_used != nullptr)
    *scratch_used = w.size();
  if (spec.extra != nullptr) {
    const std::string_view r = m.request_uri_text();
    const auto r_at = static_cast<uint32_t>(r.data() - base);
    const auto r_end = r_at + static_cast<uint32_t>(r.size());
    for (std::size_t i = 0; i < spec.extra->size(); ++i) {
      const MessageEdits::Edit& e = (*spec.extra)[i];
      if (!spec.new_ruri.empty() && e.at < r_end && e.at + e.remove > r_at) continue;
      if (!spec.new_ruri.empty() && e.remove == 0 && e.at >= r_at && e.at <= r_end) continue;
      if (!edits.add(e.at, e.remove, e.insert)) return 0;
    }
  }
  return edits.render(m.bytes(), segments);
}

}  // namespace sipwire
