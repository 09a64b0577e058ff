// Alerts, tiers, the deploy gate and notifications, through the real server.

#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_client.h"
#include "http_receiver.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
alerting: {evaluation_interval: 10m, runbook_url: "https://runbooks.example/{slo}#{rule}"}
slos:
  - {name: checkout-availability, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: checkout-latency, service: checkout, objective: 99, windows: ["30d"], sli: {type: latency, threshold_ms: 300}}
)";

void push(HttpClient& c, const std::string& events) {
  const HttpResult r = c.post("/v1/events", R"({"events":[)" + events + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
}

std::string counts(int64_t ts, uint64_t good, uint64_t total) {
  return R"({"service":"checkout","ts":)" + std::to_string(ts) + R"(,"good":)" + std::to_string(good) + R"(,"total":)" +
         std::to_string(total) + "}";
}

// Two hours of 1,000 requests per 10 s, the last `bad_minutes` of them half failing.
void burn(HttpClient& c, int64_t now_ms, int bad_minutes) {
  std::string events;
  for (int s = 720; s >= 1; --s) {
    const int64_t ts = now_ms - s * 10'000;
    events += (events.empty() ? "" : ",") + counts(ts, s <= bad_minutes * 6 ? 500 : 1000, 1000);
  }
  push(c, events);
}

TEST(Gate, AnswersWithTheTierReasonsAndRequirements) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  // Two days ago: 10,000 requests, 9 failed: 10 % of the 30d budget left (warning). Above 25 %
  // (caution, where features may ship) needs more than 12,000 events for 9 bad ones: with
  // 10,000 / 720 good events an hour, 145 hours on (2,013 arrived; 144 h brings exactly 12,000,
  // exactly 25 %, not above).
  push(c, counts(kT0Ms - 2 * 86'400'000, 9'991, 10'000));
  HttpResult r = c.get("/v1/gate?service=checkout&change=feature&ci_job=build-42&commit=abc123");
  ASSERT_EQ(r.status, 200) << r.body;
  json g = r.json();
  EXPECT_EQ(g["allowed"], false);
  EXPECT_EQ(g["decision"], "deny");
  EXPECT_EQ(g["tier"], "warning");
  EXPECT_EQ(g["service"], "checkout");
  EXPECT_EQ(g["change"], "feature");
  EXPECT_EQ(g["evaluated_at"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(
      g["reasons"][0],
      "checkout-availability has 10.0 % of its 30d error budget left (warning): feature and risky changes are "
      "frozen; reliability fixes need a canary; feature deploys reopen around 2026-11-30T11:00:00Z if no new errors");
  ASSERT_EQ(g["slos"].size(), 2u);
  EXPECT_EQ(g["slos"][0]["name"], "checkout-availability");
  EXPECT_EQ(g["slos"][0]["allowed"], false);
  EXPECT_DOUBLE_EQ(g["slos"][0]["remaining"].get<double>(), 0.1);
  EXPECT_EQ(g["slos"][1]["tier"], "healthy");

  g = c.get("/v1/gate?service=checkout&change=reliability").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["decision"], "allow_with_requirements");
  EXPECT_EQ(g["requirements"], json::parse(R"(["canary"])"));
  g = c.get("/v1/gate?service=checkout&change=feature&slo=checkout-latency").json();
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["slos"].size(), 1u);

  EXPECT_EQ(c.get("/v1/gate?service=nobody&change=feature").status, 404);
  EXPECT_EQ(c.get("/v1/gate?service=checkout&change=feature&slo=nope").status, 404);
  r = c.get("/v1/gate?service=checkout&change=yolo");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("'yolo' is not one of feature, risky, reliability, security"));
  EXPECT_EQ(c.get("/v1/gate?change=feature").status, 400);
  const std::string metrics = c.get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"deny\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"allow\"} 1\n"));
  EXPECT_THAT(metrics,
              HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"allow_with_requirements\"} 1\n"));
}

