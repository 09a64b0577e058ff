#include "budgetd/eval/slo_status.h"

#include <algorithm>

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"

namespace budgetd::eval {

WindowBounds completed_window_bounds(Millis window, Timestamp t) {
  const Millis r = resolution_for(window);
  const Timestamp end = from_unix_ms(bucket_index(t, r) * r.count());
  return {end - window, end, r};
}

std::vector<std::optional<Timestamp>> recovery_times(const store::StoredSlo& slo, Timestamp at,
                                                     const std::vector<int64_t>& thresholds) {
  std::vector<std::optional<Timestamp>> out(thresholds.size());
  const config::SloSpec& spec = *slo.spec;
  const WindowBounds w = window_bounds(spec.primary_window().length, at);
  const store::BucketRing* ring = slo.series->ring(w.resolution);
  const store::Counts now = slo.series->sum(w).counts;
  const int64_t first = w.first_bucket();
  const int64_t end = w.end_bucket();
  const auto buckets = static_cast<uint64_t>(end - first);
  // Slide the window forward bucket by bucket: the oldest bucket leaves, and `k` buckets of good
  // traffic at the window's average rate have come in (k * total / buckets, in integers).
  store::Counts left = now;  // what is still in the window of the original buckets
  for (int64_t k = 0; k <= end - first; ++k) {
    if (k > 0) {
      const store::Counts leaving = ring->read(first + k - 1);
      left.good -= std::min(left.good, leaving.good);
      left.total -= std::min(left.total, leaving.total);
    }
    const auto arrived = static_cast<uint64_t>(static_cast<Uint128>(now.total) * static_cast<uint64_t>(k) / buckets);
    const store::Counts c{left.good + arrived, left.total + arrived};
    // The window starts at bucket first + k from the start of bucket end - 1 + k on.
    const Timestamp when = std::max(at, from_unix_ms((end - 1 + k) * w.resolution.count()));
    bool all = true;
    for (size_t i = 0; i < thresholds.size(); ++i) {
      if (!out[i] && budget_left_above(c, spec.objective, thresholds[i])) out[i] = when;
      all = all && out[i].has_value();
    }
    if (all) break;
  }
  return out;
}

store::Counts counts_between(const store::StoredSlo& slo, Timestamp from, Timestamp to, Timestamp now) {
  if (to <= from) return {};
  Millis coarsest{0};
  for (const Millis r : kResolutions) {
    const store::BucketRing* ring = slo.series->ring(r);
    if (ring == nullptr) continue;
    coarsest = r;
    const int64_t first = bucket_index(from, r);
    const int64_t end = bucket_index(to - Millis{1}, r) + 1;
    if (first < slo.series->oldest_retained_bucket(r, now) || end - first > static_cast<int64_t>(ring->slots()))
      continue;
    return ring->sum(first, end).counts;
  }
  if (coarsest == Millis{0}) return {};
  // No ring reaches back to `from` (an episode longer than every window): what the coarsest
  // ring still holds, a lower bound rather than nothing.
  const int64_t first = std::max(bucket_index(from, coarsest), slo.series->oldest_retained_bucket(coarsest, now));
  const int64_t end = bucket_index(to - Millis{1}, coarsest) + 1;
  if (end <= first) return {};
  return slo.series->ring(coarsest)->sum(first, end).counts;
}

const WindowReport* SloStatus::window(Millis length) const {
  for (const WindowReport& w : windows) {
    if (w.length == length) return &w;
  }
  return nullptr;
}

Result<SloStatus> evaluate_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback) {
  if (at > now) {
    return OutOfRange(fmt::format("at={} is after budgetd's clock ({}); a status cannot be computed for the future",
                                  format_rfc3339(at), format_rfc3339(now)));
  }
  if (at < now - lookback) {
    return OutOfRange(fmt::format("at={} is more than {} (storage.status_lookback) before now ({})", format_rfc3339(at),
                                  format_duration(lookback), format_rfc3339(now)));
  }
  const config::SloSpec& spec = *slo.spec;
  const store::SloSeries& series = *slo.series;
  SloStatus status;
  status.spec = slo.spec;
  status.at = at;
  status.memory_bytes = series.memory_bytes();

  for (const Millis length : slo.windows) {
    WindowReport w;
    w.length = length;
    w.name = format_duration(length);
    w.bounds = window_bounds(length, at);
    const store::BucketSum sum = series.sum(w.bounds);
    if (sum.expired_buckets != 0) {
      // Only at the very edge of the lookback, racing a writer that recycled the oldest bucket.
      return OutOfRange(fmt::format("the {} window at {} reaches data that is no longer retained; ask for a later time",
                                    w.name, format_rfc3339(at)));
    }
    w.counts = sum.counts;
    w.saturated = sum.saturated_buckets != 0;
    w.error_ratio = error_ratio(w.counts);
    w.burn_rate = burn_rate(w.counts, spec.objective);
    status.windows.push_back(std::move(w));
  }

  for (const config::WindowSpec& bw : spec.windows) {
    BudgetReport b;
    b.window = *status.window(bw.length);
    b.allowed_bad = allowed_bad(b.window.counts, spec.objective);
    b.consumed = budget_consumed(b.window.counts, spec.objective);
    b.remaining = 1.0 - b.consumed;
    // Coverage counts the minutes that have begun by `at`; the rest of the last bucket is future.
    const Timestamp elapsed_end =
        std::min(b.window.bounds.end, from_unix_ms((bucket_index(at, kMinute) + 1) * kMinute.count()));
    b.elapsed_minutes = static_cast<uint32_t>((elapsed_end - b.window.bounds.start) / kMinute);
    bool expired = false;
    b.covered_minutes = series.covered_minutes(b.window.bounds.start, elapsed_end, expired);
    if (expired) {
      return OutOfRange(fmt::format("the coverage of the {} window at {} reaches data that is no longer retained",
                                    b.window.name, format_rfc3339(at)));
    }
    status.budgets.push_back(std::move(b));
  }

  // Alert windows: completed buckets only (see slo_status.h).
  const auto completed = [&](Millis length) -> Result<WindowReport> {
    WindowReport w;
    w.length = length;
    w.name = format_duration(length);
    w.bounds = completed_window_bounds(length, at);
    const store::BucketSum sum = series.sum(w.bounds);
    if (sum.expired_buckets != 0) {
      return OutOfRange(
          fmt::format("the {} alert window at {} reaches data that is no longer retained", w.name, format_rfc3339(at)));
    }
    w.counts = sum.counts;
    w.saturated = sum.saturated_buckets != 0;
    w.error_ratio = error_ratio(w.counts);
    w.burn_rate = burn_rate(w.counts, spec.objective);
    return w;
  };
  for (const config::AlertRuleSpec& rule : spec.alert_rules) {
    AlertRuleReport a;
    a.rule = &rule;
    auto lw = completed(rule.long_window.length);
    if (!lw.ok()) return lw.status();
    auto sw = completed(rule.short_window.length);
    if (!sw.ok()) return sw.status();
    a.long_window = std::move(*lw);
    a.short_window = std::move(*sw);
    a.low_traffic = a.long_window.counts.total < rule.min_events;
    a.firing = !a.low_traffic && a.long_window.burn_rate > rule.factor && a.short_window.burn_rate > rule.factor;
    status.alerts.push_back(std::move(a));
  }

  // Forecast: at the last completed hour's burn rate, the budget lasts remaining x W / rate.
  auto hour = completed(kHour);
  if (!hour.ok()) return hour.status();
  status.forecast.burn_rate_1h = hour->burn_rate;
  const BudgetReport& primary = status.budgets.front();
  if (primary.remaining <= 0) {
    status.forecast.exhausted_at = at;
  } else if (hour->burn_rate > 0) {
    const double ms = primary.remaining * static_cast<double>(primary.window.length.count()) / hour->burn_rate;
    if (ms < 1e15) status.forecast.exhausted_at = at + Millis{static_cast<int64_t>(ms)};
  }
  return status;
}

}  // namespace budgetd::eval
