#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/loader.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/budget_math.h"
#include "budgetd/notify/notifier.h"
#include "budgetd/policy/gate.h"

namespace budgetd::policy {
namespace {

using config::ChangeType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

// An occurrences budget over these counts.
eval::BudgetReport budget_of(store::Counts c) {
  eval::BudgetReport b;
  b.window.counts = c;
  return b;
}

// Tier boundaries are strict: exactly 50 % is caution, exactly 25 % warning, exactly 0 exhausted.
// 10^10 events at 99.9 % allow 10^7 bad ones.
TEST(Tiers, BoundariesAreStrict) {
  const config::PolicySpec p = config::default_policy();
  const auto objective = config::Objective::parse("99.9").value();
  const auto name = [&](uint64_t bad) {
    constexpr uint64_t kTotal = 10'000'000'000;
    return p.tiers[tier_index(p, budget_of({kTotal - bad, kTotal}), objective)].name;
  };
  EXPECT_EQ(p.tiers[tier_index(p, budget_of({}), objective)].name, "healthy");  // no data
  EXPECT_EQ(name(0), "healthy");
  EXPECT_EQ(name(4'999'999), "healthy");
  EXPECT_EQ(name(5'000'000), "caution");
  EXPECT_EQ(name(7'499'999), "caution");
  EXPECT_EQ(name(7'500'000), "warning");
  EXPECT_EQ(name(9'999'999), "warning");
  EXPECT_EQ(name(10'000'000), "exhausted");
  EXPECT_EQ(name(40'000'000), "exhausted");
}

// A boundary that binary floating point misses: 7 bad of 10 allowed leaves exactly 30 %, but
// 1 - 0.7 is 0.30000000000000004 in doubles. The tier is decided on the counts.
TEST(Tiers, ACustomBoundaryIsExactWhereDoublesAreNot) {
  auto r = config::load_config_string(R"(
policy:
  tiers:
    - {name: open, above: 30, feature: allow, risky: allow, reliability: allow, security: allow}
    - {name: frozen, feature: deny, risky: deny, reliability: allow, security: allow}
slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]
)",
                                      "t.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const config::SloSpec& spec = r.config->slos[0];
  const store::Counts exactly_30{10'000 - 7, 10'000};
  EXPECT_GT(eval::budget_remaining(exactly_30, spec.objective) * 100, 30.0) << "the rounded share is past the boundary";
  EXPECT_EQ(spec.policy.tiers[tier_index(spec.policy, budget_of(exactly_30), spec.objective)].name, "frozen");
  EXPECT_EQ(spec.policy.tiers[tier_index(spec.policy, budget_of({10'000 - 6, 10'000}), spec.objective)].name, "open");
  // And in the gate, through a real store.
  auto set = store::SloSet::build(*r.config, nullptr);
  store::WriteStats st;
  set->slos()[0].series->add(kNow, bucket_index(kNow - kDay, kFinestResolution), 10'000 - 7, 10'000, st);
  const SloAssessment a = assess(set->slos()[0], eval::evaluate_slo(set->slos()[0], kNow, kNow, kHour).value(), nullptr);
  const SloDecision d = decide(a, ChangeType::kFeature);
  EXPECT_EQ(d.tier, "frozen");
  EXPECT_FALSE(d.allowed());
}

TEST(Tiers, DescribedInWords) {
  const config::PolicySpec p = config::default_policy();
  EXPECT_EQ(describe_tier(p.tiers[0]), "all changes are allowed");
  EXPECT_EQ(describe_tier(p.tiers[1]), "risky changes need extra testing");
  EXPECT_EQ(describe_tier(p.tiers[2]), "feature and risky changes are frozen; reliability fixes need a canary");
  EXPECT_EQ(describe_tier(p.tiers[3]), "feature and risky changes are frozen");
}

// An SLO status with `bad` of 10,000 events in its 30d window (99.9 %: 10 bad allowed).
struct Fixture {
  std::shared_ptr<const store::SloSet> set;
  eval::SloStatus status;

