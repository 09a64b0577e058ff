// POST /otlp/v1/traces and /otlp/v1/metrics against the real server on a loopback port:
// protobuf and JSON, gzip, partial success, and every refusal's status.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gzip.h"
#include "http_client.h"
#include "otlp/otlp.pb.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;
namespace pb = budgetd::otlp;

constexpr const char* kConfig = R"(
ingest:
  counter_pairing_delay: 0s
  otlp:
    labels: {endpoint: http.route}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli: {type: ratio}
  - name: checkout-latency
    service: checkout
    objective: 99
    sli: {type: latency, threshold_ms: 300}
  - name: cart-availability
    service: checkout
    objective: 99
    sli: {type: ratio}
    match: {endpoint: /cart}
  - name: pay-availability
    service: pay
    objective: 99
    sli: {type: ratio}
    source: {otlp: {good: {metric: rpc.ok}, total: {metric: rpc.calls, attributes: {rpc.service: pay}}}}
  - name: pay-latency
    service: pay
    objective: 99
    sli: {type: latency, threshold_ms: 250}
    source: {otlp: {histogram: {metric: http.server.request.duration}}}
)";

void set_string(pb::KeyValue* kv, const std::string& k, const std::string& v) {
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

struct SpanSpec {
  pb::Span::SpanKind kind = pb::Span::SPAN_KIND_SERVER;
  int64_t end_ms = kT0Ms - 5000;
  int64_t duration_ms = 100;
  bool error = false;
  int64_t http_status = 200;
  std::string route = "/cart";
};

std::string traces(const std::string& service, const std::vector<SpanSpec>& spans) {
  pb::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  if (!service.empty()) set_string(rs->mutable_resource()->add_attributes(), "service.name", service);
  auto* ss = rs->add_scope_spans();
  for (const SpanSpec& s : spans) {
    pb::Span* span = ss->add_spans();
    span->set_trace_id(std::string(16, '\x01'));
    span->set_span_id(std::string(8, '\x02'));
    span->set_name("GET");
    span->set_kind(s.kind);
    span->set_end_time_unix_nano(static_cast<uint64_t>(s.end_ms) * 1'000'000);
    span->set_start_time_unix_nano(static_cast<uint64_t>(s.end_ms - s.duration_ms) * 1'000'000);
    if (s.error) span->mutable_status()->set_code(pb::Status::STATUS_CODE_ERROR);
    auto* code = span->add_attributes();
    code->set_key("http.response.status_code");
    code->mutable_value()->set_int_value(s.http_status);
    set_string(span->add_attributes(), "http.route", s.route);
  }
  return req.SerializeAsString();
}

nlohmann::json window(HttpClient& c, const std::string& slo) { return c.get("/v1/slos/" + slo).json()["budget"]; }

TEST(OtlpTraces, SpansBecomeEventsThroughTheSameRouting) {
  TestDaemon d(kConfig);
  HttpClient c(d.port());
  const HttpResult r = c.post("/otlp/v1/traces",
                              traces("checkout", {{},
                                                  {.duration_ms = 400},                  // slow
                                                  {.error = true, .route = "/pay"},      // ERROR status
                                                  {.http_status = 503},                  // 5xx
                                                  {.kind = pb::Span::SPAN_KIND_CLIENT},  // not counted
                                                  {.kind = pb::Span::SPAN_KIND_CONSUMER}}),
                              "application/x-protobuf");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/x-protobuf");
  pb::ExportTraceServiceResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.body));
  EXPECT_FALSE(answer.has_partial_success());
  const auto avail = window(c, "checkout-availability");
  EXPECT_EQ(avail["total"], 5);
  EXPECT_EQ(avail["good"], 3);
  const auto latency = window(c, "checkout-latency");
  EXPECT_EQ(latency["total"], 5);
  EXPECT_EQ(latency["good"], 2);                     // the slow one, and the two failed ones, are bad
  const auto cart = window(c, "cart-availability");  // labels from ingest.otlp.labels
  EXPECT_EQ(cart["total"], 4);                       // not the /pay one
  EXPECT_EQ(cart["good"], 3);
}

