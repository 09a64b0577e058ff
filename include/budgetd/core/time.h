#pragma once
// Time in budgetd: instants are UTC milliseconds since the Unix epoch, durations are
// milliseconds. Events carry millisecond timestamps, so nothing finer is ever needed.
//
//   Result<Timestamp> t = parse_timestamp("2026-11-24T10:00:00Z");   // or "1795514400000"
//   std::string s = format_rfc3339(*t);                              // "2026-11-24T10:00:00Z"
//   Result<Millis> w = parse_duration("1h30m");                      // 5'400'000 ms

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "budgetd/core/status.h"

namespace budgetd {

using Millis = std::chrono::milliseconds;
using Timestamp = std::chrono::sys_time<Millis>;

inline constexpr Millis kSecond{1000};
inline constexpr Millis kMinute{60 * 1000};
inline constexpr Millis kHour{60 * kMinute};
inline constexpr Millis kDay{24 * kHour};

constexpr int64_t to_unix_ms(Timestamp t) { return t.time_since_epoch().count(); }
constexpr Timestamp from_unix_ms(int64_t ms) { return Timestamp{Millis{ms}}; }

// Floor division that rounds toward negative infinity, for bucket indexes.
constexpr int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// "2026-11-24T10:00:00Z", with ".123" before the Z when the milliseconds are not zero.
std::string format_rfc3339(Timestamp t);

// RFC 3339 date-time: "2026-11-24T10:00:00Z", "2026-11-24T11:00:00.5+01:00"; 't'/'z' accepted,
// fractions finer than a millisecond are truncated. Allocates only for the error message.
Result<Timestamp> parse_rfc3339(std::string_view text);

// A timestamp given by a person or a query parameter: unix milliseconds ("1795514400000") or
// RFC 3339.
Result<Timestamp> parse_timestamp(std::string_view text);

// Durations as in Prometheus: one or more <number><unit> with units ms, s, m, h, d, w, y
// (y = 365d), largest first: "30d", "1h30m", "90s". Zero and negative durations are rejected.
Result<Millis> parse_duration(std::string_view text);

// The shortest such string for d: 30 * kDay -> "30d", 90 * kMinute -> "1h30m".
std::string format_duration(Millis d);

}  // namespace budgetd
