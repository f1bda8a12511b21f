// Edits to a received message, rendered as gather segments: the untouched runs of the
// original bytes between edits, and the inserted texts. A forwarded message is never copied:
// the segments go to Outbox::send (socket backend: iovecs; DPDK: mbuf edits).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace sipwire {

class MessageEdits {
 public:
  static constexpr std::size_t kMaxEdits = 7;  // 2 segments each + the tail fit kMaxSegments

  // Replaces [at, at + remove) of the original with `insert`. Edits must not overlap; they may
  // come in any order, and insertions (remove 0) at one offset keep theirs. An insertion at
  // the offset where a removal starts goes before it (the proxy's Via and a policy's headers
  // go in where our Route line comes out). Returns false when there are already kMaxEdits.
  bool add(uint32_t at, uint32_t remove, std::string_view insert) {
    if (count_ == kMaxEdits) return false;
    std::size_t i = count_++;
    // Insertion sort: at most a handful of edits per message.
    while (i > 0 && (edits_[i - 1].at > at ||
                     (edits_[i - 1].at == at && edits_[i - 1].remove != 0 && remove == 0))) {
      edits_[i] = edits_[i - 1];
      --i;
    }
    edits_[i] = Edit{at, remove, insert};
    return true;
  }

  // Segments of the edited message; returns how many were written (at most out.size()), or 0
  // when two edits overlap (a caller's bug: nothing is sent rather than a garbled message).
  std::size_t render(std::string_view original, std::span<std::string_view> out) const {
    std::size_t n = 0, pos = 0;
    auto emit = [&](std::string_view s) {
      if (!s.empty() && n < out.size()) out[n++] = s;
    };
    for (std::size_t i = 0; i < count_; ++i) {
      const Edit& e = edits_[i];
      if (e.at < pos || e.at > original.size()) return 0;
      emit(original.substr(pos, e.at - pos));
      emit(e.insert);
      pos = e.at + e.remove;
    }
    emit(original.substr(pos));
    return n;
  }

  struct Edit {
    uint32_t at;
    uint32_t remove;
    std::string_view insert;
  };

  std::size_t size() const { return count_; }
  const Edit& operator[](std::size_t i) const { return edits_[i]; }

 private:
  std::array<Edit, kMaxEdits> edits_{};
  std::size_t count_ = 0;
};

}  // namespace sipwire
