#pragma once
// What the OTLP and remote_write harnesses share: the SLOs their inputs are routed to, and the
// promises every decoded batch keeps (whatever the bytes): no crash, no hang, deltas with
// good <= total, every event with a service and a latency >= 0.

#include <memory>
#include <string>

#include "budgetd/config/loader.h"
#include "budgetd/ingest/delta_batch.h"
#include "budgetd/inputs/counter_routes.h"
#include "check.h"

namespace budgetd::fuzz {

inline std::shared_ptr<const store::SloSet> inputs_slos() {
  static const std::shared_ptr<const store::SloSet> set = [] {
    auto r = config::load_config_string(R"(
slos:
  - {name: a, service: checkout, objective: 99, sli: {type: ratio}}
  - name: b
    service: b
    objective: 99
    sli: {type: ratio}
    source: {prometheus: {total: 'http_requests_total', bad: 'http_requests_total{code=~"5.."}'}}
  - name: c
    service: c
    objective: 99
    sli: {type: ratio}
    source: {otlp: {good: {metric: ok}, total: {metric: calls, attributes: {svc: c}}}}
  - name: d
    service: d
    objective: 99
    sli: {type: latency, threshold_ms: 250}
    source: {otlp: {histogram: {metric: duration}}}
)",
                                        "fuzz.yaml");
    check(r.ok(), "the harness's config loads");
    return store::SloSet::build(*r.config, nullptr);
  }();
  return set;
}

inline void check_deltas(const ingest::DeltaBatch& deltas) {
  for (const auto& d : deltas.deltas()) check(d.good <= d.total, "a delta's good <= its total");
}

}  // namespace budgetd::fuzz
