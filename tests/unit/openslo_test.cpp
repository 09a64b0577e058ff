// OpenSLO v1 import and export: every example document of the OpenSLO project pinned to what it
// becomes, references across files, what cannot be honoured, and export -> import round trips.

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"

namespace budgetd::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kDir = BUDGETD_OPENSLO_DIR;

LoadResult load(const std::string& file) { return load_config_file(kDir + "/" + file); }

std::vector<std::string> messages(const LoadResult& r, Diagnostic::Severity severity) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) {
    if (d.severity == severity) out.push_back(d.to_string());
  }
  return out;
}
std::vector<std::string> errors(const LoadResult& r) { return messages(r, Diagnostic::Severity::kError); }
std::vector<std::string> warnings(const LoadResult& r) { return messages(r, Diagnostic::Severity::kWarning); }

// tests/data/openslo holds copies of ../shared/data/openslo, so a clone alone can run the tests;
// where the shared directory is present, the copies must be the same bytes.
TEST(OpenSlo, TheCopiesAreTheSharedExamples) {
  const std::filesystem::path shared = std::filesystem::path(kDir) / "../../../../shared/data/openslo";
  if (!std::filesystem::exists(shared)) GTEST_SKIP() << shared << " is not here";
  size_t compared = 0;
  for (const auto& e : std::filesystem::directory_iterator(shared)) {
    std::ifstream a(e.path(), std::ios::binary), b(std::filesystem::path(kDir) / e.path().filename(), std::ios::binary);
    const std::string x((std::istreambuf_iterator<char>(a)), {}), y((std::istreambuf_iterator<char>(b)), {});
    EXPECT_EQ(x, y) << e.path().filename() << " differs from its copy";
    ++compared;
  }
  EXPECT_GE(compared, 11u);
}

