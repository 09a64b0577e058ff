#pragma once
// Where an SLO's counts come from, and how OTLP spans become events (issue 16). An SLO counts
// events by default (POST /v1/events, and OTLP spans turned into events); with `source:` it
// takes its good/total counts from counters pushed as OTLP metrics or Prometheus remote_write.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace budgetd::config {

enum class SourceKind { kEvents, kOtlpMetrics, kPrometheus };

// One counter an SLO reads (source.otlp.good / .total / .bad, source.prometheus.*).
struct CounterSelector {
  std::string text;  // as written, for diagnostics and the status
  friend bool operator==(const CounterSelector&, const CounterSelector&) = default;
};

struct CountSource {
  SourceKind kind = SourceKind::kEvents;
  friend bool operator==(const CountSource&, const CountSource&) = default;
};

// ingest.otlp: spans of these kinds become one event each.
struct OtlpIngestConfig {
  std::vector<std::string> span_kinds{"SERVER", "CONSUMER"};
  friend bool operator==(const OtlpIngestConfig&, const OtlpIngestConfig&) = default;
};

}  // namespace budgetd::config
