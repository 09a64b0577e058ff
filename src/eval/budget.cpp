#include "budgetd/eval/budget.h"

#include "block_cache.h"
#include "window_report.h"
#include "window_sums.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"

namespace budgetd::eval {

namespace {

using config::BudgetingMethod;
using config::Objective;
constexpr int64_t kScale = Objective::kScale;

// good / total >= target, on the integers.
bool slice_is_good(const store::Counts& c, int64_t target) {
  return static_cast<Uint128>(c.good) * static_cast<Uint128>(config::BudgetingSpec::kTargetScale) >=
         static_cast<Uint128>(c.total) * static_cast<Uint128>(target);
}

// The slices as counts: good (empty and upcoming ones included) of total.
store::Counts slice_counts(const SliceReport& s) { return {s.good, s.total}; }

// 1 - (1 - mean) / (1 - O): ratio_timeslices' remaining share.
long double ratio_remaining(long double mean, const Objective& o) {
  return 1.0L - (1.0L - mean) * static_cast<long double>(kScale) / static_cast<long double>(o.budget_nanopercent());
}

bool ratio_left_above(long double remaining, int64_t above) {
  return remaining * static_cast<long double>(kScale) > static_cast<long double>(above);
}

}  // namespace

Status fill_window(WindowReport& w, const store::BucketSum& sum, const config::Objective& objective, Timestamp at) {
  if (sum.expired_buckets != 0) {
    // Only at the very edge of the lookback, racing a writer that recycled the oldest bucket.
    return OutOfRange(fmt::format("the {} window at {} reaches data that is no longer retained; ask for a later time",
                                  w.name, format_rfc3339(at)));
  }
  w.counts = sum.counts;
  w.saturated = sum.saturated_buckets != 0;
  w.error_ratio = error_ratio(w.counts);
  w.burn_rate = burn_rate(w.counts, objective);
  return Status::Ok();
}

WindowBounds budget_bounds(const config::SloSpec& spec, const config::WindowSpec& window, Timestamp t,
                           std::optional<Period>* period) {
  const Millis r = store::budget_resolution(spec, window);
  const Timestamp end = from_unix_ms((bucket_index(t, r) + 1) * r.count());
  if (window.calendar) {
    // Periods start on edges of the calendar resolution, which the slice divides (config checks).
    const Period p = calendar_period(window.calendar->unit, *window.calendar->zone, t);
    if (period != nullptr) *period = p;
    return {p.start, end, r};
  }
  return {end - window.length, end, r};
}

void count_slice(SliceReport& s, const store::Counts& c, const config::BudgetingSpec& budgeting) {
  if (c.total == 0) {
    ++s.empty;
    return;
  }
  ++s.nonempty;
  s.ratio_sum += static_cast<long double>(c.good) / static_cast<long double>(c.total);
  if (budgeting.method == BudgetingMethod::kTimeslices && !slice_is_good(c, budgeting.slice_target)) ++s.bad;
}

Result<BudgetReport> budget_from_sums(const config::SloSpec& spec, const config::WindowSpec& window,
                                      const WindowBounds& bounds, const std::optional<Period>& period,
                                      const store::BucketSum& sum, SliceReport slices, Timestamp at) {
  BudgetReport b;
  b.method = spec.budgeting.method;
  WindowReport& w = b.window;
  w.length = window.length;
  w.name = window.name;
  w.bounds = bounds;
  if (period) w.period_end = period->end;
  BUDGETD_RETURN_IF_ERROR(fill_window(w, sum, spec.objective, at));
  b.allowed_bad_events = allowed_bad(w.counts, spec.objective);

  switch (b.method) {
    case BudgetingMethod::kOccurrences:
      b.allowed_bad = b.allowed_bad_events;
      b.consumed = budget_consumed(w.counts, spec.objective);
      b.sli = sli_ratio(w.counts);
      break;
    case BudgetingMethod::kTimeslices:
    case BudgetingMethod::kRatioTimeslices: {
      const Millis slice = spec.budgeting.slice;
      const auto begun = static_cast<uint64_t>(w.bounds.end_bucket() - w.bounds.first_bucket());
      slices.total = period ? static_cast<uint64_t>((period->end - w.bounds.start) / slice) : begun;
      slices.upcoming = slices.total - begun;
      slices.good = slices.total - slices.bad;
      if (b.method == BudgetingMethod::kTimeslices) {
        b.allowed_bad = allowed_bad(slice_counts(slices), spec.objective);
        b.consumed = budget_consumed(slice_counts(slices), spec.objective);
        b.sli = sli_ratio(slice_counts(slices));
      } else {
        b.sli = slices.mean_ratio();
        b.consumed = static_cast<double>(1.0L - ratio_remaining(slices.mean_ratio(), spec.objective));
      }
      b.slices = slices;
      break;
    }
  }
  b.remaining = 1.0 - b.consumed;
  return b;
}

Result<BudgetReport> read_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at,
                                 const WindowSums* sums) {
  const config::SloSpec& spec = *slo.spec;
  std::optional<Period> period;
  const WindowBounds bounds = budget_bounds(spec, window, at, &period);
  SliceReport slices;
  store::BucketSum sum;
  if (!spec.budgeting.timesliced()) {
    sum = sums != nullptr ? sums->sum(bounds) : slo.series->sum(bounds);
  } else {
    sum = slo.series->ring(bounds.resolution)
              ->scan(bounds.first_bucket(), bounds.end_bucket(),
                     [&](int64_t, store::Counts c) { count_slice(slices, c, spec.budgeting); });
  }
  return budget_from_sums(spec, window, bounds, period, sum, slices, at);
}

