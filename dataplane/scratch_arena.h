// The per-burst scratch space behind Outbox::scratch, shared by both backends' outboxes: one
// block allocated at start, handed out front to back, and reset only after the burst is sent
// (the engine's inserted text must live until then).
#pragma once

#include <cstddef>
#include <memory>

namespace sipwire::dataplane {

class ScratchArena {
 public:
  // Not value-initialised: the worker thread touches the pages first (NUMA first touch).
  explicit ScratchArena(std::size_t bytes)
      : block_(std::make_unique_for_overwrite<char[]>(bytes)), size_(bytes) {}

  // `bytes` of scratch, or nullptr when the burst has used it all.
  char* take(std::size_t bytes) {
    if (bytes > size_ - used_) return nullptr;
    char* p = block_.get() + used_;
    used_ += bytes;
    return p;
  }
  void reset() { used_ = 0; }

 private:
  std::unique_ptr<char[]> block_;
  std::size_t size_;
  std::size_t used_ = 0;
};

}  // namespace sipwire::dataplane
