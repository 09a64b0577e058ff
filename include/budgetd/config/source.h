#pragma once
// Where an SLO's counts come from, and how OTLP spans become events (issue 16). An SLO counts
// events by default (POST /v1/events, and OTLP spans turned into events); with `source:` it
// takes its good/total counts from counters pushed as OTLP metrics or Prometheus remote_write.
//
//   source: {prometheus: {total: 'http_requests_total{job="checkout"}',
//                         bad: 'http_requests_total{job="checkout",code=~"5.."}'}}
//   source: {otlp: {good: {metric: rpc.ok, attributes: {svc: a}}, total: {metric: rpc.calls}}}
//   source: {otlp: {histogram: {metric: http.server.request.duration}}}   # latency SLIs

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"

namespace budgetd::config {

enum class SourceKind { kEvents, kOtlpMetrics, kPrometheus };

// A Prometheus label matcher (RE2 semantics, anchored at both ends, as Prometheus matches).
enum class MatchOp { kEqual, kNotEqual, kRegex, kNotRegex };
const char* to_string(MatchOp op);  // "=", "!=", "=~", "!~"

struct LabelMatcher {
  std::string name;
  MatchOp op = MatchOp::kEqual;
  std::string value;
  friend bool operator==(const LabelMatcher&, const LabelMatcher&) = default;
};

// One counter an SLO reads (source.otlp.good / .total / .bad, source.prometheus.*): a metric
// name and the labels (attributes) its series must have.
struct CounterSelector {
  std::string text;                    // as written, for diagnostics and the status
  std::string metric;                  // Prometheus: __name__; OTLP: the metric's name
  std::vector<LabelMatcher> matchers;  // OTLP attributes are all kEqual
  friend bool operator==(const CounterSelector&, const CounterSelector&) = default;
};

// Which share of `total` the other counter counts.
enum class CounterRole { kGood, kBad };

struct CountSource {
  SourceKind kind = SourceKind::kEvents;
  CounterSelector total;
  CounterSelector part;  // good or bad requests, by `part_role`; unused for an OTLP histogram
  CounterRole part_role = CounterRole::kGood;
  // OTLP latency SLIs: `total` names a Histogram; its buckets up to the bound equal to
  // threshold_ms are good, its count is the total.
  bool otlp_histogram = false;

  bool from_counters() const { return kind != SourceKind::kEvents; }
  // One line for identities and the status: "prometheus total=... bad=...".
  std::string describe() const;
  friend bool operator==(const CountSource&, const CountSource&) = default;
};

// Parses a Prometheus series selector: `name{l="v", l2=~"re", ...}`, `name`, or
// `{__name__="name", ...}`. The metric name is required (an exact name: budgetd keeps one
// baseline per series and needs to know which counters it reads). Regexes are checked with
// RE2 here, so a bad one is a config error.
Result<CounterSelector> parse_prometheus_selector(std::string_view text);

// ingest.otlp: spans of these kinds become one event each.
struct OtlpIngestConfig {
  std::vector<std::string> span_kinds{"SERVER", "CONSUMER"};
  // budgetd label -> span (or, when the span lacks it, resource) attribute, e.g. endpoint: http.route
  std::map<std::string, std::string> labels;
  // A span whose http.response.status_code (or the older http.status_code) is in this range is bad.
  uint32_t bad_http_status_min = 500;
  uint32_t bad_http_status_max = 599;
  friend bool operator==(const OtlpIngestConfig&, const OtlpIngestConfig&) = default;
};

}  // namespace budgetd::config
