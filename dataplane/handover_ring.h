// A packet handed from one worker to another (shard affinity, see shard_router.h): one ring
// per ordered pair of workers, so each has exactly one producer thread and one consumer thread
// and a boost::lockfree::spsc_queue (wait-free, no locked instruction per push or pop) is
// enough.
//
// The socket backend reuses its receive buffers as soon as a batch is handled, so a handed-over
// datagram must be copied. It is copied into a slot of a pool the ring allocates once: the
// producer takes a free slot index from `free_`, copies the bytes and the metadata into the
// slot and pushes the index on `ready_`; the consumer pops it, delivers the packet and, once
// its replies have left (they may point into the slot), pushes the index back on `free_`.
// Both index rings hold every slot, so their pushes never fail, memory is bounded (slots *
// slot_bytes) and nothing is allocated per packet. (The DPDK backend will hand over mbuf
// pointers instead: its packets already live in buffers that outlive the batch.)
//
// What a full pool means: the consumer is behind by `slots` packets. The producer drops the
// packet rather than wait (waiting would stall its own shard, and two workers waiting on each
// other would deadlock); it is UDP, so the peer retransmits, and the drop is counted. A
// datagram longer than a slot is refused (kOversize): the caller processes it where it is and
// counts it, because dropping it would lose it for good (every retransmission is as long),
// while a large message handled on the wrong shard at worst misses its transaction (a
// response is then relayed statelessly, a request starts a transaction there).
#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "sipwire/net_address.h"

namespace sipwire::dataplane {

class HandoverRing {
 public:
  enum class Push {
    kPushed,    // queued; the consumer was idle (the ring was empty): wake it
    kQueued,    // queued behind others: the consumer is already due to drain
    kFull,      // no free slot: dropped
    kOversize,  // longer than a slot: not queued, handle it locally
  };

  struct Packet {
    std::string_view bytes;  // valid until release(slot)
    NetAddress from;
    uint32_t ingress = 0;  // the index of the listen socket it arrived on
    uint32_t slot = 0;
  };

  // Allocates `slots` slots of `slot_bytes` bytes each (both at least 1).
  HandoverRing(std::size_t slots, std::size_t slot_bytes);
  HandoverRing(const HandoverRing&) = delete;
  HandoverRing& operator=(const HandoverRing&) = delete;

  // Producer thread only. Copies the packet into a free slot.
  Push push(std::string_view bytes, const NetAddress& from, uint32_t ingress);

  // Consumer thread only. The oldest packet, or false when there is none. The slot stays the
  // consumer's until release(), so the bytes may back replies until they are flushed.
  bool take(Packet& packet);
  // Consumer thread only. Returns a slot taken with take() to the producer.
  void release(uint32_t slot);
  // Consumer thread only: whether a packet is waiting.
  bool pending() const { return ready_.read_available() != 0; }

  std::size_t slots() const { return slots_; }
  std::size_t slot_bytes() const { return slot_bytes_; }

 private:
  struct Meta {
    uint32_t length;
    uint32_t ingress;
    NetAddress from;
  };

  std::size_t slots_;
  std::size_t slot_bytes_;
  std::unique_ptr<char[]> bytes_;  // slots_ * slot_bytes_
  std::unique_ptr<Meta[]> meta_;
  boost::lockfree::spsc_queue<uint32_t> ready_;  // producer → consumer: filled slots, in order
  boost::lockfree::spsc_queue<uint32_t> free_;   // consumer → producer: empty slots
};

}  // namespace sipwire::dataplane
