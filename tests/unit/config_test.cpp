#include "budgetd/config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace budgetd::config {
namespace {

using ::testing::HasSubstr;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "c.yaml"); }

std::vector<std::string> errors(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) out.push_back(d.to_string());
  }
  return out;
}

constexpr const char* kMinimal = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli: {type: ratio}
)";

TEST(Config, MinimalSloGetsDefaults) {
  const LoadResult r = load(kMinimal);
  ASSERT_TRUE(r.ok()) << r.error_text();
  const Config& c = *r.config;
  EXPECT_EQ(c.server.listen_host, "127.0.0.1");
  EXPECT_EQ(c.server.listen_port, 8080);
  EXPECT_EQ(c.server.threads, 2);
  EXPECT_EQ(c.server.max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.storage.dir, "./data");
  ASSERT_EQ(c.slos.size(), 1u);
  const SloSpec& s = c.slos[0];
  EXPECT_EQ(s.windows, (std::vector<WindowSpec>{WindowSpec::rolling(30 * kDay)}));
  EXPECT_EQ(s.sli.type, SliType::kRatio);
  ASSERT_EQ(s.alert_rules.size(), 4u);
}

// SRE Workbook: 14.4 / 6 / 3 / 1 for a 30-day window.
TEST(Config, DefaultAlertRulesFor30Days) {
  const auto rules = load(kMinimal).config->slos[0].alert_rules;
  EXPECT_EQ(rules[0].name, "page-1h");
  EXPECT_EQ(rules[0].severity, Severity::kPage);
  EXPECT_EQ(rules[0].long_window.length, kHour);
  EXPECT_EQ(rules[0].short_window.length, 5 * kMinute);
  EXPECT_DOUBLE_EQ(rules[0].factor, 14.4);
  EXPECT_EQ(rules[1].name, "page-6h");
  EXPECT_EQ(rules[1].short_window.length, 30 * kMinute);
  EXPECT_DOUBLE_EQ(rules[1].factor, 6);
  EXPECT_EQ(rules[2].name, "ticket-1d");
  EXPECT_EQ(rules[2].severity, Severity::kTicket);
  EXPECT_EQ(rules[2].short_window.length, 2 * kHour);
  EXPECT_DOUBLE_EQ(rules[2].factor, 3);
  EXPECT_EQ(rules[3].name, "ticket-3d");
  EXPECT_EQ(rules[3].short_window.length, 6 * kHour);
  EXPECT_DOUBLE_EQ(rules[3].factor, 1);
  EXPECT_EQ(rules[0].min_events, 10u);
}

// Factors scale with the primary window: 13.44 / 5.6 / 2.8 / 0.933 for 28 days.
TEST(Config, DefaultAlertRulesScaleWithThePrimaryWindow) {
  const auto rules = default_alert_rules(28 * kDay, 10);
  EXPECT_DOUBLE_EQ(rules[0].factor, 13.44);
  EXPECT_DOUBLE_EQ(rules[1].factor, 5.6);
  EXPECT_DOUBLE_EQ(rules[2].factor, 2.8);
  EXPECT_NEAR(rules[3].factor, 0.9333333333, 1e-9);
}

