// Break-glass overrides and the decision log, through the real server and across restarts.

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
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

constexpr const char* kSlos = R"(
policy: {max_override: 4h}
alerting: {evaluation_interval: 10m}
slos:
  - {name: checkout-availability, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: search-availability, service: search, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
)";

// 9 bad of 10,000 two days ago: the warning tier, which freezes feature changes.
void warning_tier(HttpClient& c) {
  const HttpResult r =
      c.post("/v1/events", R"({"events":[{"service":"checkout","ts":)" + std::to_string(kT0Ms - 2 * 86'400'000) +
                               R"(,"good":9991,"total":10000}]})");
  ASSERT_EQ(r.status, 200) << r.body;
}

json gate(HttpClient& c, const std::string& change = "feature") {
  return c.get("/v1/gate?service=checkout&change=" + change + "&ci_job=deploy-9&commit=f00d").json();
}

HttpResult create(HttpClient& c, const std::string& body) { return c.post("/v1/gate/overrides", body); }

TEST(GateOverrides, AllowTheirChangesUntilEndedSayingSoAndStayInTheAuditLog) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  warning_tier(c);
  ASSERT_EQ(gate(c)["allowed"], false);

  HttpResult r = create(c, R"({"service":"checkout","changes":["feature","risky"],"reason":"revert of v1.4.2",)"
                           R"("expires_in":"2h","by":"alice"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const json o = r.json();
  const std::string id = o["id"];
  EXPECT_THAT(id, ::testing::MatchesRegex("ovr-[0-9a-f]{16}"));
  EXPECT_EQ(o["state"], "active");
  EXPECT_EQ(o["expires_at"], "2026-11-24T12:00:00Z");

  json g = gate(c);
  EXPECT_EQ(g["allowed"], true);
  EXPECT_EQ(g["decision"], "allow");
  EXPECT_EQ(g["override"],
            json::parse(R"({"id":")" + id +
                        R"(","reason":"revert of v1.4.2","by":"alice","expires_at":"2026-11-24T12:00:00Z"})"));
  EXPECT_THAT(g["reasons"][0].get<std::string>(), HasSubstr("override " + id + " by alice allows feature changes"));
  EXPECT_EQ(g["slos"][0]["allowed"], false) << "the SLO's own verdict is still shown";
  EXPECT_EQ(gate(c, "reliability")["override"], nullptr) << "only the listed changes";

  const json listed = c.get("/v1/gate/overrides?service=checkout").json()["overrides"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["reason"], "revert of v1.4.2");

  r = c.request("DELETE", "/v1/gate/overrides/" + id + "?by=bob", "", {});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["state"], "ended");
  EXPECT_EQ(r.json()["ended_by"], "bob");
  EXPECT_EQ(gate(c)["allowed"], false);
  r = c.request("DELETE", "/v1/gate/overrides/" + id, "", {});
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("is ended already; it stays in the audit log"));
  EXPECT_EQ(c.request("DELETE", "/v1/gate/overrides/ovr-0000000000000000", "", {}).status, 404);
  EXPECT_EQ(c.get("/v1/gate/overrides").json()["overrides"][0]["state"], "ended");

  // The decision log has every answer, the override's id on the one it decided.
  const json decisions = decisions_once(c, "/v1/gate/decisions?service=checkout&range=7d", 4);
  ASSERT_EQ(decisions.size(), 4u);
  EXPECT_EQ(decisions[3]["decision"], "deny");
  EXPECT_EQ(decisions[3]["override"], nullptr);
  EXPECT_EQ(decisions[2]["decision"], "allow");
  EXPECT_EQ(decisions[2]["override"], id);
  EXPECT_EQ(decisions[2]["ci_job"], "deploy-9");
  EXPECT_EQ(decisions[2]["commit"], "f00d");
  EXPECT_EQ(decisions[2]["tier"], "warning");
  EXPECT_EQ(decisions[2]["ts"], "2026-11-24T10:00:00Z");
  const std::string metrics = c.get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"deny\"} 2\n"));
  EXPECT_THAT(metrics, HasSubstr("budgetd_gate_decisions_total{service=\"checkout\",decision=\"allow\"} 1\n"));
}

