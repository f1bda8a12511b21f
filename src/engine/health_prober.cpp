#include "health_prober.h"

#include "branch.h"
#include "text_writer.h"

namespace sipwire {

namespace {

// Where the marker and the fields sit in a probe's branch (see branch.h for the layout).
constexpr std::size_t kTxnAt = kBranchPrefix.size() + 2;

bool hex_value(std::string_view s, uint32_t& out) {
  out = 0;
  for (char c : s) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    out = out * 16 + static_cast<uint32_t>(d);
  }
  return true;
}

}  // namespace

HealthProber::HealthProber(std::vector<std::shared_ptr<DestinationSet>> sets, LocalEnds ends,
                           uint8_t shard)
    : sets_(std::move(sets)), ends_(std::move(ends)), shard_(shard) {
  if (sets_.size() > 255) sets_.resize(255);  // one hex byte names the set
  for (const auto& set : sets_) probes_.emplace_back(set->size());
}

void HealthProber::tick(Outbox& out, uint64_t now_ms) {
  for (std::size_t s = 0; s < sets_.size(); ++s) {
    DestinationSet& set = *sets_[s];
    const uint32_t interval = set.health().probe_interval_ms;
    if (interval == 0) continue;
    for (std::size_t h = 0; h < set.size(); ++h) {
      HopProbe& p = probes_[s][h];
      if (now_ms < p.next_due_ms) continue;
      if (p.outstanding != 0) {
        ++counters_.missed;
        if (set.record_probe(h, false)) ++counters_.state_changes;
      }
      if (++seq_ == 0) seq_ = 1;  // 0 means "none outstanding"
      p.outstanding = seq_;
      p.next_due_ms = now_ms + interval;
      send_probe(out, s, h, seq_);
    }
  }
}

void HealthProber::send_probe(Outbox& out, std::size_t set, std::size_t hop, uint32_t seq) {
  const DestinationHop& target = sets_[set]->hop(hop);
  constexpr std::size_t kSpace = 512;
  char* buf = out.scratch(kSpace);
  if (buf == nullptr) return;  // counted as a miss at the next round, like a lost datagram
  char ip[64];
  const std::size_t ip_len = target.address.write_ip(ip);
  const std::string_view ip_text(ip, ip_len);
  const bool v6 = target.address.is_ipv6();
  const LocalEnd& local = ends_.toward(target.address);
  TextWriter w({buf, kSpace});
  w.put("OPTIONS sip:").put(v6 ? "[" : "").put(ip_text).put(v6 ? "]:" : ":");
  w.put(target.address.port).put(" SIP/2.0\r\n");
  w.put("Via: SIP/2.0/UDP ").put(local.host).put(":").put(local.port).put(";branch=");
  w.put(kBranchPrefix);
  put_hex(w, shard_, 2);
  w.put("ff");
  put_hex(w, set, 2);
  put_hex(w, hop, 2);
  put_hex(w, seq, 8);
  w.put("-00000000\r\nMax-Forwards: 70\r\n");
  w.put("From: <sip:sipwire@").put(local.host).put(">;tag=probe\r\n");
  w.put("To: <sip:").put(v6 ? "[" : "").put(ip_text).put(v6 ? "]" : "").put(">\r\n");
  w.put("Call-ID: probe-").put(seq).put("@").put(local.host).put("\r\n");
  w.put("CSeq: ").put(seq).put(" OPTIONS\r\nContent-Length: 0\r\n\r\n");
  if (!w.ok()) return;
  const std::string_view probe = w.view();
  if (out.send(target.address, {&probe, 1})) ++counters_.probes_sent;
}

bool HealthProber::on_response(const Message& response) {
  const std::string_view b = response.top_via().branch;
  if (b.size() != kBranchLength || b.substr(0, kBranchPrefix.size()) != kBranchPrefix ||
      b.substr(kTxnAt, 2) != "ff")
    return false;
  uint32_t shard, set, hop, seq;
  if (!hex_value(b.substr(kBranchPrefix.size(), 2), shard) || shard != shard_ ||
      !hex_value(b.substr(kTxnAt + 2, 2), set) || !hex_value(b.substr(kTxnAt + 4, 2), hop) ||
      !hex_value(b.substr(kTxnAt + 6, 8), seq) || set >= sets_.size() || hop >= sets_[set]->size())
    return false;
  HopProbe& p = probes_[set][hop];
  if (p.outstanding != seq) return false;  // a late answer to an old probe: not ours now
  p.outstanding = 0;
  ++counters_.answered;
  if (sets_[set]->record_probe(hop, true)) ++counters_.state_changes;
  return true;
}

}  // namespace sipwire
