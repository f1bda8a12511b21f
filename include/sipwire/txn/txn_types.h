// The vocabulary of the transaction layer (RFC 3261 §17): kinds, states, timers, settings.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipwire {

enum class TxnKind : uint8_t {
  kInviteClient,     // §17.1.1
  kNonInviteClient,  // §17.1.2
  kInviteServer,     // §17.2.1
  kNonInviteServer,  // §17.2.2
};

enum class TxnState : uint8_t {
  kIdle,  // a free pool slot, or a transaction not started yet
  kCalling,
  kTrying,
  kProceeding,
  kCompleted,
  kConfirmed,
  kAccepted,  // RFC 6026: an INVITE server transaction after its 2xx
  kTerminated,
};

// The timers of §17 (table 4 of Appendix A). C is the proxy's Timer C (§16.6 step 11, §16.8).
// L is RFC 6026's: how long an INVITE server transaction stays Accepted after its 2xx.
enum class TxnTimer : uint8_t { kNone, kA, kB, kC, kD, kE, kF, kG, kH, kI, kJ, kK, kL };

// Why a transaction told its TU it failed (§17.1.1.2, §17.1.2.2, §17.2.1, §17.1.4, §17.2.4).
enum class TxnFailure : uint8_t {
  kTimerB,          // INVITE client: no response at all
  kTimerF,          // non-INVITE client: no final response
  kTimerH,          // INVITE server: no ACK for a non-2xx final response
  kTransportError,  // the transport could not send
};

// RFC 3261 timer values, in milliseconds. Zeroed per §17 on reliable transports: A, E and G
// are not used; D, I, J and K are zero (the transaction ends at once).
struct TxnTimerConfig {
  uint32_t t1_ms = 500;   // round-trip estimate; first retransmission interval
  uint32_t t2_ms = 4000;  // longest retransmission interval (non-INVITE requests, responses)
  uint32_t t4_ms = 5000;  // how long the network holds a message: Timers I and K
  // Timer D, INVITE client, unreliable transports: "at least 32 seconds" (§17.1.1.2).
  uint32_t timer_d_ms = 32000;
  // Timer C, proxy INVITE client: "greater than 3 minutes" (§16.6 step 11). 0 disables it (a
  // UAC's INVITE client transaction has none).
  uint32_t timer_c_ms = 181000;
};

// Where the owner keeps a message's bytes (a request to retransmit, the last response sent).
// The transaction layer never copies or reads message bytes: the owner fills in whatever
// locates them in its own storage (a buffer id and a span, an mbuf index...) and gets it back
// in TxnActions::retransmit. 12 bytes.
struct MessageRef {
  static constexpr uint32_t kNone = 0xFFFFFFFF;
  uint32_t buffer = kNone;
  uint32_t offset = 0;
  uint32_t length = 0;
  bool empty() const { return buffer == kNone; }
};

// Names a transaction across its slot's reuse: the generation changes each time the slot is
// given to a new transaction, so a stale handle finds nothing (TransactionTable::get).
struct TxnHandle {
  uint32_t index = 0xFFFFFFFF;
  uint32_t generation = 0;
};

std::string_view to_string(TxnKind kind);
std::string_view to_string(TxnState state);
std::string_view to_string(TxnTimer timer);
std::string_view to_string(TxnFailure failure);

}  // namespace sipwire