  explicit Fixture(uint64_t bad, uint64_t total = 10'000) {
    auto r = config::load_config_string(
        "slos: [{name: checkout-availability, service: checkout, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
    set = store::SloSet::build(*r.config, nullptr);
    store::WriteStats st;
    if (total > 0)
      set->slos()[0].series->add(kNow, bucket_index(kNow - 2 * kDay, kFinestResolution), total - bad, total, st);
    status = eval::evaluate_slo(set->slos()[0], kNow, kNow, kHour).value();
  }
  SloAssessment input(std::vector<FiringPage> pages = {}) const {
    SloAssessment a = assess(set->slos()[0], status, nullptr);
    a.firing_pages = std::move(pages);
    return a;
  }
};

TEST(Gate, WarningTierFreezesFeaturesAndAsksACanaryForReliabilityFixes) {
  const Fixture f(9);  // 9 of 10 allowed bad events spent: 10 % left
  const SloDecision feature = decide(f.input(), ChangeType::kFeature);
  EXPECT_EQ(feature.tier, "warning");
  EXPECT_EQ(feature.verdict, Verdict::kDeny);
  ASSERT_EQ(feature.reasons.size(), 1u);
  EXPECT_EQ(
      feature.reasons[0],
      "checkout-availability has 10.0 % of its 30d error budget left (warning): feature and risky changes are "
      "frozen; reliability fixes need a canary; feature deploys reopen around 2026-11-30T11:00:00Z if no new errors");
  const SloDecision fix = decide(f.input(), ChangeType::kReliability);
  EXPECT_EQ(fix.verdict, Verdict::kAllowWithRequirements);
  EXPECT_THAT(fix.requirements, ElementsAre("canary"));
  EXPECT_EQ(decide(f.input(), ChangeType::kSecurity).verdict, Verdict::kAllow);
}

TEST(Gate, CautionTierAsksExtraTestingForRiskyChanges) {
  const Fixture f(6);  // 40 % left
  const SloDecision risky = decide(f.input(), ChangeType::kRisky);
  EXPECT_EQ(risky.tier, "caution");
  EXPECT_EQ(risky.verdict, Verdict::kAllowWithRequirements);
  EXPECT_THAT(risky.requirements, ElementsAre("extra-testing"));
  EXPECT_EQ(decide(f.input(), ChangeType::kFeature).verdict, Verdict::kAllow);
}

TEST(Gate, OverspentAndEmptyBudgetsSayWhy) {
  const Fixture spent(30);
  EXPECT_THAT(decide(spent.input(), ChangeType::kFeature).reasons[0],
              HasSubstr("checkout-availability has overspent its 30d error budget by 200.0 % (exhausted)"));
  const Fixture empty(0, 0);
  const SloDecision d = decide(empty.input(), ChangeType::kRisky);
  EXPECT_EQ(d.verdict, Verdict::kAllow);
  EXPECT_THAT(d.reasons[0],
              HasSubstr("has no events in its 30d window yet, so its error budget is untouched (healthy)"));
}

TEST(Gate, AFiringPageDeniesFeatureAndRiskyWhateverTheTier) {
  const Fixture f(0);  // healthy
  const std::vector<FiringPage> pages{{"page-1h", "1h", "5m", 20.3, 18.1}};
  const SloDecision feature = decide(f.input(pages), ChangeType::kFeature);
  EXPECT_EQ(feature.tier, "healthy");
  EXPECT_EQ(feature.verdict, Verdict::kDeny);
  EXPECT_THAT(feature.reasons[1],
              HasSubstr("the page alert page-1h is firing (burn rate 20.3x over 1h and 18.1x over 5m)"));
  EXPECT_EQ(decide(f.input(pages), ChangeType::kRisky).verdict, Verdict::kDeny);
  EXPECT_EQ(decide(f.input(pages), ChangeType::kReliability).verdict, Verdict::kAllow);
  EXPECT_EQ(decide(f.input(pages), ChangeType::kSecurity).verdict, Verdict::kAllow);
}

TEST(Gate, TheStrictestSloDecides) {
  SloDecision a{"a", "healthy", 0, 0.9, Verdict::kAllow, {}, {"a is fine"}};
  SloDecision b{"b", "caution", 1, 0.4, Verdict::kAllowWithRequirements, {"extra-testing"}, {"b is tight"}};
  SloDecision c{"c", "warning", 2, 0.1, Verdict::kAllowWithRequirements, {"canary"}, {"c is tighter"}};
  GateDecision g = combine({a, b, c});
  EXPECT_EQ(g.verdict, Verdict::kAllowWithRequirements);
  EXPECT_EQ(g.tier, "warning");  // equal verdicts: the one with less budget left
  EXPECT_THAT(g.requirements, ElementsAre("extra-testing", "canary"));
  EXPECT_THAT(g.reasons, ElementsAre("a is fine", "b is tight", "c is tighter"));
  SloDecision d{"d", "exhausted", 3, -1, Verdict::kDeny, {}, {"d is out"}};
  g = combine({a, b, d});
  EXPECT_FALSE(g.allowed());
  EXPECT_EQ(g.tier, "exhausted");
  EXPECT_TRUE(g.requirements.empty());
}

TEST(Policy, CustomTiersFromConfig) {
  auto r = config::load_config_string(R"(
policy:
  tiers:
    - {name: green, above: 20, feature: allow, risky: allow, reliability: allow, security: allow}
    - {name: red, feature: deny, risky: deny, reliability: {decision: allow, requires: [canary, sre-approval]}, security: allow}
slos:
  - {name: a, service: s, objective: 99, sli: {type: ratio}}
  - name: b
    service: s
    objective: 99
    sli: {type: ratio}
    policy: {tiers: [{name: always, feature: allow, risky: allow, reliability: allow, security: allow}]}
)",
                                      "t.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.config->slos[0].policy.tiers.size(), 2u);
  EXPECT_EQ(describe_tier(r.config->slos[0].policy.tiers[1]),
            "feature and risky changes are frozen; reliability fixes need a canary and sre approval");
  EXPECT_EQ(r.config->slos[1].policy.tiers.size(), 1u);
  const auto bad = config::load_config_string(R"(
policy:
  tiers:
    - {name: a, above: 10, feature: allow, risky: allow, reliability: allow}
    - {name: b, above: 20, feature: allow, risky: allow, reliability: allow, security: allow}
    - {name: c, above: 5, feature: maybe, risky: allow, reliability: allow, security: allow}
slos: []
)",
                                              "t.yaml");
  EXPECT_THAT(bad.error_text(), HasSubstr("the decision for 'security' changes is required"));
  EXPECT_THAT(bad.error_text(), HasSubstr("'above' must be lower than the previous tier's (10)"));
  EXPECT_THAT(bad.error_text(), HasSubstr("the last tier takes whatever is left; it has no 'above'"));
  EXPECT_THAT(bad.error_text(), HasSubstr("feature must be allow or deny"));
}

// SRE Workbook: under steady traffic, a 100 % outage at 99.9 % fires the 1h/5m page once 0.864
// minutes (51.84 s) of errors sit in the hour: never before, and no later than one bucket plus
// one evaluation interval after. Every phase of the outage start within a bucket is tried.
TEST(Alerting, PageFiresAt51Point84SecondsOfErrorsNeverBeforeAndAtMostABucketPlusATickLate) {
  for (int64_t phase_ms : {0, 1, 3'700, 5'000, 9'999}) {
    auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
    auto set = store::SloSet::build(*r.config, nullptr);
    const store::StoredSlo& slo = set->slos()[0];
    store::WriteStats st;
    const Timestamp outage = kNow + Millis{phase_ms};
    const Timestamp start = outage - 2 * kHour;
    // 10 requests a second, one every 100 ms; all bad from `outage` on.
    Timestamp fired{};
    eval::AlertTracker tracker;
    const Millis tick = 10 * kSecond;
    Timestamp next_tick = start + kHour + Millis{3'210};  // evaluations at an arbitrary phase too
    for (Timestamp t = start; t < outage + 5 * kMinute && fired == Timestamp{}; t += Millis{100}) {
      while (next_tick <= t) {
        const auto status = eval::evaluate_slo(slo, next_tick, next_tick, kHour).value();
        const eval::AlertRuleReport& page = status.alerts[0];
        ASSERT_EQ(page.rule->name, "page-1h");
        if (page.firing) {
          fired = next_tick;
          // At that moment the completed hour holds at least 51.84 s of errors ...
          const double error_seconds = static_cast<double>(page.long_window.counts.bad()) / 10.0;
          EXPECT_GT(error_seconds, 51.84) << "phase " << phase_ms;
          EXPECT_EQ(page.long_window.counts.total, 36'000u);  // a full hour of traffic
          break;
        }
        next_tick += tick;
      }
      slo.series->add(t, bucket_index(t, kFinestResolution), t >= outage ? 0 : 1, 1, st);
    }
    ASSERT_NE(fired, Timestamp{}) << "phase " << phase_ms;
    const double delay = static_cast<double>((fired - outage).count()) / 1000.0;
    EXPECT_GE(delay, 51.84) << "never before, phase " << phase_ms;
    EXPECT_LE(delay, 51.84 + 10 + 10) << "no later than a bucket plus an evaluation interval, phase " << phase_ms;
  }
}

TEST(Forecast, ExhaustionAtTheCurrentBurnRateAndRecoveryAsBadEventsAge) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  store::WriteStats st;
  // 2 days ago: 1,000,000 events, 800 bad (80 % of the budget of those events spent) ...
  slo.series->add(kNow, bucket_index(kNow - 2 * kDay, kFinestResolution), 1'000'000 - 800, 1'000'000, st);
  // ... and the last hour burns at 2x: 100 events of which... 0.2 % bad.
  slo.series->add(kNow, bucket_index(kNow - 30 * kMinute, kFinestResolution), 99'800, 100'000, st);
  const eval::SloStatus s = eval::evaluate_slo(slo, kNow, kNow, kHour).value();
  EXPECT_DOUBLE_EQ(s.forecast.burn_rate_1h, 2.0);
  const double remaining = s.budgets[0].remaining;  // 1 - 1000 / 1100
  EXPECT_NEAR(remaining, 1 - 1000.0 / 1100.0, 1e-12);
  // remaining x 30d / 2: the hours of budget left at twice the sustainable rate.
  const auto expected = kNow + Millis{static_cast<int64_t>(remaining * static_cast<double>((30 * kDay).count()) / 2.0)};
  ASSERT_TRUE(s.forecast.exhausted_at);
  EXPECT_NEAR(static_cast<double>(to_unix_ms(*s.forecast.exhausted_at)), static_cast<double>(to_unix_ms(expected)),
              1.0);
  // Recovery with no new errors while traffic goes on at the window's average rate: 1,100,000
  // events over the 720 hourly buckets of the 30d window, so k hours on floor(1.1e6 k / 720) good
  // events have arrived, and the 1,000 bad ones (leaving only in 28 days) weigh less. Above 25 %
  // needs 1000 < 0.75 x allowed: more than 1,333,333 events, first at k = 153 (233,750 arrived;
  // k = 152 brings 232,222). Above 50 % needs more than 2,000,000: k = 590 (901,388; k = 589
  // brings 899,861). The window then starts at bucket first + k, i.e. from 10:00 + k hours.
  constexpr int64_t kPercent = 1'000'000'000;
  const auto rec =
      eval::recovery_times(slo, s.primary(), kNow, {50 * kPercent, 25 * kPercent, 5 * kPercent, 200 * kPercent});
  ASSERT_TRUE(rec[0]);
  EXPECT_EQ(format_rfc3339(*rec[0]), "2026-12-19T00:00:00Z");  // 10:00 + 590 h
  ASSERT_TRUE(rec[1]);
  EXPECT_EQ(format_rfc3339(*rec[1]), "2026-11-30T19:00:00Z");  // 10:00 + 153 h
  EXPECT_EQ(rec[2], kNow);                                     // already above 5 %
  EXPECT_FALSE(rec[3]);                                        // never above 200 %
}

TEST(Alerting, TrackerFiresResolvesAndFlagsExpensiveBurnsForAPostmortem) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  store::WriteStats st;
  eval::AlertTracker tracker;
  Timestamp t = kNow - 3 * kDay;
  const auto step = [&](uint64_t good, uint64_t total) {
    slo.series->add(t, bucket_index(t - kSecond, kFinestResolution), good, total, st);
    auto status = eval::evaluate_slo(slo, t, t, kHour).value();
    auto changes = tracker.observe(slo, status, t);
    t += 10 * kSecond;
    return changes;
  };
  for (int i = 0; i < 360 * 24; ++i) step(1000, 1000);  // a good day of 1,000 events / 10 s
  std::vector<eval::AlertChange> all;
  for (int i = 0; i < 60; ++i) {  // 10 minutes of 50 % errors
    auto c = step(500, 1000);
    all.insert(all.end(), c.begin(), c.end());
  }
  auto firing = tracker.firing();
  ASSERT_FALSE(firing.empty());
  const auto page = tracker.find("a", "page-1h");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->state, eval::AlertState::kFiring);
  EXPECT_GT(page->budget_consumed, 0.0);
  for (int i = 0; i < 360; ++i) {  // an hour of good traffic again
    auto c = step(1000, 1000);
    all.insert(all.end(), c.begin(), c.end());
  }
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().kind, eval::AlertChange::Kind::kFired);
  const auto after = tracker.find("a", "page-1h");
  EXPECT_EQ(after->state, eval::AlertState::kResolved);
  ASSERT_TRUE(after->resolved_at);
  // 300,000 bad events against an allowed 0.1 % of ~9.0 M: about 33 % of the budget.
  const auto episodes = tracker.episodes("a");
  ASSERT_FALSE(episodes.empty());
  const auto& e = *std::find_if(episodes.begin(), episodes.end(), [](const auto& x) { return x.rule == "page-1h"; });
  ASSERT_TRUE(e.end);
  EXPECT_GE(e.budget_consumed, 0.30);
  EXPECT_TRUE(e.postmortem_required);
}

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
  auto j = nlohmann::json::parse(notify::Notifier::alertmanager_item(a, kNow, kMinute, "http://budgetd:8080"));
  EXPECT_EQ(j["labels"], nlohmann::json::parse(R"({"alertname":"ErrorBudgetBurn","slo":"checkout-availability",
      "service":"checkout","severity":"page","rule":"page-1h"})"));
  EXPECT_EQ(j["annotations"]["runbook_url"], "https://rb/checkout");
  EXPECT_EQ(j["annotations"]["summary"], "checkout-availability: error budget burning 20.5x over 1h (page-1h)");
  EXPECT_EQ(j["startsAt"], "2026-11-24T09:59:00Z");
  EXPECT_EQ(j["endsAt"], "2026-11-24T10:04:00Z");  // four resend intervals ahead while firing
  EXPECT_EQ(j["generatorURL"], "http://budgetd:8080/v1/slos/checkout-availability");
  a.state = eval::AlertState::kResolved;
  a.resolved_at = kNow + 5 * kMinute;
  j = nlohmann::json::parse(notify::Notifier::alertmanager_item(a, kNow + 6 * kMinute, kMinute, ""));
  EXPECT_EQ(j["endsAt"], "2026-11-24T10:05:00Z");  // a resolve ends when the burn ended
  EXPECT_FALSE(j.contains("generatorURL"));
}

}  // namespace
}  // namespace budgetd::policy

namespace budgetd::policy {
namespace {

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
    EXPECT_EQ(notify::Notifier::alertmanager_path(base), want) << base;
  }
}

}  // namespace
}  // namespace budgetd::policy