TEST(GateOverrides, NeedAReasonAKnownServiceAndAnExpiryWithinMaxOverride) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const auto refused = [&](const std::string& body, const std::string& why) {
    const HttpResult r = create(c, body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_THAT(r.body, HasSubstr(why)) << body;
  };
  refused(R"({"service":"checkout","changes":["feature"],"expires_in":"1h","by":"a"})", "reason is required");
  refused(R"({"service":"checkout","changes":["feature"],"reason":"x","expires_in":"5h"})",
          "expires_in is longer than policy.max_override (4h)");
  refused(R"({"service":"checkout","changes":["feature"],"reason":"x"})", "expires_in is required");
  refused(R"({"service":"checkout","changes":[],"reason":"x","expires_in":"1h"})", "changes must list");
  refused(R"({"service":"checkout","changes":["yolo"],"reason":"x","expires_in":"1h"})",
          "changes: 'yolo' is not one of");
  refused(R"({"service":"nobody","changes":["feature"],"reason":"x","expires_in":"1h"})", "no SLO covers it");
  refused(R"({"service":"checkout","changes":["feature"],"reason":"x","expires_in":"1h","until":"x"})",
          "unknown field 'until'");
  refused("[]", "the body must be a JSON object");
  EXPECT_TRUE(c.get("/v1/gate/overrides").json()["overrides"].empty());
}

// An override can never outlive its expiry, and a restart neither revives nor forgets one.
TEST(GateOverrides, ExpireOnTimeAndSurviveRestartsWithTheDecisionLog) {
  TestDaemon d(kSlos);
  std::string id;
  {
    HttpClient c(d.port());
    warning_tier(c);
    const HttpResult r = create(c, R"({"service":"checkout","changes":["feature"],"reason":"incident 42",)"
                                   R"("expires_in":"1h","by":"alice"})");
    ASSERT_EQ(r.status, 201) << r.body;
    id = r.json()["id"];
    EXPECT_EQ(gate(c)["allowed"], true);
    ASSERT_EQ(decisions_once(c, "/v1/gate/decisions", 1).size(), 1u);
  }
  d.restart();
  {
    HttpClient c(d.port());
    EXPECT_EQ(gate(c)["override"]["id"], id) << "still active after a restart";
    EXPECT_EQ(decisions_once(c, "/v1/gate/decisions", 2).size(), 2u) << "the log survived the restart";
  }
  d.clock().advance(kHour - kSecond);
  {
    HttpClient c(d.port());
    EXPECT_EQ(gate(c)["allowed"], true);
    ASSERT_EQ(decisions_once(c, "/v1/gate/decisions", 3).size(), 3u);
  }
  d.clock().advance(kSecond);
  d.restart();
  HttpClient c(d.port());
  json g = gate(c);
  EXPECT_EQ(g["allowed"], false) << "expired at 11:00:00 exactly";
  EXPECT_EQ(g["override"], nullptr);
  const json listed = c.get("/v1/gate/overrides").json()["overrides"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["state"], "expired");
  EXPECT_EQ(listed[0]["id"], id);
  const json decisions = decisions_once(c, "/v1/gate/decisions?service=checkout", 4);
  ASSERT_EQ(decisions.size(), 4u);
  EXPECT_EQ(decisions[0]["decision"], "deny");
  EXPECT_EQ(decisions[1]["override"], id);
  EXPECT_TRUE(c.get("/v1/gate/decisions?service=search").json()["decisions"].empty());
  EXPECT_EQ(c.get("/v1/gate/decisions?range=soon").status, 400);
}

}  // namespace
}  // namespace budgetd::test
