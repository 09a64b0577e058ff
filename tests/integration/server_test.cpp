// The real server on a loopback port, spoken to over HTTP.

#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    windows: ["30d"]
    sli: {type: ratio}
  - name: checkout-latency
    service: checkout
    objective: 99
    windows: ["28d"]
    sli: {type: latency, threshold_ms: 300}
)";

std::string server_yaml(const std::string& server) { return "server: " + server + "\n" + kSlos; }

TEST(Server, PushABatchAndReadTheStatus) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const HttpResult push = c.post("/v1/events", R"({"events":[
    {"service":"checkout","good":true,"latency_ms":120},
    {"service":"checkout","good":false,"latency_ms":80},
    {"service":"checkout","good":990,"total":1000,"ts":"2026-11-24T09:58:00Z"},
    {"service":"checkout","good":true,"ts":1795514395000,"latency_ms":301},
    {"service":"payments","good":true},
    {"service":"checkout","good":2,"total":1}
  ]})");
  ASSERT_EQ(push.status, 200) << push.body;
  EXPECT_EQ(push.header("content-type"), "application/json");
  EXPECT_EQ(push.json(), json::parse(R"j({"accepted":4,"rejected":1,"unmatched":1,
      "errors":[{"index":5,"error":"good (2) must not exceed total (1)"}]})j"));

  const HttpResult st = c.get("/v1/slos/checkout-availability");
  ASSERT_EQ(st.status, 200) << st.body;
  const json s = st.json();
  EXPECT_EQ(s["slo"], "checkout-availability");
  EXPECT_EQ(s["objective"], 99.9);
  EXPECT_EQ(s["at"], "2026-11-24T10:00:00Z");
  const json& b = s["budget"];
  EXPECT_EQ(b["window"], "30d");
  EXPECT_EQ(b["start"], "2026-10-25T11:00:00Z");
  EXPECT_EQ(b["end"], "2026-11-24T11:00:00Z");
  EXPECT_EQ(b["good"], 992);
  EXPECT_EQ(b["total"], 1003);
  EXPECT_EQ(b["bad"], 11);
  EXPECT_DOUBLE_EQ(b["allowed_bad"].get<double>(), 1.003);
  EXPECT_DOUBLE_EQ(b["remaining"].get<double>(), 1 - 11 / 1.003);
  EXPECT_EQ(b["no_data"], false);
  EXPECT_EQ(b["covered_minutes"], 3);  // 09:58, 09:59 (1795514395000 is 09:59:55) and 10:00
  const json& w5 = s["windows"][0];
  EXPECT_EQ(w5["window"], "5m");
  EXPECT_EQ(w5["start"], "2026-11-24T09:55:10Z");
  EXPECT_EQ(w5["end"], "2026-11-24T10:00:10Z");
  EXPECT_EQ(w5["resolution"], "10s");
  EXPECT_EQ(w5["total"], 1003);
  ASSERT_EQ(s["alerts"].size(), 4u);
  EXPECT_EQ(s["alerts"][0]["rule"], "page-1h");
  EXPECT_EQ(s["alerts"][0]["factor"], 14.4);

  const json lat = c.get("/v1/slos/checkout-latency").json();
  EXPECT_EQ(lat["budget"]["total"], 3);  // the three events with latency_ms
  EXPECT_EQ(lat["budget"]["good"], 1);   // 120 ms and good; 80 ms but failed; 301 ms too slow
  EXPECT_EQ(lat["sli"], json::parse(R"({"type":"latency","threshold_ms":300.0,"failed_requests_are_bad":true})"));

  const json list = c.get("/v1/slos").json();
  ASSERT_EQ(list["slos"].size(), 2u);
  EXPECT_EQ(list["slos"][0]["slo"], "checkout-availability");
  EXPECT_EQ(list["slos"][0]["burn_rate"]["window"], "5m");
  EXPECT_EQ(list["evaluated_at"], "2026-11-24T10:00:00Z");
}

