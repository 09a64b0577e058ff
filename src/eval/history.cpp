#include "budgetd/eval/history.h"

#include "history_sums.h"
#include "window_report.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return floor_div(a + b - 1, b); }

// Round steps, for the default and for the steps a 400 suggests.
constexpr std::array<Millis, 12> kRoundSteps{kMinute,   5 * kMinute, 10 * kMinute, 15 * kMinute, 30 * kMinute, kHour,
                                             2 * kHour, 3 * kHour,   4 * kHour,    6 * kHour,    12 * kHour,   kDay};

// The first round step at least `want` (1d at most).
Millis round_step_up(Millis want) {
  for (const Millis s : kRoundSteps) {
    if (s >= want) return s;
  }
  return kRoundSteps.back();
}

std::vector<Millis> burn_windows(const config::SloSpec& spec) {
  std::vector<Millis> w{kHour};
  for (const config::AlertRuleSpec& r : spec.alert_rules) w.push_back(r.long_window.length);
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  return w;
}

Status check_step(Millis step) {
  if (step < kMinHistoryStep || step > kMaxHistoryStep || step % kMinute != Millis{0}) {
    return InvalidArgument(fmt::format("step={}: steps are whole minutes from {} to {} (e.g. 5m, 1h, 1d)",
                                       format_duration(step), format_duration(kMinHistoryStep),
                                       format_duration(kMaxHistoryStep)));
  }
  return Status::Ok();
}

// The points' times: the multiples of step in [from, to].
Result<std::vector<Timestamp>> point_times(const HistoryQuery& q, Timestamp now) {
  BUDGETD_RETURN_IF_ERROR(check_step(q.step));
  if (q.to > now) {
    return OutOfRange(fmt::format("to={} is after budgetd's clock ({}); a history ends at now at the latest",
                                  format_rfc3339(q.to), format_rfc3339(now)));
  }
  const int64_t step = q.step.count();
  const int64_t first = ceil_div(to_unix_ms(q.from), step);
  const int64_t last = floor_div(to_unix_ms(q.to), step);
  if (first > last) {
    return InvalidArgument(fmt::format("from={} to={} holds no multiple of step={}: ask for a longer range",
                                       format_rfc3339(q.from), format_rfc3339(q.to), format_duration(q.step)));
  }
  const auto n = static_cast<uint64_t>(last - first + 1);
  if (n > kMaxHistoryPoints) {
    const Millis range = q.to - q.from;
    return InvalidArgument(
        fmt::format("{} points at step={} over {}; at most {}: ask for step={} or more", n, format_duration(q.step),
                    format_duration(range), kMaxHistoryPoints,
                    format_duration(round_step_up(Millis{ceil_div(range.count(), kMaxHistoryPoints - 1)}))));
  }
  std::vector<Timestamp> out;
  out.reserve(n);
  for (int64_t k = first; k <= last; ++k) out.push_back(from_unix_ms(k * step));
  return out;
}

// The buckets of `bounds` in the finest ring that holds them all at `now` and whose buckets
// have edges at both ends of the window; nullopt if none does.
std::optional<BucketSpan> locate(const store::SloSeries& series, const WindowBounds& bounds, Timestamp now) {
  for (const Millis r : kResolutions) {
    const store::BucketRing* ring = series.ring(r);
    if (ring == nullptr || to_unix_ms(bounds.start) % r.count() != 0 || to_unix_ms(bounds.end) % r.count() != 0)
      continue;
    const BucketSpan s{r, bucket_index(bounds.start, r), bucket_index(bounds.end, r)};
    if (s.first >= series.oldest_retained_bucket(r, now)) return s;
  }
  return std::nullopt;
}

// The previous `n` calendar periods of the primary window, each read at its last instant.
Result<std::vector<PeriodReport>> previous_periods(const store::StoredSlo& slo, int n, Timestamp now) {
  const config::SloSpec& spec = *slo.spec;
  const config::WindowSpec& window = spec.primary_window();
  if (n < 0 || n > kMaxHistoryPeriods)
    return InvalidArgument(fmt::format("periods={}: ask for 0 to {} previous periods", n, kMaxHistoryPeriods));
  if (n == 0) return std::vector<PeriodReport>{};
  if (!window.calendar) {
    return InvalidArgument(
        fmt::format("periods: the primary window of {} is the rolling {}; only calendar windows "
                    "have periods",
                    spec.name, window.name));
  }
  std::vector<PeriodReport> out(static_cast<size_t>(n));
  Period p = calendar_period(window.calendar->unit, *window.calendar->zone, now);
  const Millis r = store::budget_resolution(spec, window);
  for (int i = n - 1; i >= 0; --i) {
    p = calendar_period(window.calendar->unit, *window.calendar->zone, p.start - Millis{1});
    if (bucket_index(p.start, r) < slo.series->oldest_retained_bucket(r, now)) {
      return OutOfRange(
          fmt::format("periods={}: the store holds the current {} period of {} and the {} before it; "
                      "ask for periods={} at most",
                      n, to_string(window.calendar->unit), spec.name, n - 1 - i, n - 1 - i));
    }
    PeriodReport& pr = out[static_cast<size_t>(i)];
    pr.period = p;
    BUDGETD_ASSIGN_OR_RETURN(pr.budget, read_budget(slo, window, p.end - Millis{1}));
    pr.met = sla_report(pr.budget, spec.objective, spec.objective).met;
  }
  return out;
}

}  // namespace

