#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/ingest/batch.h"
#include "budgetd/ingest/delta_batch.h"
#include "budgetd/ingest/router.h"

namespace budgetd::ingest {
namespace {

using ::testing::HasSubstr;
const Timestamp kNow = from_unix_ms(1795514400000);

TEST(DeltaBatch, SumsPerSloAndBucketInFirstSeenOrder) {
  DeltaBatch d;
  d.add(1, 100, 1, 1);
  d.add(2, 100, 0, 1);
  d.add(1, 100, 1, 2);
  d.add(1, 101, 3, 3);
  ASSERT_EQ(d.deltas().size(), 3u);
  EXPECT_EQ(d.deltas()[0].slo, 1u);
  EXPECT_EQ(d.deltas()[0].good, 2u);
  EXPECT_EQ(d.deltas()[0].total, 3u);
  EXPECT_EQ(d.deltas()[1].slo, 2u);
  EXPECT_EQ(d.deltas()[2].bucket, 101);
  d.clear();
  EXPECT_TRUE(d.empty());
  d.add(1, 100, 5, 5);
  ASSERT_EQ(d.deltas().size(), 1u);
  EXPECT_EQ(d.deltas()[0].good, 5u);
}

TEST(DeltaBatch, GrowsAndClearsWithManyKeys) {
  DeltaBatch d;
  for (int round = 0; round < 3; ++round) {
    for (uint32_t slo = 0; slo < 50; ++slo) {
      for (int64_t b = 0; b < 100; ++b) d.add(slo, 1'000'000 + b, 1, 2);
    }
    for (uint32_t slo = 0; slo < 50; ++slo) d.add(slo, 1'000'000, 1, 1);
    ASSERT_EQ(d.deltas().size(), 5000u);
    uint64_t total = 0;
    for (const Delta& x : d.deltas()) total += x.total;
    EXPECT_EQ(total, 50u * 100 * 2 + 50);
    d.clear();
  }
}

std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

constexpr const char* kSlos = R"(
slos:
  - {name: avail, service: checkout, objective: 99.9, sli: {type: ratio}}
  - {name: avail-eu, service: checkout, objective: 99.9, sli: {type: ratio}, match: {region: eu}}
  - {name: fast, service: checkout, objective: 99, sli: {type: latency, threshold_ms: 300}}
  - {name: fast-lenient, service: checkout, objective: 99, sli: {type: latency, threshold_ms: 300, failed_requests_are_bad: false}}
  - {name: other, service: search, objective: 99, windows: ["1d"], sli: {type: ratio}}
)";

Event event(std::string_view service) {
  Event e;
  e.service = service;
  e.ts = kNow;
  return e;
}

std::vector<std::pair<uint32_t, EventCounts>> route(const Router& r, const Event& e) {
  std::vector<std::pair<uint32_t, EventCounts>> out;
  if (const auto* routes = r.routes_for(e.service)) {
    for (const Route& rt : *routes) {
      if (auto c = rt.counts(e)) out.emplace_back(rt.slo, *c);
    }
  }
  return out;
}

TEST(Router, FeedsEverySloWhoseMatchersAndSliFieldFit) {
  Router r(slo_set(kSlos));
  Event e = event("checkout");
  e.has_good_flag = true;
  e.good_flag = false;
  auto got = route(r, e);
  ASSERT_EQ(got.size(), 1u);  // only "avail": no region label, no latency
  EXPECT_EQ(got[0].first, 0u);
  EXPECT_EQ(got[0].second.good, 0u);
  EXPECT_EQ(got[0].second.total, 1u);

  e.labels[0] = {"region", "eu"};
  e.label_count = 1;
  e.has_latency = true;
  e.latency_ms = 100;  // fast, but failed
  got = route(r, e);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[1].first, 1u);
  EXPECT_EQ(got[2].first, 2u);
  EXPECT_EQ(got[2].second.good, 0u);  // a failed request is bad for a latency SLI ...
  EXPECT_EQ(got[3].first, 3u);
  EXPECT_EQ(got[3].second.good, 1u);  // ... unless the SLO says otherwise

  Event slow = event("checkout");
  slow.has_latency = true;
  slow.latency_ms = 300.5;
  got = route(r, slow);
  ASSERT_EQ(got.size(), 2u);  // latency SLIs only
  EXPECT_EQ(got[0].second.good, 0u);
  slow.latency_ms = 300;  // <= threshold is good
  EXPECT_EQ(route(r, slow)[0].second.good, 1u);

