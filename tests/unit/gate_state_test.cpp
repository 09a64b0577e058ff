// The gate's durable states: overrides and the decision log, record by record and through
// save/load, with their bounds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/policy/decision_log.h"
#include "budgetd/policy/overrides.h"

namespace budgetd::policy {
namespace {

using ::testing::HasSubstr;

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

Override feature_override(Timestamp at, Millis lasts, std::string id = "ovr-0000000000000001") {
  Override o;
  o.id = std::move(id);
  o.service = "checkout";
  o.changes = {config::ChangeType::kFeature};
  o.reason = "revert";
  o.by = "alice";
  o.created_at = at;
  o.expires_at = at + lasts;
  return o;
}

TEST(GateOverridesState, ActiveFromCreationUntilJustBeforeExpiryOrTheEnd) {
  GateOverrides s;
  ASSERT_TRUE(s.apply(encode_override(feature_override(kNow, kHour)), kNow).ok());
  EXPECT_FALSE(s.active("checkout", config::ChangeType::kFeature, kNow - Millis{1}));
  EXPECT_TRUE(s.active("checkout", config::ChangeType::kFeature, kNow));
  EXPECT_TRUE(s.active("checkout", config::ChangeType::kFeature, kNow + kHour - Millis{1}));
  EXPECT_FALSE(s.active("checkout", config::ChangeType::kFeature, kNow + kHour)) << "never past its expiry";
  EXPECT_FALSE(s.active("checkout", config::ChangeType::kRisky, kNow));
  EXPECT_FALSE(s.active("search", config::ChangeType::kFeature, kNow));
  EXPECT_STREQ(s.list("")[0].state(kNow + kHour), "expired");

  ASSERT_TRUE(s.apply(encode_end("ovr-0000000000000001", kNow + kMinute, "bob"), kNow + kMinute).ok());
  EXPECT_FALSE(s.active("checkout", config::ChangeType::kFeature, kNow + 2 * kMinute));
  EXPECT_EQ(s.find("ovr-0000000000000001")->ended_by, "bob");
  // Ending it again, or one that is not there, changes nothing and is no damage.
  EXPECT_TRUE(s.apply(encode_end("ovr-0000000000000001", kNow + 2 * kMinute, "carol"), kNow).ok());
  EXPECT_EQ(s.find("ovr-0000000000000001")->ended_by, "bob");
  EXPECT_TRUE(s.apply(encode_end("ovr-ffffffffffffffff", kNow, "x"), kNow).ok());
}

TEST(GateOverridesState, SavedStateLoadsBackAndGarbageIsDataLoss) {
  GateOverrides s;
  ASSERT_TRUE(s.apply(encode_override(feature_override(kNow, kHour)), kNow).ok());
  ASSERT_TRUE(s.apply(encode_end("ovr-0000000000000001", kNow + kMinute, "bob"), kNow).ok());
  ASSERT_TRUE(s.apply(encode_override(feature_override(kNow + kMinute, kHour, "ovr-0000000000000002")), kNow).ok());
  GateOverrides back;
  ASSERT_TRUE(back.load(s.save(), kNow).ok());
  ASSERT_EQ(back.list("").size(), 2u);
  EXPECT_EQ(back.list("")[0].id, "ovr-0000000000000002");  // newest first
  EXPECT_EQ(back.find("ovr-0000000000000001")->ended_at, kNow + kMinute);
  EXPECT_EQ(s.check("not json").code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.check(R"({"op":"create","override":{"id":"x"}})").code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.apply(R"({"op":"rename"})", kNow).code(), StatusCode::kDataLoss);
  EXPECT_EQ(back.load("{}", kNow).code(), StatusCode::kDataLoss);
  EXPECT_EQ(back.list("").size(), 2u) << "a failed load leaves the state as it was";
}

TEST(GateOverridesState, TheAuditLogKeepsTheLast1000For90Days) {
  GateOverrides s;
  for (size_t i = 0; i < GateOverrides::kMaxKept + 5; ++i) {
    ASSERT_TRUE(s.apply(encode_override(feature_override(kNow + Millis{static_cast<int64_t>(i)}, kMinute,
                                                         "ovr-" + std::to_string(1000000 + i))),
                        kNow)
                    .ok());
  }
  EXPECT_EQ(s.list("").size(), GateOverrides::kMaxKept);
  EXPECT_FALSE(s.find("ovr-1000000").has_value()) << "the oldest went first";
  ASSERT_TRUE(s.apply(encode_override(feature_override(kNow + GateOverrides::kAuditAge + kHour, kMinute, "ovr-late")),
                      kNow + GateOverrides::kAuditAge + kHour)
                  .ok());
  EXPECT_EQ(s.list("").size(), 1u) << "90 days after they stopped, the others are gone";
}

TEST(GateOverridesState, CheckOverrideNamesWhatIsWrong) {
  Override o = feature_override(kNow, 2 * kHour);
  EXPECT_TRUE(GateOverrides::check_override(o, 24 * kHour).ok());
  EXPECT_THAT(GateOverrides::check_override(o, kHour).message(), HasSubstr("longer than policy.max_override (1h)"));
  o.reason.clear();
  EXPECT_THAT(GateOverrides::check_override(o, kDay).message(), HasSubstr("reason is required"));
  o.reason = "line\nbreak";
  EXPECT_THAT(GateOverrides::check_override(o, kDay).message(), HasSubstr("printable"));
  o = feature_override(kNow, Millis{0});
  EXPECT_THAT(GateOverrides::check_override(o, kDay).message(), HasSubstr("more than 0"));
  EXPECT_THAT(new_override_id(), ::testing::MatchesRegex("ovr-[0-9a-f]{16}"));
  EXPECT_NE(new_override_id(), new_override_id());
}

GateRecord decision(Timestamp ts, std::string service = "checkout", std::string d = "deny") {
  return {ts, std::move(service), "feature", std::move(d), "warning", "job", "abc", "", "gate"};
}

TEST(DecisionLogState, NewestFirstInTimeOrderBoundedByCountAndAge) {
  DecisionLog log;
  ASSERT_TRUE(log.apply(encode_decision(decision(kNow)), kNow).ok());
  ASSERT_TRUE(log.apply(encode_decision(decision(kNow - kMinute, "search")), kNow).ok());  // a late one
  ASSERT_TRUE(log.apply(encode_decision(decision(kNow + kMinute, "checkout", "allow")), kNow).ok());
  auto all = log.list("", kNow - kHour);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].decision, "allow");
  EXPECT_EQ(all[2].service, "search");
  EXPECT_EQ(log.list("checkout", kNow - kHour).size(), 2u);
  EXPECT_EQ(log.list("", kNow).size(), 2u) << "since is inclusive";

  DecisionLog back;
  ASSERT_TRUE(back.load(log.save(), kNow).ok());
  EXPECT_EQ(back.list("", kNow - kHour), all);

  for (size_t i = 0; i < DecisionLog::kMaxDecisions; ++i)
    ASSERT_TRUE(log.apply(encode_decision(decision(kNow + kHour)), kNow).ok());
  EXPECT_EQ(log.list("", kNow - kHour).size(), DecisionLog::kMaxDecisions);
  EXPECT_EQ(log.list("search", kNow - kHour).size(), 0u) << "the oldest went first";
  ASSERT_TRUE(log.apply(encode_decision(decision(kNow + DecisionLog::kMaxAge + 2 * kHour)),
                        kNow + DecisionLog::kMaxAge + 2 * kHour)
                  .ok());
  EXPECT_EQ(log.list("", kNow - kHour).size(), 1u) << "30 days on, only the new one";
  EXPECT_EQ(log.check("[]").code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace budgetd::policy
