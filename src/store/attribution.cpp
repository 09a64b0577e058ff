#include "budgetd/store/attribution.h"

#include <bit>
#include <cassert>

#include <fmt/format.h>

#include "budgetd/store/slo_set.h"

namespace budgetd::store {

uint64_t value_hash(std::string_view value) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64-bit
  for (const char c : value) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

Millis attribution_resolution(Millis window) {
  for (size_t i = kResolutions.size(); i-- > 0;) {
    if (window >= kBucketsPerAttributedWindow * kResolutions[i]) return kResolutions[i];
  }
  return kResolutions.front();
}

SeriesPlan attribution_plan(const config::SloSpec& spec, const config::Config& config) {
  std::vector<RingNeed> needs;
  for (const auto& w : spec.windows) needs.push_back({attribution_resolution(w.span()), w.span()});
  for (const auto& r : spec.alert_rules)
    needs.push_back({attribution_resolution(r.long_window.length), r.long_window.length});
  return plan_series(needs, Millis{0}, config.storage.status_lookback, config.ingest.max_future);
}

Attribution::Label::Label(uint32_t max_values)
    : values(max_values), index_mask(std::bit_ceil(2 * size_t{max_values} + 2) - 1) {
  index = std::make_unique<std::atomic<uint32_t>[]>(index_mask + 1);
  // Room for every name now, so assigning a slot on the apply path allocates nothing.
  for (std::string& v : values) v.reserve(kMaxValueBytes);
}

Attribution::Attribution(const config::AttributionSpec& spec, const SeriesPlan& plan) : spec_(spec), plan_(plan) {
  assert(spec.max_values >= 1 && spec.max_values <= kMaxAttributedValues);
  for (size_t i = 0; i < spec_.labels.size(); ++i) {
    auto l = std::make_unique<Label>(spec_.max_values);
    for (uint32_t s = 0; s <= spec_.max_values; ++s) l->series.push_back(std::make_unique<SloSeries>(plan_));
    labels_.push_back(std::move(l));
  }
}

int Attribution::label_index(std::string_view label) const {
  for (size_t i = 0; i < spec_.labels.size(); ++i) {
    if (spec_.labels[i] == label) return static_cast<int>(i);
  }
  return -1;
}

size_t Attribution::memory_bytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& l : labels_) {
    bytes += sizeof(Label) + sizeof(std::atomic<uint32_t>) * (l->index_mask + 1) +
             (sizeof(std::string) + kMaxValueBytes) * spec_.max_values;
    for (const auto& s : l->series) bytes += s->memory_bytes();
  }
  return bytes;
}

std::optional<uint32_t> Attribution::find(const Label& l, std::string_view value, uint64_t hash) const {
  for (size_t i = hash & l.index_mask;; i = (i + 1) & l.index_mask) {
    // acquire: pairs with the release in slot_for, so values[slot] is complete when seen here.
    const uint32_t at = l.index[i].load(std::memory_order_acquire);
    if (at == 0) return std::nullopt;
    if (l.values[at - 1] == value) return at - 1;
  }
}

