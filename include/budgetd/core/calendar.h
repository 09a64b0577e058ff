#pragma once
// Calendar periods in IANA time zones, for calendar budget windows (DESIGN.md §3): a period
// runs from local midnight at its start (Monday for weeks, the 1st for months, Jan/Apr/Jul/Oct 1
// for quarters, Jan 1 for years) to the next period's start. Time-zone rules come from the
// system's tzdata through Howard Hinnant's date library, so DST is handled: a day is 23, 24 or
// 25 hours, and a local midnight that does not exist (a DST jump at 00:00) starts at the jump.
//
//   const TimeZone* berlin = find_time_zone("Europe/Berlin");
//   Period p = calendar_period(CalendarUnit::kMonthly, *berlin, now);   // [Nov 1 00:00 CET, Dec 1 00:00 CET)
//
// Thread safety: everything here may be used from any thread (tzdata is loaded once, lazily).

#include <optional>
#include <string>
#include <string_view>

#include "budgetd/core/time.h"

namespace date {
class time_zone;
}

namespace budgetd {

enum class CalendarUnit { kDaily, kWeekly, kMonthly, kQuarterly, kYearly };
const char* to_string(CalendarUnit u);
std::optional<CalendarUnit> parse_calendar_unit(std::string_view name);

using TimeZone = date::time_zone;
// nullptr when the system tzdata has no zone of that name.
const TimeZone* find_time_zone(std::string_view name);

struct Period {
  Timestamp start;  // inclusive
  Timestamp end;    // exclusive: the next period's start
  friend bool operator==(const Period&, const Period&) = default;
};

// The period of `unit` in `zone` that holds t.
Period calendar_period(CalendarUnit unit, const TimeZone& zone, Timestamp t);

// The longest a period of `unit` can be (a DST hour included): what a ring must retain.
Millis longest_period(CalendarUnit unit);

// The coarsest store resolution (1h or 5m) that every UTC offset `zone` has used since 1990, and
// has scheduled until 2100, is a multiple of, so that local midnights fall on bucket edges:
// 1h for most zones, 5m for zones such as Asia/Kolkata (+05:30) or Asia/Kathmandu (+05:45).
// nullopt for a zone with an offset that is not a whole number of 5 minutes.
std::optional<Millis> calendar_resolution(const TimeZone& zone);

}  // namespace budgetd
