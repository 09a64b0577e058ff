#include "budgetd/core/calendar.h"

#include <date/tz.h>

namespace budgetd {

namespace {

using LocalMs = date::local_time<Millis>;

date::local_days first_day(CalendarUnit unit, date::local_days day) {
  const date::year_month_day ymd{day};
  switch (unit) {
    case CalendarUnit::kDaily:
      return day;
    case CalendarUnit::kWeekly:
      return day - (date::weekday{day} - date::Monday);  // weekday difference is 0..6 days
    case CalendarUnit::kMonthly:
      return date::local_days{ymd.year() / ymd.month() / 1};
    case CalendarUnit::kQuarterly: {
      const unsigned first_month = (static_cast<unsigned>(ymd.month()) - 1) / 3 * 3 + 1;
      return date::local_days{ymd.year() / date::month{first_month} / 1};
    }
    case CalendarUnit::kYearly:
      return date::local_days{ymd.year() / date::January / 1};
  }
  return day;
}

date::local_days next_first_day(CalendarUnit unit, date::local_days first) {
  const date::year_month_day ymd{first};
  switch (unit) {
    case CalendarUnit::kDaily:
      return first + date::days{1};
    case CalendarUnit::kWeekly:
      return first + date::days{7};
    case CalendarUnit::kMonthly:
      return date::local_days{ymd + date::months{1}};
    case CalendarUnit::kQuarterly:
      return date::local_days{ymd + date::months{3}};
    case CalendarUnit::kYearly:
      return date::local_days{ymd + date::years{1}};
  }
  return first;
}

// Local midnight of `day` as an instant; a midnight skipped by a DST jump maps to the jump.
Timestamp midnight(const TimeZone& zone, date::local_days day) {
  return zone.to_sys(LocalMs{day}, date::choose::earliest);
}

}  // namespace

const char* to_string(CalendarUnit u) {
  switch (u) {
    case CalendarUnit::kDaily:
      return "day";
    case CalendarUnit::kWeekly:
      return "week";
    case CalendarUnit::kMonthly:
      return "month";
    case CalendarUnit::kQuarterly:
      return "quarter";
    case CalendarUnit::kYearly:
      return "year";
  }
  return "?";
}

std::optional<CalendarUnit> parse_calendar_unit(std::string_view name) {
  for (const CalendarUnit u : {CalendarUnit::kDaily, CalendarUnit::kWeekly, CalendarUnit::kMonthly,
                               CalendarUnit::kQuarterly, CalendarUnit::kYearly}) {
    if (name == to_string(u)) return u;
  }
  return std::nullopt;
}

const TimeZone* find_time_zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {  // std::runtime_error for an unknown name
    return nullptr;
  }
}

Period calendar_period(CalendarUnit unit, const TimeZone& zone, Timestamp t) {
  const date::local_days day = date::floor<date::days>(zone.to_local(t));
  date::local_days first = first_day(unit, day);
  Period p{midnight(zone, first), midnight(zone, next_first_day(unit, first))};
  // Just after a DST jump that skipped midnight, t's local day can start after t: step back.
  if (t < p.start) {
    first = first_day(unit, first - date::days{1});
    p = {midnight(zone, first), midnight(zone, next_first_day(unit, first))};
  }
  return p;
}

Millis longest_period(CalendarUnit unit) {
  switch (unit) {
    case CalendarUnit::kDaily:
      return kDay + kHour;
    case CalendarUnit::kWeekly:
      return 7 * kDay + kHour;
    case CalendarUnit::kMonthly:
      return 31 * kDay + kHour;
    case CalendarUnit::kQuarterly:
      return 92 * kDay + kHour;
    case CalendarUnit::kYearly:
      return 366 * kDay + kHour;
  }
  return kDay;
}

std::optional<Millis> calendar_resolution(const TimeZone& zone) {
  using date::sys_days;
  const auto from = sys_days{date::year{1990} / 1 / 1};
  const auto to = sys_days{date::year{2100} / 1 / 1};
  Millis resolution = kHour;
  for (auto at = date::sys_seconds{from}; at < to;) {
    const date::sys_info info = zone.get_info(at);
    const auto offset = info.offset.count();
    if (offset % 3600 != 0) {
      if (offset % 300 != 0) return std::nullopt;
      resolution = 5 * kMinute;
    }
    if (info.end <= at) break;  // no later transition
    at = info.end;
  }
  return resolution;
}

}  // namespace budgetd
