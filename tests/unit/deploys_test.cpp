// The deploys state (deploys/deploy_log.h): its records, check/apply/save/load, and its bounds.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/deploys/deploy_log.h"

namespace budgetd::deploys {
namespace {

using ::testing::HasSubstr;
const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

Deploy deploy(uint64_t id, std::string service, Timestamp ts, std::string version = "v1") {
  Deploy d;
  d.id = id;
  d.service = std::move(service);
  d.version = std::move(version);
  d.ts = ts;
  return d;
}

std::vector<uint64_t> ids(const std::vector<Deploy>& ds) {
  std::vector<uint64_t> out;
  for (const auto& d : ds) out.push_back(d.id);
  return out;
}

TEST(DeployRecord, RoundTripsEveryField) {
  Deploy d = deploy(12, "checkout", kNow, "v1.4.2");
  d.change = "feature";
  d.commit = "abc123";
  d.ci_job = "build-42";
  d.url = "https://ci.example/42";
  d.idempotency_key = "pipeline-7-deploy";
  d.origin = "b";
  auto back = decode_deploy(encode_deploy(d));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, d);
  EXPECT_EQ(format_id(d), "d-b-12");
  d.origin.clear();
  EXPECT_EQ(format_id(d), "d-12");
}

TEST(DeployRecord, FormatOneRecordsWrittenBeforeIdempotencyKeysStillDecode) {
  Deploy d = deploy(3, "checkout", kNow, "v2");
  std::string rec = encode_deploy(d);
  rec.resize(rec.size() - 8);  // format 1 ends after the url: no key, no origin
  rec[0] = 1;
  auto back = decode_deploy(rec);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, d);
}

TEST(DeployLog, OfTwoRecordsWithOneIdempotencyKeyKeepsTheFirstByTsThenIdInEitherOrder) {
  Deploy a = deploy(1, "checkout", kNow, "v1");
  Deploy b = deploy(2, "checkout", kNow, "v1");  // the same retry, recorded by another replica
  Deploy c = deploy(3, "checkout", kNow, "v9");
  a.idempotency_key = b.idempotency_key = "k";
  Deploy a2 = a;  // the same number drawn by replica z at the same moment: told apart by origin
  a2.origin = "z";
  for (const bool a_first : {true, false}) {
    DeployLog log;
    ASSERT_TRUE(log.apply(encode_deploy(a_first ? a : b), kNow).ok());
    ASSERT_TRUE(log.apply(encode_deploy(a_first ? b : a), kNow).ok());
    ASSERT_TRUE(log.apply(encode_deploy(a2), kNow).ok());
    ASSERT_TRUE(log.apply(encode_deploy(c), kNow).ok());  // no key: never deduplicated
    EXPECT_EQ(ids(log.list("", kNow - kDay)), (std::vector<uint64_t>{3, 1})) << a_first;
    ASSERT_TRUE(log.by_key("k").has_value());
    EXPECT_EQ(log.by_key("k")->id, 1u);
    EXPECT_EQ(log.by_key("k")->origin, "");
    EXPECT_FALSE(log.by_key("other").has_value());
  }
}

