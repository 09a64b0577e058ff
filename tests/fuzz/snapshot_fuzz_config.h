#pragma once
// The SLOs the snapshot harness loads snapshots into, and make_seeds writes its seed snapshots
// from: short windows and rules, so that a seed holding every ring word stays a few KiB.

namespace budgetd::fuzz {

inline constexpr const char* kSnapshotFuzzConfig = R"(
storage: {status_lookback: 10m}
alerting:
  rules:
    - {name: page-fast, severity: page, long: 1h, short: 5m, factor: 14.4}
slos:
  - {name: a, service: s, objective: 99.9, windows: ["2h"], sli: {type: ratio}}
  - name: b
    service: s
    objective: 99
    windows: ["2h"]
    budgeting: {method: timeslices, slice: 1m, slice_target: 0.9}
    sli: {type: latency, threshold_ms: 100}
)";

}  // namespace budgetd::fuzz
