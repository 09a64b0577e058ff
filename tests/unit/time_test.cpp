#include "budgetd/core/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/core/window.h"

namespace budgetd {
namespace {

constexpr int64_t kT0 = 1795514400000;  // 2026-11-24T10:00:00Z

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2026-11-24T10:00:00Z").value()), kT0);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2026-11-24T11:00:00+01:00").value()), kT0);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2026-11-24T04:30:00-05:30").value()), kT0);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2026-11-24t10:00:00.5z").value()), kT0 + 500);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2026-11-24T10:00:00.123456789Z").value()), kT0 + 123);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("1970-01-01T00:00:00Z").value()), 0);
  EXPECT_EQ(to_unix_ms(parse_rfc3339("2028-02-29T00:00:00Z").value()), 1835395200000);
}

TEST(Rfc3339, RejectsWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2026-11-24", "2026-11-24T10:00:00", "2026-13-01T00:00:00Z", "2027-02-29T00:00:00Z", "2026-11-24T24:00:00Z",
        "2026-11-24T10:00:00+1:00", "2026-11-24T10:00:00Zjunk", "2026-11-24T10:00:00.Z", "2026/11/24T10:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad).ok()) << bad;
  }
  EXPECT_NE(parse_rfc3339("2026-11-24").status().message().find("RFC 3339"), std::string::npos);
}

TEST(Rfc3339, FormatsUtcWithMillisecondsOnlyWhenPresent) {
  EXPECT_EQ(format_rfc3339(from_unix_ms(kT0)), "2026-11-24T10:00:00Z");
  EXPECT_EQ(format_rfc3339(from_unix_ms(kT0 + 7)), "2026-11-24T10:00:00.007Z");
  EXPECT_EQ(format_rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00Z");
}

TEST(Timestamp, AcceptsUnixMillisOrRfc3339) {
  EXPECT_EQ(to_unix_ms(parse_timestamp("1795514400000").value()), kT0);
  EXPECT_EQ(to_unix_ms(parse_timestamp("2026-11-24T10:00:00Z").value()), kT0);
  EXPECT_FALSE(parse_timestamp("99999999999999999999999").ok());
  EXPECT_FALSE(parse_timestamp("-5").ok());
}

TEST(Duration, ParsesPrometheusStyle) {
  EXPECT_EQ(parse_duration("30d").value(), 30 * kDay);
  EXPECT_EQ(parse_duration("1h30m").value(), 90 * kMinute);
  EXPECT_EQ(parse_duration("10s").value(), 10 * kSecond);
  EXPECT_EQ(parse_duration("250ms").value(), Millis{250});
  EXPECT_EQ(parse_duration("2w").value(), 14 * kDay);
  EXPECT_EQ(parse_duration("1y").value(), 365 * kDay);
  for (const char* bad : {"", "0s", "30", "d", "1x", "30m1h", "1h1h", "-5m", "1.5h", "999999999999y"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
}

// Regression (issue 11, finding 9): a sign inside a duration was read as part of the number,
// so windows: ["2d-1h"] was served as 1d23h; and "-9223372036854775808d" overflowed.
TEST(DurationRegression, NegativePartsWereSubtracted) {
  for (const char* bad : {"2d-1h", "1d-0s", "1h+30m", "1d-1h30m", "+5m", "-9223372036854775808d", "1h-"}) {
    const auto d = parse_duration(bad);
    ASSERT_FALSE(d.ok()) << bad << " parsed as " << format_duration(*d);
    EXPECT_THAT(d.status().message(), ::testing::HasSubstr("no signs")) << bad;
  }
  EXPECT_EQ(parse_duration("1d23h").value(), 47 * kHour);
}

TEST(Duration, FormatsShortestWithDaysAsLargestUnit) {
  EXPECT_EQ(format_duration(30 * kDay), "30d");
  EXPECT_EQ(format_duration(7 * kDay), "7d");
  EXPECT_EQ(format_duration(90 * kMinute), "1h30m");
  EXPECT_EQ(format_duration(Millis{1500}), "1s500ms");
  for (const char* s : {"5m", "2h", "3d", "6h", "28d"}) EXPECT_EQ(format_duration(parse_duration(s).value()), s);
}

TEST(FloorDiv, RoundsTowardNegativeInfinity) {
  EXPECT_EQ(floor_div(7, 2), 3);
  EXPECT_EQ(floor_div(-7, 2), -4);
  EXPECT_EQ(floor_div(-8, 2), -4);
  EXPECT_EQ(floor_div(0, 5), 0);
}

TEST(Window, ResolutionLadder) {
  EXPECT_EQ(resolution_for(5 * kMinute), 10 * kSecond);
  EXPECT_EQ(resolution_for(kHour), 10 * kSecond);
  EXPECT_EQ(resolution_for(2 * kHour), kMinute);
  EXPECT_EQ(resolution_for(6 * kHour), kMinute);
  EXPECT_EQ(resolution_for(kDay), 5 * kMinute);
  EXPECT_EQ(resolution_for(3 * kDay), 5 * kMinute);
  EXPECT_EQ(resolution_for(7 * kDay), kHour);
  EXPECT_EQ(resolution_for(30 * kDay), kHour);
}

// DESIGN.md §3: end = floor(t / r) * r + r; start = end - W.
TEST(Window, BoundsIncludeTheBucketHoldingT) {
  const Timestamp t = from_unix_ms(kT0 + 5 * 60'000 + 3'000);  // 10:05:03
  const WindowBounds h1 = window_bounds(kHour, t);
  EXPECT_EQ(format_rfc3339(h1.end), "2026-11-24T10:05:10Z");
  EXPECT_EQ(format_rfc3339(h1.start), "2026-11-24T09:05:10Z");
  EXPECT_EQ(h1.end_bucket() - h1.first_bucket(), 360);
  const WindowBounds d30 = window_bounds(30 * kDay, t);
  EXPECT_EQ(format_rfc3339(d30.end), "2026-11-24T11:00:00Z");
  EXPECT_EQ(format_rfc3339(d30.start), "2026-10-25T11:00:00Z");
  // t exactly on a boundary belongs to the bucket that starts there.
  const WindowBounds aligned = window_bounds(5 * kMinute, from_unix_ms(kT0));
  EXPECT_EQ(format_rfc3339(aligned.end), "2026-11-24T10:00:10Z");
}

}  // namespace
}  // namespace budgetd