TEST(DeployRecord, EveryCutOrExtensionIsDataLoss) {
  const std::string rec = encode_deploy(deploy(1, "checkout", kNow));
  for (size_t n = 0; n < rec.size(); ++n) {
    EXPECT_EQ(decode_deploy(rec.substr(0, n)).status().code(), StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(decode_deploy(rec + "x").status().code(), StatusCode::kDataLoss);
  DeployLog log;
  EXPECT_EQ(log.check(rec.substr(0, 5)).code(), StatusCode::kDataLoss);
  EXPECT_EQ(log.apply(rec.substr(0, 5), kNow).code(), StatusCode::kDataLoss);
  EXPECT_EQ(log.size(), 0u);
}

TEST(DeployLog, CheckNamesTheFieldThatIsWrong) {
  DeployLog log;
  log.set_retention(30 * kDay);
  EXPECT_TRUE(log.check_deploy(deploy(1, "checkout", kNow), kNow).ok());
  EXPECT_THAT(log.check_deploy(deploy(1, "", kNow), kNow).message(), HasSubstr("service is required"));
  EXPECT_THAT(log.check_deploy(deploy(1, "checkout", kNow, ""), kNow).message(), HasSubstr("version is required"));
  Deploy d = deploy(1, "checkout", kNow, std::string(300, 'v'));
  EXPECT_THAT(log.check_deploy(d, kNow).message(), HasSubstr("version is 300 bytes; at most 128 are kept"));
  EXPECT_LT(log.check_deploy(d, kNow).message().size(), 200u) << "the echo is bounded";
  d = deploy(1, "checkout", kNow);
  d.commit = "abc\n";
  EXPECT_THAT(log.check_deploy(d, kNow).message(), HasSubstr("commit must be UTF-8 text without control characters"));
  d.commit = "\xc3\x28";
  EXPECT_THAT(log.check_deploy(d, kNow).message(), HasSubstr("commit must be UTF-8"));
  d.commit = "caf\xc3\xa9";
  EXPECT_TRUE(log.check_deploy(d, kNow).ok());
  d.change = "yolo";
  EXPECT_THAT(log.check_deploy(d, kNow).message(),
              HasSubstr("change 'yolo' is not one of feature, risky, reliability, security"));
  d.change = "security";
  EXPECT_TRUE(log.check_deploy(d, kNow).ok());
  d.url = std::string(2049, 'u');
  EXPECT_THAT(log.check_deploy(d, kNow).message(), HasSubstr("url is 2049 bytes"));
}

TEST(DeployLog, TsMayBeNeitherPastTheRetentionNorAheadOfTheClock) {
  DeployLog log;
  log.set_retention(7 * kDay);
  EXPECT_TRUE(log.check_deploy(deploy(1, "s", kNow - 7 * kDay), kNow).ok());
  EXPECT_THAT(log.check_deploy(deploy(1, "s", kNow - 7 * kDay - Millis{1}), kNow).message(),
              HasSubstr("is older than the 7d deploys are kept for (the longest budget window): the oldest "
                        "accepted now is 2026-11-17T10:00:00Z"));
  EXPECT_TRUE(log.check_deploy(deploy(1, "s", kNow + 5 * kMinute), kNow).ok());
  EXPECT_THAT(log.check_deploy(deploy(1, "s", kNow + 5 * kMinute + Millis{1}), kNow).message(),
              HasSubstr("is more than 5m ahead of budgetd's clock (2026-11-24T10:00:00Z)"));
}

TEST(DeployLog, ListsNewestFirstByServiceAndFindsTheNext) {
  DeployLog log;
  ASSERT_TRUE(log.apply(encode_deploy(deploy(1, "checkout", kNow - 3 * kHour)), kNow).ok());
  ASSERT_TRUE(log.apply(encode_deploy(deploy(2, "search", kNow - 2 * kHour)), kNow).ok());
  // Told late: a backdated deploy lands in ts order.
  ASSERT_TRUE(log.apply(encode_deploy(deploy(3, "checkout", kNow - 4 * kHour)), kNow).ok());
  ASSERT_TRUE(log.apply(encode_deploy(deploy(4, "checkout", kNow - kHour)), kNow).ok());
  EXPECT_EQ(ids(log.list("", kNow - kDay)), (std::vector<uint64_t>{4, 2, 1, 3}));
  EXPECT_EQ(ids(log.list("checkout", kNow - kDay)), (std::vector<uint64_t>{4, 1, 3}));
  EXPECT_EQ(ids(log.list("checkout", kNow - 3 * kHour)), (std::vector<uint64_t>{4, 1}));
  EXPECT_EQ(log.last("checkout", kNow)->id, 4u);
  EXPECT_EQ(log.last("checkout", kNow - 90 * kMinute)->id, 1u);
  EXPECT_FALSE(log.last("nobody", kNow).has_value());
  EXPECT_EQ(log.next_after(deploy(3, "checkout", kNow - 4 * kHour))->id, 1u);
  EXPECT_EQ(log.next_after(deploy(1, "checkout", kNow - 3 * kHour))->id, 4u);
  EXPECT_FALSE(log.next_after(deploy(4, "checkout", kNow - kHour)).has_value());
  EXPECT_GE(log.reserve_id(), 5u) << "ids never repeat one applied";
}

TEST(DeployLog, SaveAndLoadKeepEveryDeployAndTheNextId) {
  DeployLog log;
  for (uint64_t i = 1; i <= 5; ++i) {
    Deploy d = deploy(log.reserve_id(), i % 2 ? "checkout" : "search", kNow - static_cast<int64_t>(i) * kHour);
    d.commit = "c" + std::to_string(i);
    ASSERT_TRUE(log.apply(encode_deploy(d), kNow).ok());
  }
  const std::string saved = log.save();
  DeployLog loaded;
  ASSERT_TRUE(loaded.load(saved, kNow).ok());
  EXPECT_EQ(loaded.list("", kNow - kDay), log.list("", kNow - kDay));
  EXPECT_EQ(loaded.save(), saved) << "a load then a save changes nothing";
  EXPECT_EQ(loaded.reserve_id(), 6u);
  // Damage leaves what was loaded untouched.
  for (size_t n = 0; n < saved.size(); n += 7) {
    EXPECT_EQ(loaded.load(saved.substr(0, n), kNow).code(), StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(loaded.load(saved + "x", kNow).code(), StatusCode::kDataLoss);
  EXPECT_EQ(loaded.size(), 5u);
}

TEST(DeployLog, DropsWhatIsPastTheRetentionOnApplyAndLoad) {
  DeployLog log;
  log.set_retention(kDay);
  ASSERT_TRUE(log.apply(encode_deploy(deploy(1, "s", kNow - 20 * kHour)), kNow).ok());
  ASSERT_TRUE(log.apply(encode_deploy(deploy(2, "s", kNow - kHour)), kNow).ok());
  EXPECT_EQ(log.size(), 2u);
  // Five hours on, the first is past the day deploys are kept.
  ASSERT_TRUE(log.apply(encode_deploy(deploy(3, "s", kNow + 4 * kHour)), kNow + 5 * kHour).ok());
  EXPECT_EQ(ids(log.list("", kNow - 30 * kDay)), (std::vector<uint64_t>{3, 2}));
  DeployLog later;
  later.set_retention(kDay);
  ASSERT_TRUE(later.load(log.save(), kNow + 24 * kHour).ok());
  EXPECT_EQ(ids(later.list("", kNow - 30 * kDay)), (std::vector<uint64_t>{3}));
  // A record replayed after it expired applies (the log holds it) and is dropped at once.
  ASSERT_TRUE(later.apply(encode_deploy(deploy(4, "s", kNow - 2 * kDay)), kNow + 24 * kHour).ok());
  EXPECT_EQ(later.size(), 1u);
}

TEST(DeployLog, KeepsAtMostTheCapDroppingTheOldest) {
  DeployLog log;
  for (uint64_t i = 1; i <= kMaxDeploys + 3; ++i) {
    ASSERT_TRUE(log.apply(encode_deploy(deploy(i, "s", kNow - kDay + Millis{static_cast<int64_t>(i)})), kNow).ok());
  }
  EXPECT_EQ(log.size(), kMaxDeploys);
  const auto all = log.list("", kNow - 2 * kDay);
  EXPECT_EQ(all.front().id, kMaxDeploys + 3);
  EXPECT_EQ(all.back().id, 4u) << "the three oldest went";
}

}  // namespace
}  // namespace budgetd::deploys
