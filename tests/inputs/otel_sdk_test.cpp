// The OpenTelemetry JS SDK (tests/otel, versions pinned by its package-lock.json, installed by
// scripts/deps.sh with npm ci) sends spans and metrics through its protobuf and JSON exporters
// to a live budgetd; budgetd's windows equal what the sender says it sent.

#include <unistd.h>

#include <chrono>

#include <gtest/gtest.h>

#include "external_process.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;

constexpr const char* kConfig = R"(
slos:
  - {name: proto-availability, service: js-proto, objective: 99, sli: {type: ratio}}
  - {name: proto-latency, service: js-proto, objective: 99, sli: {type: latency, threshold_ms: 250}}
  - {name: json-availability, service: js-json, objective: 99, sli: {type: ratio}}
  - {name: json-latency, service: js-json, objective: 99, sli: {type: latency, threshold_ms: 250}}
  - name: metrics-proto
    service: js-metrics
    objective: 99
    sli: {type: ratio}
    source: {otlp: {good: {metric: requests.ok, attributes: {exporter: proto}}, total: {metric: requests, attributes: {exporter: proto}}}}
  - name: metrics-json
    service: js-metrics
    objective: 99
    sli: {type: ratio}
    source: {otlp: {good: {metric: requests.ok, attributes: {exporter: json}}, total: {metric: requests, attributes: {exporter: json}}}}
  - name: latency-proto
    service: js-metrics
    objective: 99
    sli: {type: latency, threshold_ms: 250}
    source: {otlp: {histogram: {metric: request.duration, attributes: {exporter: proto}}}}
  - name: latency-json
    service: js-metrics
    objective: 99
    sli: {type: latency, threshold_ms: 250}
    source: {otlp: {histogram: {metric: request.duration, attributes: {exporter: json}}}}
ingest: {counter_pairing_delay: 0s}
)";

TEST(OtelSdk, SpansAndMetricsFromBothExportersAreCountedExactly) {
  const std::string dir = BUDGETD_OTEL_DIR;
  ASSERT_EQ(access((dir + "/node_modules/@opentelemetry/sdk-trace-base").c_str(), R_OK), 0)
      << "the OpenTelemetry JS SDK is missing: scripts/deps.sh installs it (npm ci in tests/otel)";
  // The SDK stamps metric points with the wall clock: budgetd's clock starts there.
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  TestDaemon d(kConfig, from_unix_ms(now_ms));
  const CommandResult sent =
      run_command("cd " + dir + " && node send.js http://127.0.0.1:" + std::to_string(d.port()) + "/otlp 200 2>&1");
  ASSERT_EQ(sent.exit_code, 0) << sent.out;
  const json s = json::parse(sent.out);
  HttpClient c(d.port());
  const auto budget = [&](const std::string& slo) { return c.get("/v1/slos/" + slo).json()["budget"]; };
  for (const auto& [prefix, key] : {std::pair{"proto", "spans_proto"}, std::pair{"json", "spans_json"}}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(budget(std::string(prefix) + "-availability")["total"], s[key]["total"]);
    EXPECT_EQ(budget(std::string(prefix) + "-availability")["good"], s[key]["good"]);
    EXPECT_EQ(budget(std::string(prefix) + "-latency")["total"], s[key]["total"]);
    EXPECT_EQ(budget(std::string(prefix) + "-latency")["good"], s[key]["fast_and_good"]);
  }
  for (const auto& [suffix, key] : {std::pair{"proto", "metrics_proto"}, std::pair{"json", "metrics_json"}}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(budget(std::string("metrics-") + suffix)["total"], s[key]["total"]);
    EXPECT_EQ(budget(std::string("metrics-") + suffix)["good"], s[key]["good"]);
    EXPECT_EQ(budget(std::string("latency-") + suffix)["total"], s[key]["latency_total"]);
    EXPECT_EQ(budget(std::string("latency-") + suffix)["good"], s[key]["latency_good"]);
  }
  EXPECT_GT(s["spans_proto"]["total"].get<int>(), 100);
}

}  // namespace
}  // namespace budgetd::test
