#pragma once
// The per-SLO part of GET /metrics, computed at scrape time from the same views GET /v1/slos
// answers from, so a scrape and a status call at the same instant agree. Private to api.
//
//   budgetd_slo_objective_ratio{slo,service}
//   budgetd_slo_sli_ratio{slo,service,window}            every window (budget windows: the method's SLI)
//   budgetd_slo_burn_rate{slo,service,window}            events, every window
//   budgetd_slo_error_budget_remaining_ratio{slo,service,window,primary}   every budget window
//   budgetd_slo_events_total{slo,service,result="good|bad"}                 ingested by this process
//   budgetd_slo_tier{slo,service,tier}                   1 for the current tier, 0 for the others
//   budgetd_slo_alert_firing{slo,service,rule,severity}  1 while firing

#include "budgetd/eval/alert_tracker.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::api {

void write_slo_metrics(metrics::Exposition& ex, const store::SloSet& set, const eval::AlertTracker& alerts,
                       Timestamp now, Millis lookback);

}  // namespace budgetd::api
