#include "budgetd/store/bucket_ring.h"

#include "word_io.h"

#include <algorithm>
#include <cassert>
#include <thread>

namespace budgetd::store {

BucketRing::BucketRing(Millis resolution, uint32_t slots)
    : resolution_(resolution), slots_(slots), slots_storage_(new Slot[slots]) {
  assert(slots > 0);
}

void BucketRing::add(int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats) {
  assert(bucket >= 0 && good <= total);
  if (total == 0) return;  // nothing to add; readers rely on every write changing the total
  Slot& slot = slot_of(bucket);
  const int64_t lap = lap_of(bucket);
  using tagged::Outcome;
  using tagged::Value;
  // 1. Announce the write. relaxed: step 2's release publishes it (see the header).
  if (tagged::update(slot.total, lap, std::memory_order_relaxed, [](Value v) {
        assert(v.aux < tagged::kAuxMax && "more concurrent writers on one slot than server.threads allows");
        return Value{v.aux + 1, v.payload};
      }) == Outcome::kExpired) {
    ++stats.expired;
    return;
  }
  // 2. release: a reader that acquires this good value also sees step 1.
  const Outcome g = tagged::update(slot.good, lap, std::memory_order_release, [good](Value v) {
    return Value{0, tagged::saturating_sum(v.payload, good)};
  });
  // 3. release: a reader that acquires this total word also sees step 2. If the slot moved on
  // to a newer lap meanwhile, this lap's counts are gone and so is our writer count: nothing to undo.
  const Outcome t = tagged::update(slot.total, lap, std::memory_order_release, [total](Value v) {
    return Value{v.aux - 1, tagged::saturating_sum(v.payload, total)};
  });
  if (g == Outcome::kExpired || t == Outcome::kExpired) ++stats.expired;
  if (g == Outcome::kSaturated || t == Outcome::kSaturated) ++stats.saturated;
}

void BucketRing::add_exclusive(int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats) {
  assert(bucket >= 0 && good <= total);
  if (total == 0) return;  // as add(): every write changes the total
  Slot& slot = slot_of(bucket);
  const int64_t lap = lap_of(bucket);
  using tagged::Outcome;
  using tagged::Value;
  // The total first: if its lap is gone, so is the good word's (a slot's good is never of a newer
  // lap than its total), and nothing is written, as add()'s step 1 refuses.
  const Outcome t = tagged::update_exclusive(slot.total, lap, [total](Value v) {
    return Value{v.aux, tagged::saturating_sum(v.payload, total)};
  });
  if (t == Outcome::kExpired) {
    ++stats.expired;
    return;
  }
  const Outcome g = tagged::update_exclusive(slot.good, lap, [good](Value v) {
    return Value{0, tagged::saturating_sum(v.payload, good)};
  });
  if (g == Outcome::kExpired) ++stats.expired;
  if (g == Outcome::kSaturated || t == Outcome::kSaturated) ++stats.saturated;
}

Counts BucketRing::read(int64_t bucket) const {
  const Loaded l = load(bucket);
  return {l.good.payload, l.total.payload};
}

BucketSum BucketRing::sum(int64_t first_bucket, int64_t end_bucket) const {
  return scan(first_bucket, end_bucket, [](int64_t, Counts) {});
}

void BucketRing::append_words(std::string& out) const {
  // Word 2i is slot i's good, word 2i+1 its total.
  store::append_words(out, word_count(), [this](size_t w) -> std::atomic<uint64_t>& {
    return w % 2 == 0 ? slots_storage_[w / 2].good : slots_storage_[w / 2].total;
  });
}

void BucketRing::load_words(const char* words) {
  store::load_words(words, word_count(), [this](size_t w) -> std::atomic<uint64_t>& {
    return w % 2 == 0 ? slots_storage_[w / 2].good : slots_storage_[w / 2].total;
  });
}

}  // namespace budgetd::store
