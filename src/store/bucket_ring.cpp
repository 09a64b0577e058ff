#include "budgetd/store/bucket_ring.h"

#include <algorithm>
#include <cassert>

namespace budgetd::store {

BucketRing::BucketRing(Millis resolution, uint32_t slots)
    : resolution_(resolution), slots_(slots), slots_storage_(new Slot[slots]) {
  assert(slots > 0);
}

void BucketRing::add(int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats) {
  assert(bucket >= 0 && good <= total);
  Slot& slot = slot_of(bucket);
  const int64_t lap = lap_of(bucket);
  // relaxed: total is published to readers by the release on `good` below.
  const tagged::Outcome t = tagged::add(slot.total, lap, total, std::memory_order_relaxed);
  if (t == tagged::Outcome::kExpired) {
    ++stats.expired;
    return;
  }
  // release: a reader that acquires this value of `good` also sees the `total` added above.
  const tagged::Outcome g = tagged::add(slot.good, lap, good, std::memory_order_release);
  if (g == tagged::Outcome::kExpired) ++stats.expired;
  if (t == tagged::Outcome::kSaturated || g == tagged::Outcome::kSaturated) ++stats.saturated;
}

BucketRing::Loaded BucketRing::load(int64_t bucket) const {
  const Slot& slot = slot_of(bucket);
  const int64_t lap = lap_of(bucket);
  // acquire pairs with the writer's release on `good` (see the header).
  const tagged::View g = tagged::view(slot.good.load(std::memory_order_acquire), lap);
  // relaxed: ordered after the acquire above, which is all this load needs.
  const tagged::View t = tagged::view(slot.total.load(std::memory_order_relaxed), lap);
  return {g, t};
}

Counts BucketRing::read(int64_t bucket) const {
  const Loaded l = load(bucket);
  return {l.good.payload, l.total.payload};
}

BucketSum BucketRing::sum(int64_t first_bucket, int64_t end_bucket) const {
  // A range longer than the ring would count slots twice.
  assert(end_bucket - first_bucket <= static_cast<int64_t>(slots_));
  BucketSum s;
  for (int64_t b = std::max<int64_t>(first_bucket, 0); b < end_bucket; ++b) {
    const auto [g, t] = load(b);
    if (g.expired || t.expired) {
      ++s.expired_buckets;
      continue;
    }
    s.counts.good += g.payload;
    s.counts.total += t.payload;
    if (t.payload != 0) ++s.nonempty_buckets;
  }
  return s;
}

}  // namespace budgetd::store

namespace budgetd::store {

namespace {
void put_word(std::string& out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out.append(b, 8);
}
uint64_t get_word(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
}  // namespace

void BucketRing::append_words(std::string& out) const {
  for (uint32_t i = 0; i < slots_; ++i) {
    // relaxed: snapshots copy with writers held off by the write gate; the gate's own
    // synchronisation orders these loads after every write.
    put_word(out, slots_storage_[i].good.load(std::memory_order_relaxed));
    put_word(out, slots_storage_[i].total.load(std::memory_order_relaxed));
  }
}

void BucketRing::load_words(const char* words) {
  for (uint32_t i = 0; i < slots_; ++i) {
    // relaxed: no concurrent access (REQUIRES); publication of the series orders them.
    slots_storage_[i].good.store(get_word(words + 16 * i), std::memory_order_relaxed);
    slots_storage_[i].total.store(get_word(words + 16 * i + 8), std::memory_order_relaxed);
  }
}

}  // namespace budgetd::store
