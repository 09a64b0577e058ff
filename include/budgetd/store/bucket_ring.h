#pragma once
// A fixed ring of good/total counters at one resolution: the storage of one SLO at one bucket
// size. Memory is fixed at construction and never grows with traffic.
//
//   BucketRing ring(std::chrono::seconds{10}, 751);
//   ring.add(bucket, /*good=*/999, /*total=*/1000);
//   BucketSum s = ring.sum(first_bucket, end_bucket);   // [first, end)
//
// Thread safety: add() and sum() may run concurrently from any number of threads. Writers never
// wait for each other or for readers (each step is one CAS loop on a lap-tagged word, see
// tagged_word.h); readers only load, and retry a bucket that a writer is updating right then.
//
// Every read sees each bucket's good and total from the same set of writes. A write is three
// steps on the slot's two words, and the total word counts the writers between steps 1 and 3 in
// its aux bits:
//   1. total word: writers + 1              (relaxed: step 2's release orders it)
//   2. good word:  good + g                 (release: publishes step 1 with it)
//   3. total word: total + t, writers - 1   (release: publishes step 2 with it)
// A reader loads the total word (acquire), the good word (acquire), then the total word again,
// and keeps the pair only if no writer was inside (writers = 0) and the total word did not
// change in between. A write that started or ended in between changed the total word (the
// count, or the total: empty deltas are never written); one that had done step 2 before the
// good load shows up in the second load, because that good value's release carries step 1.
// So a reader never sees a write's total without its good or the reverse.
//
// add_exclusive() is add() for start-up replay, when the ring has no reader and no other writer:
// the same counts with plain loads and stores (tagged::update_exclusive), no writer count.

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "budgetd/core/time.h"
#include "budgetd/store/tagged_word.h"

namespace budgetd::store {

struct Counts {
  uint64_t good = 0;
  uint64_t total = 0;
  uint64_t bad() const { return total - good; }
  friend bool operator==(const Counts&, const Counts&) = default;
};

struct BucketSum {
  Counts counts;
  uint32_t nonempty_buckets = 0;   // buckets with total > 0
  uint32_t expired_buckets = 0;    // buckets already recycled: the range was not fully retained
  uint32_t saturated_buckets = 0;  // buckets whose counters reached 2^40-1 and stopped counting
};

// Who else may touch a series while it is being written. kShared: the server is running, and
// writers use the lock-free protocol above. kExclusive: start-up replay, before any reader or
// other writer exists (add_exclusive).
enum class WriteAccess { kShared, kExclusive };

struct WriteStats {
  uint32_t expired = 0;    // the bucket had been recycled by the time the write landed
  uint32_t saturated = 0;  // a counter reached its maximum and stopped counting
};

class BucketRing {
 public:
  BucketRing(Millis resolution, uint32_t slots);

  Millis resolution() const { return resolution_; }
  uint32_t slots() const { return slots_; }
  size_t memory_bytes() const { return sizeof(*this) + sizeof(Slot) * slots_; }

  // REQUIRES: bucket >= 0.
  void add(int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats);
  // REQUIRES: bucket >= 0; nothing else reads or writes this ring until its owner publishes it
  // (recovery before serving). The counts, expiry and saturation are exactly add()'s.
  void add_exclusive(int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats);
  Counts read(int64_t bucket) const;
  BucketSum sum(int64_t first_bucket, int64_t end_bucket) const;
  // Each retained bucket of [first, end), oldest first, read as sum() reads it: f(bucket, counts).
  // Returns what sum() would.
  template <class F>
  BucketSum scan(int64_t first_bucket, int64_t end_bucket, F&& f) const;

  // The raw lap-tagged words, for snapshots: 2 per slot (good, total), little-endian.
  size_t word_count() const { return 2 * static_cast<size_t>(slots_); }
  void append_words(std::string& out) const;
  // REQUIRES: words holds word_count() words; no concurrent writer (start-up or a closed gate).
  void load_words(const char* words);

 private:
  struct Slot {
    std::atomic<uint64_t> good{0};
    std::atomic<uint64_t> total{0};
  };
  struct Loaded {
    tagged::View good;
    tagged::View total;
  };
  // A consistent reading of one slot's two words: two integers, so it comes back in registers.
  // (Returning the Views, 48 bytes, went through the stack, and reloading them stalled on store
  // forwarding: that was most of an evaluation's time.) `good` is 0 when `total` holds a newer lap.
  struct Words {
    uint64_t good;
    uint64_t total;
  };
  Words read_words(const Slot& slot, int64_t lap) const;
  Loaded load(int64_t bucket) const {
    const int64_t lap = lap_of(bucket);
    const Words w = read_words(slot_of(bucket), lap);
    return {tagged::view(w.good, lap), tagged::view(w.total, lap)};
  }
  int64_t lap_of(int64_t bucket) const { return bucket / slots_; }
  Slot& slot_of(int64_t bucket) const { return slots_storage_[static_cast<size_t>(bucket % slots_)]; }

  Millis resolution_;
  uint32_t slots_;
  std::unique_ptr<Slot[]> slots_storage_;
};

inline BucketRing::Words BucketRing::read_words(const Slot& slot, int64_t lap) const {
  for (int attempt = 0;; ++attempt) {
    // acquire: pairs with step 3's release (see the header).
    const uint64_t t1 = slot.total.load(std::memory_order_acquire);
    const tagged::View total = tagged::view(t1, lap);
    if (total.expired) return {0, t1};
    if (total.aux == 0) {
      // acquire: pairs with step 2's release, so the load below sees that write's step 1.
      const uint64_t good = slot.good.load(std::memory_order_acquire);
      // relaxed: ordered after the acquire above, which is all it needs.
      if (slot.total.load(std::memory_order_relaxed) == t1) return {good, t1};
    }
    // A writer is inside this slot for a few nanoseconds; after a while, let it run.
    if (attempt >= 64) std::this_thread::yield();
  }
}

template <class F>
BucketSum BucketRing::scan(int64_t first_bucket, int64_t end_bucket, F&& f) const {
  // A range longer than the ring would count slots twice.
  assert(end_bucket - first_bucket <= static_cast<int64_t>(slots_));
  BucketSum s;
  int64_t b = std::max<int64_t>(first_bucket, 0);
  // Walk the slots in order instead of dividing for every bucket: a division costs more than
  // the loads it would locate.
  int64_t lap = lap_of(b);
  uint32_t slot = static_cast<uint32_t>(b % slots_);
  for (; b < end_bucket; ++b) {
    const Words w = read_words(slots_storage_[slot], lap);
    const tagged::View g = tagged::view(w.good, lap);
    const tagged::View t = tagged::view(w.total, lap);
    if (++slot == slots_) {
      slot = 0;
      ++lap;
    }
    if (t.expired || g.expired) {
      ++s.expired_buckets;
      continue;
    }
    s.counts.good += g.payload;
    s.counts.total += t.payload;
    if (t.payload != 0) ++s.nonempty_buckets;
    if (t.payload == tagged::kPayloadMax || g.payload == tagged::kPayloadMax) ++s.saturated_buckets;
    f(b, Counts{g.payload, t.payload});
  }
  return s;
}

}  // namespace budgetd::store
