#pragma once
// The per-SLO part of GET /metrics. The evaluator renders it once per evaluation tick, from the
// statuses it has just computed for the alert rules, and every scrape until the next tick sends
// that one rendering, shared and never copied: a scrape costs no evaluation, and concurrent
// scrapes never render side by side. The samples are as of the tick, at most
// alerting.evaluation_interval old; budgetd_slo_evaluation_timestamp_seconds says when it ran.
//
//   SloMetricsWriter w;
//   for (const StoredSlo& slo : set.slos()) {
//     auto status = eval::evaluate_slo(slo, now, now, lookback);
//     alerts.observe(slo, *status, now);
//     w.add(slo, *status, alerts);                 // after its alert states are updated
//   }
//   std::shared_ptr<const SloMetrics> m = w.finish(now, took);
//
// Families (samples of one family stay together, as the exposition format requires):
//   budgetd_slo_objective_ratio{slo,service}
//   budgetd_slo_sli_ratio{slo,service,window}            every window (budget windows: the method's SLI)
//   budgetd_slo_burn_rate{slo,service,window}            events, every window
//   budgetd_slo_error_budget_remaining_ratio{slo,service,window,primary}   every budget window
//   budgetd_slo_events_total{slo,service,result="good|bad"}                 ingested by this process
//   budgetd_slo_tier{slo,service,tier}                   1 for the current tier, 0 for the others
//   budgetd_slo_alert_firing{slo,service,rule,severity}  1 while firing
//   budgetd_slo_evaluation_timestamp_seconds, budgetd_slo_evaluation_duration_seconds
//
// Thread safety: a writer belongs to one thread. A finished SloMetrics is immutable and may be
// read by any number of threads.

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "budgetd/core/time.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::api {

struct SloMetrics {
  std::vector<std::string> parts;  // the exposition text, in parts of at most ~64 KiB, in order
  Timestamp evaluated_at;
};

class SloMetricsWriter {
 public:
  SloMetricsWriter();

  // Writes the samples of one SLO evaluated at status.at; `alerts` holds its rules' states as of then.
  void add(const store::StoredSlo& slo, const eval::SloStatus& status, const eval::AlertTracker& alerts);
  // `took`: how long the evaluation (and this rendering) of every SLO took, in real time.
  std::shared_ptr<const SloMetrics> finish(Timestamp evaluated_at, std::chrono::nanoseconds took) &&;

 private:
  enum Family {
    kObjective,
    kSli,
    kBurnRate,
    kRemaining,
    kEvents,
    kTier,
    kFiring,
    kInsufficientData,
    kTooFewEvents,
    kFamilies
  };
  static constexpr size_t kChunkBytes = 64 * 1024;
  static constexpr size_t kSampleBytes = 1024;  // room left in a chunk for one more sample line
  // The family's chunk with room for another sample.
  std::string& chunk(Family f);
  // Appends `name{<slo labels><extra>} value\n` to the family's text.
  void sample(Family f, std::string_view extra, double value);

  std::array<std::vector<std::string>, kFamilies> families_;
  std::string labels_;  // slo="...",service="..." of the SLO being added
};

}  // namespace budgetd::api
