// The gate as CD tools ask it (issue 14): no data as a chosen decision, the structured answer
// (reopens_at, last deploy), Flagger's webhook, Argo Rollouts' web metric, `budgetd gate --dry-run`.

#include <sys/wait.h>

#include <cstdio>

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "stderr_capture.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The decision log at `target` once it holds `n` decisions (or after 10 s): decisions are
// recorded just after the gate has answered.
json decisions_once(HttpClient& c, const std::string& target, size_t n) {
  json d;
  for (int i = 0; i < 100; ++i) {
    d = c.get(target).json()["decisions"];
    if (d.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return d;
}

std::string slos(const std::string& policy = "") {
  return policy +
         "alerting: {evaluation_interval: 10m}\n"
         "slos:\n"
         "  - {name: checkout-availability, service: checkout, objective: 99.9, windows: [\"30d\"], sli: {type: "
         "ratio}}\n";
}

std::string counts(int64_t ts, uint64_t good, uint64_t total) {
  return R"({"service":"checkout","ts":)" + std::to_string(ts) + R"(,"good":)" + std::to_string(good) + R"(,"total":)" +
         std::to_string(total) + "}";
}

void push(HttpClient& c, const std::string& events) {
  const HttpResult r = c.post("/v1/events", R"({"events":[)" + events + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
}

// 9 bad of 10,000 two days ago: 10 % of the 30d budget left, the warning tier.
void warning_tier(HttpClient& c) { push(c, counts(kT0Ms - 2 * 86'400'000, 9'991, 10'000)); }

// The default, allow: no data is answered as the untouched budget's tier answers, and says so.
TEST(GateNoData, DefaultAllowSaysTheDataIsMissing) {
  TestDaemon d(slos());
  HttpClient c(d.port());
  const json g = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["decision"], "allow");
  EXPECT_EQ(g["insufficient_data"], true);
  EXPECT_EQ(g["slos"][0]["insufficient_data"], true);
  EXPECT_THAT(g["reasons"].dump(), HasSubstr("no data to judge the change by; policy.no_data is allow"));
}

TEST(GateNoData, DenyHoldsFeaturesButNeverAFixOrAPatch) {
  TestDaemon d(slos("policy: {no_data: deny}\n"));
  HttpClient c(d.port());
  json g = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_EQ(g["allowed"], false);
  EXPECT_EQ(g["insufficient_data"], true);
  EXPECT_THAT(g["reasons"].dump(), HasSubstr("policy.no_data is deny, so feature and risky changes are denied until "
                                             "events arrive"));
  EXPECT_EQ(g["slos"][0]["reopens_at"]["feature"], nullptr) << "only data can reopen it";
  g = c.get("/v1/gate?service=checkout&change=security").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["slos"][0]["reopens_at"]["security"], "2026-11-24T10:00:00Z");

  // Once events arrive the tiers decide again.
  push(c, counts(kT0Ms - 60'000, 1000, 1000));
  g = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["insufficient_data"], false);
}

TEST(GateNoData, RequireCanaryAllowsWithACanary) {
  TestDaemon d(slos("policy: {no_data: require_canary}\n"));
  HttpClient c(d.port());
  const json g = c.get("/v1/gate?service=checkout&change=risky").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["decision"], "allow_with_requirements");
  EXPECT_EQ(g["requirements"], json::parse(R"(["canary"])"));
}

TEST(GateNoData, AnUnknownChoiceIsAConfigError) {
  const config::LoadResult r =
      config::load_config_string(complete_yaml(slos("policy: {no_data: maybe}\n"), "/tmp"), "test.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.diagnostics[0].to_string(),
              HasSubstr("policy.no_data must be allow, deny or require_canary, not 'maybe'"));
}

// reopens_at per change type: now for what passes, the forecast for what the tier holds back;
// the same time the reason's sentence gives. The last deploy rides along.
TEST(GateAnswer, ReopensAtPerChangeTypeAndTheLastDeploy) {
  TestDaemon d(slos());
  HttpClient c(d.port());
  warning_tier(c);
  ASSERT_EQ(c.post("/v1/deploys",
                   R"({"service":"checkout","version":"v1.4.2","ts":")" + format_rfc3339(t0() - 3 * kDay) + R"("})")
                .status,
            201);
  const json g = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_EQ(g["allowed"], false);
  const json& reopens = g["slos"][0]["reopens_at"];
  EXPECT_EQ(reopens["feature"], "2026-11-30T11:00:00Z");
  EXPECT_EQ(reopens["risky"], "2026-11-30T11:00:00Z");  // caution allows risky changes (with extra testing)
  EXPECT_EQ(reopens["reliability"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(reopens["security"], "2026-11-24T10:00:00Z");
  EXPECT_THAT(g["reasons"][0].get<std::string>(), HasSubstr("feature deploys reopen around 2026-11-30T11:00:00Z"));
  EXPECT_EQ(g["last_deploy"]["version"], "v1.4.2");
  EXPECT_EQ(g["override"], nullptr);
}

// The exact payload Flagger POSTs to a confirm-rollout or pre-rollout webhook: the canary's
// name, namespace, phase and checksum, and the webhook's metadata (strings). 200 proceeds, 412
// halts the rollout; both carry the gate's JSON.
TEST(GateWebhook, FlaggerPayloadProceedsOrHalts) {
  TestDaemon d(slos());
  HttpClient c(d.port());
  const std::string payload = R"({"name":"checkout","namespace":"prod","phase":"Progressing",)"
                              R"("checksum":"85d557f47b","metadata":{"service":"checkout","change":"feature",)"
                              R"("commit":"abc123"}})";
  push(c, counts(kT0Ms - 60'000, 1000, 1000));
  HttpResult r = c.post("/v1/gate/webhook", payload);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["allowed"], true);
  warning_tier(c);
  r = c.post("/v1/gate/webhook", payload);
  EXPECT_EQ(r.status, 412) << r.body;
  EXPECT_EQ(r.json()["allowed"], false);
  EXPECT_EQ(r.json()["tier"], "warning");
  // Recorded as the webhook's, with the canary standing in for the CI job.
  const json decisions = decisions_once(c, "/v1/gate/decisions?service=checkout", 2);
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0]["source"], "webhook");
  EXPECT_EQ(decisions[0]["decision"], "deny");
  EXPECT_EQ(decisions[0]["ci_job"], "flagger/prod/checkout");
  EXPECT_EQ(decisions[0]["commit"], "abc123");

  r = c.post("/v1/gate/webhook", R"({"name":"checkout","namespace":"prod","phase":"Progressing","metadata":{}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("metadata.service is required"));
  r = c.post("/v1/gate/webhook", R"({"metadata":{"service":"checkout","change":"yolo"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("metadata.change 'yolo' is not one of"));
  EXPECT_EQ(c.post("/v1/gate/webhook", R"({"metadata":{"service":"nobody","change":"feature"}})").status, 404);
  EXPECT_EQ(c.post("/v1/gate/webhook", "not json").status, 400);
}

// Argo Rollouts' web metric provider GETs the URL with its headers (here the bearer token of a
// gate-scoped token and the JSON content type it sets) and reads jsonPath "{$.allowed}"; the
// AnalysisTemplate's successCondition is `result == true`.
TEST(GateWebhook, ArgoRolloutsWebMetricReadsAllowed) {
  // The SHA-256 of "gate-token" (printf %s gate-token | sha256sum).
  TestDaemon d(
      "auth:\n  tokens:\n    - {name: argo, sha256: "
      "\"5b0aad348a4c3afe11a6926a265cdc32a801c5c709bbd483ff1ce78d64e009ca\", scopes: [gate, ingest, read]}\n" +
      slos());
  HttpClient c(d.port());
  const std::map<std::string, std::string> argo = {{"Authorization", "Bearer gate-token"},
                                                   {"Content-Type", "application/json"},
                                                   {"User-Agent", "Go-http-client/1.1"}};
  const auto measure = [&] {
    const HttpResult r = c.request("GET", "/v1/gate?service=checkout&change=feature", "", argo);
    EXPECT_EQ(r.status, 200) << "the web provider fails a measurement on any other status: " << r.body;
    return r.json().at("allowed");  // jsonPath "{$.allowed}"
  };
  EXPECT_EQ(measure(), true);  // successCondition: result == true
  const HttpResult pushed =
      c.request("POST", "/v1/events", R"({"events":[)" + counts(kT0Ms - 2 * 86'400'000, 9'991, 10'000) + "]}", argo);
  ASSERT_EQ(pushed.status, 200);
  EXPECT_EQ(measure(), false);
  EXPECT_EQ(c.get("/v1/gate?service=checkout&change=feature").status, 401) << "the token is needed";
}

struct Cli {
  int exit_code;
  std::string out;
};
Cli gate_cli(const std::string& args) {
  FILE* p = popen((std::string(BUDGETD_BINARY) + " gate " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// --dry-run prints the decision and exits 0 whatever it is; budgetd logs it as a dry run and,
// since it gates nothing, leaves it out of the decision log and the counters.
TEST(GateCli, DryRunPrintsTheDecisionExitsZeroAndIsLoggedAsOne) {
  StderrCapture log;
  TestDaemon d(slos());
  HttpClient c(d.port());
  warning_tier(c);
  const std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  Cli r = gate_cli(url + " --service checkout --change feature --dry-run --ci-job build-7");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd gate: dry run: would be DENIED: feature change for checkout"));
  EXPECT_EQ(gate_cli(url + " --service checkout --change feature").exit_code, 1) << "without it, denied is 1";
  const auto lines = log.lines_with("gate: decision (dry run");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("\"ci_job\":\"build-7\""));
  EXPECT_THAT(lines[0], HasSubstr("\"dry_run\":true"));
  const json decisions = decisions_once(c, "/v1/gate/decisions?service=checkout", 2);
  ASSERT_EQ(decisions.size(), 1u) << "only the real question";
  EXPECT_EQ(decisions[0]["ci_job"], "");
  EXPECT_THAT(c.get("/metrics").body,
              HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"deny\"} 1\n"));
}

}  // namespace
}  // namespace budgetd::test
