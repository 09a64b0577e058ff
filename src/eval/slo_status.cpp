#include "budgetd/eval/slo_status.h"

#include "block_cache.h"
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

store::Counts counts_between(const store::StoredSlo& slo, Timestamp from, Timestamp to, Timestamp now,
                             SeriesBlocks* blocks) {
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
    return (blocks != nullptr ? blocks->sum(*ring, r, first, end, end - first) : ring->sum(first, end)).counts;
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

namespace {

Status check_instant(Timestamp at, Timestamp now, Millis lookback) {
  if (at > now) {
    return OutOfRange(fmt::format("at={} is after budgetd's clock ({}); a status cannot be computed for the future",
                                  format_rfc3339(at), format_rfc3339(now)));
  }
  if (at < now - lookback) {
    return OutOfRange(fmt::format("at={} is more than {} (storage.status_lookback) before now ({})", format_rfc3339(at),
                                  format_duration(lookback), format_rfc3339(now)));
  }
  return Status::Ok();
}

// Every window evaluate_slo() reads from the sums: the budget windows counted by occurrences (a
// timeslice budget reads its slices one by one), the rolling windows no budget window already
// reports (the bucket holding `at` included), the alert rules' completed-bucket windows and the
// forecast's completed hour. (A rolling budget window is read by its budget; reading its ring
// again here was a quarter of every tick's bucket reads.)
std::vector<WindowBounds> windows_read(const std::vector<Millis>& rolling, const config::SloSpec& spec, Timestamp at) {
  std::vector<WindowBounds> wanted;
  wanted.reserve(spec.windows.size() + rolling.size() + 2 * spec.alert_rules.size() + 1);
  if (!spec.budgeting.timesliced()) {
    for (const config::WindowSpec& bw : spec.windows) wanted.push_back(budget_bounds(spec, bw, at));
  }
  for (const Millis length : rolling) wanted.push_back(window_bounds(length, at));
  for (const config::AlertRuleSpec& rule : spec.alert_rules) {
    wanted.push_back(completed_window_bounds(rule.long_window.length, at));
    wanted.push_back(completed_window_bounds(rule.short_window.length, at));
  }
  wanted.push_back(completed_window_bounds(kHour, at));
  return wanted;
}

// A window over the sums: rolling (the bucket holding `at` included) or of completed buckets.
Result<WindowReport> window_report(const WindowSums& sums, Millis length, std::string name, WindowBounds bounds,
                                   const config::Objective& objective, Timestamp at) {
  WindowReport w;
  w.length = length;
  w.name = std::move(name);
  w.bounds = bounds;
  BUDGETD_RETURN_IF_ERROR(fill_window(w, sums.sum(w.bounds), objective, at));
  return w;
}

Result<AlertRuleReport> alert_report(const config::AlertRuleSpec& rule, const WindowSums& sums,
                                     const config::Objective& objective, Timestamp at) {
  AlertRuleReport a;
  a.rule = &rule;
  // Alert windows: completed buckets only (see slo_status.h).
  const Millis l = rule.long_window.length;
  const Millis s = rule.short_window.length;
  BUDGETD_ASSIGN_OR_RETURN(
      a.long_window, window_report(sums, l, rule.long_window.name, completed_window_bounds(l, at), objective, at));
  BUDGETD_ASSIGN_OR_RETURN(
      a.short_window, window_report(sums, s, rule.short_window.name, completed_window_bounds(s, at), objective, at));
  a.low_traffic = a.long_window.counts.total < rule.min_events;
  a.firing = !a.low_traffic && a.long_window.burn_rate > rule.factor && a.short_window.burn_rate > rule.factor;
  return a;
}

// At the last completed hour's burn rate, the primary budget lasts remaining x W / rate.
Forecast forecast(const BudgetReport& primary, double burn_rate_1h, Timestamp at) {
  Forecast f;
  f.burn_rate_1h = burn_rate_1h;
  if (primary.remaining <= 0) {
    f.exhausted_at = at;
  } else if (burn_rate_1h > 0) {
    const double ms = primary.remaining * static_cast<double>(primary.window.length.count()) / burn_rate_1h;
    if (ms < 1e15) f.exhausted_at = at + Millis{static_cast<int64_t>(ms)};
    // A calendar budget starts afresh when its period ends: no exhaustion after that.
    const auto& period_end = primary.window.period_end;
    if (f.exhausted_at && period_end && *f.exhausted_at >= *period_end) f.exhausted_at.reset();
  }
  return f;
}

}  // namespace

Result<SloStatus> evaluate_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                               SeriesBlocks* blocks) {
  BUDGETD_RETURN_IF_ERROR(check_instant(at, now, lookback));
  const config::SloSpec& spec = *slo.spec;
  SloStatus status;
  status.spec = slo.spec;
  status.at = at;
  status.memory_bytes = slo.memory_bytes();  // the series and the attribution
  // Sealed before anything of the series is read this tick (block_cache.h).
  if (blocks != nullptr) blocks->begin_tick(*slo.series, at);
  // The rolling windows no budget window of the same length already reports.
  std::vector<Millis> rolling;
  rolling.reserve(slo.windows.size());
  for (const Millis length : slo.windows) {
    const std::string name = format_duration(length);
    const bool reported = std::any_of(spec.windows.begin(), spec.windows.end(),
                                      [&](const config::WindowSpec& bw) { return bw.name == name; });
    if (!reported) rolling.push_back(length);
  }
  const WindowSums sums(*slo.series, windows_read(rolling, spec, at), blocks);
  for (const config::WindowSpec& bw : spec.windows) {
    BUDGETD_ASSIGN_OR_RETURN(BudgetReport b, evaluate_budget(slo, bw, at, &sums, blocks));
    status.windows.push_back(b.window);
    status.budgets.push_back(std::move(b));
  }
  for (const Millis length : rolling) {
    BUDGETD_ASSIGN_OR_RETURN(WindowReport w, window_report(sums, length, format_duration(length),
                                                           window_bounds(length, at), spec.objective, at));
    status.windows.push_back(std::move(w));
  }
  std::stable_sort(status.windows.begin(), status.windows.end(), [](const WindowReport& a, const WindowReport& b) {
    return a.bounds.end - a.bounds.start < b.bounds.end - b.bounds.start;
  });
  if (spec.sla) status.sla = sla_report(status.primary(), spec.objective, *spec.sla);
  for (const config::AlertRuleSpec& rule : spec.alert_rules) {
    BUDGETD_ASSIGN_OR_RETURN(AlertRuleReport a, alert_report(rule, sums, spec.objective, at));
    status.alerts.push_back(std::move(a));
  }
  BUDGETD_ASSIGN_OR_RETURN(const WindowReport hour,
                           window_report(sums, kHour, "1h", completed_window_bounds(kHour, at), spec.objective, at));
  status.forecast = forecast(status.primary(), hour.burn_rate, at);
  return status;
}

}  // namespace budgetd::eval
