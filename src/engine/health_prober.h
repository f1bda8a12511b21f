// Health probing of destination-set hops with OPTIONS (the ping SIP servers answer): every
// probe_interval_ms each hop gets an OPTIONS; a probe still unanswered when the next one is due
// counts as a miss, any response as an answer, and DestinationSet::record_probe turns streaks
// into down/up. One shard probes (the data plane gives the job to shard 0); every shard reads
// the health it writes.
//
// A probe's branch is ours (kBranchPrefix, our shard) with "ff" and the set, hop and sequence
// number in the transaction part, so its response comes back to this shard and is recognised
// without any table: the sequence number must be the hop's outstanding one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sipwire/engine/destination_set.h"
#include "sipwire/engine/local_ends.h"
#include "sipwire/engine/outbox.h"
#include "sipwire/message.h"

namespace sipwire {

struct ProberCounters {
  uint64_t probes_sent = 0;
  uint64_t answered = 0;
  uint64_t missed = 0;
  uint64_t state_changes = 0;  // hops that went down or came back up
};

class HealthProber {
 public:
  // `ends`: our addresses; a probe names the one of its hop's IP family, where it leaves from.
  HealthProber(std::vector<std::shared_ptr<DestinationSet>> sets, LocalEnds ends, uint8_t shard);

  // Sends the probes that are due and counts the ones that went unanswered.
  void tick(Outbox& out, uint64_t now_ms);
  // True when `response` answers one of our probes (it is consumed here).
  bool on_response(const Message& response);

  const ProberCounters& counters() const { return counters_; }

 private:
  struct HopProbe {
    uint64_t next_due_ms = 0;  // 0: probe at the first tick
    uint32_t outstanding = 0;  // sequence number of the unanswered probe; 0 when none
  };
  void send_probe(Outbox& out, std::size_t set, std::size_t hop, uint32_t seq);

  std::vector<std::shared_ptr<DestinationSet>> sets_;
  std::vector<std::vector<HopProbe>> probes_;
  LocalEnds ends_;
  uint8_t shard_;
  uint32_t seq_ = 0;
  ProberCounters counters_;
};

}  // namespace sipwire
