#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/loader.h"
#include "budgetd/eval/budget_math.h"
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
  const SloAssessment a =
      assess(set->slos()[0], eval::evaluate_slo(set->slos()[0], kNow, kNow, kHour).value(), nullptr);
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

}  // namespace
}  // namespace budgetd::policy