// Several budget windows, a calendar one among them, timeslices and an SLA, as the status shows them.
TEST(Server, StatusShowsEveryBudgetWindowItsSlicesAndTheSla) {
  TestDaemon d(R"(
slos:
  - name: api
    service: api
    objective: 99
    sla: 95
    windows: ["7d", {calendar: month, timezone: Europe/Berlin}]
    primary: "month:Europe/Berlin"
    budgeting: {method: timeslices, slice: 1h, slice_target: 0.9}
    sli: {type: ratio}
)");
  HttpClient c(d.port());
  // 1 Nov 00:00 in Berlin is 31 Oct 23:00Z: the event just before it is October's.
  ASSERT_EQ(c.post("/v1/events", R"({"events":[
    {"service":"api","good":0,"total":5,"ts":"2026-10-31T22:59:59Z"},
    {"service":"api","good":8,"total":10,"ts":"2026-11-20T12:00:00Z"},
    {"service":"api","good":10,"total":10,"ts":"2026-11-24T09:00:00Z"}
  ]})")
                .status,
            200);
  const json s = c.get("/v1/slos/api").json();
  EXPECT_EQ(s["budgeting"], json::parse(R"({"method":"timeslices","slice":"1h","slice_target":0.9})"));
  const json budgets = s["budgets"];
  ASSERT_EQ(budgets.size(), 2u);
  const json& week = budgets[0];
  EXPECT_EQ(week["window"], "7d");
  EXPECT_EQ(week["primary"], false);
  EXPECT_EQ(week["slices"]["total"], 168);
  EXPECT_EQ(week["slices"]["bad"], 1);  // 8/10 is below 0.9
  const json& month = budgets[1];
  EXPECT_EQ(s["budget"], month);
  EXPECT_EQ(month["window"], "month:Europe/Berlin");
  EXPECT_EQ(month["primary"], true);
  EXPECT_EQ(month["method"], "timeslices");
  EXPECT_EQ(month["start"], "2026-10-31T23:00:00Z");
  EXPECT_EQ(month["end"], "2026-11-24T11:00:00Z");
  EXPECT_EQ(month["period_end"], "2026-11-30T23:00:00Z");
  EXPECT_EQ(month["total"], 20);  // October's 5 are not in it
  EXPECT_EQ(month["good"], 18);
  // November in Berlin has 720 hours; 564 of them had begun by 11:00Z on the 24th.
  EXPECT_EQ(month["slices"], json::parse(R"({"total":720,"good":719,"bad":1,"empty":562,"upcoming":156,
                                             "mean_ratio":0.9})"));
  EXPECT_DOUBLE_EQ(month["allowed_bad"].get<double>(), 7.2);
  EXPECT_EQ(month["empty_slices"], 562);
  EXPECT_DOUBLE_EQ(month["sli"].get<double>(), 719.0 / 720);
  EXPECT_EQ(s["sla"], json::parse(R"({"target":95.0,"met":true,"sli":0.9986111111111111,"margin_percent":4.0,
                                      "bad_until_breach":35})"));
  EXPECT_EQ(s["tier"]["name"], "healthy");  // 1 of 7.2 bad slices: 86 % left
}

TEST(Server, NdjsonBatches) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const HttpResult r = c.post("/v1/events", "{\"service\":\"checkout\",\"good\":true}\n\n{\"service\":\"checkout\"}\n",
                              "application/x-ndjson");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json::parse(R"j({"accepted":1,"rejected":1,"unmatched":0,"errors":[{"index":1,"line":3,
      "error":"the event has no SLI field: give good (true/false), good and total (counts), or latency_ms"}]})j"));
}

