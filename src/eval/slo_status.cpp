#include "budgetd/eval/slo_status.h"

#include "window_report.h"
#include "window_sums.h"

#include <algorithm>

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"

namespace budgetd::eval {

WindowBounds completed_window_bounds(Millis window, Timestamp t) {
  const Millis r = resolution_for(window);
  const Timestamp end = from_unix_ms(bucket_index(t, r) * r.count());
  return {end - window, end, r};
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

const WindowReport* SloStatus::window(std::string_view name) const {
  for (const WindowReport& w : windows) {
    if (w.name == name) return &w;
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

  for (const config::WindowSpec& bw : spec.windows) {
    auto b = evaluate_budget(slo, bw, at);
    if (!b.ok()) return b.status();
    status.windows.push_back(b->window);
    status.budgets.push_back(std::move(*b));
  }
  // Every rolling and alert window from one pass over each ring (window_sums.h).
  std::vector<std::pair<Millis, Millis>> longest;
  const auto need = [&](Millis length) {
    const Millis r = resolution_for(length);
    for (auto& [res, w] : longest) {
      if (res == r) {
        w = std::max(w, length);
        return;
      }
    }
    longest.emplace_back(r, length);
  };
  for (const Millis length : slo.windows) need(length);
  for (const config::AlertRuleSpec& rule : spec.alert_rules) {
    need(rule.long_window.length);
    need(rule.short_window.length);
  }
  need(kHour);
  const WindowSums sums(series, at, longest);

  for (const Millis length : slo.windows) {
    const std::string name = format_duration(length);
    if (status.window(name) != nullptr) continue;  // a budget window of the same length
    WindowReport w;
    w.length = length;
    w.name = name;
    w.bounds = window_bounds(length, at);
    BUDGETD_RETURN_IF_ERROR(fill_window(w, sums.sum(w.bounds), spec.objective, at));
    status.windows.push_back(std::move(w));
  }
  std::stable_sort(status.windows.begin(), status.windows.end(), [](const WindowReport& a, const WindowReport& b) {
    return a.bounds.end - a.bounds.start < b.bounds.end - b.bounds.start;
  });
  if (spec.sla) status.sla = sla_report(status.primary(), spec.objective, *spec.sla);

  // Alert windows: completed buckets only (see slo_status.h).
  const auto completed = [&](Millis length) -> Result<WindowReport> {
    WindowReport w;
    w.length = length;
    w.name = format_duration(length);
    w.bounds = completed_window_bounds(length, at);
    BUDGETD_RETURN_IF_ERROR(fill_window(w, sums.sum(w.bounds), spec.objective, at));
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
  const BudgetReport& primary = status.primary();
  if (primary.remaining <= 0) {
    status.forecast.exhausted_at = at;
  } else if (hour->burn_rate > 0) {
    const double ms = primary.remaining * static_cast<double>(primary.window.length.count()) / hour->burn_rate;
    if (ms < 1e15) status.forecast.exhausted_at = at + Millis{static_cast<int64_t>(ms)};
    // A calendar budget starts afresh when its period ends: no exhaustion after that.
    const auto& period_end = primary.window.period_end;
    if (status.forecast.exhausted_at && period_end && *status.forecast.exhausted_at >= *period_end) {
      status.forecast.exhausted_at.reset();
    }
  }
  return status;
}

}  // namespace budgetd::eval
