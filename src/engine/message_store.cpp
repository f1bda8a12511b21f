#include "sipwire/engine/message_store.h"

#include <cstring>

namespace sipwire {

MessageStore::MessageStore(std::size_t total_bytes) {
  static constexpr std::array<std::size_t, kSlotBytes.size()> kPercent = {35, 40, 12, 13};
  std::size_t offset = 0;
  uint32_t first = 0;
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    SizeClass& k = classes_[c];
    k.bytes = kSlotBytes[c];
    std::size_t n = total_bytes / 100 * kPercent[c] / k.bytes;
    if (n < 4) n = 4;
    k.count = static_cast<uint32_t>(n);
    k.first = first;
    k.offset = offset;
    k.free = std::make_unique<uint32_t[]>(n);
    // Lowest ids on top of the stack: the first messages use the first pages.
    for (uint32_t i = 0; i < k.count; ++i) k.free[i] = first + k.count - 1 - i;
    k.free_count = k.count;
    first += k.count;
    offset += n * k.bytes;
  }
  // Not value-initialised: a slot's bytes are always written before they are read.
  memory_ = std::make_unique_for_overwrite<char[]>(offset);
  released_ = std::make_unique<uint32_t[]>(first);  // every slot at most once
}

std::size_t MessageStore::class_of(uint32_t slot) const {
  std::size_t c = 0;
  while (c + 1 < classes_.size() && slot >= classes_[c + 1].first) ++c;
  return c;
}

char* MessageStore::slot_data(uint32_t slot) {
  const SizeClass& k = classes_[class_of(slot)];
  return memory_.get() + k.offset + (slot - k.first) * k.bytes;
}

MessageRef MessageStore::reserve(std::size_t bytes) {
  for (SizeClass& k : classes_) {
    if (k.bytes < bytes || k.free_count == 0) continue;
    MessageRef ref;
    ref.buffer = k.free[--k.free_count];
    ref.offset = 0;
    ref.length = 0;
    ++counters_.stored;
    ++counters_.in_use;
    return ref;
  }
  ++counters_.exhausted;
  return {};
}

std::span<char> MessageStore::writable(const MessageRef& ref) {
  if (ref.empty()) return {};
  return {slot_data(ref.buffer), classes_[class_of(ref.buffer)].bytes};
}

MessageRef MessageStore::put(std::span<const std::string_view> segments) {
  std::size_t total = 0;
  for (std::string_view s : segments) total += s.size();
  MessageRef ref = reserve(total);
  if (ref.empty()) return ref;
  char* p = slot_data(ref.buffer);
  for (std::string_view s : segments) {
    if (s.empty()) continue;
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  ref.length = static_cast<uint32_t>(total);
  return ref;
}

std::string_view MessageStore::view(const MessageRef& ref) const {
  if (ref.empty()) return {};
  const SizeClass& k = classes_[class_of(ref.buffer)];
  return {memory_.get() + k.offset + (ref.buffer - k.first) * k.bytes + ref.offset, ref.length};
}

void MessageStore::release(MessageRef& ref) {
  if (ref.empty()) return;
  released_[released_count_++] = ref.buffer;
  ref = MessageRef{};
}

void MessageStore::reclaim() {
  for (std::size_t i = 0; i < released_count_; ++i) {
    SizeClass& k = classes_[class_of(released_[i])];
    k.free[k.free_count++] = released_[i];
  }
  counters_.in_use -= released_count_;
  released_count_ = 0;
}

}  // namespace sipwire
