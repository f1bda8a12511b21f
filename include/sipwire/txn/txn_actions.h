// What a transaction asks of its owner. The state machines own no socket, buffer or message:
// they decide, and the owner (the proxy core) does. Every call is made from inside an input of
// the transaction (a response, a request, a timer), in the order the RFC describes.
//
// Re-entrancy: a callback may abandon() its transaction (the machine then stops touching it)
// and may create, feed or abandon other transactions; it must not feed its own transaction any
// other input, nor advance the wheel.
#pragma once

#include <cstdint>

#include "sipwire/txn/timer_wheel.h"
#include "sipwire/txn/txn_types.h"

namespace sipwire {

class Transaction;

class TxnActions {
 public:
  virtual ~TxnActions() = default;

  // Send the same bytes again: a client transaction's request (Timers A, E), a server
  // transaction's last response (Timer G, a retransmitted request absorbed). The bytes are
  // where the owner put them: t.request(), t.last_response().
  virtual void retransmit(Transaction& t) = 0;
  // INVITE client: send the ACK for the non-2xx final response being received (§17.1.1.3),
  // for the first copy and for each retransmission of it. Built from the INVITE and the
  // response in hand.
  virtual void send_ack(Transaction& t, uint16_t status) = 0;
  // Client: the response being received goes up to the TU (retransmissions of a final
  // response do not).
  virtual void pass_response(Transaction& t, uint16_t status) = 0;
  // Proxy INVITE client: Timer C fired (§16.8). The owner CANCELs the branch if it saw a
  // provisional response, else treats it as a 408 and abandons the transaction. The
  // transaction itself stays where it is.
  virtual void timer_c_fired(Transaction& t) = 0;
  // The transaction failed (timeout or transport error); terminated() follows.
  virtual void failed(Transaction& t, TxnFailure why) = 0;
  // The transaction reached Terminated: the last call it makes. The owner drops its
  // references to it; a TransactionTable frees the slot once this returns.
  virtual void terminated(Transaction& t) = 0;
};

// What a transaction's inputs need besides the transaction: the shard's wheel, its timer
// values and the owner's actions. A TransactionTable holds one; tests build their own.
struct TxnEnv {
  TimerWheel& wheel;
  const TxnTimerConfig& timers;
  TxnActions& actions;
};

}  // namespace sipwire
