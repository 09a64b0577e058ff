#pragma once
// Every module reads time from an injected Clock, never from the system directly, so tests and
// backtests run on simulated time and nothing sleeps to wait for a bucket to roll.
//
//   ManualClock clock{parse_timestamp("2026-11-24T10:00:00Z").value()};
//   Server server{config, clock};
//   clock.advance(std::chrono::minutes{5});
//
// Thread safety: now() may be called from any thread; ManualClock's setters too.

#include <atomic>

#include "budgetd/core/time.h"

namespace budgetd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};

// Wall-clock UTC time.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
};

// Time that moves only when a test or a backtest moves it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : ms_(to_unix_ms(start)) {}

  // relaxed: the clock value is a standalone number; no other memory is published with it.
  Timestamp now() const override { return from_unix_ms(ms_.load(std::memory_order_relaxed)); }
  void set(Timestamp t) { ms_.store(to_unix_ms(t), std::memory_order_relaxed); }
  void advance(Millis d) { ms_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace budgetd