  Event counts = event("search");
  counts.has_counts = true;
  counts.good_count = 7;
  counts.total_count = 9;
  got = route(r, counts);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].second.good, 7u);
  EXPECT_EQ(got[0].second.total, 9u);

  EXPECT_EQ(r.routes_for("nobody"), nullptr);
}

struct Batch {
  DeltaBatch deltas;
  BatchReport report;
  Status status;
};

Batch prepare(const Router& router, const std::string& body, BodyFormat f = BodyFormat::kJson) {
  static BatchDecoder decoder;
  Batch b;
  std::string buf = body;
  buf.reserve(buf.size() + required_padding());
  const auto bad = prepare_batch(decoder, buf.data(), buf.size(), buf.capacity(), f, kNow, router, IngestLimits{},
                                 b.deltas, b.report);
  if (bad) b.status = InvalidArgument(describe_body_error(*bad));
  return b;
}

TEST(Batch, AcceptsRejectsAndCountsUnmatched) {
  Router router(slo_set(kSlos));
  const Batch b = prepare(router, R"({"events":[
      {"service":"checkout","good":true},
      {"service":"checkout","good":false,"ts":1795514399999},
      {"service":"nobody","good":true},
      {"service":"search","latency_ms":5},
      {"service":"checkout","good":true,"ts":"2026-11-24T10:05:00.001Z"},
      {"service":"checkout","good":true,"ts":"2026-11-24T10:05:00Z"},
      {"service":"checkout","good":true,"ts":"2026-09-01T00:00:00Z"},
      {"service":"checkout"}
  ]})");
  ASSERT_TRUE(b.status.ok()) << b.status.message();
  EXPECT_EQ(b.report.accepted, 3u);
  EXPECT_EQ(b.report.unmatched, 2u);  // unknown service; a latency event for a ratio-only service
  EXPECT_EQ(b.report.rejected, 3u);
  EXPECT_EQ(b.report.rejected_future, 1u);
  EXPECT_EQ(b.report.rejected_too_old, 1u);
  ASSERT_EQ(b.report.errors.size(), 3u);
  EXPECT_EQ(b.report.errors[0].index, 4u);
  EXPECT_THAT(b.report.errors[0].error, HasSubstr("5m1ms ahead of budgetd's clock"));
  EXPECT_EQ(b.report.errors[1].index, 6u);
  EXPECT_THAT(b.report.errors[1].error, HasSubstr("too old"));
  EXPECT_EQ(b.report.errors[2].index, 7u);
  // Deltas: SLO 0 in the bucket of 10:00:00 (two events), of 09:59:59.999, and of 10:05:00.
  ASSERT_EQ(b.deltas.deltas().size(), 3u);
  uint64_t total = 0, good = 0;
  for (const Delta& d : b.deltas.deltas()) {
    EXPECT_EQ(d.slo, 0u);
    total += d.total;
    good += d.good;
  }
  EXPECT_EQ(total, 3u);
  EXPECT_EQ(good, 2u);
}

TEST(Batch, ListsAtMostMaxErrorsAndCountsTheRest) {
  Router router(slo_set(kSlos));
  std::string body = R"({"events":[)";
  for (int i = 0; i < 150; ++i) body += (i ? "," : "") + std::string(R"({"service":"checkout"})");
  const Batch b = prepare(router, body + "]}");
  EXPECT_EQ(b.report.rejected, 150u);
  EXPECT_EQ(b.report.errors.size(), 100u);
  EXPECT_EQ(b.report.errors_omitted, 50u);
}

TEST(Batch, MalformedBodyLeavesNoDeltas) {
  Router router(slo_set(kSlos));
  const Batch b =
      prepare(router, R"({"events":[{"service":"checkout","good":true},{"service":"checkout","good":tru}]})");
  EXPECT_FALSE(b.status.ok());
  EXPECT_TRUE(b.deltas.empty());
  EXPECT_EQ(b.report.accepted, 0u);
}

TEST(Batch, ApplyAddsDeltasToTheStore) {
  Router router(slo_set(kSlos));
  const Batch b =
      prepare(router, "{\"service\":\"search\",\"good\":3,\"total\":4}\n{\"service\":\"search\",\"good\":true}\n",
              BodyFormat::kNdjson);
  ASSERT_TRUE(b.status.ok());
  const store::WriteStats ws = store::apply_deltas(b.deltas.deltas(), router.slos(), kNow);
  EXPECT_EQ(ws.expired, 0u);
  const store::StoredSlo* other = router.slos().find("other");
  EXPECT_EQ(other->series->sum(window_bounds(kDay, kNow)).counts, (store::Counts{4, 5}));
}

}  // namespace
}  // namespace budgetd::ingest
