// OpenSLO durations and time windows. budgetd's calendar periods start where core/calendar.h
// says (local midnight; Mondays, the 1st, quarter and year starts), so a calendar window's
// startTime is only checked against that, never used as an anchor.

#include "openslo_time.h"

#include <cctype>
#include <cstdio>

#include <fmt/format.h>

#include "alert_rules.h"
#include "budget_windows.h"
#include "budgetd/core/calendar.h"

namespace budgetd::config {
namespace {

// The calendar windows budgetd has: one period of a unit, written 1d, 1w, 1M, 1Q or 1Y.
struct CalendarPeriod {
  char unit;
  CalendarUnit calendar;
  const char* starts;  // where such periods start, after "at local midnight"
};
constexpr CalendarPeriod kCalendarPeriods[] = {
    {'d', CalendarUnit::kDaily, ""},
    {'w', CalendarUnit::kWeekly, " on Mondays"},
    {'M', CalendarUnit::kMonthly, " on the first of the month"},
    {'Q', CalendarUnit::kQuarterly, " on the first day of a quarter"},
    {'Y', CalendarUnit::kYearly, " on January 1"},
};

// Whether startTime "YYYY-MM-DD HH:MM:SS", a local time, is where budgetd's periods of `unit`
// start anyway: local times of every zone start their periods alike, so UTC's calendar answers.
// A date that does not exist is no period's start.
bool start_is_aligned(std::string_view t, CalendarUnit unit) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(std::string(t).c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return false;
  if (h != 0 || mi != 0 || s != 0) return false;
  const TimeZone* utc = find_time_zone("UTC");
  const auto midnight = parse_rfc3339(fmt::format("{:04}-{:02}-{:02}T00:00:00Z", y, mo, d));
  if (utc == nullptr || !midnight.ok()) return false;
  return calendar_period(unit, *utc, *midnight).start == *midnight;
}

std::optional<WindowSpec> rolling_window(const OpenSloDuration& d, const YAML::Node& dn, const YAML::Node& cal,
                                         Diagnostics& diags, const std::string& what) {
  if (cal.IsDefined()) diags.warning(cal, fmt::format("{}: calendar is ignored for a rolling window", what));
  const auto len = d.fixed();
  if (!len) {
    diags.error(dn, fmt::format("{}: a rolling window of {}{} has no fixed length; write it in days (e.g. 30d) "
                                "or make it a calendar window (isRolling: false)",
                                what, d.count, d.unit));
    return std::nullopt;
  }
  auto win = check_window(*len, dn, diags, what + ": timeWindow", dn.Scalar());
  if (win && win->length <= kHour) {
    diags.error(dn, fmt::format("{}: budget windows must be longer than 1h, not {}", what, win->name));
    return std::nullopt;
  }
  return win;
}

// Read as budgetd's own {calendar: month, timezone: ...}, so both formats check the zone alike.
std::optional<WindowSpec> calendar_window(const OpenSloDuration& d, const YAML::Node& dn, const YAML::Node& cal,
                                          Diagnostics& diags, const std::string& what) {
  const CalendarPeriod* period = nullptr;
  for (const CalendarPeriod& p : kCalendarPeriods) {
    if (d.count == 1 && d.unit == p.unit) period = &p;
  }
  if (period == nullptr) {
    diags.error(dn, fmt::format("{}: a calendar window of {}{} is not supported: budgetd's calendar windows are 1d, "
                                "1w, 1M, 1Q and 1Y (OpenSLO writes minutes as m and months as M)",
                                what, d.count, d.unit));
    return std::nullopt;
  }
  YAML::Node as_budgetd;
  as_budgetd["calendar"] = to_string(period->calendar);
  std::string zone = "UTC";
  if (cal.IsMap()) {
    MapReader c(cal, diags, what + ": timeWindow[0].calendar");
    if (auto z = c.string("timeZone")) zone = *z;
    if (auto start = c.string("startTime"); start && !start_is_aligned(*start, period->calendar)) {
      diags.warning(c.get("startTime"),
                    fmt::format("{}: calendar.startTime '{}' is not honoured: budgetd's {} periods start at local "
                                "midnight{}",
                                what, *start, to_string(period->calendar), period->starts));
    }
  } else if (cal.IsDefined()) {
    diags.error(cal, fmt::format("{}: calendar must be a mapping with timeZone", what));
  }
  as_budgetd["timezone"] = zone;
  return read_budget_window(as_budgetd, diags, what + ": timeWindow");
}

}  // namespace

std::optional<Millis> OpenSloDuration::fixed() const {
  switch (unit) {
    case 's':
      return count * kSecond;
    case 'm':
      return count * kMinute;
    case 'h':
      return count * kHour;
    case 'd':
      return count * kDay;
    case 'w':
      return count * 7 * kDay;
    default:
      return std::nullopt;
  }
}

std::optional<OpenSloDuration> read_openslo_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  OpenSloDuration d;
  size_t i = 0;
  while (i < text->size() && std::isdigit(static_cast<unsigned char>((*text)[i])) && i < 6) {
    d.count = d.count * 10 + ((*text)[i] - '0');
    ++i;
  }
  if (i == 0 || i + 1 != text->size() || d.count == 0 ||
      std::string_view("smhdwMQY").find((*text)[i]) == std::string_view::npos) {
    diags.error(n,
                fmt::format("{}: '{}' is not an OpenSLO duration such as 5m, 1h, 28d, 1w, 1M, 1Q or 1Y", what, *text));
    return std::nullopt;
  }
  d.unit = (*text)[i];
  return d;
}

std::optional<Millis> read_fixed_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto d = read_openslo_duration(n, diags, what);
  if (!d) return std::nullopt;
  if (!d->fixed()) {
    diags.error(
        n, fmt::format("{}: {}{} has no fixed length; write it in days, hours or minutes", what, d->count, d->unit));
  }
  return d->fixed();
}

std::optional<WindowSpec> read_time_window(MapReader& spec, Diagnostics& diags, const std::string& what) {
  const YAML::Node list = spec.get("timeWindow");
  if (!list.IsDefined()) {
    diags.error(spec.node(), fmt::format("{}: timeWindow is required", what));
    return std::nullopt;
  }
  if (!list.IsSequence() || list.size() != 1) {
    diags.error(list, fmt::format("{}: timeWindow must be a list of exactly one window", what));
    return std::nullopt;
  }
  MapReader w(list[0], diags, what + ": timeWindow[0]");
  if (!w.valid()) return std::nullopt;
  const YAML::Node dn = w.get("duration");
  if (!dn.IsDefined()) {
    diags.error(list[0], fmt::format("{}: timeWindow[0].duration is required", what));
    return std::nullopt;
  }
  const auto d = read_openslo_duration(dn, diags, what + ": timeWindow[0].duration");
  const bool rolling = w.boolean("isRolling").value_or(true);
  const YAML::Node cal = w.get("calendar");
  if (!d) return std::nullopt;
  return rolling ? rolling_window(*d, dn, cal, diags, what) : calendar_window(*d, dn, cal, diags, what);
}

}  // namespace budgetd::config
