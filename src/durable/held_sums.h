#pragma once
// The sums a start-up replay holds back per (SLO, bucket) before it writes them
// (record_applier.h): an open-addressing table, because this lookup is the replay's hot path
// (std::unordered_map's node per key was half of a replay's time). Private to the durable module.
//
//   HeldSums held;
//   held.add(key, good, total);          // key: set index << 32 | bucket
//   held.for_each([](uint64_t key, const store::Counts& c) { ... });
//   held.clear();

#include <cstdint>
#include <vector>

#include "budgetd/store/bucket_ring.h"

namespace budgetd::durable {

class HeldSums {
 public:
  // The one key the table cannot hold (it marks empty slots).
  static constexpr uint64_t kNoKey = UINT64_MAX;

  // Adds to the sums of `key` (REQUIRES: key != kNoKey), saturating: a sum of hostile counts
  // cannot wrap (the rings saturate far below).
  void add(uint64_t key, uint64_t good, uint64_t total) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& s = find(key);
    if (s.key == kNoKey) {
      s.key = key;
      ++size_;
    }
    s.counts.good = good > UINT64_MAX - s.counts.good ? UINT64_MAX : s.counts.good + good;
    s.counts.total = total > UINT64_MAX - s.counts.total ? UINT64_MAX : s.counts.total + total;
  }
  size_t size() const { return size_; }
  template <typename F>
  void for_each(F f) const {
    for (const Slot& s : slots_) {
      if (s.key != kNoKey) f(s.key, s.counts);
    }
  }
  // Empties the table and keeps its memory for the next sums.
  void clear() {
    for (Slot& s : slots_) s = Slot{};
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t key = kNoKey;
    store::Counts counts;
  };
  // The slot holding `key`, or the empty one where it goes (linear probing; load <= 1/2).
  Slot& find(uint64_t key) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;; i = (i + 1) & mask) {
      if (slots_[i].key == key || slots_[i].key == kNoKey) return slots_[i];
    }
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t capacity = old.empty() ? size_t{1} << 12 : 2 * old.size();
    slots_.assign(capacity, Slot{});
    shift_ = 64 - static_cast<int>(__builtin_ctzll(capacity));
    size_ = 0;
    for (const Slot& s : old) {
      if (s.key == kNoKey) continue;
      find(s.key) = s;
      ++size_;
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace budgetd::durable
