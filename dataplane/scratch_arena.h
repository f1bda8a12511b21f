// The per-burst scratch space behind Outbox::scratch, shared by both backends' outboxes: one
// block allocated at start, handed out front to back, and reset only after the burst is sent
// (the engine's inserted text must live until then).
#pragma once

#include <cstddef>
#include <memory>

namespace sipwire::dataplane {

class ScratchArena {
 public:
  // Room a worker needs per message of a burst: an answer asks for 4 KiB while it is written
  // (and keeps what it uses, see shrink_last); twice that covers a message that both answers
  // and forwards. A worker's arena holds at least this times its burst, so a full burst of
  // requests is never refused for want of scratch space.
  static constexpr std::size_t kPerMessage = 8 << 10;
  static std::size_t bytes_for(std::size_t configured, std::size_t burst) {
    return configured > burst * kPerMessage ? configured : burst * kPerMessage;
  }

  // Not value-initialised: the worker thread touches the pages first (NUMA first touch).
  explicit ScratchArena(std::size_t bytes)
      : block_(std::make_unique_for_overwrite<char[]>(bytes)), size_(bytes) {}

  // `bytes` of scratch, or nullptr when the burst has used it all.
  char* take(std::size_t bytes) {
    if (bytes > size_ - used_) return nullptr;
    char* p = block_.get() + used_;
    used_ += bytes;
    last_ = p;
    return p;
  }
  // The last block taken, at `p`, keeps only `used` bytes (rounded up to a cache line, so the
  // next block starts on one); any other `p` is ignored.
  void shrink_last(const char* p, std::size_t used) {
    if (p == nullptr || p != last_) return;
    const std::size_t end =
        static_cast<std::size_t>(p - block_.get()) + (used + kLine - 1) / kLine * kLine;
    if (end < used_) used_ = end;
  }
  void reset() {
    used_ = 0;
    last_ = nullptr;
  }
  std::size_t used() const { return used_; }

 private:
  static constexpr std::size_t kLine = 64;
  std::unique_ptr<char[]> block_;
  std::size_t size_;
  std::size_t used_ = 0;
  const char* last_ = nullptr;
};

}  // namespace sipwire::dataplane