Result<BudgetReport> evaluate_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at) {
  return evaluate_budget(slo, window, at, nullptr, nullptr);
}

Result<BudgetReport> evaluate_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at,
                                     const WindowSums* sums, SeriesBlocks* blocks) {
  BUDGETD_ASSIGN_OR_RETURN(BudgetReport b, read_budget(slo, window, at, sums));
  // Coverage counts the minutes that have begun by `at`; the rest of the last bucket is future.
  const WindowReport& w = b.window;
  const Timestamp elapsed_end = std::min(w.bounds.end, from_unix_ms((bucket_index(at, kMinute) + 1) * kMinute.count()));
  b.elapsed_minutes = static_cast<uint32_t>((elapsed_end - w.bounds.start) / kMinute);
  bool expired = false;
  b.covered_minutes = blocks != nullptr ? blocks->covered_minutes(*slo.series, w.bounds.start, elapsed_end, expired)
                                        : slo.series->covered_minutes(w.bounds.start, elapsed_end, expired);
  if (expired) {
    return OutOfRange(fmt::format("the coverage of the {} window at {} reaches data that is no longer retained", w.name,
                                  format_rfc3339(at)));
  }
  return b;
}

bool budget_left_above(const BudgetReport& b, const Objective& o, int64_t above) {
  switch (b.method) {
    case BudgetingMethod::kOccurrences:
      return budget_left_above(b.window.counts, o, above);
    case BudgetingMethod::kTimeslices:
      return budget_left_above(slice_counts(*b.slices), o, above);
    case BudgetingMethod::kRatioTimeslices:
      return ratio_left_above(ratio_remaining(b.slices->mean_ratio(), o), above);
  }
  return false;
}

SlaReport sla_report(const BudgetReport& primary, const Objective& objective, const Objective& sla) {
  SlaReport r;
  r.target = sla;
  r.margin_percent = static_cast<double>(objective.nanopercent() - sla.nanopercent()) / 1e9;
  r.sli = primary.sli;
  if (primary.method == BudgetingMethod::kRatioTimeslices) {
    r.met =
        static_cast<long double>(primary.slices->mean_ratio()) * kScale >= static_cast<long double>(sla.nanopercent());
    return r;
  }
  const store::Counts c =
      primary.method == BudgetingMethod::kOccurrences ? primary.window.counts : slice_counts(*primary.slices);
  // good / total >= SLA  <=>  bad <= floor(total x (1 - SLA)): the most bad the window may hold.
  const auto most_bad = static_cast<uint64_t>(
      static_cast<Uint128>(c.total) * static_cast<Uint128>(sla.budget_nanopercent()) / static_cast<Uint128>(kScale));
  r.met = c.bad() <= most_bad;
  if (r.met) r.bad_until_breach = most_bad - c.bad();
  return r;
}

namespace {

// Per threshold: the earliest time the budget is strictly above it, once known.
class RecoveryTimes {
 public:
  explicit RecoveryTimes(const std::vector<int64_t>& thresholds) : thresholds_(thresholds), at_(thresholds.size()) {}

  // Settles every threshold `above(threshold)` holds for at `when`; true once all are settled.
  template <typename Above>
  bool settle(Above above, Timestamp when) {
    bool all = true;
    for (size_t i = 0; i < thresholds_.size(); ++i) {
      if (!at_[i] && above(thresholds_[i])) at_[i] = when;
      all = all && at_[i].has_value();
    }
    return all;
  }
  const std::vector<int64_t>& thresholds() const { return thresholds_; }
  std::vector<std::optional<Timestamp>>& times() { return at_; }

