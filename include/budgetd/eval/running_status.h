#pragma once
// The status the evaluation loop computes every tick, from window sums kept running between
// ticks (src/eval/running_windows.h) rather than re-read: the same SloStatus evaluate_slo(slo,
// now, now, lookback) gives, at a few buckets' reads per window instead of the whole window.
//
//   eval::RunningStatus running;                  // one per SLO, kept across ticks
//   Result<SloStatus> s = running.evaluate(slo, clock.now());
//
// Thread safety: one thread at a time per object (the evaluation loop); the store may be written
// concurrently. A second RunningStatus over the same series would take the first one's
// written-since floors and answer stale sums: one per series.

#include <memory>

#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {

class RunningWindows;

class RunningStatus {
 public:
  RunningStatus();
  ~RunningStatus();
  RunningStatus(RunningStatus&&) noexcept;
  RunningStatus& operator=(RunningStatus&&) noexcept;

  // The status of `slo` at `now`. Calls must move forward with the clock to keep the sums
  // running; a step back (or a different series) reads the windows afresh.
  Result<SloStatus> evaluate(const store::StoredSlo& slo, Timestamp now);

  // Windows the last evaluate() kept running, and windows it read afresh (tests, benchmarks).
  uint32_t kept_windows() const;
  uint32_t rebuilt_windows() const;

 private:
  std::unique_ptr<RunningWindows> windows_;
};

}  // namespace budgetd::eval
