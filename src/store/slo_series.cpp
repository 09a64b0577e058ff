#include "budgetd/store/slo_series.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include <fmt/format.h>

namespace budgetd::store {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

size_t ladder_index(Millis r) {
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (kResolutions[i] == r) return i;
  }
  assert(false && "not a ladder resolution");
  return 0;
}

}  // namespace

SeriesPlan plan_series(const std::vector<RingNeed>& rings, Millis coverage_span, Millis lookback, Millis max_future) {
  SeriesPlan plan;
  plan.max_future = max_future;
  for (const RingNeed& n : rings) {
    const Millis r = n.resolution;
    // The span itself, the buckets `max_future` and `lookback` add at both ends, and one more
    // so a reader at the lookback edge never races the writer recycling that slot.
    // Every ring spans at least an hour, so a lap is at least an hour and lap tags cannot alias
    // before a slot has been left unwritten for ~15 years (tagged_word.h).
    const int64_t need = std::max(
        ceil_div(n.span.count(), r.count()) + ceil_div((max_future + lookback).count(), r.count()) + 1, kHour / r);
    uint32_t& slots = plan.slots[ladder_index(r)];
    slots = std::max(slots, static_cast<uint32_t>(need));
  }
  if (coverage_span > Millis{0}) {
    const int64_t need = std::max(ceil_div(coverage_span.count(), kMinute.count()) +
                                      ceil_div((max_future + lookback).count(), kMinute.count()) + 1,
                                  kHour / kMinute);
    plan.coverage_minutes = static_cast<uint32_t>(need);
  }
  return plan;
}

SeriesPlan plan_series(const std::vector<Millis>& rolling_windows, Millis coverage_span, Millis lookback,
                       Millis max_future) {
  std::vector<RingNeed> needs;
  for (const Millis w : rolling_windows) needs.push_back({resolution_for(w), w});
  return plan_series(needs, coverage_span, lookback, max_future);
}

SloSeries::SloSeries(const SeriesPlan& plan) : plan_(plan) {
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (plan.slots[i] != 0) rings_[i] = std::make_unique<BucketRing>(kResolutions[i], plan.slots[i]);
  }
  if (plan.coverage_minutes != 0) coverage_ = std::make_unique<CoverageRing>(plan.coverage_minutes);
}

size_t SloSeries::memory_bytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& r : rings_) {
    if (r) bytes += r->memory_bytes();
  }
  if (coverage_) bytes += coverage_->memory_bytes();
  return bytes;
}

int64_t SloSeries::oldest_retained_bucket(Millis r, Timestamp now) const {
  const uint32_t slots = plan_.slots[ladder_index(r)];
  return bucket_index(now + plan_.max_future, r) - slots + 1;
}

Timestamp SloSeries::oldest_retained(Timestamp now) const {
  Timestamp oldest = now;
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (!rings_[i]) continue;
    const Millis r = kResolutions[i];
    oldest = std::min(oldest, from_unix_ms(oldest_retained_bucket(r, now) * r.count()));
  }
  return oldest;
}

void SloSeries::add(Timestamp now, int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats,
                    WriteAccess access) {
  const bool exclusive = access == WriteAccess::kExclusive;
  const int64_t ms = bucket * kFinestResolution.count();
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (!rings_[i]) continue;
    const Millis r = kResolutions[i];
    const int64_t b = floor_div(ms, r.count());
    // A bucket this ring no longer retains is outside every window the ring answers for.
    if (b < oldest_retained_bucket(r, now)) continue;
    if (exclusive) {
      rings_[i]->add_exclusive(b, good, total, stats);
    } else {
      rings_[i]->add(b, good, total, stats);
    }
  }
  if (coverage_ && total > 0) {
    const int64_t minute = floor_div(ms, kMinute.count());
    if (minute >= floor_div(to_unix_ms(now + plan_.max_future), kMinute.count()) - plan_.coverage_minutes + 1 &&
        !(exclusive ? coverage_->mark_exclusive(minute) : coverage_->mark(minute))) {
      ++stats.expired;
    }
  }
  // No evaluator runs beside exclusive writes (start-up replay), and none has sealed anything yet.
  // An empty delta wrote nothing, so nothing kept can have missed it.
  if (exclusive || total == 0) return;
  // The writer's half of the sealed-edge protocol (see the header): the words above, the fence,
  // then the edge. relaxed load: the fence orders it. release: a late_writes() acquire that sees
  // the count sees the words.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (bucket < sealed_before_.load(std::memory_order_relaxed)) late_writes_.fetch_add(1, std::memory_order_release);
}

