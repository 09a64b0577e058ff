// Calendar periods across DST, month ends, leap days and week starts, checked against dates
// worked out by hand from the published tz rules.

#include <gtest/gtest.h>

#include "budgetd/core/calendar.h"

namespace budgetd {
namespace {

Timestamp at(const char* rfc3339) { return parse_rfc3339(rfc3339).value(); }

Period period(CalendarUnit u, const char* zone, const char* t) {
  const TimeZone* z = find_time_zone(zone);
  EXPECT_NE(z, nullptr) << zone;
  return calendar_period(u, *z, at(t));
}

std::string str(const Period& p) { return format_rfc3339(p.start) + " " + format_rfc3339(p.end); }

TEST(Calendar, DaysAcrossDstInNewYorkAre23And25Hours) {
  // 2026-03-08: clocks go 02:00 EST -> 03:00 EDT. 2026-11-01: 02:00 EDT -> 01:00 EST.
  const Period spring = period(CalendarUnit::kDaily, "America/New_York", "2026-03-08T12:00:00Z");
  EXPECT_EQ(str(spring), "2026-03-08T05:00:00Z 2026-03-09T04:00:00Z");
  EXPECT_EQ(spring.end - spring.start, 23 * kHour);
  const Period fall = period(CalendarUnit::kDaily, "America/New_York", "2026-11-01T12:00:00Z");
  EXPECT_EQ(str(fall), "2026-11-01T04:00:00Z 2026-11-02T05:00:00Z");
  EXPECT_EQ(fall.end - fall.start, 25 * kHour);
  // The instant just before local midnight belongs to the day before.
  EXPECT_EQ(str(period(CalendarUnit::kDaily, "America/New_York", "2026-03-08T04:59:59.999Z")),
            "2026-03-07T05:00:00Z 2026-03-08T05:00:00Z");
}

TEST(Calendar, BerlinMonthsAndWeeksAcrossDst) {
  // March 2026 starts in CET (+01:00) and ends in CEST (+02:00): 31 days less an hour.
  const Period march = period(CalendarUnit::kMonthly, "Europe/Berlin", "2026-03-15T00:00:00Z");
  EXPECT_EQ(str(march), "2026-02-28T23:00:00Z 2026-03-31T22:00:00Z");
  EXPECT_EQ(march.end - march.start, 31 * kDay - kHour);
  // The week of the October change (Sunday 2026-10-25, 03:00 CEST -> 02:00 CET) starts on Monday
  // the 19th in CEST and ends on Monday the 26th in CET: 7 days and an hour.
  const Period week = period(CalendarUnit::kWeekly, "Europe/Berlin", "2026-10-22T10:00:00Z");
  EXPECT_EQ(str(week), "2026-10-18T22:00:00Z 2026-10-25T23:00:00Z");
  EXPECT_EQ(week.end - week.start, 7 * kDay + kHour);
}

TEST(Calendar, WeeksStartOnMonday) {
  // 2026-11-24 is a Tuesday; 2026-11-29 a Sunday, still the same week; 2026-11-30 a Monday.
  EXPECT_EQ(str(period(CalendarUnit::kWeekly, "UTC", "2026-11-24T10:00:00Z")),
            "2026-11-23T00:00:00Z 2026-11-30T00:00:00Z");
  EXPECT_EQ(str(period(CalendarUnit::kWeekly, "UTC", "2026-11-29T23:59:59Z")),
            "2026-11-23T00:00:00Z 2026-11-30T00:00:00Z");
  EXPECT_EQ(str(period(CalendarUnit::kWeekly, "UTC", "2026-11-30T00:00:00Z")),
            "2026-11-30T00:00:00Z 2026-12-07T00:00:00Z");
}

TEST(Calendar, MonthEndsAndTheLeapDayOf2028) {
  EXPECT_EQ(str(period(CalendarUnit::kMonthly, "UTC", "2028-01-31T23:59:59.999Z")),
            "2028-01-01T00:00:00Z 2028-02-01T00:00:00Z");
  const Period feb = period(CalendarUnit::kMonthly, "UTC", "2028-02-29T12:00:00Z");
  EXPECT_EQ(str(feb), "2028-02-01T00:00:00Z 2028-03-01T00:00:00Z");
  EXPECT_EQ(feb.end - feb.start, 29 * kDay);
  EXPECT_EQ(period(CalendarUnit::kMonthly, "UTC", "2027-02-10T00:00:00Z").end -
                period(CalendarUnit::kMonthly, "UTC", "2027-02-10T00:00:00Z").start,
            28 * kDay);
  // In Tokyo (+09:00) 2028-02-29T20:00Z is already March 1st.
  EXPECT_EQ(str(period(CalendarUnit::kMonthly, "Asia/Tokyo", "2028-02-29T20:00:00Z")),
            "2028-02-29T15:00:00Z 2028-03-31T15:00:00Z");
}

TEST(Calendar, QuartersAndYears) {
  EXPECT_EQ(str(period(CalendarUnit::kQuarterly, "UTC", "2026-11-24T10:00:00Z")),
            "2026-10-01T00:00:00Z 2027-01-01T00:00:00Z");
  EXPECT_EQ(str(period(CalendarUnit::kQuarterly, "America/New_York", "2026-04-01T03:00:00Z")),
            "2026-01-01T05:00:00Z 2026-04-01T04:00:00Z");  // still March 31st in New York
  const Period leap_year = period(CalendarUnit::kYearly, "UTC", "2028-07-01T00:00:00Z");
  EXPECT_EQ(leap_year.end - leap_year.start, 366 * kDay);
}

TEST(Calendar, AMidnightSkippedByDstStartsAtTheJump) {
  // America/Santiago moves clocks from 24:00 to 01:00 on 2026-09-06 (-04:00 -> -03:00): that day
  // has no local midnight and starts at the jump, 04:00Z.
  const Period day = period(CalendarUnit::kDaily, "America/Santiago", "2026-09-06T12:00:00Z");
  EXPECT_EQ(format_rfc3339(day.start), "2026-09-06T04:00:00Z");
  EXPECT_EQ(format_rfc3339(day.end), "2026-09-07T03:00:00Z");
  EXPECT_EQ(day.end - day.start, 23 * kHour);
}

TEST(Calendar, ResolutionFollowsTheZonesOffsets) {
  EXPECT_EQ(calendar_resolution(*find_time_zone("UTC")), kHour);
  EXPECT_EQ(calendar_resolution(*find_time_zone("Europe/Berlin")), kHour);
  EXPECT_EQ(calendar_resolution(*find_time_zone("Asia/Kolkata")), 5 * kMinute);    // +05:30
  EXPECT_EQ(calendar_resolution(*find_time_zone("Asia/Kathmandu")), 5 * kMinute);  // +05:45
  EXPECT_EQ(find_time_zone("Mars/Olympus_Mons"), nullptr);
  // A Kolkata day starts at 18:30Z, on a 5-minute bucket edge.
  EXPECT_EQ(str(period(CalendarUnit::kDaily, "Asia/Kolkata", "2026-11-24T10:00:00Z")),
            "2026-11-23T18:30:00Z 2026-11-24T18:30:00Z");
}

}  // namespace
}  // namespace budgetd
