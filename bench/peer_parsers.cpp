// See peer_parsers.h.
#include "peer_parsers.h"

#include <cstring>
#include <limits>
#include <mutex>

// Both libraries' headers carry their own extern "C" guards.
//
// <sofia-sip/sip_parser.h> is deliberately not included: it pulls in
// <sofia-sip/bnf.h>, whose SP macro clashes with oSIP's, and
// <sofia-sip/msg_parser.h>, which trips -Woverflow in C++. The headers below
// declare everything a receiver needs.
#include <osipparser2/osip_parser.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip.h>
// sip_header.h (sip_default_mclass, sip_object) includes su_tag.h, which has
// an inline function with an unused parameter; the build may not pass these
// directories as -isystem, so silence that one warning locally.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <sofia-sip/sip_header.h>
#pragma GCC diagnostic pop

namespace sipwire::bench {

void peer_parsers_init() {
  // parser_init() builds oSIP's global header-name dispatch table;
  // osip_message_parse() segfaults if it has not run.
  static std::once_flag once;
  std::call_once(once, [] { parser_init(); });
}

bool osip_parse(std::string_view msg) {
  peer_parsers_init();
  osip_message_t* sip = nullptr;
  if (osip_message_init(&sip) != OSIP_SUCCESS) return false;
  // oSIP copies the buffer itself (it rewrites LWS in place), so the
  // caller's bytes need no NUL terminator.
  bool ok = osip_message_parse(sip, msg.data(), msg.size()) == OSIP_SUCCESS &&
            (sip->sip_method != nullptr || sip->status_code != 0) && sip->call_id != nullptr &&
            sip->cseq != nullptr && !osip_list_eol(&sip->vias, 0);
  osip_message_free(sip);
  return ok;
}

bool sofia_parse(std::string_view msg) {
  // Sofia sizes buffers with usize_t (32 bits); never truncate silently.
  if (msg.empty() || msg.size() > std::numeric_limits<usize_t>::max()) return false;
  const auto n = static_cast<usize_t>(msg.size());

  // Flags 0 parse exactly like nta's defaults: nta adds only
  // MSG_DO_CANONIC, which affects encoding, not parsing. Without
  // MSG_DO_EXTRACT_COPY header fields point into the receive buffer.
  msg_t* m = msg_create(sip_default_mclass(), 0);
  if (m == nullptr) return false;

  // What tport_recv_dgram() does: ask for a receive vector sized exactly
  // for the datagram (one contiguous buffer for a fresh msg_t), fill it,
  // then commit with eos=1 because a datagram is a whole message.
  msg_iovec_t vec[1];
  bool ok = msg_recv_iovec(m, vec, 1, n, 1) == 1 && vec[0].mv_len == n;
  if (ok) {
    std::memcpy(vec[0].mv_base, msg.data(), n);
    ok = msg_recv_commit(m, n, 1) >= 0;
  }

  // msg_extract() eagerly runs each known header's parser, but it only
  // fails on errors in "critical" headers; other malformed headers are
  // moved to sip_error (nta then answers 400). Require sip_error to be
  // empty so that success means every header really parsed.
  if (ok) ok = msg_extract(m) > 0;
  if (ok) {
    const sip_t* sip = sip_object(m);
    ok = sip != nullptr && sip->sip_error == nullptr &&
         (sip->sip_request != nullptr || sip->sip_status != nullptr) &&
         sip->sip_call_id != nullptr && sip->sip_cseq != nullptr && sip->sip_via != nullptr;
  }
  msg_destroy(m);
  return ok;
}

}  // namespace sipwire::bench
