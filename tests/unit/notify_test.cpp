// What notifications say: Alertmanager items and receiver URLs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/config.h"
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
  auto j = nlohmann::json::parse(Notifier::alertmanager_item(a, kNow, kMinute, "http://budgetd:8080"));
  EXPECT_EQ(j["labels"], nlohmann::json::parse(R"({"alertname":"ErrorBudgetBurn","slo":"checkout-availability",
      "service":"checkout","severity":"page","rule":"page-1h"})"));
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

}  // namespace
}  // namespace budgetd::notify
