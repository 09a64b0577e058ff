// What notifications say: Alertmanager items and receiver URLs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/config.h"
#include "budgetd/notify/incident.h"
#include "budgetd/notify/notifier.h"

namespace budgetd::notify {
namespace {

using ::testing::HasSubstr;

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

TEST(Notify, AlertmanagerItemCarriesTheLabelsAnnotationsAndTimes) {
  eval::AlertInstance a;
  a.slo = "checkout-availability";
  a.service = "checkout";
  a.rule = "page-1h";
  a.severity = config::Severity::kPage;
  a.runbook_url = "https://rb/checkout";
  a.factor = 14.4;
  a.long_window = "1h";
  a.short_window = "5m";
  a.objective_percent = 99.9;
  a.state = eval::AlertState::kFiring;
  a.since = kNow - kMinute;
  a.long_burn_rate = 20.5;
  a.short_burn_rate = 30;
  a.incident = "checkout-availability@2026-11-24T09:59:00Z";
  auto j = nlohmann::json::parse(Notifier::alertmanager_item(a, kNow, kMinute, "http://budgetd:8080"));
  EXPECT_EQ(j["labels"], nlohmann::json::parse(R"({"alertname":"ErrorBudgetBurn","slo":"checkout-availability",
      "service":"checkout","severity":"page","rule":"page-1h","incident":"checkout-availability@2026-11-24T09:59:00Z"})"));
  EXPECT_EQ(j["annotations"]["runbook_url"], "https://rb/checkout");
  EXPECT_EQ(j["annotations"]["summary"], "checkout-availability: error budget burning 20.5x over 1h (page-1h)");
  EXPECT_EQ(j["startsAt"], "2026-11-24T09:59:00Z");
  EXPECT_EQ(j["endsAt"], "2026-11-24T10:04:00Z");  // four resend intervals ahead while firing
  EXPECT_EQ(j["generatorURL"], "http://budgetd:8080/v1/slos/checkout-availability");
  a.state = eval::AlertState::kResolved;
  a.resolved_at = kNow + 5 * kMinute;
  j = nlohmann::json::parse(Notifier::alertmanager_item(a, kNow + 6 * kMinute, kMinute, ""));
  EXPECT_EQ(j["endsAt"], "2026-11-24T10:05:00Z");  // a resolve ends when the burn ended
  EXPECT_FALSE(j.contains("generatorURL"));
}

TEST(Notify, ReceiverUrlsAreParsedStrictlyAndJoinedWithoutDoubleSlashes) {
  const auto url = [](std::string_view u) { return config::parse_http_url(u); };
  auto t = url("http://am.example:9093").value();
  EXPECT_EQ(t.host, "am.example");
  EXPECT_EQ(t.port, 9093);
  EXPECT_EQ(t.path, "/");
  EXPECT_EQ(url("http://hooks.example?team=sre").value().path, "/?team=sre");
  EXPECT_EQ(url("http://[::1]:8080/hook").value().host, "::1");
  EXPECT_THAT(url("http://user:secret@am.example").status().message(), HasSubstr("holds credentials"));
  EXPECT_THAT(url("http://am.example/#frag").status().message(), HasSubstr("#fragment"));
  EXPECT_THAT(url("http://am example").status().message(), HasSubstr("a host name cannot have"));
  EXPECT_THAT(url("https://am.example").status().message(), HasSubstr("https is not supported"));
  for (const char* base : {"/", "", "/am", "/am/", "/am//"}) {
    const std::string want = std::string_view(base).starts_with("/am") ? "/am/api/v2/alerts" : "/api/v2/alerts";
    EXPECT_EQ(Notifier::alertmanager_path(base), want) << base;
  }
}

eval::AlertInstance rule(const std::string& name, config::Severity severity, Timestamp since) {
  eval::AlertInstance a;
  a.slo = "checkout-availability";
  a.service = "checkout";
  a.rule = name;
  a.severity = severity;
  a.state = eval::AlertState::kFiring;
  a.since = since;
  a.incident = "checkout-availability@2026-11-24T10:00:00Z";
  return a;
}

eval::AlertChange fired(const eval::AlertInstance& a) { return {eval::AlertChange::Kind::kFired, a}; }
eval::AlertChange resolved(eval::AlertInstance a, Timestamp at) {
  a.state = eval::AlertState::kResolved;
  a.resolved_at = at;
  return {eval::AlertChange::Kind::kResolved, a};
}

// A slow burn opens a ticket incident; a page joining it escalates it at once; a rule that stops
// while others fire is named (resolved) in the next update; the last one resolves the incident.
TEST(Incidents, TicketOpensPageEscalatesRulesLeaveThenItResolves) {
  IncidentLog log;
  const auto ticket = rule("ticket-3d", config::Severity::kTicket, kNow);
  auto out = log.step({fired(ticket)}, {ticket}, kNow, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kOpened);
  EXPECT_EQ(out[0].severity(), config::Severity::kTicket);

  EXPECT_TRUE(log.step({}, {ticket}, kNow + kSecond * 10, kMinute).empty()) << "nothing new before the resend";

  const auto page = rule("page-1h", config::Severity::kPage, kNow + 20 * kSecond);
  out = log.step({fired(page)}, {ticket, page}, kNow + 20 * kSecond, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kEscalated);
  EXPECT_EQ(out[0].severity(), config::Severity::kPage);
  EXPECT_EQ(out[0].rules.size(), 2u);
  EXPECT_EQ(out[0].since(), kNow);

  // The page stops; the ticket fires on. Nothing until the resend, then an update naming both.
  EXPECT_TRUE(log.step({resolved(page, kNow + 30 * kSecond)}, {ticket}, kNow + 30 * kSecond, kMinute).empty());
  out = log.step({}, {ticket}, kNow + 90 * kSecond, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kUpdated);
  ASSERT_EQ(out[0].rules.size(), 2u);
  EXPECT_EQ(out[0].rules[1].rule, "page-1h");
  EXPECT_EQ(out[0].rules[1].state, eval::AlertState::kResolved);
  EXPECT_EQ(out[0].severity(), config::Severity::kTicket) << "the page that stopped no longer counts";
  const auto sent = nlohmann::json::parse(incident_json(out[0], kNow + 90 * kSecond, ""));
  EXPECT_EQ(sent["transition"], "updated");
  EXPECT_EQ(sent["rules"][1]["state"], "resolved");

  out = log.step({resolved(ticket, kNow + 2 * kMinute)}, {}, kNow + 2 * kMinute, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kResolved);
  EXPECT_EQ(out[0].rules.size(), 1u);
  const auto end = nlohmann::json::parse(incident_json(out[0], kNow + 2 * kMinute, "http://budgetd"));
  EXPECT_EQ(end["status"], "resolved");
  EXPECT_EQ(end["resolved_at"], "2026-11-24T10:02:00Z");
  EXPECT_EQ(end["url"], "http://budgetd/v1/slos/checkout-availability");
  EXPECT_TRUE(log.step({}, {}, kNow + 3 * kMinute, kMinute).empty());
}

// After a restart the notifier has forgotten what it sent: an incident still firing is an
// update (not a second "opened"), and one that ended while budgetd was down still resolves.
TEST(Incidents, AfterARestartAnOpenIncidentIsUpdatedAndAnEndedOneResolves) {
  IncidentLog log;
  const auto page = rule("page-1h", config::Severity::kPage, kNow);
  auto out = log.step({}, {page}, kNow, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kUpdated);
  IncidentLog fresh;
  out = fresh.step({resolved(page, kNow + kHour)}, {}, kNow + kHour, kMinute);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].transition, Transition::kResolved);
}

}  // namespace
}  // namespace budgetd::notify
