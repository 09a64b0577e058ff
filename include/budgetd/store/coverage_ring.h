#pragma once
// Which minutes saw at least one event, for the coverage of budget windows ("how much of this
// 30-day window had any data?"). One bit per minute, 32 minutes to a lap-tagged word.
//
// Thread safety: mark() and count() may run concurrently from any thread; like BucketRing,
// writers CAS lap-tagged words and readers only load. The bits publish nothing else, so every
// access is relaxed.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "budgetd/core/time.h"

namespace budgetd::store {

class CoverageRing {
 public:
  static constexpr int64_t kMinutesPerWord = 32;

  // Retains at least `minutes` minutes.
  explicit CoverageRing(uint32_t minutes);
  // +1 word: a range of `minutes` minutes can straddle one more word than minutes / 32.
  static constexpr uint64_t words_for(uint32_t minutes) {
    return (uint64_t{minutes} + kMinutesPerWord - 1) / kMinutesPerWord + 1;
  }

  size_t memory_bytes() const { return sizeof(*this) + sizeof(std::atomic<uint64_t>) * words_; }

  // REQUIRES: minute >= 0 (minutes since the epoch). Returns false if that minute's word had
  // already been recycled.
  bool mark(int64_t minute);
  // mark() with a plain load and store. REQUIRES: nothing else reads or writes this ring (as
  // BucketRing::add_exclusive).
  bool mark_exclusive(int64_t minute);
  // Minutes in [first, end) that saw an event; `expired` is set if part of the range is gone.
  uint32_t count(int64_t first_minute, int64_t end_minute, bool& expired) const;

  // Raw lap-tagged words, for snapshots; as BucketRing.
  size_t word_count() const { return words_; }
  void append_words(std::string& out) const;
  void load_words(const char* words);

 private:
  uint32_t words_;
  std::unique_ptr<std::atomic<uint64_t>[]> bits_;
};

}  // namespace budgetd::store