TEST(Server, TimeComesFromTheInjectedClock) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", R"({"events":[{"service":"checkout","good":false}]})").status, 200);
  EXPECT_EQ(c.get("/v1/slos/checkout-availability").json()["windows"][0]["total"], 1);
  d.clock().advance(5 * kMinute);  // the 5m window moves past the event
  const json s = c.get("/v1/slos/checkout-availability").json();
  EXPECT_EQ(s["windows"][0]["window"], "5m");
  EXPECT_EQ(s["windows"][0]["total"], 0);
  EXPECT_EQ(s["windows"][0]["no_data"], true);
  EXPECT_EQ(s["windows"][1]["total"], 1);  // 30m
  // ... and `at` looks back within the lookback.
  EXPECT_EQ(c.get("/v1/slos/checkout-availability?at=2026-11-24T10:00:00Z").json()["windows"][0]["total"], 1);
}

TEST(Server, MalformedBodyIs400AndAppliesNothing) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const HttpResult r =
      c.post("/v1/events", R"({"events":[{"service":"checkout","good":true},{"service":"checkout","good":nope}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "bad_request");
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("nothing of it was applied"));
  EXPECT_EQ(c.get("/v1/slos/checkout-availability").json()["budget"]["total"], 0);
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_batches_malformed_total 1\n"));
}

TEST(Server, WrongMethodPathOrContentType) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  HttpResult r = c.request("PUT", "/v1/events", "", {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST");
  EXPECT_EQ(r.json()["error"]["code"], "method_not_allowed");
  r = c.get("/v2/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json()["error"]["code"], "not_found");
  r = c.get("/v1/slos/no-such-slo");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("no SLO named 'no-such-slo'"));
  r = c.post("/v1/events", "good=true", "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.json()["error"]["code"], "unsupported_media_type");
  r = c.post("/v1/events", R"({"events":[]})", "Application/JSON; charset=utf-8");
  EXPECT_EQ(r.status, 200);
  r = c.get("/v1/slos/checkout-availability?at=yesterday");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("not an RFC 3339 time"));
  r = c.get("/v1/slos/checkout-availability?time=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("unknown query parameter 'time' (valid: at)"));
  r = c.get("/v1/slos/checkout-availability?at=%zz");
  EXPECT_EQ(r.status, 400);
  // Every answer above went over the same keep-alive connection.
  EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST(Server, BodyLargerThanTheLimitIs413) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", max_body_bytes: 2048})"));
  HttpClient c(d.port());
  std::string body = R"({"events":[)";
  while (body.size() < 4000) body += R"({"service":"checkout","good":true},)";
  body += R"({"service":"checkout","good":true}]})";
  const HttpResult r = c.post("/v1/events", body);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.json()["error"]["code"], "payload_too_large");
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("server.max_body_bytes (2048 bytes)"));
  EXPECT_FALSE(r.keep_alive);
  // Chunked bodies are counted as they arrive.
  HttpClient c2(d.port());
  c2.send_raw(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk(1500, ' ');
  c2.send_raw("5dc\r\n" + chunk + "\r\n5dc\r\n" + chunk + "\r\n");
  EXPECT_EQ(c2.read_response().status, 413);
  HttpClient c3(d.port());
  EXPECT_EQ(c3.get("/v1/slos/checkout-availability").json()["budget"]["total"], 0);
}

TEST(Server, HeadersLargerThanTheLimitAre431) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", max_header_bytes: 1024})"));
  HttpClient c(d.port());
  const HttpResult r = c.request("GET", "/healthz", "", {{"X-Big", std::string(4000, 'x')}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.json()["error"]["code"], "headers_too_large");
}

TEST(Server, Expect100ContinueIsAnswered) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const std::string body = R"({"events":[{"service":"checkout","good":true}]})";
  c.send_raw(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: "
      "100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  const HttpResult cont = c.read_response();
  EXPECT_EQ(cont.status, 100);
  c.send_raw(body);
  const HttpResult r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["accepted"], 1);
}

