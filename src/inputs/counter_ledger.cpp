#include "budgetd/inputs/counter_ledger.h"

#include <bit>
#include <cmath>

#include <fmt/format.h>

#include "budgetd/core/window.h"

namespace budgetd::inputs {
namespace {

// Prometheus' staleness marker: one NaN bit pattern (value.StaleNaN), not any NaN.
constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

bool is_stale(double v) { return std::bit_cast<uint64_t>(v) == kStaleNaN; }

// Counters count requests: whole numbers, as uint64 (a negative or NaN value counts as 0).
uint64_t whole(double v) { return v > 0 && std::isfinite(v) ? static_cast<uint64_t>(std::llround(v)) : 0; }

}  // namespace

void CounterLedger::ingest(std::span<const SeriesInput> series, const store::SloSet& slos, Timestamp now,
                           const CounterLimits& limits, ingest::DeltaBatch& deltas, CounterReport& report, Undo& undo) {
  std::lock_guard lock(mu_);
  std::vector<CellKey> touched;  // the cells this request changed
  for (const SeriesInput& s : series)
    for (const CounterSample& c : s.samples) sample(s, c, slos, now, limits, report, undo, touched);
  settle(slos, now, limits, deltas, report, undo);
}

void CounterLedger::sample(const SeriesInput& s, const CounterSample& c, const store::SloSet& slos, Timestamp now,
                           const CounterLimits& limits, CounterReport& report, Undo& undo,
                           std::vector<CellKey>& touched) {
  ++report.samples;
  if (is_stale(c.value)) {
    ++report.stale;
    return;
  }
  const Timestamp ts = from_unix_ms(c.ts_ms);
  auto reject = [&](uint32_t& counter, auto why) {
    ++counter;
    if (report.first_error.empty()) report.first_error = why();
  };
  if (ts > now + limits.max_future) {
    return reject(report.future, [&] {
      return fmt::format("sample at {} is more than {} ahead of budgetd's clock", format_rfc3339(ts),
                         format_duration(limits.max_future));
    });
  }
  auto it = baselines_.find(s.key);
  if (it == baselines_.end() && c.delta) it = baselines_.emplace(s.key, CounterSample{INT64_MIN, 0, 0, true}).first;
  if (it == baselines_.end()) {
    undo.baselines.emplace_back(s.key, std::nullopt);
    baselines_.emplace(s.key, c);
    ++report.baselines;
    return;
  }
  CounterSample& last = it->second;
  if (c.ts_ms == last.ts_ms && c.value == last.value && c.start_ns == last.start_ns) {
    ++report.duplicates;
    return;
  }
  if (c.ts_ms <= last.ts_ms) {
    return reject(report.out_of_order, [&] {
      return fmt::format("sample at {} is out of order: its series already has one at {}", format_rfc3339(ts),
                         format_rfc3339(from_unix_ms(last.ts_ms)));
    });
  }
  const bool reset = c.delta || c.value < last.value || c.start_ns != last.start_ns;
  const uint64_t increase = reset ? whole(c.value) : whole(c.value) - whole(last.value);
  undo.baselines.emplace_back(s.key, last);
  last = c;
  bool too_old = !s.feeds.empty();
  const int64_t bucket = bucket_index(ts, kFinestResolution);
  for (const CounterFeed& f : s.feeds) {
    const store::StoredSlo& slo = slos.slos()[f.slo];
    if (ts < slo.series->oldest_retained(now)) continue;
    too_old = false;
    if (increase == 0) continue;
    const CellKey key{slo.identity_hash, bucket};
    remember_cell(key, undo);
    Cell& cell = cells_[key];
    if (cell.total == 0 && cell.part == 0) cell.since = now;
    (f.side == CounterSide::kTotal ? cell.total : cell.part) += increase;
    if (s.pair_complete) cell.since = now - limits.pairing_delay;  // settles at the end of this request
    touched.push_back(key);
  }
  if (too_old) {
    return reject(report.too_old, [&] {
      return fmt::format("sample at {} is too old: it is before every retained window of the SLOs it feeds",
                         format_rfc3339(ts));
    });
  }
  ++report.counted;
}

void CounterLedger::settle(const store::SloSet& slos, Timestamp now, const CounterLimits& limits,
                           ingest::DeltaBatch& deltas, CounterReport& report, Undo& undo) {
  if (cells_.empty()) return;
  std::unordered_map<uint64_t, uint32_t> index;
  for (size_t i = 0; i < slos.slos().size(); ++i) index.emplace(slos.slos()[i].identity_hash, static_cast<uint32_t>(i));
  for (auto it = cells_.begin(); it != cells_.end();) {
    const auto slo = index.find(it->first.first);
    if (slo == index.end()) {  // a reload removed or redefined the SLO
      remember_cell(it->first, undo);
      it = cells_.erase(it);
      continue;
    }
    const bool part_is_good = slos.slos()[slo->second].spec->source.part_role == config::CounterRole::kGood;
    Cell& cell = it->second;
    const int64_t bucket = it->first.second;
    const uint64_t paired = std::min(cell.total, cell.part);
    const bool due = cell.since + limits.pairing_delay <= now;
    if (paired == 0 && !due) {
      ++it;
      continue;
    }
    remember_cell(it->first, undo);
    if (paired != 0) {
      deltas.add(slo->second, bucket, part_is_good ? paired : 0, paired);
      cell.total -= paired;
      cell.part -= paired;
    }
    if (due) {
      // The rest of the total never got its part: it is the part's complement.
      if (cell.total != 0) deltas.add(slo->second, bucket, part_is_good ? 0 : cell.total, cell.total);
      report.unpaired += static_cast<uint32_t>(std::min<uint64_t>(cell.part, UINT32_MAX));
      cell = Cell{};
    }
    if (cell.total == 0 && cell.part == 0) {
      it = cells_.erase(it);
    } else {
      ++it;
    }
  }
}

void CounterLedger::remember_cell(const CellKey& k, Undo& undo) const {
  for (const auto& [key, _] : undo.cells)
    if (key == k) return;  // the first (oldest) value is the one to put back
  const auto it = cells_.find(k);
  undo.cells.emplace_back(k, it == cells_.end() ? std::nullopt : std::optional<Cell>(it->second));
}

void CounterLedger::undo(const Undo& undo) {
  std::lock_guard lock(mu_);
  for (auto it = undo.baselines.rbegin(); it != undo.baselines.rend(); ++it) {
    if (it->second)
      baselines_[it->first] = *it->second;
    else
      baselines_.erase(it->first);
  }
  for (const auto& [key, cell] : undo.cells) {
    if (cell)
      cells_[key] = *cell;
    else
      cells_.erase(key);
  }
}

size_t CounterLedger::series_count() const {
  std::lock_guard lock(mu_);
  return baselines_.size();
}

size_t CounterLedger::pending_cells() const {
  std::lock_guard lock(mu_);
  return cells_.size();
}

}  // namespace budgetd::inputs