Millis default_history_step(const store::StoredSlo& slo, Millis range) {
  const Millis want{ceil_div(std::max<int64_t>(range.count(), 1), kDefaultHistoryPoints)};
  return std::max(round_step_up(want),
                  std::clamp(store::budget_resolution(*slo.spec, slo.spec->primary_window()), kMinHistoryStep, kHour));
}

Timestamp oldest_history_point(const store::StoredSlo& slo, Timestamp now) {
  const config::WindowSpec& window = slo.spec->primary_window();
  const Millis r = store::budget_resolution(*slo.spec, slo.spec->primary_window());
  const Timestamp oldest_start = from_unix_ms(slo.series->oldest_retained_bucket(r, now) * r.count());
  if (!window.calendar) return oldest_start + window.length - r;  // the window starting there ends here
  const Period p = calendar_period(window.calendar->unit, *window.calendar->zone, oldest_start);
  return p.start >= oldest_start ? p.start : p.end;
}

Result<History> evaluate_history(const store::StoredSlo& slo, const HistoryQuery& query, int periods, Timestamp now) {
  const config::SloSpec& spec = *slo.spec;
  const config::WindowSpec& window = spec.primary_window();
  BUDGETD_ASSIGN_OR_RETURN(std::vector<Timestamp> times, point_times(query, now));
  const Timestamp oldest = oldest_history_point(slo, now);
  if (times.front() < oldest) {
    const Timestamp first = from_unix_ms(ceil_div(to_unix_ms(oldest), query.step.count()) * query.step.count());
    const std::string longest =
        query.to > first ? fmt::format(" (range={} at most)", format_duration(query.to - first)) : "";
    return OutOfRange(fmt::format(
        "from={}: the store holds the {} window of {} for points from {} on; ask for "
        "from={} or later{}",
        format_rfc3339(query.from), window.name, spec.name, format_rfc3339(oldest), format_rfc3339(first), longest));
  }
  History h;
  h.step = query.step;
  h.burn_windows = burn_windows(spec);
  BUDGETD_ASSIGN_OR_RETURN(h.periods, previous_periods(slo, periods, now));

  // Where each window of each point is read; then one pass per ring read.
  struct Located {
    WindowBounds bounds;
    std::optional<Period> period;
    BucketSpan primary;
    std::vector<std::optional<BucketSpan>> burn;
  };
  std::vector<Located> located(times.size());
  HistorySums sums(*slo.series, spec.budgeting);
  for (size_t i = 0; i < times.size(); ++i) {
    Located& l = located[i];
    l.bounds = budget_bounds(spec, window, times[i], &l.period);
    // The primary window is read at its own resolution (slices are judged per bucket).
    l.primary = {l.bounds.resolution, l.bounds.first_bucket(), l.bounds.end_bucket()};
    sums.need(l.primary, /*slices=*/spec.budgeting.timesliced());
    for (const Millis w : h.burn_windows) {
      l.burn.push_back(locate(*slo.series, completed_window_bounds(w, times[i]), now));
      if (l.burn.back()) sums.need(*l.burn.back(), false);
    }
  }
  sums.load();

  h.points.reserve(times.size());
  for (size_t i = 0; i < times.size(); ++i) {
    const Located& l = located[i];
    HistoryPoint p;
    p.ts = times[i];
    SliceReport slices;
    const store::BucketSum sum = sums.sum(l.primary, spec.budgeting.timesliced() ? &slices : nullptr);
    BUDGETD_ASSIGN_OR_RETURN(p.budget, budget_from_sums(spec, window, l.bounds, l.period, sum, slices, p.ts));
    for (const auto& span : l.burn) {
      std::optional<double> rate;
      if (span) {
        const store::BucketSum s = sums.sum(*span, nullptr);
        if (s.expired_buckets == 0) rate = burn_rate(s.counts, spec.objective);
      }
      p.burn_rates.push_back(rate);
    }
    h.points.push_back(std::move(p));
  }
  return h;
}

}  // namespace budgetd::eval