void SloSeries::seal_before(int64_t bucket) {
  // relaxed: the fence below orders the store against the reads after it. Only the evaluator
  // (one at a time, under its lock) raises the edge, so a plain compare-then-store never lowers it.
  if (bucket > sealed_before_.load(std::memory_order_relaxed)) sealed_before_.store(bucket, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

const BucketRing* SloSeries::ring(Millis resolution) const { return rings_[ladder_index(resolution)].get(); }

BucketSum SloSeries::sum(const WindowBounds& w) const {
  const BucketRing* r = ring(w.resolution);
  assert(r != nullptr);
  return r->sum(w.first_bucket(), w.end_bucket());
}

uint32_t SloSeries::covered_minutes(Timestamp start, Timestamp end, bool& expired) const {
  assert(coverage_);
  return coverage_->count(floor_div(to_unix_ms(start), kMinute.count()), floor_div(to_unix_ms(end), kMinute.count()),
                          expired);
}

size_t SloSeries::word_count() const {
  size_t n = 0;
  for (const auto& r : rings_) {
    if (r) n += r->word_count();
  }
  return n + (coverage_ ? coverage_->word_count() : 0);
}

std::optional<uint64_t> SloSeries::planned_word_count(const SeriesPlan& plan) {
  uint64_t n = 0;
  for (const uint32_t slots : plan.slots) {
    if (slots > kMaxSlots) return std::nullopt;
    n += 2 * uint64_t{slots};  // BucketRing: good and total per slot
  }
  if (plan.coverage_minutes > kMaxSlots) return std::nullopt;
  return n + (plan.coverage_minutes != 0 ? CoverageRing::words_for(plan.coverage_minutes) : 0);
}

void SloSeries::append_words(std::string& out) const {
  for (const auto& r : rings_) {
    if (r) r->append_words(out);
  }
  if (coverage_) coverage_->append_words(out);
}

std::optional<std::string> SloSeries::check_words(const SeriesPlan& plan, std::string_view bytes) {
  assert(bytes.size() == 8 * planned_word_count(plan).value_or(0));
  const auto word = [&](uint64_t i) {
    uint64_t v;
    std::memcpy(&v, bytes.data() + 8 * i, sizeof v);
    return v;
  };
  uint64_t first = 0;  // of the ring being checked; coverage words follow the rings and hold bits
  for (size_t r = 0; r < plan.slots.size(); ++r) {
    for (uint64_t slot = 0; slot < plan.slots[r]; ++slot) {
      const uint64_t good = word(first + 2 * slot);
      const uint64_t total = word(first + 2 * slot + 1);
      const auto where = [&] { return fmt::format("ring {} slot {}", format_duration(kResolutions[r]), slot); };
      if (tagged::aux_of(total) != 0 || tagged::aux_of(good) != 0) return where() + " counts a writer still inside it";
      if (tagged::tag_of(good) == 0) continue;
      if (tagged::tag_of(total) == 0 ||
          tagged::age_of(tagged::tag_of(good), tagged::tag_of(total)) == tagged::Age::kNewer)
        return where() + " has good events of a later lap than its total";
      if (tagged::tag_of(good) == tagged::tag_of(total) && tagged::payload_of(good) > tagged::payload_of(total))
        return where() + " has more good events than total";
    }
    first += 2 * uint64_t{plan.slots[r]};
  }
  return std::nullopt;
}

void SloSeries::load_words(std::string_view bytes) {
  assert(bytes.size() == 8 * word_count());
  const char* p = bytes.data();
  for (const auto& r : rings_) {
    if (!r) continue;
    r->load_words(p);
    p += 8 * r->word_count();
  }
  if (coverage_) coverage_->load_words(p);
}

void SloSeries::migrate_from(const SloSeries& from, Timestamp now) {
  count_ingested(from.ingested_good(), from.ingested_bad());
  WriteStats stats;
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (!rings_[i]) continue;
    const Millis r = kResolutions[i];
    const int64_t first = oldest_retained_bucket(r, now);
    const int64_t last = bucket_index(now + plan_.max_future, r);
    // The same resolution in `from`, else the coarsest finer ring that divides this one.
    const BucketRing* source = from.rings_[i].get();
    for (size_t f = i; source == nullptr && f-- > 0;) {
      if (from.rings_[f] && r.count() % kResolutions[f].count() == 0) source = from.rings_[f].get();
    }
    if (source == nullptr) continue;
    const int64_t per = r.count() / source->resolution().count();  // source buckets per bucket here
    const int64_t source_first = from.oldest_retained_bucket(source->resolution(), now);
    for (int64_t b = std::max<int64_t>(first, 0); b <= last; ++b) {
      Counts c;
      for (int64_t s = std::max(b * per, source_first); s < (b + 1) * per; ++s) {
        const Counts x = source->read(s);
        c.good += x.good;
        c.total += x.total;
      }
      if (c.total != 0) rings_[i]->add(b, c.good, c.total, stats);
    }
  }
  if (coverage_ && from.coverage_) {
    const int64_t last = floor_div(to_unix_ms(now + plan_.max_future), kMinute.count());
    const int64_t first = std::max<int64_t>(
        {0, last - plan_.coverage_minutes + 1, last - static_cast<int64_t>(from.plan_.coverage_minutes) + 1});
    for (int64_t m = first; m <= last; ++m) {
      bool expired = false;
      if (from.coverage_->count(m, m + 1, expired) != 0) coverage_->mark(m);
    }
  }
}

}  // namespace budgetd::store
