#pragma once
// The burn of README "Episodes and postmortems", which the episode tests (unit, integration) and
// the backtest replay each in their own way: one event of 600 requests per minute, a day of good
// ones before kT0, then minutes 0 to 9 half failing. At 99 % a 1h window of 36,000 events with
// 3,000 bad burns at 3000 / 36000 / 0.01 = 8.33: page-fast fires once the 1h window burns above 5
// (minute 7 of the burn), ticket-slow once the 6h one burns above 1 (minute 8).

#include <cstdint>
#include <string>

namespace budgetd::test::burn {

// The SLO's `slos:` list; a test prepends or appends the rest of its config.
inline constexpr const char* kSlos = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99
    windows: ["30d"]
    sli: {type: ratio}
    alerting:
      rules:
        - {name: page-fast, severity: page, long: 1h, short: 5m, factor: 5}
        - {name: ticket-slow, severity: ticket, long: 6h, short: 30m, factor: 1}
)";

inline constexpr uint64_t kRequestsPerMinute = 600;
inline constexpr int kFirstMinute = -24 * 60;  // the day of good events before the burn
inline constexpr int kBurnMinutes = 10;        // minutes 0 to 9

// Bad requests in minute m (its event is at kT0 + m minutes).
constexpr uint64_t bad_in_minute(int m) { return m >= 0 && m < kBurnMinutes ? kRequestsPerMinute / 2 : 0; }

}  // namespace budgetd::test::burn