TEST(OpenSlo, OccurrencesExampleIsALatencySloOverTwoWeeks) {
  const LoadResult r = load("occurences-slo.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.config->slos.size(), 1u);
  const SloSpec& s = r.config->slos[0];
  EXPECT_EQ(s.name, "search-slo");
  EXPECT_EQ(s.service, "web-shop");
  EXPECT_EQ(s.objective.to_string(), "99");
  EXPECT_EQ(s.sli.type, SliType::kLatency);
  // op lt, value 500: good below 500 ms, exactly (budgetd counts <= threshold as good).
  EXPECT_LT(s.sli.threshold_ms, 500.0);
  EXPECT_EQ(std::nextafter(s.sli.threshold_ms, 1e9), 500.0);
  EXPECT_EQ(s.windows, (std::vector<WindowSpec>{WindowSpec::rolling(14 * kDay)}));
  EXPECT_EQ(s.budgeting.method, BudgetingMethod::kOccurrences);
  ASSERT_EQ(s.alert_rules.size(), 4u);  // alertPolicies is empty: the defaults, scaled to 14d
  EXPECT_EQ(s.alert_rules[0].name, "page-1h");
  EXPECT_DOUBLE_EQ(s.alert_rules[0].factor, 0.02 * 14 * 24);
  EXPECT_THAT(warnings(r), ElementsAre(HasSubstr("occurences-slo.yaml:3:7: warning: OpenSLO SLO 'search-slo': its "
                                                 "metric source (Any) is not queried: budgetd is push-based, so events "
                                                 "POSTed to /v1/events with service 'web-shop' feed it")));
}

TEST(OpenSlo, RatioTimeslicesExample) {
  const LoadResult r = load("ratio-timeslices.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const SloSpec& s = r.config->slos.at(0);
  EXPECT_EQ(s.name, "main-page");
  EXPECT_EQ(s.sli.type, SliType::kRatio);
  EXPECT_EQ(s.objective.to_string(), "99");
  EXPECT_EQ(s.windows[0].name, "14d");
  EXPECT_EQ(s.budgeting.method, BudgetingMethod::kRatioTimeslices);
  EXPECT_EQ(s.budgeting.slice, kMinute);
  EXPECT_THAT(warnings(r), ElementsAre(HasSubstr("metric source (Any) is not queried"),
                                       HasSubstr("ratio-timeslices.yaml:32:11: warning: OpenSLO SLO 'main-page': "
                                                 "objectives[0]: op 'gt' is ignored on a ratioMetric objective")));
}

TEST(OpenSlo, WeeklyCalendarTimeslicesInNewYork) {
  for (const char* file : {"low-traffic-timeslices-slo.yaml", "v1-slos.yaml"}) {
    SCOPED_TRACE(file);
    const LoadResult r = load(file);
    ASSERT_TRUE(r.ok()) << r.error_text();
    const SloSpec& s = r.config->slos.at(0);
    EXPECT_EQ(s.windows.at(0).name, "week:America/New_York");
    EXPECT_EQ(s.windows[0].calendar->unit, CalendarUnit::kWeekly);
    EXPECT_EQ(s.budgeting.method, BudgetingMethod::kTimeslices);
    EXPECT_EQ(s.budgeting.slice, kMinute);
    EXPECT_EQ(s.budgeting.slice_target, 950'000'000);
    // startTime 2022-01-01 12:00 (a Saturday noon) cannot anchor budgetd's weeks: said, not hidden.
    EXPECT_THAT(warnings(r), ::testing::Contains(HasSubstr("calendar.startTime '2022-01-01 12:00:00' is not "
                                                           "honoured: budgetd's week periods start at local midnight "
                                                           "on Mondays")));
  }
  EXPECT_EQ(load("low-traffic-timeslices-slo.yaml").config->slos[0].objective.to_string(), "99.95");
  const SloSpec web = load("v1-slos.yaml").config->slos[0];
  EXPECT_EQ(web.name, "web-availability");
  EXPECT_EQ(web.service, "web");
  EXPECT_EQ(web.objective.to_string(), "99.5");
}

// A calendar window's startTime is checked against where budgetd's periods of its length start
// (core/calendar): local midnight, on a Monday, the 1st, a quarter's or a year's first day.
TEST(OpenSlo, CalendarStartTimeIsWarnedAboutOnlyWhereNoPeriodStarts) {
  const auto start_warnings = [](const std::string& duration, const std::string& start) {
    const LoadResult r = load_config_string(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n"
        "  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true, good: {metricSource: {type: "
        "budgetd}}, total: {metricSource: {type: budgetd}}}}}\n"
        "  timeWindow: [{duration: " +
            duration + ", isRolling: false, calendar: {startTime: \"" + start + "\", timeZone: Europe/Berlin}}]\n" +
            "  objectives: [{target: 0.99}]\n",
        "o.yaml");
    EXPECT_TRUE(r.ok()) << r.error_text();
    size_t n = 0;
    for (const std::string& w : warnings(r)) n += w.find("calendar.startTime") != std::string::npos;
    return n;
  };
  EXPECT_EQ(start_warnings("1d", "2024-03-05 00:00:00"), 0u);
  EXPECT_EQ(start_warnings("1d", "2024-03-05 06:00:00"), 1u);
  EXPECT_EQ(start_warnings("1w", "2024-01-01 00:00:00"), 0u);  // a Monday
  EXPECT_EQ(start_warnings("1w", "2023-01-02 00:00:00"), 0u);  // a Monday
  EXPECT_EQ(start_warnings("1w", "2024-01-07 00:00:00"), 1u);  // a Sunday
  EXPECT_EQ(start_warnings("1M", "2024-02-01 00:00:00"), 0u);
  EXPECT_EQ(start_warnings("1M", "2024-02-02 00:00:00"), 1u);
  EXPECT_EQ(start_warnings("1Q", "2024-04-01 00:00:00"), 0u);
  EXPECT_EQ(start_warnings("1Q", "2024-02-01 00:00:00"), 1u);
  EXPECT_EQ(start_warnings("1Y", "2025-01-01 00:00:00"), 0u);
  EXPECT_EQ(start_warnings("1Y", "2025-02-01 00:00:00"), 1u);
}

TEST(OpenSlo, AOneMinuteCalendarWindowIsRefusedNotGuessedToBeAMonth) {
  const LoadResult r = load("timeslices-slo.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(errors(r),
              ElementsAre(HasSubstr("timeslices-slo.yaml:27:17: error: OpenSLO SLO 'service-availability': a "
                                    "calendar window of 1m is not supported: budgetd's calendar windows "
                                    "are 1d, 1w, 1M, 1Q and 1Y (OpenSLO writes minutes as m and months as "
                                    "M)")));
}

TEST(OpenSlo, DocumentsWithoutSlosLoadWithWhatTheyCannotDoSaid) {
  for (const char* file : {"v1-slis.yaml", "v1-alert_conditions.yaml", "v1-alert_policies.yaml"}) {
    const LoadResult r = load(file);
    EXPECT_TRUE(r.ok()) << file << r.error_text();
    EXPECT_TRUE(r.config->slos.empty());
    EXPECT_THAT(warnings(r), ElementsAre()) << file;
  }
  EXPECT_THAT(warnings(load("v1-services.yaml")),
              ElementsAre(HasSubstr("v1-services.yaml:24:11: warning: Service 'example-service' is defined more than "
                                    "once; the first one is used")));
  EXPECT_THAT(warnings(load("v1-data_sources.yaml")),
              ElementsAre(HasSubstr(":2:9: warning: DataSource 'prometheus' is not used"),
                          HasSubstr(":16:9: warning: DataSource 'datadog' is not used")));
  EXPECT_THAT(warnings(load("v1-alert_notification_targets.yaml")),
              ElementsAre(HasSubstr("AlertNotificationTarget 'devs-email-notification': budgetd sends every alert to "
                                    "its notify: targets")));
}

// The main config includes the SLI, policy and condition files, and has an OpenSLO SLO of its
// own after budgetd's document; references resolve across files, errors point into each file.
TEST(OpenSlo, IncludedFilesAndReferencesAcrossThem) {
  const std::string dir = ::testing::TempDir() + "/openslo-include";
  std::filesystem::create_directories(dir);
  const std::string main = dir + "/budgetd.yaml";
  std::ofstream(main) << "storage: {dir: ./data}\n"
                      << "include: [\"" << kDir << "/v1-slis.yaml\", \"" << kDir << "/v1-alert_*.yaml\"]\n"
                      << "---\n"
                      << "apiVersion: openslo/v1\n"
                      << "kind: SLO\n"
                      << "metadata: {name: search}\n"
                      << "spec:\n"
                      << "  service: search\n"
                      << "  indicatorRef: search-availability\n"
                      << "  timeWindow: [{duration: 28d, isRolling: true}]\n"
                      << "  objectives: [{target: 0.999}]\n"
                      << "  alertPolicies: [{alertPolicyRef: high-priority}]\n";
  const LoadResult r = load_config_file(main);
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.config->slos.size(), 1u);
  const SloSpec& s = r.config->slos[0];
  EXPECT_EQ(s.sli.type, SliType::kRatio);
  ASSERT_EQ(s.alert_rules.size(), 1u);
  const AlertRuleSpec& rule = s.alert_rules[0];
  EXPECT_EQ(rule.name, "memory-usage-breach");  // the high-priority policy's inline condition
  EXPECT_EQ(rule.severity, Severity::kPage);
  EXPECT_EQ(rule.factor, 2);
  EXPECT_EQ(rule.long_window.name, "1h");
  EXPECT_EQ(rule.short_window.name, "5m");  // alertAfter

  // The low-priority policy's condition fires while the burn rate is *below* 2: refused, at its line.
  std::ofstream(main) << "include: [\"" << kDir << "/v1-alert_*.yaml\"]\n"
                      << "---\n"
                      << "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: search}\n"
                      << "spec:\n  service: search\n"
                      << "  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true}}}\n"
                      << "  timeWindow: [{duration: 28d}]\n  objectives: [{target: 0.999}]\n"
                      << "  alertPolicies: [{alertPolicyRef: low-priority}, {alertPolicyRef: nope}]\n";
  const LoadResult bad = load_config_file(main);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(errors(bad),
              ElementsAre(HasSubstr("budgetd.yaml:11:68: error: OpenSLO SLO 'search': alertPolicyRef 'nope' names no "
                                    "AlertPolicy"),
                          HasSubstr("v1-alert_conditions.yaml:17:11: error: OpenSLO SLO 'search': AlertCondition "
                                    "'cpu-usage-breach': op 'lte' cannot be honoured")));
}

TEST(OpenSlo, WhatCannotBeHonouredIsAnErrorAtItsPlace) {
  const auto check = [](const std::string& yaml) { return errors(load_config_string(yaml, "o.yaml")); };
  const std::string head = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n";
  const std::string ratio = "  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true}}}\n";
  EXPECT_THAT(check("apiVersion: openslo/v2alpha\nkind: SLO\nmetadata: {name: a}\nspec: {}\n"),
              ElementsAre(HasSubstr("o.yaml:1:13: error: apiVersion 'openslo/v2alpha' is not supported")));
  EXPECT_THAT(check("apiVersion: openslo/v1\nkind: Dashboard\nmetadata: {name: a}\nspec: {}\n"),
              ElementsAre(HasSubstr("o.yaml:2:7: error: OpenSLO kind 'Dashboard' is not supported")));
  EXPECT_THAT(check(head + ratio + "  timeWindow: [{duration: 1M, isRolling: true}]\n  objectives: [{target: 0.99}]\n"),
              ElementsAre(HasSubstr("a rolling window of 1M has no fixed length")));
  EXPECT_THAT(check(head + "  indicator: {metadata: {name: i}, spec: {thresholdMetric: {}}}\n" +
                    "  timeWindow: [{duration: 7d}]\n  objectives: [{target: 0.99, op: gt, value: 100}]\n"),
              ElementsAre(HasSubstr("op 'gt' cannot be honoured: budgetd's latency SLI counts events at or under a "
                                    "threshold as good")));
  EXPECT_THAT(check(head + ratio + "  timeWindow: [{duration: 7d}]\n" +
                    "  objectives: [{target: 0.99, indicatorRef: x, compositeWeight: 1}]\n"),
              ElementsAre(HasSubstr("composite SLOs")));
  EXPECT_THAT(check(head + ratio + "  timeWindow: [{duration: 7d}]\n  objectives: [{target: 1.5}]\n"),
              ElementsAre(HasSubstr("'1.5' must be a fraction above 0 and below 1")));
  EXPECT_THAT(check(head + ratio + "  timeWindow: [{duration: 7d}]\n  objectives: [{target: 0.99}]\n  colour: red\n"),
              ElementsAre(HasSubstr("o.yaml:9:3: error: OpenSLO SLO 'a': spec: unknown key 'colour'")));
  EXPECT_THAT(
      errors(load_config_string("slos: [{name: a, service: s, objective: 99, sli: {type: ratio}}]\n---\n" + head +
                                    ratio + "  timeWindow: [{duration: 7d}]\n  objectives: [{target: 0.99}]\n",
                                "o.yaml")),
      ElementsAre(HasSubstr("SLO name 'a' is used more than once")));
  EXPECT_THAT(check("include: [nothing-here-*.yaml]\n"), ElementsAre(HasSubstr("matches no file")));
}

// Regression (review of issue 4): an AlertCondition whose lookbackWindow had no fixed length
// (1M) made its SLO disappear with no error, and the config still loaded. Now the config fails
// with the reason at the condition's line.
TEST(OpenSloRegression, AnUnreadableAlertConditionWindowDroppedItsSloInSilence) {
  const auto check = [](const std::string& yaml) { return errors(load_config_string(yaml, "o.yaml")); };
  const std::string head = "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n";
  const std::string ratio = "  indicator: {metadata: {name: i}, spec: {ratioMetric: {counter: true}}}\n";
  const std::string alerting = head + ratio + "  timeWindow: [{duration: 28d}]\n  objectives: [{target: 0.999}]\n" +
                               "  alertPolicies:\n    - kind: AlertPolicy\n      metadata: {name: p}\n" +
                               "      spec:\n        conditions:\n          - kind: AlertCondition\n" +
                               "            metadata: {name: c}\n";
  EXPECT_THAT(
      check(alerting + "            spec: {condition: {kind: burnrate, threshold: 2, lookbackWindow: 1M}}\n"),
      ElementsAre(HasSubstr("o.yaml:16:78: error: OpenSLO SLO 'a': AlertCondition 'c': lookbackWindow: 1M has no "
                            "fixed length")));
  EXPECT_THAT(
      check(alerting + "            spec: {condition: {kind: burnrate, threshold: 2, lookbackWindow: 5000m}}\n"),
      ElementsAre(HasSubstr("o.yaml:16:78: error: OpenSLO SLO 'a': AlertCondition 'c': lookbackWindow: '5000m' is not "
                            "a multiple of its bucket resolution 1h")));
}

TEST(OpenSlo, SeveralObjectivesBecomeOneSloEach) {
  const LoadResult r = load_config_string(
      "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: api}\nspec:\n  service: api\n"
      "  indicator: {metadata: {name: i}, spec: {thresholdMetric: {metricSource: {type: budgetd}}}}\n"
      "  timeWindow: [{duration: 30d}]\n"
      "  objectives:\n"
      "    - {displayName: Fast, op: lte, value: 100, target: 0.95}\n"
      "    - {displayName: Not slow, op: lte, value: 1000, targetPercent: 99.9}\n",
      "o.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.config->slos.size(), 2u);
  EXPECT_EQ(r.config->slos[0].name, "api-fast");
  EXPECT_EQ(r.config->slos[0].sli.threshold_ms, 100);
  EXPECT_EQ(r.config->slos[0].objective.to_string(), "95");
  EXPECT_EQ(r.config->slos[1].name, "api-not-slow");
  EXPECT_EQ(r.config->slos[1].sli.threshold_ms, 1000);
  EXPECT_EQ(r.config->slos[1].objective.to_string(), "99.9");
  EXPECT_THAT(warnings(r), ElementsAre());  // a budgetd metric source needs no warning
}

// Exporting and importing again gives the same SLOs.
TEST(OpenSlo, ExportThenImportGivesTheSameSlos) {
  const LoadResult original = load_config_string(R"(
slos:
  - name: checkout-availability
    service: checkout
    description: "Checkout requests that succeed"
    objective: 99.95
    sli: {type: ratio}
    match: {region: eu, tier: "1"}
  - name: search-latency
    service: search
    objective: 99.123456789
    windows: ["28d"]
    sli: {type: latency, threshold_ms: 300}
    alerting:
      rules:
        - {name: fast, severity: page, long: 1h, short: 5m, factor: 10}
        - {name: slow, severity: ticket, long: 3d, short: 6h, budget_percent: 10}
  - name: berlin-month
    service: web
    objective: 99.5
    windows: [{calendar: month, timezone: Europe/Berlin}]
    budgeting: {method: timeslices, slice: 5m, slice_target: 0.95}
    sli: {type: ratio}
  - name: ratio-slices
    service: web
    objective: 99
    windows: [{calendar: quarter, timezone: UTC}]
    budgeting: {method: ratio_timeslices, slice: 1h}
    sli: {type: ratio}
)",
                                                 "o.yaml");
  ASSERT_TRUE(original.ok()) << original.error_text();
  std::vector<std::string> notes;
  const std::string exported = export_openslo(*original.config, notes);
  EXPECT_THAT(notes, ElementsAre());
  const LoadResult back = load_config_string(exported, "exported.yaml");
  ASSERT_TRUE(back.ok()) << back.error_text() << exported;
  EXPECT_THAT(warnings(back), ElementsAre());
  ASSERT_EQ(back.config->slos.size(), original.config->slos.size());
  for (size_t i = 0; i < back.config->slos.size(); ++i) {
    const SloSpec& a = original.config->slos[i];
    const SloSpec& b = back.config->slos[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.service, a.service);
    EXPECT_EQ(b.description, a.description);
    EXPECT_EQ(b.objective.nanopercent(), a.objective.nanopercent());
    EXPECT_EQ(b.windows, a.windows);
    EXPECT_EQ(b.sli, a.sli);
    EXPECT_EQ(b.match, a.match);
    EXPECT_EQ(b.budgeting, a.budgeting);
    EXPECT_EQ(b.alert_rules, a.alert_rules);
    EXPECT_EQ(b.identity(), a.identity());
  }
}

}  // namespace
}  // namespace budgetd::config
