#include "sipwire/txn/txn_types.h"

#include <iterator>

namespace sipwire {

std::string_view to_string(TxnKind kind) {
  switch (kind) {
    case TxnKind::kInviteClient:
      return "INVITE client";
    case TxnKind::kNonInviteClient:
      return "non-INVITE client";
    case TxnKind::kInviteServer:
      return "INVITE server";
    case TxnKind::kNonInviteServer:
      return "non-INVITE server";
  }
  return "?";
}

std::string_view to_string(TxnState state) {
  switch (state) {
    case TxnState::kIdle:
      return "Idle";
    case TxnState::kCalling:
      return "Calling";
    case TxnState::kTrying:
      return "Trying";
    case TxnState::kProceeding:
      return "Proceeding";
    case TxnState::kCompleted:
      return "Completed";
    case TxnState::kConfirmed:
      return "Confirmed";
    case TxnState::kAccepted:
      return "Accepted";
    case TxnState::kTerminated:
      return "Terminated";
  }
  return "?";
}

std::string_view to_string(TxnTimer timer) {
  static constexpr std::string_view kNames[] = {"-", "A", "B", "C", "D", "E",
                                                "F", "G", "H", "I", "J", "K", "L"};
  const auto i = static_cast<std::size_t>(timer);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string_view to_string(TxnFailure failure) {
  switch (failure) {
    case TxnFailure::kTimerB:
      return "Timer B";
    case TxnFailure::kTimerF:
      return "Timer F";
    case TxnFailure::kTimerH:
      return "Timer H";
    case TxnFailure::kTransportError:
      return "transport error";
  }
  return "?";
}

}  // namespace sipwire
