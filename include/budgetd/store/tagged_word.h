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
// once (each is a CAS loop that retries on a lost race and never blocks); update_exclusive() only
// where nothing else touches the word; view() reads a value already loaded. Every function takes the memory order from
// its caller, which says why that order is enough (bucket_ring.h, coverage_ring.h): the word itself publishes nothing.

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

// The word `seen` becomes when (aux, payload) of the lap tagged `tag` are replaced with
// combine(old aux, old payload), starting from (0, 0) if `seen` holds an older lap; kExpired,
// and no word, if it holds a newer lap. The one rule update() and update_exclusive() share.
struct Next {
  Outcome outcome;
  uint64_t word;
};
template <typename Combine>
Next next_word(uint64_t seen, uint64_t tag, Combine& combine) {
  const Age age = age_of(tag_of(seen), tag);
  if (age == Age::kNewer) return {Outcome::kExpired, seen};
  const Value old = age == Age::kSame ? Value{aux_of(seen), payload_of(seen)} : Value{0, 0};
  Value next = combine(old);
  const bool saturated = next.payload > kPayloadMax;
  if (saturated) next.payload = kPayloadMax;
  return {saturated ? Outcome::kSaturated : Outcome::kApplied, make_word(tag, next.aux & kAuxMax, next.payload)};
}

// Replaces (aux, payload) of `lap` in `word` with combine(old aux, old payload), starting from
// (0, 0) if the word holds an older lap. kExpired, and no change, if it holds a newer lap.
// `order` is the success order of the CAS; the caller documents why it is enough.
template <typename Combine>
Outcome update(std::atomic<uint64_t>& word, int64_t lap, std::memory_order order, Combine combine) {
  const uint64_t tag = tag_for_lap(lap);
  // relaxed: this load only seeds the CAS loop; the CAS re-reads the word atomically.
  uint64_t seen = word.load(std::memory_order_relaxed);
  for (;;) {
    const Next next = next_word(seen, tag, combine);
    if (next.outcome == Outcome::kExpired) return next.outcome;
    // Failure order relaxed: a failed CAS only refreshes `seen` for the next attempt.
    if (word.compare_exchange_weak(seen, next.word, order, std::memory_order_relaxed)) return next.outcome;
  }
}

// update() for a word nobody else touches meanwhile (start-up replay, before any reader or
// other writer exists): a plain load and store instead of a locked read-modify-write. A locked
// RMW on a line that misses the cache stalls until the line arrives, so a replay writing many
// rings ran one miss at a time; plain stores let the misses overlap.
// REQUIRES: no concurrent access to `word`; whoever makes it visible to other threads later
// orders these relaxed accesses (publishing the store, or starting the server's threads).
template <typename Combine>
Outcome update_exclusive(std::atomic<uint64_t>& word, int64_t lap, Combine combine) {
  const Next next = next_word(word.load(std::memory_order_relaxed), tag_for_lap(lap), combine);
  if (next.outcome != Outcome::kExpired) word.store(next.word, std::memory_order_relaxed);
  return next.outcome;
}

// Saturating add to the payload (no overflow in the sum: payloads are < 2^40, deltas < 2^63).
inline uint64_t saturating_sum(uint64_t a, uint64_t b) { return b > kPayloadMax ? kPayloadMax + 1 : a + b; }

inline Outcome add(std::atomic<uint64_t>& word, int64_t lap, uint64_t delta, std::memory_order order) {
  return update(word, lap, order, [delta](Value v) { return Value{v.aux, saturating_sum(v.payload, delta)}; });
}

inline Value with_bits(Value v, uint64_t bits) { return Value{v.aux, v.payload | (bits & kPayloadMax)}; }

inline Outcome set_bits(std::atomic<uint64_t>& word, int64_t lap, uint64_t bits, std::memory_order order) {
  return update(word, lap, order, [bits](Value v) { return with_bits(v, bits); });
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