TEST(Alerts, FireResolveAndLeaveAnEpisodeForThePostmortem) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  burn(c, kT0Ms, 10);
  d.daemon().evaluate_now();
  json alerts = c.get("/v1/alerts").json()["alerts"];
  ASSERT_GE(alerts.size(), 2u);
  EXPECT_EQ(alerts[0]["slo"], "checkout-availability");
  EXPECT_EQ(alerts[0]["rule"], "page-1h");
  EXPECT_EQ(alerts[0]["severity"], "page");
  EXPECT_EQ(alerts[0]["since"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(alerts[0]["runbook_url"], "https://runbooks.example/checkout-availability#page-1h");
  EXPECT_GT(alerts[0]["long_burn_rate"].get<double>(), 14.4);
  EXPECT_GT(alerts[0]["short_burn_rate"].get<double>(), 14.4);

  json s = c.get("/v1/slos/checkout-availability").json();
  EXPECT_EQ(s["tier"]["name"], "exhausted");
  EXPECT_EQ(s["alerts"][0]["state"], "firing");
  EXPECT_EQ(s["alerts"][0]["firing"], true);
  EXPECT_EQ(s["forecast"]["exhausted_at"], "2026-11-24T10:00:00Z");  // already spent
  ASSERT_FALSE(s["episodes"].empty());
  EXPECT_EQ(s["episodes"][0]["end"], nullptr);

  // A firing page denies even a healthy SLO's feature deploys; here the tier does too.
  json g = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_EQ(g["allowed"], false);
  EXPECT_THAT(g["reasons"].dump(), HasSubstr("the page alert page-1h is firing"));

  // An hour of good traffic later the pages resolve.
  d.clock().advance(kHour);
  std::string events;
  for (int i = 0; i < 360; ++i) events += (events.empty() ? "" : ",") + counts(kT0Ms + i * 10'000, 1000, 1000);
  push(c, events);
  d.daemon().evaluate_now();
  s = c.get("/v1/slos/checkout-availability").json();
  EXPECT_EQ(s["alerts"][0]["state"], "resolved");
  EXPECT_EQ(s["alerts"][0]["since"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(s["alerts"][0]["resolved_at"], "2026-11-24T11:00:00Z");
  // Newest first; the ticket rules (3d/6h windows) are still firing.
  json ep;
  for (const auto& e : s["episodes"]) {
    if (e["rule"] == "page-1h") ep = e;
  }
  ASSERT_FALSE(ep.is_null());
  EXPECT_EQ(ep["start"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(ep["end"], "2026-11-24T11:00:00Z");
  EXPECT_EQ(ep["postmortem_required"], true);  // 30,000 bad events: far beyond 30 % of the budget
  const json still_firing = c.get("/v1/alerts").json();
  for (const auto& a : still_firing["alerts"]) EXPECT_NE(a["rule"], "page-1h");
}

TEST(Notify, WebhookGetsFiringThenResolvedDespiteFailures) {
  HttpReceiver hook;
  hook.fail_next(2, 500);  // the receiver is down at first: budgetd retries with backoff
  TestDaemon d(std::string("notify: {webhooks: [{url: \"") + hook.url() +
               "/budgetd\"}], external_url: \"http://budgetd.test\"}\n" + kSlos);
  HttpClient c(d.port());
  burn(c, kT0Ms, 10);
  d.daemon().evaluate_now();
  // The first delivered (200) request whose incident carries page-1h in `state`. Which request
  // that is depends on timing: the evaluator loop's own first evaluation may land in the middle
  // of the burn and fire other rules first, and each incident retries on its own backoff.
  const auto delivered = [&](std::string_view state) {
    for (const auto& r : hook.requests()) {
      if (r.answered != 200) continue;
      const json body_of_request = json::parse(r.body);
      for (const auto& i : body_of_request["incidents"]) {
        for (const auto& a : i["rules"]) {
          if (a["rule"] == "page-1h" && a["state"] == state) return std::make_pair(body_of_request, a);
        }
      }
    }
    return std::make_pair(json(), json());
  };
  std::pair<json, json> fired;
  for (int i = 0; i < 150 && fired.second.is_null(); ++i) {
    fired = delivered("firing");
    if (fired.second.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(fired.second.is_null()) << "the firing page was never delivered";
  auto reqs = hook.requests();
  EXPECT_EQ(reqs[0].answered, 500u);
  EXPECT_EQ(reqs[1].answered, 500u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/budgetd");
  EXPECT_EQ(fired.first["source"], "budgetd");
  EXPECT_EQ(fired.first["version"], "2");
  EXPECT_EQ(fired.second["slo"], "checkout-availability");
  EXPECT_EQ(fired.first["incidents"][0]["url"], "http://budgetd.test/v1/slos/checkout-availability");

  // Resolve while the receiver fails again: the resolve is retried, not lost.
  hook.fail_next(1, 503);
  d.clock().advance(kHour);
  std::string events;
  for (int i = 0; i < 360; ++i) events += (events.empty() ? "" : ",") + counts(kT0Ms + i * 10'000, 1000, 1000);
  push(c, events);
  d.daemon().evaluate_now();
  // The page-1h resolve arrives in an answered (200) request after the failed one: in the
  // incident's update, since the ticket rules fire on.
  json resolved;
  for (int i = 0; i < 150 && resolved.is_null(); ++i) {
    resolved = delivered("resolved").second;
    if (resolved.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(resolved.is_null()) << "the resolve was never delivered";
  EXPECT_EQ(resolved["resolved_at"], "2026-11-24T11:00:00Z");
  EXPECT_EQ(resolved["postmortem_required"], true);
  reqs = hook.requests();
  EXPECT_EQ(std::count_if(reqs.begin(), reqs.end(), [](const auto& r) { return r.answered == 503u; }), 1)
      << "the resolve's first try met the failing receiver";
  const std::string metrics = c.get("/metrics").body;
  EXPECT_THAT(metrics,
              HasSubstr("budgetd_notifications_total{target=\"" + hook.url() + "/budgetd\",result=\"failed\"} 3\n"));
}

// A receiver that refuses one incident (a 4xx for its content) drops that incident only: the
// refused batch is resent one incident per request, and the others are delivered.
// Regression: one alert a receiver refused (4xx) dropped every alert sent in the same request.
TEST(NotifyRegression, OneRefusedAlertDroppedTheOthersOfItsBatch) {
  HttpReceiver hook;
  hook.refuse_containing("\"slo\":\"checkout-latency\"", 422);
  TestDaemon d(std::string("notify: {webhooks: [{url: \"") + hook.url() + "/budgetd\"}]}\n" + kSlos);
  HttpClient c(d.port());
  // Both SLOs burn in one batch: two incidents, sent in one request.
  std::string events;
  for (int s = 720; s >= 1; --s) {
    const int64_t ts = kT0Ms - s * 10'000;
    const bool bad = s <= 60;
    events += (events.empty() ? "" : ",") + counts(ts, bad ? 500 : 1000, 1000);
    events += R"(,{"service":"checkout","ts":)" + std::to_string(ts) + R"(,"latency_ms":)" + (bad ? "900" : "20") + "}";
  }
  push(c, events);
  d.daemon().evaluate_now();
  const auto delivered_slos = [&] {
    std::set<std::string> slos;
    for (const auto& r : hook.requests()) {
      if (r.answered != 200) continue;
      const json body = json::parse(r.body);
      for (const auto& i : body["incidents"]) slos.insert(i["slo"].get<std::string>());
    }
    return slos;
  };
  // The batch, then each of its incidents alone.
  ASSERT_TRUE(hook.wait_for(1, std::chrono::seconds(15)));
  const size_t batch = json::parse(hook.requests()[0].body)["incidents"].size();
  ASSERT_TRUE(hook.wait_for(1 + batch, std::chrono::seconds(15)));
  const auto slos = delivered_slos();
  EXPECT_TRUE(slos.count("checkout-availability"));
  EXPECT_FALSE(slos.count("checkout-latency"));
  const auto reqs = hook.requests();
  EXPECT_EQ(reqs.size(), 1 + batch);
  EXPECT_EQ(reqs[0].answered, 422u);
  EXPECT_EQ(batch, 2u) << "the first request is the whole batch: one incident per SLO";
  for (size_t i = 1; i < reqs.size(); ++i) EXPECT_EQ(json::parse(reqs[i].body)["incidents"].size(), 1u);
  // The latency incident was refused twice (in the batch and alone) and then dropped, never retried.
  size_t latency_requests = 0;
  for (const auto& r : reqs) latency_requests += r.body.find("\"slo\":\"checkout-latency\"") != std::string::npos;
  EXPECT_EQ(latency_requests, 2u);
  // The last refusal is counted once its answer is read, a moment after the receiver saw it.
  const std::string refused =
      "budgetd_notifications_total{target=\"" + hook.url() + "/budgetd\",result=\"refused\"} 2\n";
  for (int i = 0; i < 50 && c.get("/metrics").body.find(refused) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_THAT(c.get("/metrics").body, HasSubstr(refused));
}

// A restart keeps the alert state: a page that fired before it is still the same firing page
// after it (same `since`, not a new one), and a page whose errors ended while budgetd was down
// is resolved on the first evaluation after the start, so no receiver keeps it open forever.
TEST(Alerts, FiringAlertsSurviveARestartAndResolveAfterOne) {
  HttpReceiver hook;
  const std::string config = std::string("notify: {webhooks: [{url: \"") + hook.url() + "/budgetd\"}]}\n" + kSlos;
  TestDaemon d(config);
  {
    HttpClient c(d.port());
    burn(c, kT0Ms, 10);
  }
  d.daemon().evaluate_now();
  ASSERT_TRUE(hook.wait_for(1, std::chrono::seconds(15)));
  const auto page_1h = [&] {
    HttpClient c(d.port());
    const json alerts = c.get("/v1/alerts").json();
    for (const auto& a : alerts["alerts"]) {
      if (a["slo"] == "checkout-availability" && a["rule"] == "page-1h") return a;
    }
    return json();
  };
  d.clock().advance(kMinute);  // still burning: the 5m short window holds the bad minutes
  d.restart();
  d.daemon().evaluate_now();
  ASSERT_FALSE(page_1h().is_null());
  EXPECT_EQ(page_1h()["since"], "2026-11-24T10:00:00Z") << "the same page, not a new one";

  // Down for an hour, during which the errors stopped.
  d.daemon().stop();
  d.clock().advance(kHour);
  d.restart();
  d.daemon().evaluate_now();
  EXPECT_TRUE(page_1h().is_null());
  json resolved;
  for (int i = 0; i < 150 && resolved.is_null(); ++i) {
    for (const auto& r : hook.requests()) {
      const json body = json::parse(r.body);
      for (const auto& incident : body["incidents"]) {
        for (const auto& a : incident["rules"]) {
          if (a["rule"] == "page-1h" && a["slo"] == "checkout-availability" && a["state"] == "resolved") resolved = a;
        }
      }
    }
    if (resolved.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(resolved.is_null()) << "the resolve of a page that fired before the restart was never sent";
  EXPECT_EQ(resolved["resolved_at"], "2026-11-24T11:01:00Z");
  EXPECT_EQ(resolved["since"], "2026-11-24T10:00:00Z");
}

// The CLI against a live server: exit 0 allowed, 1 denied, 2 could not ask (or 0 with
// --fail-open), 3 the question was refused.
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

TEST(GateCli, ExitCodesAgainstALiveServer) {
  TestDaemon d(kSlos);
  const std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  Cli r = gate_cli(url + " --service checkout --change feature --ci-job 7");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd gate: ALLOWED: feature change for checkout (decision allow, tier healthy)"));
  HttpClient c(d.port());
  push(c, counts(kT0Ms - 2 * 86'400'000, 9'991, 10'000));
  r = gate_cli(url + " --service checkout --change feature");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("DENIED"));
  EXPECT_THAT(r.out, HasSubstr("  - checkout-availability has 10.0 % of its 30d error budget left (warning)"));
  r = gate_cli(url + " --service checkout --change reliability");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("requirements: canary"));
  r = gate_cli(url + " --service checkout --change feature --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["decision"], "deny");
  r = gate_cli(url + " --service nobody --change feature --fail-open");
  EXPECT_EQ(r.exit_code, 3) << "--fail-open must not hide a wrong question: " << r.out;
  EXPECT_THAT(r.out, HasSubstr("no SLO covers service 'nobody'"));
  // Nothing listens on port 9 (discard): could not ask.
  r = gate_cli("--url http://127.0.0.1:9 --service checkout --change feature --timeout 2s");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("could not ask the gate"));
  r = gate_cli("--url http://127.0.0.1:9 --service checkout --change feature --fail-open");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("WARNING: --fail-open is set, so the deploy is ALLOWED"));
}

// What stands between CI and budgetd misbehaves: each answer maps to the exit code a pipeline
// can act on, and none crashes the CLI.
TEST(GateCli, ExitCodesAgainstAMisbehavingServer) {
  HttpReceiver server;
  const std::string ask = "--url " + server.url() + "/prefix/ --service checkout --change feature --timeout 2s";
  server.fail_next(1, 503);
  Cli r = gate_cli(ask);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("the server answered 503"));
  EXPECT_EQ(server.requests().back().target, "/prefix/v1/gate?service=checkout&change=feature");
  server.fail_next(1, 429);
  EXPECT_EQ(gate_cli(ask).exit_code, 2) << "rate limited: ask again later";
  server.fail_next(1, 503);
  EXPECT_EQ(gate_cli(ask + " --fail-open").exit_code, 0);
  server.fail_next(1, 302);
  r = gate_cli(ask + " --fail-open");
  EXPECT_EQ(r.exit_code, 3) << "a redirect means --url is wrong; --fail-open must not hide it: " << r.out;
  EXPECT_THAT(r.out, HasSubstr("point --url at budgetd itself"));
  // 200 with answers of the wrong shape: never an uncaught exception (exit 134).
  server.answer_with(R"({"allowed":false,"decision":5,"tier":null,"reasons":[1,"two"],"requirements":"x"})");
  r = gate_cli(ask);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("DENIED: feature change for checkout (decision ?, tier ?)"));
  EXPECT_THAT(r.out, HasSubstr("  - two"));
  server.answer_with(R"({"allowed":"yes"})");
  EXPECT_EQ(gate_cli(ask).exit_code, 2);
  server.answer_with("<html>proxy error</html>");
  r = gate_cli(ask);
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("not a budgetd gate decision"));
  server.fail_next(1, 404);
  r = gate_cli(ask);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("test receiver told to fail"));
}

// Regression: outbound HTTP did not honour its timeout, so a server that accepts the connection
// and never answers held `budgetd gate` forever. The CLI gives up at --timeout: could not ask.
TEST(GateCliRegression, AServerThatNeverAnsweredHeldTheGateForever) {
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::acceptor silent(ioc, {net::ip::make_address("127.0.0.1"), 0});  // listens, never accepts
  const auto port = silent.local_endpoint().port();
  const auto start = std::chrono::steady_clock::now();
  const Cli r =
      gate_cli("--url http://127.0.0.1:" + std::to_string(port) + " --service checkout --change feature --timeout 1s");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("could not ask the gate"));
  EXPECT_LT(took, std::chrono::seconds(8)) << "the timeout bounds the wait";
}

}  // namespace
}  // namespace budgetd::test
