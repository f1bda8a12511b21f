// libFuzzer target: the datagram parser, the on-demand element parsers, and the SIMD scanners.
// Besides crashes and sanitizer reports, it fails on broken invariants: a view outside the
// input, a field value not trimmed of LWS, or a SIMD scanner that disagrees with the scalar
// reference.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "sipwire/line_scanner.h"
#include "sipwire/message.h"
#include "sipwire/validate.h"

namespace {
using namespace sipwire;

void require(bool ok) {
  if (!ok) std::abort();
}

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check_scanners_agree(std::string_view in) {
  static uint32_t ref[64], got[64];
  const LineScan a = scan_lines_scalar(in.data(), in.size(), ref, 64);
  for (ScannerIsa isa : {ScannerIsa::kSse42, ScannerIsa::kAvx2}) {
    if (!cpu_supports(isa)) continue;
    const LineScan b = line_scanner(isa)(in.data(), in.size(), got, 64);
    require(a.lines == b.lines && a.header_end == b.header_end && a.bad_at == b.bad_at &&
            a.overflow == b.overflow);
    for (std::size_t i = 0; i < a.lines; ++i) require(ref[i] == got[i]);
  }
}

void walk_elements(const Message& m) {
  for (HeaderId id : {HeaderId::kVia, HeaderId::kContact, HeaderId::kRoute, HeaderId::kRecordRoute,
                      HeaderId::kPath}) {
    HeaderElements it(m, id);
    std::string_view el;
    while (it.next(el)) {
      require(inside(el, m.bytes()));
      Via via;
      NameAddr na;
      if (id == HeaderId::kVia && parse_via(el, via).ok()) require(inside(via.host, el));
      if (id != HeaderId::kVia && parse_contact(el, na).ok()) require(inside(na.uri, el));
    }
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  static auto msg = std::make_unique<Message>();
  check_scanners_agree(in);
  for (Framing framing : {Framing::kDatagram, Framing::kStream}) {
    ParseOptions opts;
    opts.framing = framing;
    const ParseError e = parse_message(in, *msg, opts);
    if (e) {
      require(e.status >= 400 && e.status <= 599 && !e.reason.empty());
      require(e.offset <= size);
      continue;
    }
    require(msg->size() <= size && inside(msg->body(), in));
    require(inside(msg->call_id(), in) && inside(msg->top_via().branch, in));
    for (std::size_t i = 0; i < msg->header_count(); ++i) {
      // A value is trimmed of LWS at both ends, folds included: it neither begins nor ends with
      // SP, HT, CR or LF (a writer that copies it adds its own CRLF).
      const std::string_view v = msg->header(i).value;
      require(inside(v, in));
      const auto lws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
      require(v.empty() || (!lws(v.front()) && !lws(v.back())));
    }
    (void)validate_all(*msg);
    (void)check_proxy_require(*msg, {});
    walk_elements(*msg);
  }
  Uri uri;
  if (parse_uri(in, uri).ok()) require(inside(uri.host, in) && inside(uri.params, in));
  return 0;
}