uint32_t Attribution::slot_for(size_t label, std::string_view value) {
  Label& l = *labels_[label];
  if (value.size() > kMaxValueBytes) return other_slot();
  const uint64_t h = value_hash(value);
  if (const auto slot = find(l, value, h)) return *slot;
  // relaxed: only ever raised under mu; a stale read only means taking the lock below.
  if (l.assigned.load(std::memory_order_relaxed) == spec_.max_values) return other_slot();
  std::lock_guard lock(l.mu);
  if (const auto slot = find(l, value, h)) return *slot;  // assigned meanwhile
  const uint32_t n = l.assigned.load(std::memory_order_relaxed);
  if (n == spec_.max_values) return other_slot();
  l.values[n].assign(value);
  size_t i = h & l.index_mask;
  while (l.index[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & l.index_mask;
  // release: publishes values[n] to find() and value() in other threads.
  l.index[i].store(n + 1, std::memory_order_release);
  l.assigned.store(n + 1, std::memory_order_release);
  return n;
}

bool Attribution::would_assign(size_t label, std::string_view value) const {
  const Label& l = *labels_[label];
  if (value.size() > kMaxValueBytes) return false;
  // relaxed: a hint; slot_for decides under the lock.
  if (l.assigned.load(std::memory_order_relaxed) == spec_.max_values) return false;
  return !find(l, value, value_hash(value));
}

uint32_t Attribution::assigned(size_t label) const {
  // acquire: pairs with the release in slot_for (see the header).
  return labels_[label]->assigned.load(std::memory_order_acquire);
}

std::string_view Attribution::value(size_t label, uint32_t slot) const { return labels_[label]->values[slot]; }

size_t Attribution::words_per_label() const {
  return (spec_.max_values + 1) * SloSeries::planned_word_count(plan_).value_or(0);
}

void Attribution::append_words(size_t label, std::string& out) const {
  for (const auto& s : labels_[label]->series) s->append_words(out);
}

std::optional<std::string> Attribution::check(const LabelImage& image, const SeriesPlan& image_plan) {
  const auto per = SloSeries::planned_word_count(image_plan);
  if (!per) return "a ring larger than any config produces";
  if (image.max_values == 0 || image.max_values > kMaxAttributedValues) return "a bad max_values";
  if (image.values.size() > image.max_values) return "more values than slots";
  for (const std::string_view v : image.values) {
    if (v.size() > kMaxValueBytes) return "a value longer than any slot holds";
  }
  if (image.words.size() != 8 * *per * (image.max_values + uint64_t{1})) return "words that do not match its layout";
  for (uint32_t s = 0; s <= image.max_values; ++s) {
    if (auto bad = SloSeries::check_words(image_plan, image.words.substr(8 * *per * s, 8 * *per)))
      return fmt::format("slot {}: {}", s, *bad);
  }
  return std::nullopt;
}

void Attribution::load(const LabelImage& image, const SeriesPlan& image_plan, Timestamp now) {
  const int i = label_index(image.label);
  if (i < 0) return;  // no longer attributed
  const size_t li = static_cast<size_t>(i);
  Label& l = *labels_[li];
  const bool fresh = assigned(li) == 0;
  std::vector<uint32_t> to(image.max_values + 1, other_slot());  // image slot -> slot here
  for (size_t s = 0; s < image.values.size(); ++s) to[s] = slot_for(li, image.values[s]);
  const size_t per = *SloSeries::planned_word_count(image_plan);
  const bool same = fresh && image.max_values == spec_.max_values && image_plan.slots == plan_.slots &&
                    image_plan.max_future == plan_.max_future && image_plan.coverage_minutes == plan_.coverage_minutes;
  for (uint32_t s = 0; s <= image.max_values; ++s) {
    const std::string_view words = image.words.substr(8 * per * s, 8 * per);
    if (same) {
      l.series[to[s]]->load_words(words);  // a fresh table assigns the image's slots in order: to[s] == s
    } else {
      SloSeries old(image_plan);
      old.load_words(words);
      l.series[to[s]]->migrate_from(old, now);
    }
  }
}

void Attribution::migrate_from(const Attribution& from, Timestamp now) {
  for (size_t i = 0; i < labels_.size(); ++i) {
    const int j = from.label_index(spec_.labels[i]);
    if (j < 0) continue;
    const size_t fj = static_cast<size_t>(j);
    const uint32_t n = from.assigned(fj);
    // A value without a slot here (a smaller max_values) joins "other", so the parts still add up.
    for (uint32_t s = 0; s <= from.other_slot(); ++s) {
      const uint32_t to = s < n ? slot_for(i, from.value(fj, s)) : s == from.other_slot() ? other_slot() : UINT32_MAX;
      if (to != UINT32_MAX) labels_[i]->series[to]->migrate_from(from.series(fj, s), now);
    }
  }
}

}  // namespace budgetd::store
