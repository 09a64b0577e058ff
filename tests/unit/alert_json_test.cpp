// The one JSON form of an alert: the same names in the API, the webhook and the saved state.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/eval/alert_json.h"
#include "budgetd/notify/incident.h"
#include "budgetd/notify/notifier.h"

namespace budgetd::eval {
namespace {

const Timestamp kNow = parse_timestamp("2026-11-24T10:00:00Z").value();

AlertInstance firing_page() {
  AlertInstance a;
  a.slo = "checkout-availability";
  a.service = "checkout";
  a.rule = "page-1h";
  a.severity = config::Severity::kPage;
  a.runbook_url = "https://rb/checkout";
  a.factor = 14.4;
  a.long_window = "1h";
  a.short_window = "5m";
  a.objective_percent = 99.9;
  a.state = AlertState::kFiring;
  a.since = kNow - kMinute;
  a.long_burn_rate = 20.5;
  a.short_burn_rate = 30;
  a.budget_consumed = 0.35;
  a.postmortem_required = true;
  return a;
}

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (const auto& [k, v] : j.items()) out.push_back(k);
  return out;
}

TEST(AlertJson, OneSetOfNamesWithRfc3339Times) {
  const nlohmann::ordered_json j = alert_json(firing_page());
  EXPECT_THAT(keys(j),
              ::testing::ElementsAre("slo", "service", "rule", "severity", "state", "since", "resolved_at", "objective",
                                     "factor", "long_window", "short_window", "long_burn_rate", "short_burn_rate",
                                     "budget_consumed", "postmortem_required", "events", "min_events", "runbook_url"));
  EXPECT_EQ(j["since"], "2026-11-24T09:59:00Z");
  EXPECT_TRUE(j["resolved_at"].is_null());
  EXPECT_EQ(j["state"], "firing");
  EXPECT_EQ(j["objective"], 99.9);
}

TEST(AlertJson, ReadsBackWhatItWrites) {
  AlertInstance a = firing_page();
  a.state = AlertState::kResolved;
  a.resolved_at = kNow;
  const AlertInstance back = alert_from_json(nlohmann::json(alert_json(a))).value();
  EXPECT_EQ(alert_json(back), alert_json(a));
}

TEST(AlertJson, TheWebhookIncidentCarriesEachRuleInTheSameForm) {
  AlertInstance a = firing_page();
  a.incident = "checkout-availability@2026-11-24T09:59:00Z";
  const notify::Incident incident{a.incident, notify::Transition::kOpened, {a}};
  const auto webhook = nlohmann::ordered_json::parse(notify::incident_json(incident, kNow, "http://budgetd:8080"));
  const nlohmann::ordered_json alert = alert_json(a);
  ASSERT_EQ(webhook["rules"].size(), 1u);
  for (const auto& [k, v] : alert.items()) EXPECT_EQ(webhook["rules"][0].at(k), v) << k;
  EXPECT_EQ(webhook["status"], "firing");
  EXPECT_EQ(webhook["transition"], "opened");
  EXPECT_EQ(webhook["id"], a.incident);
  EXPECT_EQ(webhook["url"], "http://budgetd:8080/v1/slos/checkout-availability");
}

TEST(AlertJson, AMissingFieldIsDataLossNotACrash) {
  nlohmann::json j = nlohmann::json(alert_json(firing_page()));
  j.erase("since");
  EXPECT_EQ(alert_from_json(j).status().code(), StatusCode::kDataLoss);
  j = nlohmann::json(alert_json(firing_page()));
  j["since"] = "yesterday";
  EXPECT_EQ(alert_from_json(j).status().code(), StatusCode::kDataLoss);
}

TEST(AlertState, SavedStateLoadsBackAndVersion1StateStillLoads) {
  AlertTracker saved;
  // Version 1: times in unix ms, the objective as objective_percent.
  const std::string v1 = R"({"version":1,"alerts":[{"slo":"checkout-availability","service":"checkout",
      "rule":"page-1h","severity":"page","runbook_url":"","factor":14.4,"long_window":"1h","short_window":"5m",
      "objective_percent":99.9,"state":"firing","since":1795514340000,"long_burn_rate":20.5,"short_burn_rate":30,
      "budget_consumed":0.35,"postmortem_required":true}],"episodes":{}})";
  ASSERT_TRUE(saved.load(v1).ok());
  const auto a = saved.find("checkout-availability", "page-1h");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->since, kNow - kMinute);
  EXPECT_EQ(a->objective_percent, 99.9);
  EXPECT_TRUE(a->postmortem_required);
  // Saved again (version 2) and loaded into another tracker: the same alert.
  AlertTracker restored;
  ASSERT_TRUE(restored.load(saved.save()).ok());
  EXPECT_EQ(alert_json(*restored.find("checkout-availability", "page-1h")), alert_json(*a));
  EXPECT_FALSE(restored.load(R"({"version":3,"alerts":[],"episodes":{}})").ok());
}

}  // namespace
}  // namespace budgetd::eval
