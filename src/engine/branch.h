// The branch parameters this proxy writes (RFC 3261 §16.6 step 8): the magic cookie and "sw",
// 2 hex digits naming the shard that wrote it (so the data plane hands a response straight to
// the shard holding its transaction), 14 hex digits naming the transaction (and, in the
// stateful proxy, the branch of a fork), then '-' and 8 hex digits of the loop-detection hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text_writer.h"

namespace sipwire {

constexpr std::string_view kBranchPrefix = "z9hG4bKsw";
constexpr std::size_t kLoopAt = kBranchPrefix.size() + 2 + 14 + 1;
constexpr std::size_t kBranchLength = kLoopAt + 8;

inline void put_hex(TextWriter& w, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  for (int i = digits - 1; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 15];
  w.put(std::string_view(buf, static_cast<std::size_t>(digits)));
}

inline void put_branch(TextWriter& w, uint8_t shard, uint64_t transaction, uint32_t loop) {
  w.put(kBranchPrefix);
  put_hex(w, shard, 2);
  put_hex(w, transaction, 14);
  w.put("-");
  put_hex(w, loop, 8);
}

}  // namespace sipwire
