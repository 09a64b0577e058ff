#include "budgetd/eval/slo_status.h"

#include <algorithm>

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"

namespace budgetd::eval {

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

  for (const config::AlertRuleSpec& rule : spec.alert_rules) {
    AlertRuleReport a;
    a.rule = &rule;
    const WindowReport* lw = status.window(rule.long_window.length);
    const WindowReport* sw = status.window(rule.short_window.length);
    a.long_burn_rate = lw->burn_rate;
    a.short_burn_rate = sw->burn_rate;
    a.long_events = lw->counts.total;
    a.low_traffic = a.long_events < rule.min_events;
    a.firing = !a.low_traffic && a.long_burn_rate > rule.factor && a.short_burn_rate > rule.factor;
    status.alerts.push_back(a);
  }
  return status;
}

}  // namespace budgetd::eval
