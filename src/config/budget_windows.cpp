#include "budget_windows.h"

#include <fmt/format.h>

#include "alert_rules.h"
#include "budgetd/core/window.h"

namespace budgetd::config {

namespace {

// The period the default alert factors scale with: the Workbook's table is for 30 days.
Millis nominal_length(CalendarUnit u) {
  switch (u) {
    case CalendarUnit::kDaily:
      return kDay;
    case CalendarUnit::kWeekly:
      return 7 * kDay;
    case CalendarUnit::kMonthly:
      return 30 * kDay;
    case CalendarUnit::kQuarterly:
      return 90 * kDay;
    case CalendarUnit::kYearly:
      return 365 * kDay;
  }
  return 30 * kDay;
}

}  // namespace

bool is_ladder_resolution(Millis d) {
  for (const Millis r : kResolutions) {
    if (r == d) return true;
  }
  return false;
}

std::optional<WindowSpec> read_budget_window(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  if (!n.IsMap()) return read_window(n, diags, what);
  MapReader m(n, diags, what);
  const auto unit_text = m.string("calendar", true);
  if (!unit_text) return std::nullopt;
  const auto unit = parse_calendar_unit(*unit_text);
  if (!unit) {
    diags.error(m.get("calendar"),
                fmt::format("{}.calendar must be day, week, month, quarter or year, not '{}'", what, *unit_text));
    return std::nullopt;
  }
  CalendarWindow c;
  c.unit = *unit;
  if (auto tz = m.string("timezone")) c.timezone = *tz;
  c.zone = find_time_zone(c.timezone);
  if (c.zone == nullptr) {
    diags.error(m.get("timezone").IsDefined() ? m.get("timezone") : n,
                fmt::format("{}.timezone '{}' is not a time zone in the system's tzdata (names look like "
                            "Europe/Berlin, America/New_York or UTC)",
                            what, c.timezone));
    return std::nullopt;
  }
  const auto resolution = calendar_resolution(*c.zone);
  if (!resolution) {
    diags.error(n, fmt::format("{}: time zone {} has used UTC offsets that are not whole multiples of 5 minutes; "
                               "calendar periods there cannot start on a bucket edge",
                               what, c.timezone));
    return std::nullopt;
  }
  c.resolution = *resolution;
  WindowSpec w;
  w.length = nominal_length(c.unit);
  w.name = fmt::format("{}:{}", to_string(c.unit), c.timezone);
  w.calendar = std::move(c);
  return w;
}

std::optional<BudgetingSpec> read_budgeting(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  MapReader m(n, diags, what);
  if (!m.valid()) return std::nullopt;
  BudgetingSpec b;
  const auto method = m.string("method", true);
  if (!method) return std::nullopt;
  if (*method == "occurrences") {
    b.method = BudgetingMethod::kOccurrences;
  } else if (*method == "timeslices") {
    b.method = BudgetingMethod::kTimeslices;
  } else if (*method == "ratio_timeslices") {
    b.method = BudgetingMethod::kRatioTimeslices;
  } else {
    diags.error(m.get("method"),
                fmt::format("{}.method must be occurrences, timeslices or ratio_timeslices, not '{}'", what, *method));
    return std::nullopt;
  }
  bool ok = true;
  if (b.timesliced()) {
    b.slice = kMinute;
    if (auto s = m.duration("slice")) {
      if (!is_ladder_resolution(*s)) {
        diags.error(m.get("slice"), fmt::format("{}.slice must be one of the store's bucket sizes: 10s, 1m, 5m or 1h, "
                                                "not {}",
                                                what, format_duration(*s)));
        ok = false;
      }
      b.slice = *s;
    }
  } else if (m.get("slice").IsDefined()) {
    diags.warning(m.get("slice"), fmt::format("{}.slice is ignored: occurrences count events, not slices", what));
  }
  const YAML::Node target = m.get("slice_target");
  if (b.method == BudgetingMethod::kTimeslices) {
    if (!target.IsDefined()) {
      diags.error(n, fmt::format("{}: timeslices need a slice_target, the good share that makes a slice good, "
                                 "e.g. slice_target: 0.95",
                                 what));
      ok = false;
    } else if (auto text = scalar_text(target, diags, what + ".slice_target")) {
      // A fraction read like a percentage: 0.95 -> 950'000'000, i.e. units of 1e-9.
      const auto t = parse_nanopercent(*text, 1);
      if (!t.ok() || *t <= 0 || *t > BudgetingSpec::kTargetScale) {
        diags.error(target, fmt::format("{}.slice_target must be a fraction above 0 and at most 1 with at most nine "
                                        "decimal places, such as 0.95, not '{}'",
                                        what, *text));
        ok = false;
      } else {
        b.slice_target = *t;
      }
    } else {
      ok = false;
    }
  } else if (target.IsDefined()) {
    diags.warning(target, fmt::format("{}.slice_target is ignored by {}", what, to_string(b.method)));
  }
  if (!ok) return std::nullopt;
  return b;
}

bool check_slices_fit(const SloSpec& slo, const YAML::Node& where, Diagnostics& diags, const std::string& what) {
  if (!slo.budgeting.timesliced()) return true;
  const Millis slice = slo.budgeting.slice;
  bool ok = true;
  for (const WindowSpec& w : slo.windows) {
    if (w.calendar) {
      if (w.calendar->resolution.count() % slice.count() != 0) {
        diags.error(where, fmt::format("{}: {} slices do not fit window {}: periods in {} start on {} edges "
                                       "(its UTC offset is not whole hours); use 5m slices or shorter",
                                       what, format_duration(slice), w.name, w.calendar->timezone,
                                       format_duration(w.calendar->resolution)));
        ok = false;
      }
    } else if (w.length.count() % slice.count() != 0) {
      diags.error(
          where, fmt::format("{}: window {} is not a whole number of {} slices", what, w.name, format_duration(slice)));
      ok = false;
    }
  }
  return ok;
}

}  // namespace budgetd::config
