#include "budgetd/store/coverage_ring.h"

#include <algorithm>
#include <bit>
#include <cassert>

#include "budgetd/store/tagged_word.h"
#include "word_io.h"

namespace budgetd::store {

CoverageRing::CoverageRing(uint32_t minutes)
    : words_(static_cast<uint32_t>(words_for(minutes))), bits_(new std::atomic<uint64_t>[words_]) {
  for (uint32_t i = 0; i < words_; ++i) bits_[i].store(0, std::memory_order_relaxed);
}

bool CoverageRing::mark(int64_t minute) {
  assert(minute >= 0);
  const int64_t word = minute / kMinutesPerWord;
  const uint64_t bit = uint64_t{1} << (minute % kMinutesPerWord);
  // relaxed: coverage bits are standalone facts; no other data is published through them.
  return tagged::set_bits(bits_[static_cast<size_t>(word % words_)], word / words_, bit, std::memory_order_relaxed) !=
         tagged::Outcome::kExpired;
}

bool CoverageRing::mark_exclusive(int64_t minute) {
  assert(minute >= 0);
  const int64_t word = minute / kMinutesPerWord;
  const uint64_t bit = uint64_t{1} << (minute % kMinutesPerWord);
  return tagged::update_exclusive(bits_[static_cast<size_t>(word % words_)], word / words_, [bit](tagged::Value v) {
           return tagged::with_bits(v, bit);
         }) != tagged::Outcome::kExpired;
}

uint32_t CoverageRing::count(int64_t first_minute, int64_t end_minute, bool& expired) const {
  uint32_t covered = 0;
  first_minute = std::max<int64_t>(first_minute, 0);
  assert(end_minute - first_minute <= static_cast<int64_t>(words_ - 1) * kMinutesPerWord);
  for (int64_t m = first_minute; m < end_minute;) {
    const int64_t word = m / kMinutesPerWord;
    const int64_t word_end = std::min(end_minute, (word + 1) * kMinutesPerWord);
    // Bits [m, word_end) of this word.
    const int lo = static_cast<int>(m % kMinutesPerWord);
    const int hi = static_cast<int>(word_end - word * kMinutesPerWord);
    const uint64_t mask = ((uint64_t{1} << hi) - 1) & ~((uint64_t{1} << lo) - 1);  // hi <= 32
    // relaxed: see mark().
    const tagged::View v =
        tagged::view(bits_[static_cast<size_t>(word % words_)].load(std::memory_order_relaxed), word / words_);
    expired = expired || v.expired;
    covered += static_cast<uint32_t>(std::popcount(v.payload & mask));
    m = word_end;
  }
  return covered;
}

void CoverageRing::append_words(std::string& out) const {
  store::append_words(out, words_, [this](size_t w) -> std::atomic<uint64_t>& { return bits_[w]; });
}

void CoverageRing::load_words(const char* words) {
  store::load_words(words, words_, [this](size_t w) -> std::atomic<uint64_t>& { return bits_[w]; });
}

}  // namespace budgetd::store
