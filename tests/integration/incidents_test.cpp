// What reaches people: one webhook notification per incident and transition, carrying the
// figures the status shows at that moment (issue 14).

#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "http_receiver.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;

std::string slos_with_webhook(const std::string& url, const std::string& evaluation_interval) {
  return "notify: {webhooks: [{url: \"" + url + "/hook\"}]}\n" +
         "alerting: {evaluation_interval: " + evaluation_interval +
         "}\n"
         "slos:\n"
         "  - {name: checkout-availability, service: checkout, objective: 99.9, windows: [\"30d\"], sli: {type: "
         "ratio}}\n";
}

// Two hours of 1,000 requests per 10 s before `now_ms`, the last ten minutes half failing, in
// one batch: page-1h, page-6h, ticket-1d and ticket-3d fire on the first evaluation.
std::string one_batch_burn(int64_t now_ms) {
  std::string e;
  for (int s = 720; s >= 1; --s) {
    e += (e.empty() ? "" : ",") + std::string(R"({"service":"checkout","ts":)") + std::to_string(now_ms - s * 10'000) +
         R"(,"good":)" + (s <= 60 ? "500" : "1000") + R"(,"total":1000})";
  }
  return R"({"events":[)" + e + "]}";
}

std::vector<json> incidents(const HttpReceiver& hook) {
  std::vector<json> out;
  for (const auto& r : hook.requests()) {
    if (r.answered != 200) continue;
    const json body = json::parse(r.body);
    for (const auto& i : body["incidents"]) out.push_back(i);
  }
  return out;
}

json rule_of(const json& incident, const std::string& rule) {
  for (const auto& r : incident["rules"]) {
    if (r["rule"] == rule) return r;
  }
  return json();
}

// Regression: with evaluation_interval 1s and a burn that arrived in one batch, the first
// notification of a new page said budget_consumed 0.0 and no postmortem while GET /v1/alerts
// already said 40 % and postmortem_required. The fired change was copied before the episode's
// consumption was worked out (AlertTracker::observe); the re-send, a later copy, was right.
TEST(NotifyRegression, FirstNotificationSaidNoBudgetConsumedWhileTheStatusShowedTheBurn) {
  HttpReceiver hook;
  TestDaemon d(slos_with_webhook(hook.url(), "1s"));
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", one_batch_burn(kT0Ms)).status, 200);
  d.daemon().evaluate_now();
  const json alerts = c.get("/v1/alerts").json()["alerts"];
  json shown;
  for (const auto& a : alerts) {
    if (a["rule"] == "page-1h") shown = a;
  }
  ASSERT_FALSE(shown.is_null()) << alerts.dump();
  ASSERT_GT(shown["budget_consumed"].get<double>(), 0.30);
  ASSERT_EQ(shown["postmortem_required"], true);

  ASSERT_TRUE(hook.wait_for(1, std::chrono::seconds(15)));
  const json first = json::parse(hook.requests()[0].body)["incidents"][0];
  EXPECT_EQ(first["transition"], "opened");
  const json sent = rule_of(first, "page-1h");
  ASSERT_FALSE(sent.is_null()) << first.dump();
  EXPECT_DOUBLE_EQ(sent["budget_consumed"].get<double>(), shown["budget_consumed"].get<double>());
  EXPECT_EQ(sent["postmortem_required"], true);
  EXPECT_EQ(first["postmortem_required"], true);
  EXPECT_GE(first["budget_consumed"].get<double>(), shown["budget_consumed"].get<double>());
  EXPECT_EQ(sent["long_burn_rate"], shown["long_burn_rate"]);
}

// Four rules fire for one burn: the webhook hears of one incident, opened, then updated on
// re-send, then resolved; never one message per rule. The alerts keep their own rules and all
// carry the one incident id.
TEST(Notify, OneBurnIsOneIncidentOpenedUpdatedResolved) {
  HttpReceiver hook;
  TestDaemon d(slos_with_webhook(hook.url(), "10m"));
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", one_batch_burn(kT0Ms)).status, 200);
  d.daemon().evaluate_now();
  ASSERT_TRUE(hook.wait_for(1, std::chrono::seconds(15)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing else is on its way
  ASSERT_EQ(hook.requests().size(), 1u) << "one request for the burn";
  std::vector<json> got = incidents(hook);
  ASSERT_EQ(got.size(), 1u);
  const json opened = got[0];
  EXPECT_EQ(opened["transition"], "opened");
  EXPECT_EQ(opened["status"], "firing");
  EXPECT_EQ(opened["slo"], "checkout-availability");
  EXPECT_EQ(opened["severity"], "page");
  EXPECT_EQ(opened["since"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(opened["id"], "checkout-availability@2026-11-24T10:00:00Z");
  std::set<std::string> rules;
  for (const auto& r : opened["rules"]) {
    rules.insert(r["rule"].get<std::string>());
    EXPECT_EQ(r["incident"], opened["id"]);
    EXPECT_GT(r["long_burn_rate"].get<double>(), 0);
  }
  EXPECT_EQ(rules, (std::set<std::string>{"page-1h", "page-6h", "ticket-1d", "ticket-3d"}));
  const json alerts = c.get("/v1/alerts").json();
  for (const auto& a : alerts["alerts"]) EXPECT_EQ(a["incident"], opened["id"]);

  // Evaluations before the resend interval (1m) send nothing; one after it, an update.
  d.clock().advance(std::chrono::seconds(30));
  d.daemon().evaluate_now();
  d.clock().advance(std::chrono::seconds(31));
  d.daemon().evaluate_now();
  ASSERT_TRUE(hook.wait_for(2, std::chrono::seconds(15)));
  got = incidents(hook);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1]["transition"], "updated");
  EXPECT_EQ(got[1]["id"], opened["id"]);

  // Days later every rule has resolved: one resolve for the incident, naming all four.
  d.clock().advance(4 * kDay);
  d.daemon().evaluate_now();
  ASSERT_TRUE(hook.wait_for(3, std::chrono::seconds(15)));
  got = incidents(hook);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2]["transition"], "resolved");
  EXPECT_EQ(got[2]["status"], "resolved");
  EXPECT_EQ(got[2]["id"], opened["id"]);
  EXPECT_EQ(got[2]["rules"].size(), 4u);
  EXPECT_EQ(got[2]["resolved_at"], "2026-11-28T10:01:01Z");
  for (const auto& r : got[2]["rules"]) EXPECT_EQ(r["state"], "resolved");
}

}  // namespace
}  // namespace budgetd::test