TEST(Server, SlowBodyIsAnswered408AndClosed) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", read_timeout: 300ms})"));
  HttpClient c(d.port());
  c.send_raw(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
      "100\r\n\r\n{\"events\":");
  const HttpResult r = c.read_response(std::chrono::seconds(10));
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.json()["error"]["code"], "request_timeout");
  EXPECT_TRUE(c.wait_closed(std::chrono::seconds(10)));
  EXPECT_THAT(http_get(d.port(), "/metrics").body, HasSubstr("budgetd_http_timeouts_total 1\n"));
}

TEST(Server, HalfSentHeadersAreAnswered408) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", idle_timeout: 200ms})"));
  HttpClient c(d.port());
  c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const HttpResult r = c.read_response();
  EXPECT_EQ(r.status, 408);
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("server.idle_timeout"));
}

TEST(Server, IdleKeepAliveConnectionsAreClosed) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", idle_timeout: 200ms})"));
  HttpClient c(d.port());
  ASSERT_EQ(c.get("/healthz").status, 200);
  EXPECT_TRUE(c.wait_closed(std::chrono::seconds(10)));
}

TEST(Server, GarbageIsA400) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  c.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const HttpResult r = c.read_response();
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["code"], "bad_request");
}

TEST(Server, ConnectionsBeyondTheLimitGet503) {
  TestDaemon d(server_yaml(R"({listen: "127.0.0.1:0", max_connections: 2})"));
  HttpClient a(d.port());
  HttpClient b(d.port());
  ASSERT_EQ(a.get("/healthz").status, 200);
  ASSERT_EQ(b.get("/healthz").status, 200);
  HttpClient third(d.port());
  const HttpResult r = third.read_response();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_EQ(r.json()["error"]["code"], "overloaded");
  EXPECT_EQ(a.get("/healthz").status, 200);
}

TEST(Server, HealthReadinessAndMetrics) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/healthz").json(), json::parse(R"({"status":"ok"})"));
  EXPECT_EQ(c.get("/readyz").json(), json::parse(R"({"status":"ready"})"));
  ASSERT_EQ(
      c.post("/v1/events",
             R"({"events":[{"service":"checkout","good":true},{"service":"x","good":true},{"service":"checkout"}]})")
          .status,
      200);
  const HttpResult m = c.get("/metrics");
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(m.body, HasSubstr("budgetd_events_accepted_total 1\n"));
  EXPECT_THAT(m.body, HasSubstr("budgetd_events_unmatched_total 1\n"));
  EXPECT_THAT(m.body, HasSubstr("budgetd_events_rejected_total{reason=\"invalid\"} 1\n"));
  EXPECT_THAT(m.body, HasSubstr("budgetd_http_requests_total{route=\"/v1/events\",code=\"200\"} 1\n"));
  EXPECT_THAT(m.body, HasSubstr("budgetd_http_request_duration_seconds_count{route=\"/healthz\"} 1\n"));
  EXPECT_THAT(m.body, HasSubstr("budgetd_build_info{version=\""));
}

// SIGTERM semantics: stop accepting, let the request in flight finish, close idle connections.
TEST(Server, DrainFinishesTheRequestInFlight) {
  auto d = std::make_unique<TestDaemon>(kSlos);
  HttpClient idle(d->port());
  ASSERT_EQ(idle.get("/healthz").status, 200);
  HttpClient busy(d->port());
  const std::string body = R"({"events":[{"service":"checkout","good":true}]})";
  busy.send_raw(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  // The 100 Continue proves the server has read the headers: this request is in flight.
  ASSERT_EQ(busy.read_response().status, 100);
  auto stopped = std::async(std::launch::async, [&] { d->daemon().stop(); });
  EXPECT_TRUE(idle.wait_closed(std::chrono::seconds(5)));
  busy.send_raw(body);
  const HttpResult r = busy.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["accepted"], 1);
  EXPECT_FALSE(r.keep_alive);
  busy.close();  // as a client does after "Connection: close"
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(5)), std::future_status::ready);
}

}  // namespace
}  // namespace budgetd::test
