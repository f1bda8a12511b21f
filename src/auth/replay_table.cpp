#include "sipwire/auth/replay_table.h"

#include <cstring>

namespace sipwire::auth {

ReplayTable::ReplayTable(std::size_t capacity) {
  std::size_t buckets = 1;
  while (buckets * kWays < capacity) buckets <<= 1;
  bucket_count_ = buckets;
  buckets_ = std::make_unique<Bucket[]>(buckets);
}

ReplayStatus ReplayTable::check_and_record(const NonceTag& tag, uint64_t issued_ms, uint32_t nc,
                                           uint64_t now_ms, uint64_t lifetime_ms) {
  uint64_t h;
  std::memcpy(&h, tag.data(), sizeof h);
  Bucket& b = buckets_[h & (bucket_count_ - 1)];

  for (Entry& e : b.ways) {
    if (e.used && e.tag == tag) {
      if (nc <= e.max_nc) return ReplayStatus::kReplay;
      e.max_nc = nc;
      return ReplayStatus::kAccepted;
    }
  }
  if (b.has_watermark && issued_ms <= b.watermark_ms) return ReplayStatus::kEvicted;

  // A free entry, else the one with the oldest nonce. An oldest nonce that has expired needs no
  // history (an expired nonce is refused before the table is asked); a live one is evicted and
  // raises the bucket's watermark. (Expiry follows issue time, so the oldest entry is an
  // expired one whenever the bucket holds any.)
  Entry* victim = nullptr;
  for (Entry& e : b.ways) {
    if (!e.used) {
      victim = &e;
      break;
    }
    if (victim == nullptr || e.issued_ms < victim->issued_ms) victim = &e;
  }
  bool live =
      victim->used && !(now_ms > victim->issued_ms && now_ms - victim->issued_ms >= lifetime_ms);
  if (live) {
    if (!b.has_watermark || victim->issued_ms > b.watermark_ms) b.watermark_ms = victim->issued_ms;
    b.has_watermark = true;
    ++evictions_;
  }
  victim->tag = tag;
  victim->issued_ms = issued_ms;
  victim->max_nc = nc;
  victim->used = true;
  return ReplayStatus::kAccepted;
}

}  // namespace sipwire::auth
