#pragma once
// Lap-tagged 64-bit words: the one lock-free primitive the rings are built from.
//
// A ring of N slots holds bucket b in slot b % N; the "lap" of b is b / N. Each 64-bit word in a
// slot carries the lap it belongs to next to its payload, and every update is a CAS on the whole
// word. So "this slot still holds last lap's counts, start it afresh" and "add to this lap's
// counts" are one atomic step: no writer can add to a bucket that another writer is resetting,
// which is the race a separate "bucket start" word would leave open.
//
//   word = [ tag : 18 bits ][ aux : 6 bits ][ payload : 40 bits ]
//   tag  = 0 for a word never written, else 1 + lap mod (2^18 - 1)
//   aux  = a small count kept beside the payload (BucketRing uses it in its total word for the
//          writers still updating the slot); restarting a word for a new lap zeroes it
//
// Comparing tags: the same tag is the same lap; a tag up to half the tag space ahead is a newer
// lap (the bucket we want has been recycled: it is no longer retained); anything else, including
// 0, is an older lap whose payload no longer counts. Tags alias only for a slot left unwritten
// for ~131,000 laps; every ring spans at least an hour (plan_series), so that is 15 years.
//
// Payloads saturate at 2^40 - 1 (1.1e12 events in one bucket) instead of wrapping.
//
// Thread safety: update()/add()/set_bits() may run on one word from any number of threads at
// once (each is a CAS loop that retries on a lost race and never blocks); view() reads a value
// already loaded. Every function takes the memory order from its caller, which says why that
// order is enough (bucket_ring.h, coverage_ring.h): the word itself publishes nothing.

#include <atomic>
#include <cstdint>

namespace budgetd::store::tagged {

inline constexpr int kPayloadBits = 40;
inline constexpr int kAuxBits = 6;
inline constexpr uint64_t kPayloadMax = (uint64_t{1} << kPayloadBits) - 1;
inline constexpr uint64_t kAuxMax = (uint64_t{1} << kAuxBits) - 1;
inline constexpr uint64_t kTagModulus = (uint64_t{1} << (64 - kPayloadBits - kAuxBits)) - 1;

// REQUIRES: lap >= 0
constexpr uint64_t tag_for_lap(int64_t lap) { return 1 + static_cast<uint64_t>(lap) % kTagModulus; }
constexpr uint64_t tag_of(uint64_t word) { return word >> (kPayloadBits + kAuxBits); }
constexpr uint64_t aux_of(uint64_t word) { return (word >> kPayloadBits) & kAuxMax; }
constexpr uint64_t payload_of(uint64_t word) { return word & kPayloadMax; }
constexpr uint64_t make_word(uint64_t tag, uint64_t aux, uint64_t payload) {
  return (tag << (kPayloadBits + kAuxBits)) | (aux << kPayloadBits) | payload;
}

enum class Age { kSame, kOlder, kNewer };

constexpr Age age_of(uint64_t word_tag, uint64_t wanted_tag) {
  if (word_tag == wanted_tag) return Age::kSame;
  if (word_tag == 0) return Age::kOlder;
  // Distance from wanted to word_tag going forward through the tags 1..kTagModulus.
  const uint64_t ahead = (word_tag + kTagModulus - wanted_tag) % kTagModulus;
  return ahead < kTagModulus / 2 ? Age::kNewer : Age::kOlder;
}

enum class Outcome { kApplied, kSaturated, kExpired };

struct Value {
  uint64_t aux;
  uint64_t payload;  // may exceed kPayloadMax: then it is saturated
};

// Replaces (aux, payload) of `lap` in `word` with combine(old aux, old payload), starting from
// (0, 0) if the word holds an older lap. kExpired, and no change, if it holds a newer lap.
// `order` is the success order of the CAS; the caller documents why it is enough.
template <typename Combine>
Outcome update(std::atomic<uint64_t>& word, int64_t lap, std::memory_order order, Combine combine) {
  const uint64_t tag = tag_for_lap(lap);
  // relaxed: this load only seeds the CAS loop; the CAS re-reads the word atomically.
  uint64_t seen = word.load(std::memory_order_relaxed);
  for (;;) {
    const Age age = age_of(tag_of(seen), tag);
    if (age == Age::kNewer) return Outcome::kExpired;
    const Value old = age == Age::kSame ? Value{aux_of(seen), payload_of(seen)} : Value{0, 0};
    Value next = combine(old);
    const bool saturated = next.payload > kPayloadMax;
    if (saturated) next.payload = kPayloadMax;
    // Failure order relaxed: a failed CAS only refreshes `seen` for the next attempt.
    if (word.compare_exchange_weak(seen, make_word(tag, next.aux & kAuxMax, next.payload), order,
                                   std::memory_order_relaxed)) {
      return saturated ? Outcome::kSaturated : Outcome::kApplied;
    }
  }
}

// Saturating add to the payload (no overflow in the sum: payloads are < 2^40, deltas < 2^63).
inline uint64_t saturating_sum(uint64_t a, uint64_t b) { return b > kPayloadMax ? kPayloadMax + 1 : a + b; }

inline Outcome add(std::atomic<uint64_t>& word, int64_t lap, uint64_t delta, std::memory_order order) {
  return update(word, lap, order, [delta](Value v) { return Value{v.aux, saturating_sum(v.payload, delta)}; });
}

inline Outcome set_bits(std::atomic<uint64_t>& word, int64_t lap, uint64_t bits, std::memory_order order) {
  return update(word, lap, order, [bits](Value v) { return Value{v.aux, v.payload | (bits & kPayloadMax)}; });
}

// What a reader sees of `lap` in a word it loaded.
struct View {
  uint64_t payload;  // 0 unless the word holds `lap`
  uint64_t aux;      // 0 unless the word holds `lap`
  bool expired;      // the word holds a newer lap: `lap` is gone
};

constexpr View view(uint64_t word, int64_t lap) {
  const Age age = age_of(tag_of(word), tag_for_lap(lap));
  return age == Age::kSame ? View{payload_of(word), aux_of(word), false} : View{0, 0, age == Age::kNewer};
}

}  // namespace budgetd::store::tagged