TEST(Config, FullSloSpec) {
  const LoadResult r = load(R"(
server: {listen: "0.0.0.0:9090", threads: 4, max_body_bytes: 1048576, read_timeout: 5s}
storage: {dir: /var/lib/budgetd, status_lookback: 2h}
ingest: {max_future: 1m}
alerting: {min_events: 50, runbook_url: "https://rb/{service}/{slo}/{rule}"}
slos:
  - name: checkout-latency
    service: checkout
    description: "fast checkouts"
    objective: 99.5
    windows: ["28d", "7d"]
    sli: {type: latency, threshold_ms: 300, failed_requests_are_bad: false}
    match: {region: eu, tier: gold}
    alerting:
      rules:
        - {name: fast, severity: page, long: 1h, short: 5m, budget_percent: 2, min_events: 5}
        - {name: slow, severity: ticket, long: 3d, short: 6h, factor: 1.5, runbook_url: "x"}
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const Config& c = *r.config;
  EXPECT_EQ(c.server.listen_host, "0.0.0.0");
  EXPECT_EQ(c.server.listen_port, 9090);
  EXPECT_EQ(c.server.threads, 4);
  EXPECT_EQ(c.server.read_timeout, 5 * kSecond);
  EXPECT_EQ(c.storage.status_lookback, 2 * kHour);
  EXPECT_EQ(c.ingest.max_future, kMinute);
  const SloSpec& s = c.slos[0];
  EXPECT_EQ(s.windows.size(), 2u);
  EXPECT_EQ(s.primary_window().name, "28d");
  EXPECT_EQ(s.sli.type, SliType::kLatency);
  EXPECT_EQ(s.sli.threshold_ms, 300);
  EXPECT_FALSE(s.sli.failed_requests_are_bad);
  EXPECT_EQ(s.match, (std::map<std::string, std::string>{{"region", "eu"}, {"tier", "gold"}}));
  ASSERT_EQ(s.alert_rules.size(), 2u);
  EXPECT_DOUBLE_EQ(s.alert_rules[0].factor, 13.44);
  EXPECT_EQ(s.alert_rules[0].min_events, 5u);
  EXPECT_EQ(s.alert_rules[0].runbook_url, "https://rb/checkout/checkout-latency/fast");
  EXPECT_DOUBLE_EQ(s.alert_rules[1].factor, 1.5);
  EXPECT_EQ(s.alert_rules[1].min_events, 50u);
  EXPECT_EQ(s.alert_rules[1].runbook_url, "x");
}

TEST(Config, ReportsEveryProblemWithItsPosition) {
  const LoadResult r = load(R"(server:
  listen: "nohost"
  thread: 2
slos:
  - name: Bad_Name
    service: checkout
    objective: 100
    windows: ["30d", "7h3m"]
    sli: {type: latency}
  - name: dup
    service: s
    objective: 99.9
    sli: {type: ratio}
  - name: dup
    service: s
    objective: 99.9
    sli: {type: ratio}
    colour: blue
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      errors(r),
      ::testing::ElementsAre(
          HasSubstr("c.yaml:2:11: error: server.listen must be host:port"),
          HasSubstr("c.yaml:3:3: error: server: unknown key 'thread' (valid keys: "),
          HasSubstr("c.yaml:5:11: error: SLO name 'Bad_Name' must be"),
          HasSubstr("c.yaml:7:16: error: SLO 'Bad_Name': objective '100' must be above 0 and below 100"),
          HasSubstr(
              "c.yaml:8:22: error: SLO 'Bad_Name': windows[1]: '7h3m' is not a multiple of its bucket resolution 5m"),
          HasSubstr("c.yaml:9:10: error: SLO 'Bad_Name': sli: a latency SLI needs threshold_ms"),
          HasSubstr("c.yaml:14:11: error: SLO name 'dup' is used more than once"),
          HasSubstr("c.yaml:18:5: error: SLO 'dup': unknown key 'colour' (valid keys: alerting, attribution, "
                    "budgeting, description, ")));
}

// Regression (issue 11, finding 9): windows: ["2d-1h"] loaded and was served as 1d23h.
TEST(ConfigRegression, NegativeDurationPartsWereServed) {
  const LoadResult r = load(R"(
slos:
  - name: a
    service: s
    objective: 99.9
    windows: ["30d", "2d-1h"]
    sli: {type: ratio}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(errors(r),
              ::testing::ElementsAre(HasSubstr("c.yaml:6:22: error: SLO 'a': windows[1]: '2d-1h' is not a duration "
                                               "(a duration has no signs")));
}

TEST(Config, RejectsImpossibleAlertRules) {
  const LoadResult r = load(R"(
slos:
  - name: a
    service: s
    objective: 99.9
    sli: {type: ratio}
    alerting:
      rules:
        - {name: too-fast, severity: page, long: 1h, short: 5m, factor: 1000}
        - {name: backwards, severity: page, long: 5m, short: 1h, factor: 2}
        - {name: both, severity: page, long: 1h, short: 5m, factor: 2, budget_percent: 2}
        - {name: neither, severity: page, long: 1h, short: 5m}
        - {name: odd, severity: page, long: 7h3m, short: 5m, factor: 2}
)");
  ASSERT_FALSE(r.ok());
  const auto e = errors(r);
  ASSERT_EQ(e.size(), 5u) << r.error_text();
  EXPECT_THAT(e[0], HasSubstr("burn-rate factor 1000, but at objective 99.9% the burn rate can never exceed 1000"));
  EXPECT_THAT(e[1], HasSubstr("the short window (1h) must be shorter than the long window (5m)"));
  EXPECT_THAT(e[2], HasSubstr("give exactly one of factor"));
  EXPECT_THAT(e[3], HasSubstr("give exactly one of factor"));
  EXPECT_THAT(e[4], HasSubstr("'7h3m' is not a multiple of its bucket resolution 5m"));
}

// A 90 % latency SLO cannot burn faster than 10x: the 14.4x default is left out with a warning.
TEST(Config, LeavesOutImpossibleDefaultRulesWithAWarning) {
  const LoadResult r = load(R"(
slos:
  - name: p90
    service: s
    objective: 90
    sli: {type: latency, threshold_ms: 100}
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.config->slos[0].alert_rules.size(), 3u);
  EXPECT_EQ(r.config->slos[0].alert_rules[0].name, "page-6h");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, Diagnostic::Severity::kWarning);
  EXPECT_THAT(r.diagnostics[0].message, HasSubstr("'page-1h' has burn-rate factor 14.4"));
}

TEST(Config, SyntaxErrorsHaveAPosition) {
  const LoadResult r = load("slos:\n  - name: [unclosed\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(errors(r).size(), 1u);
  EXPECT_THAT(errors(r)[0], HasSubstr("c.yaml:3:1: error: YAML syntax"));
}

TEST(Config, MissingFileSaysWhy) {
  const LoadResult r = load_config_file("/nonexistent/budgetd.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error_text(), HasSubstr("/nonexistent/budgetd.yaml: error: cannot read the config file: No such file"));
}

TEST(Config, IdentityIsNameServiceSliAndMatchers) {
  const auto a = load(kMinimal).config->slos[0];
  auto b = a;
  b.objective = Objective::parse("99").value();
  b.alert_rules.clear();
  b.windows = {WindowSpec::rolling(7 * kDay)};
  EXPECT_EQ(a.identity(), b.identity());
  b.match["region"] = "eu";
  EXPECT_NE(a.identity(), b.identity());
  auto c = a;
  c.sli.type = SliType::kLatency;
  c.sli.threshold_ms = 100;
  EXPECT_NE(a.identity(), c.identity());
}

// Review of issue 2: limits that keep a config from reaching a crash or an overflow.
TEST(Config, RefusesValuesOutsideSafeLimits) {
  const LoadResult r = load(R"(
server: {listen: "localhost:8080", threads: 61, idle_timeout: 300y, drain_timeout: 1h, max_body_bytes: 1073741824}
slos:
  - {name: a, service: s, objective: 99.9, windows: ["1h"], sli: {type: ratio}}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(errors(r), ::testing::ElementsAre(
                             HasSubstr("server.listen: 'localhost' is not an IP address"),
                             HasSubstr("server.threads must be a whole number from 1 to 60"),
                             HasSubstr("server.idle_timeout must be at most 1h"),
                             HasSubstr("server.drain_timeout must be at most 10m"),
                             HasSubstr("server.max_body_bytes must be a whole number from 1024 to 268435456"),
                             HasSubstr("budget window 1h is too short; budget windows must be longer than 1h")));
  EXPECT_TRUE(load("server: {listen: \"[::1]:9000\"}\nslos: []").ok());
}

// Review of issue 2: an SLO with one bad field still had its alerting problems reported.
TEST(Config, ReportsAlertingProblemsOfAnOtherwiseInvalidSlo) {
  const LoadResult r = load(R"(
slos:
  - name: a
    service: s
    objective: 100
    sli: {type: ratio}
    alerting: {min_evnts: 5, rules: [{name: r, severity: pag, long: 1h, short: 5m, factor: 2}]}
)");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(errors(r),
              ::testing::ElementsAre(HasSubstr("objective '100' must be above 0"),
                                     HasSubstr("c.yaml:7:16: error: SLO 'a': alerting: unknown key 'min_evnts'"),
                                     HasSubstr("severity must be page or ticket, not 'pag'")));
}

// A snapshot is also taken once the log outgrows max(wal_max_bytes, wal_max_store_ratio x the
// store): the defaults, the values read, and what is refused (issue 17).
TEST(Config, LogSizeLimitForSnapshots) {
  const LoadResult defaults = load("slos: []\n");
  ASSERT_TRUE(defaults.ok()) << defaults.error_text();
  EXPECT_EQ(defaults.config->storage.wal_max_bytes, uint64_t{1} << 30);
  EXPECT_EQ(defaults.config->storage.wal_max_store_ratio, 4.0);

  const LoadResult set = load(R"(
storage: {wal_segment_bytes: 1048576, wal_max_bytes: 4194304, wal_max_store_ratio: 2.5}
slos: []
)");
  ASSERT_TRUE(set.ok()) << set.error_text();
  EXPECT_EQ(set.config->storage.wal_max_bytes, 4u << 20);
  EXPECT_EQ(set.config->storage.wal_max_store_ratio, 2.5);

  // Unset, the limit still holds two segments of a large wal_segment_bytes.
  const LoadResult big_segments = load("storage: {wal_segment_bytes: 1073741824}\nslos: []\n");
  ASSERT_TRUE(big_segments.ok()) << big_segments.error_text();
  EXPECT_EQ(big_segments.config->storage.wal_max_bytes, uint64_t{2} << 30);

  const auto refused = [&](const std::string& storage) { return errors(load("storage: " + storage + "\nslos: []\n")); };
  EXPECT_THAT(
      refused("{wal_max_bytes: 0}"),
      ::testing::ElementsAre(HasSubstr("c.yaml:1:26: error: storage.wal_max_bytes must be a whole number from 1")));
  EXPECT_THAT(refused("{wal_max_bytes: 100000000}"),  // under two default (64 MiB) segments
              ::testing::ElementsAre(HasSubstr(
                  "storage.wal_max_bytes must be at least twice storage.wal_segment_bytes (134217728): a snapshot "
                  "deletes whole log segments")));
  EXPECT_THAT(refused("{wal_max_store_ratio: 0.5}"),
              ::testing::ElementsAre(HasSubstr("storage.wal_max_store_ratio must be at least 1")));
  EXPECT_THAT(refused("{wal_max_store_ratio: 0}"),
              ::testing::ElementsAre(HasSubstr("storage.wal_max_store_ratio must be a number above 0")));
  EXPECT_THAT(refused("{wal_max_store_ratio: lots}"),
              ::testing::ElementsAre(HasSubstr("storage.wal_max_store_ratio must be a number above 0")));
}

TEST(Config, StorageAndAuth) {
  const LoadResult r = load(R"(
storage: {dir: /d, fsync: always, fsync_interval: 200ms, snapshot_interval: 1m, wal_segment_bytes: 1048576}
ingest: {idempotency_ttl: 12h, idempotency_max_keys: 5}
auth:
  tokens:
    - {name: ci, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", scopes: [gate, read]}
slos: []
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->storage.fsync, FsyncPolicy::kAlways);
  EXPECT_EQ(r.config->storage.fsync_interval, Millis{200});
  EXPECT_EQ(r.config->storage.snapshot_interval, kMinute);
  EXPECT_EQ(r.config->ingest.idempotency_ttl, 12 * kHour);
  ASSERT_EQ(r.config->auth.tokens.size(), 1u);
  EXPECT_EQ(r.config->auth.tokens[0].sha256[0], 0x9f);
  EXPECT_EQ(r.config->auth.tokens[0].scopes, static_cast<uint8_t>(Scope::kGate) | static_cast<uint8_t>(Scope::kRead));
  const LoadResult bad = load(R"(
storage: {fsync: sometimes}
auth: {tokens: [{name: x, sha256: "test", scopes: [root]}]}
slos: []
)");
  EXPECT_THAT(errors(bad),
              ::testing::ElementsAre(HasSubstr("storage.fsync must be always, interval or never"),
                                     HasSubstr("sha256 must be the 64 hex digits"), HasSubstr("unknown scope 'root'")));
}

}  // namespace
}  // namespace budgetd::config
