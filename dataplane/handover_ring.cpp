#include "dataplane/handover_ring.h"

#include <cstring>

namespace sipwire::dataplane {

HandoverRing::HandoverRing(std::size_t slots, std::size_t slot_bytes)
    : slots_(slots),
      slot_bytes_(slot_bytes),
      bytes_(std::make_unique_for_overwrite<char[]>(slots * slot_bytes)),
      meta_(std::make_unique<Meta[]>(slots)),
      ready_(slots),
      free_(slots) {
  for (std::size_t i = 0; i < slots_; ++i) free_.push(static_cast<uint32_t>(i));
}

HandoverRing::Push HandoverRing::push(std::string_view bytes, const NetAddress& from,
                                      uint32_t ingress) {
  if (bytes.size() > slot_bytes_) return Push::kOversize;
  uint32_t slot;
  if (!free_.pop(slot)) return Push::kFull;
  std::memcpy(bytes_.get() + std::size_t{slot} * slot_bytes_, bytes.data(), bytes.size());
  meta_[slot] = Meta{static_cast<uint32_t>(bytes.size()), ingress, from};
  ready_.push(slot);  // cannot fail: ready_ holds every slot
  // Was the ring empty before this push, so that the consumer may be asleep? The fence pairs
  // with the one the consumer runs after draining and before it sleeps (see SocketWorker):
  // either this load sees the consumer's last pop, or the consumer's check sees this push.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return ready_.write_available() + 1 == slots_ ? Push::kPushed : Push::kQueued;
}

bool HandoverRing::take(Packet& packet) {
  uint32_t slot;
  if (!ready_.pop(slot)) return false;
  const Meta& m = meta_[slot];
  packet.bytes = std::string_view(bytes_.get() + std::size_t{slot} * slot_bytes_, m.length);
  packet.from = m.from;
  packet.ingress = m.ingress;
  packet.slot = slot;
  return true;
}

void HandoverRing::release(uint32_t slot) {
  free_.push(slot);
}

}  // namespace sipwire::dataplane