TEST(OtlpTraces, JsonGzipAndPartialSuccess) {
  TestDaemon d(kConfig);
  HttpClient c(d.port());
  // OTLP/JSON as the spec writes it: hex ids, int64 as strings, enums as integers.
  const std::string body = R"({"resourceSpans":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"checkout"}}]},
    "scopeSpans":[{"scope":{"name":"t"},"spans":[
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","kind":2,
       "startTimeUnixNano":"1795514394000000000","endTimeUnixNano":"1795514394100000000",
       "attributes":[{"key":"http.route","value":{"stringValue":"/cart"}}],"status":{"code":2}},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"b","kind":2,
       "startTimeUnixNano":"1790000000000000000","endTimeUnixNano":"1790000000100000000"},
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b176","name":"c","kind":2,
       "startTimeUnixNano":"1795514394000000000","endTimeUnixNano":"1795514394050000000","futureField":1}]}]}]})";
  const HttpResult r = c.post("/otlp/v1/traces", gzip(body), "application/json", {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = r.json();
  EXPECT_EQ(j["partialSuccess"]["rejectedSpans"], "1");  // an int64: a string in OTLP/JSON
  EXPECT_THAT(j["partialSuccess"]["errorMessage"].get<std::string>(), HasSubstr("too old"));
  const auto avail = window(c, "checkout-availability");
  EXPECT_EQ(avail["total"], 2);
  EXPECT_EQ(avail["good"], 1);
}

TEST(OtlpTraces, RefusalsAnswerAsTheSpecSays) {
  TestDaemon d(kConfig + std::string("server: {listen: \"127.0.0.1:0\", threads: 2, max_body_bytes: 65536}\n"));
  HttpClient c(d.port());
  EXPECT_EQ(c.post("/otlp/v1/traces", "\xff\xff\xff", "application/x-protobuf").status, 400);
  EXPECT_EQ(c.post("/otlp/v1/traces", "{\"resourceSpans\": 3}", "application/json").status, 400);
  EXPECT_EQ(c.post("/otlp/v1/traces", "x", "text/plain").status, 415);
  EXPECT_EQ(c.post("/otlp/v1/traces", "x", "application/x-protobuf", {{"Content-Encoding", "br"}}).status, 415);
  EXPECT_EQ(c.post("/otlp/v1/traces", "not gzip", "application/x-protobuf", {{"Content-Encoding", "gzip"}}).status,
            400);
  // A zip bomb: 64 KiB of limit, 50 MB of zeros compressed to some 50 KB.
  const HttpResult bomb = c.post("/otlp/v1/traces", gzip(std::string(50'000'000, '\0')), "application/x-protobuf",
                                 {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(bomb.status, 413) << bomb.body;
  // No service.name: the span is refused alone.
  const HttpResult r = c.post("/otlp/v1/traces", traces("", {{}}), "application/x-protobuf");
  ASSERT_EQ(r.status, 200);
  pb::ExportTraceServiceResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.body));
  EXPECT_EQ(answer.partial_success().rejected_spans(), 1);
  EXPECT_THAT(answer.partial_success().error_message(), HasSubstr("service.name"));
  const auto m = c.get("/metrics").body;
  EXPECT_THAT(m, HasSubstr("budgetd_input_bodies_refused_total 4"));
}

pb::ExportMetricsServiceRequest sums(int64_t ts_ms, uint64_t start_ms, double calls, double ok, bool delta = false) {
  pb::ExportMetricsServiceRequest req;
  auto* sm = req.add_resource_metrics()->add_scope_metrics();
  for (const auto& [name, v] : {std::pair{"rpc.calls", calls}, std::pair{"rpc.ok", ok}}) {
    pb::Metric* m = sm->add_metrics();
    m->set_name(name);
    m->mutable_sum()->set_is_monotonic(true);
    m->mutable_sum()->set_aggregation_temporality(delta ? pb::AGGREGATION_TEMPORALITY_DELTA
                                                        : pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
    auto* p = m->mutable_sum()->add_data_points();
    set_string(p->add_attributes(), "rpc.service", "pay");
    p->set_start_time_unix_nano(start_ms * 1'000'000);
    p->set_time_unix_nano(static_cast<uint64_t>(ts_ms) * 1'000'000);
    p->set_as_int(static_cast<int64_t>(v));
  }
  return req;
}

// An error answer's body as the OTLP spec has it: a google.rpc.Status in protobuf.
pb::RpcStatus rpc_status(const HttpResult& r) {
  pb::RpcStatus status;
  EXPECT_EQ(r.header("content-type"), "application/x-protobuf") << r.body;
  EXPECT_TRUE(status.ParseFromString(r.body)) << r.body;
  return status;
}

TEST(OtlpTraces, ErrorsCarryAnRpcStatusInTheRequestsEncoding) {
  TestDaemon d(kConfig + std::string(R"(server: {listen: "127.0.0.1:0", threads: 2, max_body_bytes: 65536}
auth:
  tokens:
    - {name: dash, sha256: "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45", scopes: [read]}
    - {name: otel, sha256: "0ef1b1cc7714b8962d51d48483dc481b170a6028e0c1488c0778070c42970b1f", scopes: [ingest]}
)"));
  HttpClient c(d.port());
  const std::map<std::string, std::string> ingest{{"Authorization", "Bearer ingest-secret"}};

  // Undecodable protobuf: 400, INVALID_ARGUMENT (3), the reason budgetd found.
  const pb::RpcStatus bad = rpc_status(c.post("/otlp/v1/traces", "\xff\xff\xff", "application/x-protobuf", ingest));
  EXPECT_EQ(bad.code(), 3);
  EXPECT_THAT(bad.message(), HasSubstr("nothing of it was applied"));

  // The same from a JSON sender: the Status in OTLP/JSON.
  const HttpResult json = c.post("/otlp/v1/metrics", "{\"resourceMetrics\": 3}", "application/json", ingest);
  ASSERT_EQ(json.status, 400);
  EXPECT_EQ(json.header("content-type"), "application/json");
  EXPECT_EQ(json.json()["code"], 3) << json.body;
  EXPECT_THAT(json.json()["message"].get<std::string>(), HasSubstr("nothing of it was applied"));

  // Refused before the handler runs: no token (401, UNAUTHENTICATED, WWW-Authenticate kept), a
  // token without the ingest scope (403, PERMISSION_DENIED), a signal budgetd does not take (404,
  // UNIMPLEMENTED), a body over server.max_body_bytes (413, read by the session, not routed).
  const HttpResult anonymous = c.post("/otlp/v1/traces", traces("checkout", {{}}), "application/x-protobuf");
  ASSERT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("www-authenticate"), "Bearer");
  EXPECT_EQ(rpc_status(anonymous).code(), 16);
  const HttpResult reader = c.post("/otlp/v1/traces", traces("checkout", {{}}), "application/x-protobuf",
                                   {{"Authorization", "Bearer reader-token"}});
  ASSERT_EQ(reader.status, 403);
  EXPECT_THAT(rpc_status(reader).message(), HasSubstr("'ingest' scope"));
  EXPECT_EQ(rpc_status(reader).code(), 7);
  const HttpResult logs = c.post("/otlp/v1/logs", "", "application/x-protobuf", ingest);
  ASSERT_EQ(logs.status, 404);
  EXPECT_EQ(rpc_status(logs).code(), 12);
  const HttpResult big = c.post("/otlp/v1/traces", std::string(70'000, 'x'), "application/x-protobuf", ingest);
  ASSERT_EQ(big.status, 413);
  EXPECT_EQ(rpc_status(big).code(), 2);
  EXPECT_THAT(rpc_status(big).message(), HasSubstr("max_body_bytes"));
  c.reconnect();  // the session closed the connection after the 413

  // budgetd's own routes keep their {"error": ...} answers.
  const HttpResult native = c.post("/v1/events", "{", "application/json", ingest);
  ASSERT_EQ(native.status, 400);
  EXPECT_TRUE(native.json()["error"].is_object()) << native.body;
}

TEST(OtlpMetrics, CumulativeSumsAreDifferencedDeltasAdded) {
  TestDaemon d(kConfig);
  HttpClient c(d.port());
  const auto post = [&](const pb::ExportMetricsServiceRequest& r) {
    const HttpResult res = c.post("/otlp/v1/metrics", r.SerializeAsString(), "application/x-protobuf");
    EXPECT_EQ(res.status, 200) << res.body;
  };
  const uint64_t start = kT0Ms - 3'600'000;
  post(sums(kT0Ms - 60'000, start, 1000, 990));        // baseline
  post(sums(kT0Ms - 50'000, start, 1100, 1080));       // +100 / +90
  post(sums(kT0Ms - 40'000, kT0Ms - 45'000, 20, 20));  // a new start time: a reset, +20 / +20
  post(sums(kT0Ms - 30'000, 0, 7, 5, true));           // delta temporality: +7 / +5 as they are
  const auto w = window(c, "pay-availability");
  EXPECT_EQ(w["total"], 127);
  EXPECT_EQ(w["good"], 115);
  // An SLO fed by counters takes no events, even for its service: they are unmatched.
  const HttpResult e = c.post("/v1/events", R"({"events":[{"service":"pay","good":false}]})");
  ASSERT_EQ(e.status, 200);
  EXPECT_EQ(e.json()["unmatched"], 1);
  EXPECT_EQ(window(c, "pay-availability")["total"], 127);
}

TEST(OtlpMetrics, HistogramBucketAtTheThresholdIsGood) {
  TestDaemon d(kConfig);
  HttpClient c(d.port());
  const auto histogram = [](int64_t ts_ms, std::vector<uint64_t> counts, std::vector<double> bounds) {
    pb::ExportMetricsServiceRequest req;
    pb::Metric* m = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
    m->set_name("http.server.request.duration");
    m->set_unit("s");
    m->mutable_histogram()->set_aggregation_temporality(pb::AGGREGATION_TEMPORALITY_DELTA);
    auto* p = m->mutable_histogram()->add_data_points();
    p->set_time_unix_nano(static_cast<uint64_t>(ts_ms) * 1'000'000);
    uint64_t total = 0;
    for (uint64_t n : counts) {
      p->add_bucket_counts(n);
      total += n;
    }
    for (double b : bounds) p->add_explicit_bounds(b);
    p->set_count(total);
    return req.SerializeAsString();
  };
  // Buckets (..0.1], (0.1..0.25], (0.25..1], (1..): 250 ms is a bound, so 5 + 3 are good of 12.
  HttpResult r =
      c.post("/otlp/v1/metrics", histogram(kT0Ms - 20'000, {5, 3, 2, 2}, {0.1, 0.25, 1}), "application/x-protobuf");
  ASSERT_EQ(r.status, 200);
  auto w = window(c, "pay-latency");
  EXPECT_EQ(w["total"], 12);
  EXPECT_EQ(w["good"], 8);
  // Bounds without 250 ms: refused, naming them.
  r = c.post("/otlp/v1/metrics", histogram(kT0Ms - 10'000, {1, 1}, {0.3}), "application/x-protobuf");
  ASSERT_EQ(r.status, 200);
  pb::ExportMetricsServiceResponse answer;
  ASSERT_TRUE(answer.ParseFromString(r.body));
  EXPECT_EQ(answer.partial_success().rejected_data_points(), 1);
  EXPECT_THAT(answer.partial_success().error_message(), HasSubstr("no bucket bound at the SLO's threshold_ms 250"));
  EXPECT_THAT(answer.partial_success().error_message(), HasSubstr("0.3"));
  EXPECT_EQ(window(c, "pay-latency")["total"], 12);
}

}  // namespace
}  // namespace budgetd::test