 private:
  const std::vector<int64_t>& thresholds_;
  std::vector<std::optional<Timestamp>> at_;
};

// Calendar windows: nothing leaves the period; good traffic grows it until the period ends, and
// the next one starts with its whole budget.
void calendar_recovery(const BudgetReport& b, const Objective& o, Timestamp at, RecoveryTimes& rec) {
  const WindowBounds& w = b.window.bounds;
  const Timestamp period_end = *b.window.period_end;
  auto& out = rec.times();
  if (b.method == BudgetingMethod::kOccurrences) {
    const store::Counts& c = b.window.counts;
    const double elapsed_ms = static_cast<double>(std::max<int64_t>((at - w.start).count(), 1));
    const double rate = static_cast<double>(c.total) / elapsed_ms;  // events per ms
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i]) continue;
      // 1 - bad / ((1 - O)(total + rate x d)) > T  <=>  total + rate x d > bad / ((1 - O)(1 - T))
      const double t = static_cast<double>(rec.thresholds()[i]) / static_cast<double>(kScale);
      const double needed = static_cast<double>(c.bad()) / (o.budget_ratio() * (1.0 - t));
      const double d = rate > 0 ? (needed - static_cast<double>(c.total)) / rate : 1e300;
      const Timestamp when = d < static_cast<double>((period_end - at).count())
                                 ? at + Millis{static_cast<int64_t>(std::ceil(d)) + 1}
                                 : period_end;
      out[i] = std::min(when, period_end);
    }
  } else if (b.method == BudgetingMethod::kRatioTimeslices) {
    // k perfect slices from `end` on: (sum + k) / (nonempty + k) above 1 - (1 - O)(1 - T).
    const SliceReport& s = *b.slices;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i]) continue;
      const long double t = static_cast<long double>(rec.thresholds()[i]) / kScale;
      const long double m = 1.0L - static_cast<long double>(o.budget_ratio()) * (1.0L - t);
      const long double k = std::floor((m * static_cast<long double>(s.nonempty) - s.ratio_sum) / (1.0L - m)) + 1;
      const Timestamp when = w.end + w.resolution * static_cast<int64_t>(std::max<long double>(k - 1, 0));
      out[i] = std::min(std::max(when, at), period_end);
    }
  } else {
    for (auto& when : out) {
      if (!when) when = period_end;  // bad slices stay in the period
    }
  }
}

// Rolling windows: slide the window forward bucket by bucket; the oldest leaves, a good one
// (at the window's average rate) comes in.
void rolling_recovery(const store::StoredSlo& slo, const BudgetReport& b, Timestamp at, RecoveryTimes& rec) {
  const Objective& o = slo.spec->objective;
  const WindowBounds& w = b.window.bounds;
  const Millis r = w.resolution;
  const int64_t first = w.first_bucket();
  const int64_t end = w.end_bucket();
  const store::BucketRing* ring = slo.series->ring(r);
  const auto buckets = static_cast<uint64_t>(end - first);
  store::Counts left = b.window.counts;  // occurrences: what is left of the original buckets
  SliceReport slices = b.slices.value_or(SliceReport{});
  const int64_t target = slo.spec->budgeting.slice_target;
  for (int64_t k = 1; k <= end - first; ++k) {
    const store::Counts leaving = ring->read(first + k - 1);
    // The window starts at bucket first + k from the start of bucket end - 1 + k on.
    const Timestamp when = std::max(at, from_unix_ms((end - 1 + k) * r.count()));
    bool all = false;
    switch (b.method) {
      case BudgetingMethod::kOccurrences: {
        left.good -= std::min(left.good, leaving.good);
        left.total -= std::min(left.total, leaving.total);
        // k buckets of good traffic at the window's average rate have come in.
        const auto arrived =
            static_cast<uint64_t>(static_cast<Uint128>(b.window.counts.total) * static_cast<uint64_t>(k) / buckets);
        const store::Counts c{left.good + arrived, left.total + arrived};
        all = rec.settle([&](int64_t t) { return budget_left_above(c, o, t); }, when);
        break;
      }
      case BudgetingMethod::kTimeslices:
        if (leaving.total != 0 && !slice_is_good(leaving, target) && slices.bad > 0) {
          --slices.bad;
          ++slices.good;
        }
        all = rec.settle([&](int64_t t) { return budget_left_above(slice_counts(slices), o, t); }, when);
        break;
      case BudgetingMethod::kRatioTimeslices:
        if (leaving.total != 0 && slices.nonempty > 0) {
          slices.ratio_sum -= static_cast<long double>(leaving.good) / static_cast<long double>(leaving.total);
          --slices.nonempty;
        }
        slices.ratio_sum += 1;  // a perfect slice came in
        ++slices.nonempty;
        all = rec.settle([&](int64_t t) { return ratio_left_above(ratio_remaining(slices.mean_ratio(), o), t); }, when);
        break;
    }
    if (all) return;
  }
}

}  // namespace

std::vector<std::optional<Timestamp>> recovery_times(const store::StoredSlo& slo, const BudgetReport& b, Timestamp at,
                                                     const std::vector<int64_t>& thresholds) {
  RecoveryTimes rec(thresholds);
  const Objective& o = slo.spec->objective;
  if (!rec.settle([&](int64_t t) { return budget_left_above(b, o, t); }, at)) {
    if (b.window.period_end) {
      calendar_recovery(b, o, at, rec);
    } else {
      rolling_recovery(slo, b, at, rec);
    }
  }
  return std::move(rec.times());
}

}  // namespace budgetd::eval
