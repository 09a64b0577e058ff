// `source:` and `ingest.otlp` in the config: what loads, and every error at file:line:column.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"

namespace budgetd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "c.yaml"); }

std::vector<std::string> errors(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::kError) out.push_back(d.to_string());
  return out;
}

TEST(SourceConfig, PrometheusSelectorsParse) {
  const LoadResult r = load(R"(
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli: {type: ratio}
    source:
      prometheus:
        total: 'http_requests_total{job="checkout"}'
        bad: 'http_requests_total{job="checkout", code=~"5..", path!="/healthz", method!~"OPTIONS|HEAD"}'
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const CountSource& s = r.config->slos[0].source;
  EXPECT_EQ(s.kind, SourceKind::kPrometheus);
  EXPECT_EQ(s.part_role, CounterRole::kBad);
  EXPECT_EQ(s.total.metric, "http_requests_total");
  ASSERT_EQ(s.total.matchers.size(), 1u);
  EXPECT_EQ(s.total.matchers[0], (LabelMatcher{"job", MatchOp::kEqual, "checkout"}));
  ASSERT_EQ(s.part.matchers.size(), 4u);
  EXPECT_EQ(s.part.matchers[1], (LabelMatcher{"code", MatchOp::kRegex, "5.."}));
  EXPECT_EQ(s.part.matchers[2], (LabelMatcher{"path", MatchOp::kNotEqual, "/healthz"}));
  EXPECT_EQ(s.part.matchers[3], (LabelMatcher{"method", MatchOp::kNotRegex, "OPTIONS|HEAD"}));
  // The source is part of the SLO's identity: counts from events do not carry over to it.
  EXPECT_THAT(r.config->slos[0].identity(), HasSubstr("source prometheus total=http_requests_total{job=\"checkout\"}"));
}

// Counters carry no event labels: attribution's parts could never add up to such an SLO.
TEST(SourceConfig, AttributionNeedsEventsNotCounters) {
  const LoadResult r = load(R"(
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli: {type: ratio}
    source:
      prometheus:
        total: 'http_requests_total{job="checkout"}'
        bad: 'http_requests_total{job="checkout", code=~"5.."}'
    attribution: {labels: [endpoint]}
)");
  EXPECT_THAT(errors(r),
              ElementsAre(HasSubstr("c.yaml:11:18: error: SLO 'checkout': attribution: needs events with labels")));
}

TEST(SourceConfig, NameInBracesAndErrorsAtTheirPlace) {
  EXPECT_EQ(parse_prometheus_selector("{__name__=\"up\",job=\"a\"}")->metric, "up");
  EXPECT_THAT(parse_prometheus_selector("{job=\"a\"}").status().message(), HasSubstr("metric name is required"));
  EXPECT_THAT(parse_prometheus_selector("x{job=~\"(\"}").status().message(), HasSubstr("invalid regular expression"));
  EXPECT_THAT(parse_prometheus_selector("x{job=\"a\"").status().message(), HasSubstr("expected a label name"));
  EXPECT_THAT(parse_prometheus_selector("x{job~\"a\"}").status().message(), HasSubstr("expected one of"));
  EXPECT_THAT(parse_prometheus_selector("x{job=\"a}").status().message(), HasSubstr("unterminated string"));
  const LoadResult r = load(R"(
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli: {type: ratio}
    source:
      prometheus: {total: 'x_total', bad: 'x_total{code=~"5(.."}'}
)");
  EXPECT_THAT(errors(r),
              ElementsAre(HasSubstr("c.yaml:8:43: error: SLO 'checkout': source.prometheus.bad: "
                                    "'x_total{code=~\"5(..\"}': label code has an invalid regular expression")));
}

TEST(SourceConfig, LatencyNeedsTheBucketAtTheThreshold) {
  const std::string head = R"(
slos:
  - name: search
    service: search
    objective: 99
    sli: {type: latency, threshold_ms: 300}
    source:
      prometheus:
        total: 'http_request_duration_seconds_count{job="search"}'
)";
  EXPECT_TRUE(load(head + "        good: 'http_request_duration_seconds_bucket{job=\"search\",le=\"0.3\"}'\n").ok());
  EXPECT_THAT(errors(load(head + "        good: 'http_request_duration_seconds_bucket{job=\"search\",le=\"0.25\"}'\n")),
              ElementsAre(HasSubstr("c.yaml:10:15: error: SLO 'search': source.prometheus.good: le=\"0.25\" is a "
                                    "bucket bound of 250 ms, but threshold_ms is 300")));
  EXPECT_THAT(errors(load(head + "        good: 'http_request_duration_seconds_count'\n")),
              ElementsAre(HasSubstr("counts a histogram's `_bucket{le=\"...\"}` series as good")));
}

TEST(SourceConfig, OtlpSumsAndHistograms) {
  const LoadResult r = load(R"(
slos:
  - name: pay
    service: pay
    objective: 99.9
    sli: {type: ratio}
    source: {otlp: {good: {metric: rpc.ok, attributes: {rpc.service: pay}}, total: {metric: rpc.calls}}}
  - name: pay-latency
    service: pay
    objective: 99
    sli: {type: latency, threshold_ms: 250}
    source: {otlp: {histogram: {metric: http.server.request.duration}}}
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->slos[0].source.part.matchers[0], (LabelMatcher{"rpc.service", MatchOp::kEqual, "pay"}));
  EXPECT_TRUE(r.config->slos[1].source.otlp_histogram);
  EXPECT_THAT(errors(load(R"(
slos:
  - name: pay
    service: pay
    objective: 99.9
    sli: {type: ratio}
    match: {region: eu}
    source: {otlp: {histogram: {metric: h}, good: {metric: a}, total: {metric: b, colour: red}}}
)")),
              ElementsAre(HasSubstr("c.yaml:7:12: error: SLO 'pay': 'match' filters events")));
  EXPECT_THAT(errors(load(R"(
slos:
  - name: pay
    service: pay
    objective: 99.9
    sli: {type: ratio}
    source: {otlp: {good: {metric: a}, total: {metric: b, colour: red}}}
)")),
              ElementsAre(HasSubstr("c.yaml:7:59: error: SLO 'pay': source.otlp.total: unknown key 'colour'")));
  EXPECT_THAT(errors(load(R"(
slos:
  - name: pay
    service: pay
    objective: 99.9
    sli: {type: ratio}
    source: {otlp: {total: {metric: b}}}
)")),
              ElementsAre(HasSubstr("give exactly one of 'good' or 'bad' beside 'total'")));
}

TEST(SourceConfig, IngestOtlp) {
  const LoadResult r = load(R"(
ingest:
  counter_pairing_delay: 0s
  otlp:
    span_kinds: [SERVER]
    labels: {endpoint: http.route, region: cloud.region}
    bad_http_status: {min: 400, max: 599}
slos: []
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const OtlpIngestConfig& o = r.config->ingest.otlp;
  EXPECT_EQ(o.span_kinds, std::vector<std::string>{"SERVER"});
  EXPECT_EQ(o.labels.at("endpoint"), "http.route");
  EXPECT_EQ(o.bad_http_status_min, 400u);
  EXPECT_EQ(r.config->ingest.counter_pairing_delay, Millis{0});
  EXPECT_THAT(errors(load("ingest:\n  otlp: {span_kinds: [SERVR], colour: 1}\nslos: []\n")),
              ElementsAre(HasSubstr("c.yaml:2:23: error: ingest.otlp.span_kinds: unknown kind 'SERVR'"),
                          HasSubstr("c.yaml:2:31: error: ingest.otlp: unknown key 'colour'")));
}

}  // namespace
}  // namespace budgetd::config
