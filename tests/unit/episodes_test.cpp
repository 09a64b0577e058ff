// Burn episodes: the record, the durable log's bounds, and the builder against a replayed burn
// whose figures are counted by hand (README "Episodes and postmortems").

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/core/window.h"
#include "budgetd/episodes/builder.h"
#include "budgetd/episodes/episode_log.h"
#include "budgetd/eval/slo_status.h"
#include "burn_scenario.h"

namespace budgetd::episodes {
namespace {

using ::testing::HasSubstr;

// 2026-11-24T10:00:00Z
const Timestamp kT0 = from_unix_ms(1795514400000);

Episode sample(std::string id, Timestamp detection, std::optional<Timestamp> end, std::string slo = "a") {
  Episode e;
  e.id = std::move(id);
  e.slo = std::move(slo);
  e.service = "s";
  e.window = "30d";
  e.start = detection - 5 * kMinute;
  e.start_resolution = 10 * kSecond;
  e.detection = detection;
  e.end = end;
  e.spans = {{"page-fast", config::Severity::kPage, detection, end},
             {"ticket-slow", config::Severity::kTicket, detection + kMinute, std::nullopt}};
  if (end) e.spans[1].resolved = *end;
  e.peak_burn_rate = 8.25;
  e.peak_rule = "page-fast";
  e.peak_at = detection + 4 * kMinute;
  e.bad_events = 3000;
  e.allowed_bad_events = 8880;
  e.budget_consumed = 3000.0 / 8880;
  e.postmortem_required = true;
  e.updated = end.value_or(detection);
  return e;
}

TEST(EpisodeRecord, RoundTripsEveryField) {
  for (const Episode& e : {sample("a@1", kT0, kT0 + kHour), sample("a@2", kT0, std::nullopt)}) {
    auto back = decode_episode(encode_episode(e));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, e);
  }
  EXPECT_EQ(sample("a@1", kT0, std::nullopt).rules(), (std::vector<std::string>{"page-fast", "ticket-slow"}));
}

TEST(EpisodeRecord, EveryCutAndForeignRecordIsDataLoss) {
  const std::string record = encode_episode(sample("a@1", kT0, kT0 + kHour));
  for (size_t n = 0; n < record.size(); ++n) {
    EXPECT_EQ(decode_episode(record.substr(0, n)).status().code(), StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(decode_episode(R"({"v":2})").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(decode_episode(R"({"v":1,"id":"x"})").status().code(), StatusCode::kDataLoss);
  EpisodeLog log;
  EXPECT_FALSE(log.check("[]").ok());
  EXPECT_TRUE(log.check(record).ok());
}

TEST(EpisodeLog, AVersionReplacesTheOneKeptUnderItsIdAndListsNewestFirst) {
  EpisodeLog log;
  ASSERT_TRUE(log.apply(encode_episode(sample("a@1", kT0, kT0 + kHour)), kT0 + kHour).ok());
  ASSERT_TRUE(log.apply(encode_episode(sample("a@2", kT0 + 2 * kHour, std::nullopt)), kT0 + 2 * kHour).ok());
  ASSERT_TRUE(log.apply(encode_episode(sample("b@1", kT0, std::nullopt, "b")), kT0 + 2 * kHour).ok());
  EXPECT_EQ(log.size(), 3u);
  ASSERT_TRUE(log.open("a"));
  EXPECT_EQ(log.open("a")->id, "a@2");
  // The next version of a@2: it ended.
  ASSERT_TRUE(log.apply(encode_episode(sample("a@2", kT0 + 2 * kHour, kT0 + 3 * kHour)), kT0 + 3 * kHour).ok());
  EXPECT_EQ(log.size(), 3u);
  EXPECT_FALSE(log.open("a"));
  const auto listed = log.list("a", kT0);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, "a@2");
  EXPECT_EQ(listed[1].id, "a@1");
  EXPECT_EQ(log.list("a", kT0 + 90 * kMinute).size(), 1u) << "a@1 ended before since";
  EXPECT_EQ(log.find("a", "a@1")->end, kT0 + kHour);
  EXPECT_FALSE(log.find("b", "a@1"));
}

TEST(EpisodeLog, DropsEndedEpisodesPastTheRetentionButNeverAnOngoingOne) {
  EpisodeLog log;
  log.set_retention(7 * kDay);
  log.put(sample("a@1", kT0, kT0 + kHour), kT0 + kHour);
  log.put(sample("a@2", kT0 + kHour, std::nullopt), kT0 + kHour);
  log.put(sample("b@1", kT0 + 2 * kDay, kT0 + 2 * kDay + kHour, "b"), kT0 + 8 * kDay);
  EXPECT_FALSE(log.find("a", "a@1")) << "ended 8 days before, kept 7";
  EXPECT_TRUE(log.find("a", "a@2")) << "ongoing";
  EXPECT_TRUE(log.find("b", "b@1"));
  EXPECT_EQ(log.size(), 2u);
}

TEST(EpisodeLog, KeepsAtMostThePerSloCapDroppingTheOldestEnded) {
  EpisodeLog log;
  log.put(sample("a@ongoing", kT0 - kHour, std::nullopt), kT0);
  for (size_t i = 0; i < EpisodeLog::kMaxPerSlo + 5; ++i) {
    const Timestamp at = kT0 + static_cast<int64_t>(i) * kMinute;
    log.put(sample("a@" + std::to_string(i), at, at + Millis{1}), at + Millis{1});
  }
  EXPECT_EQ(log.size(), EpisodeLog::kMaxPerSlo);
  EXPECT_TRUE(log.find("a", "a@ongoing")) << "the oldest, but ongoing";
  EXPECT_FALSE(log.find("a", "a@5"));
  EXPECT_TRUE(log.find("a", "a@6"));
}

TEST(EpisodeLog, SaveAndLoadKeepEveryEpisodeAndDamageLeavesTheStateAlone) {
  EpisodeLog log;
  log.put(sample("a@1", kT0, kT0 + kHour), kT0 + kHour);
  log.put(sample("a@2", kT0 + 2 * kHour, std::nullopt), kT0 + 2 * kHour);
  EpisodeLog back;
  ASSERT_TRUE(back.load(log.save(), kT0 + 2 * kHour).ok());
  EXPECT_EQ(back.list("a", kT0), log.list("a", kT0));
  EXPECT_EQ(back.load("{\"version\":1,\"episodes\":[{\"v\":1}]}", kT0).code(), StatusCode::kDataLoss);
  EXPECT_EQ(back.size(), 2u);
}

// The burn of tests/support/burn_scenario.h, written straight into the store.
class BurnReplay {
 public:
  BurnReplay() {
    auto r = config::load_config_string(test::burn::kSlos, "t.yaml");
    EXPECT_TRUE(r.ok()) << r.error_text();
    set_ = store::SloSet::build(*r.config, nullptr);
    for (int m = test::burn::kFirstMinute; m < 0; ++m) add(m, test::burn::kRequestsPerMinute);
  }
  const store::StoredSlo& slo() const { return set_->slos()[0]; }
  // Minute m's event (at kT0 + m minutes) with `good` of its 600 requests.
  void add(int m, uint64_t good) {
    store::WriteStats st;
    const Timestamp ts = kT0 + m * kMinute;
    slo().series->add(std::max(ts, kT0), bucket_index(ts, kFinestResolution), good, test::burn::kRequestsPerMinute, st);
    ASSERT_EQ(st.expired, 0u);
  }
  // Sends minute m - 1's event, then evaluates at kT0 + m minutes; returns what the builder gave.
  std::optional<Episode> step(int m, eval::AlertTracker& alerts, std::optional<Episode>& open) {
    add(m - 1, test::burn::kRequestsPerMinute - test::burn::bad_in_minute(m - 1));
    const Timestamp now = kT0 + m * kMinute;
    const eval::SloStatus status = eval::evaluate_slo(slo(), now, now, kHour).value();
    alerts.observe(slo(), status, now);
    auto next = step_episode(slo(), status, alerts, open, now);
    if (next) open = next->ongoing() ? next : std::nullopt;
    return next;
  }

 private:
  std::shared_ptr<const store::SloSet> set_;
};

TEST(EpisodeBuilder, MergesBothRulesIntoOneEpisodeWithFiguresCountedByHand) {
  BurnReplay replay;
  eval::AlertTracker alerts;
  std::optional<Episode> open;
  std::vector<Episode> versions;
  for (int m = 1; m <= 45; ++m) {
    if (auto v = replay.step(m, alerts, open)) versions.push_back(*v);
  }
  ASSERT_FALSE(versions.empty());
  EXPECT_FALSE(open);
  const Episode& e = versions.back();
  EXPECT_EQ(e.id, "checkout-availability@2026-11-24T10:07:00Z");
  EXPECT_EQ(e.start, kT0) << "the first bad bucket";
  EXPECT_EQ(e.start_resolution, 10 * kSecond);
  // The 1h window (completed buckets) burns at m / 120 / 0.01 after m minutes: more than 5 from
  // minute 7 (at 6 it is exactly 5, which does not exceed the factor).
  EXPECT_EQ(e.detection, kT0 + 7 * kMinute);
  // page-fast's 5m window is clean 5 minutes after the burn; ticket-slow's 30m one after 30.
  ASSERT_EQ(e.spans.size(), 2u);
  EXPECT_EQ(e.spans[0], (RuleSpan{"page-fast", config::Severity::kPage, kT0 + 7 * kMinute, kT0 + 15 * kMinute}));
  // 6h window: 300 m bad of 216,000 events, a burn over 1 from m = 8.
  EXPECT_EQ(e.spans[1], (RuleSpan{"ticket-slow", config::Severity::kTicket, kT0 + 8 * kMinute, kT0 + 40 * kMinute}));
  EXPECT_EQ(e.end, kT0 + 40 * kMinute);
  EXPECT_EQ(e.bad_events, 3000u);
  // 1 % of the 30d window's events at the end: a day of 600 per minute, then 40 minutes.
  EXPECT_DOUBLE_EQ(e.allowed_bad_events, 0.01 * (24 * 60 + 40) * 600);
  EXPECT_DOUBLE_EQ(e.budget_consumed, 3000.0 / 8880.0);
  EXPECT_TRUE(e.postmortem_required);
  EXPECT_NEAR(e.peak_burn_rate, 3000.0 / 36000.0 / 0.01, 1e-9);
  EXPECT_EQ(e.peak_rule, "page-fast");
  EXPECT_EQ(e.peak_at, kT0 + 10 * kMinute) << "the first evaluation with all 10 bad minutes in the 1h window";
  // Versions: at once on each transition (fired, joined, peaks, resolved, ended); figures at most once a minute.
  for (size_t i = 1; i < versions.size(); ++i) EXPECT_GE(versions[i].updated - versions[i - 1].updated, kFiguresEvery);
  EXPECT_EQ(versions.front().updated, kT0 + 7 * kMinute);
  EXPECT_TRUE(versions.front().ongoing());
}

std::optional<Episode> replay_to_end(BurnReplay& replay, eval::AlertTracker& alerts, std::optional<Episode>& open,
                                     int from, int to) {
  std::optional<Episode> last;
  for (int m = from; m <= to; ++m) {
    if (auto v = replay.step(m, alerts, open)) last = v;
  }
  return last;
}

TEST(EpisodeBuilder, ARuleStillFiringAfterARestartThatLostTheAlertStatesContinuesTheEpisode) {
  BurnReplay uninterrupted;
  eval::AlertTracker alerts;
  std::optional<Episode> open;
  const std::optional<Episode> whole = replay_to_end(uninterrupted, alerts, open, 1, 45);
  ASSERT_TRUE(whole);

  BurnReplay replay;
  eval::AlertTracker before;
  std::optional<Episode> kept;
  replay_to_end(replay, before, kept, 1, 9);
  ASSERT_TRUE(kept);
  // A crash lost the alert states (no snapshot since): a new tracker fires both rules again at
  // minute 10; they join the open episode, and their spans go on from the first firing.
  eval::AlertTracker fresh;
  const std::optional<Episode> last = replay_to_end(replay, fresh, kept, 10, 45);
  ASSERT_TRUE(last);
  EXPECT_FALSE(kept);
  EXPECT_EQ(last->id, whole->id);
  EXPECT_EQ(last->detection, whole->detection);
  EXPECT_EQ(last->spans, whole->spans);
  EXPECT_EQ(last->end, whole->end);
  EXPECT_EQ(last->bad_events, whole->bad_events);
}

TEST(EpisodeBuilder, AnEpisodeTheLogHasOpenEndsAtTheFirstEvaluationWhenNoRuleFiresAnyMore) {
  BurnReplay replay;
  eval::AlertTracker alerts;
  std::optional<Episode> open;
  replay_to_end(replay, alerts, open, 1, 9);
  ASSERT_TRUE(open);
  const Episode stale = *open;
  // Down from minute 9 to 50 with the alert states lost: nothing fires at the first evaluation.
  for (int m = 9; m < 50; ++m) replay.add(m, test::burn::kRequestsPerMinute - test::burn::bad_in_minute(m));
  const Timestamp now = kT0 + 50 * kMinute;
  eval::AlertTracker after_crash;
  const eval::SloStatus status = eval::evaluate_slo(replay.slo(), now, now, kHour).value();
  after_crash.observe(replay.slo(), status, now);
  const auto ended = step_episode(replay.slo(), status, after_crash, stale, now);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->id, "checkout-availability@2026-11-24T10:07:00Z");
  EXPECT_EQ(ended->end, now);
  for (const RuleSpan& s : ended->spans) EXPECT_EQ(s.resolved, now) << s.rule;
  EXPECT_EQ(ended->bad_events, 3000u);
  EXPECT_FALSE(step_episode(replay.slo(), status, after_crash, std::nullopt, now)) << "nothing open, nothing fires";
}

}  // namespace
}  // namespace budgetd::episodes
