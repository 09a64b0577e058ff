// attribution: the config key and its diagnostics, the value tables (slots, "other", fixed
// memory), the batch's attributed deltas, the batch record's format 2 (and format 1 still read),
// snapshots with and without attribution (version 3 files still load), and contributors().

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/crc32c.h"
#include "budgetd/durable/record_applier.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/eval/contributors.h"
#include "budgetd/ingest/batch.h"
#include "durable/encoding.h"
#include "durable_fixtures.h"

namespace budgetd {
namespace {

using ::testing::HasSubstr;
const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

constexpr const char* kAttributed = R"(
slos:
  - name: checkout
    service: checkout
    objective: 99.9
    sli: {type: ratio}
    attribution: {labels: [endpoint, region], max_values: 2}
  - {name: plain, service: checkout, objective: 99, sli: {type: ratio}}
)";

std::shared_ptr<const config::Config> config_of(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "c.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  if (!r.config) std::abort();
  return std::make_shared<const config::Config>(std::move(*r.config));
}

std::vector<std::string> errors(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& d : config::load_config_string(yaml, "c.yaml").diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) out.push_back(d.to_string());
  }
  return out;
}

std::string with_attribution(const std::string& attribution) {
  return "slos:\n  - name: a\n    service: s\n    objective: 99.9\n    sli: {type: ratio}\n    attribution: " +
         attribution + "\n";
}

TEST(AttributionConfig, ReadsLabelsAndMaxValuesAndIsNotPartOfTheIdentity) {
  const auto c = config_of(kAttributed);
  const config::SloSpec& s = c->slos[0];
  EXPECT_EQ(s.attribution.labels, (std::vector<std::string>{"endpoint", "region"}));
  EXPECT_EQ(s.attribution.max_values, 2u);
  EXPECT_FALSE(c->slos[1].attribution.enabled());
  config::SloSpec without = s;
  without.attribution = {};
  EXPECT_EQ(s.identity(), without.identity());  // a reload keeps the SLO's counts
  EXPECT_EQ(config_of(with_attribution("{labels: [endpoint]}"))->slos[0].attribution.max_values, 64u);
}

TEST(AttributionConfig, EveryMistakeIsReportedAtItsLineAndColumn) {
  EXPECT_THAT(
      errors(with_attribution("{labels: []}")),
      ::testing::ElementsAre(HasSubstr("c.yaml:6:27: error: SLO 'a': attribution.labels must be a list of 1-8")));
  EXPECT_THAT(errors(with_attribution("{max_values: 3}")),
              ::testing::ElementsAre(HasSubstr("c.yaml:6:18: error: SLO 'a': attribution.labels must be a list")));
  EXPECT_THAT(errors(with_attribution("{labels: [a, a]}")),
              ::testing::ElementsAre(HasSubstr("c.yaml:6:31: error: SLO 'a': attribution label 'a' is listed twice")));
  EXPECT_THAT(errors(with_attribution("{labels: [a], max_values: 0}")),
              ::testing::ElementsAre(HasSubstr("c.yaml:6:44:")));
  EXPECT_THAT(errors(with_attribution("{labels: [a], max_values: 5000}")),
              ::testing::ElementsAre(HasSubstr("max_values")));
  EXPECT_THAT(errors(with_attribution("{labels: [a], top: 3}")), ::testing::ElementsAre(HasSubstr("top")));
  EXPECT_THAT(errors(with_attribution("[endpoint]")), ::testing::SizeIs(1));
}

TEST(AttributionConfig, OpenSloExportSaysAttributionIsNotExported) {
  std::vector<std::string> notes;
  config::export_openslo(*config_of(kAttributed), notes);
  EXPECT_THAT(notes,
              ::testing::Contains(HasSubstr(
                  "SLO 'checkout': attribution (labels endpoint, region) has no OpenSLO field and is not exported")));
}

TEST(Attribution, AssignsSlotsInFirstSeenOrderThenCountsTheRestAsOther) {
  const auto c = config_of(kAttributed);
  store::Attribution a(c->slos[0].attribution, store::attribution_plan(c->slos[0], *c));
  EXPECT_EQ(a.slot_for(0, "/pay"), 0u);
  EXPECT_EQ(a.slot_for(0, "/cart"), 1u);
  EXPECT_EQ(a.slot_for(0, "/pay"), 0u);
  EXPECT_FALSE(a.would_assign(0, "/search"));  // full: no lock, no slot
  EXPECT_EQ(a.slot_for(0, "/search"), a.other_slot());
  EXPECT_EQ(a.slot_for(1, std::string(store::kMaxValueBytes + 1, 'x')), a.other_slot());
  EXPECT_TRUE(a.would_assign(1, "eu"));
  EXPECT_EQ(a.slot_for(1, "eu"), 0u);
  EXPECT_EQ(a.assigned(0), 2u);
  EXPECT_EQ(a.value(0, 1), "/cart");
}

TEST(Attribution, MemoryIsFixedAndSaysWhatItCosts) {
  const auto c = config_of(R"(
slos:
  - {name: a, service: s, objective: 99.9, sli: {type: ratio}, attribution: {labels: [endpoint, region, version]}}
)");
  auto set = store::SloSet::build(*c, nullptr);
  const store::StoredSlo& s = set->slos()[0];
  // 30d at 1h (723 slots), 1h at 1m (126), 6h and 1d at 5m (302), 3d at 1h (within the 30d ring).
  const store::SeriesPlan& p = s.attribution->plan();
  EXPECT_EQ(p.slots, (std::array<uint32_t, 4>{0, 126, 302, 723}));
  const size_t before = s.memory_bytes();
  EXPECT_GT(s.attribution->memory_bytes(), 3u * 65 * 16 * (126 + 302 + 723));
  EXPECT_LT(s.attribution->memory_bytes(), 4'000'000u);  // docs/storage.md: about 3.7 MB
  store::WriteStats st;
  for (int v = 0; v < 1000; ++v) {
    const uint32_t slot = s.attribution->slot_for(0, "/e" + std::to_string(v));
    s.attribution->add(0, slot, kNow, bucket_index(kNow, kFinestResolution), 1, 1, st);
  }
  EXPECT_EQ(s.memory_bytes(), before);
}

TEST(AttributedDeltas, SumPerSloLabelValueAndBucketWithEachValueOnce) {
  ingest::DeltaBatch d;
  d.add_attributed(0, 0, "/pay", 10, 1, 1);
  d.add_attributed(0, 0, "/pay", 10, 0, 1);
  d.add_attributed(0, 1, "/pay", 10, 1, 1);
  d.add_attributed(0, 0, "/cart", 11, 1, 1);
  for (int i = 0; i < 200; ++i) d.add_attributed(1, 0, "v" + std::to_string(i % 50), 12 + i % 3, 1, 2);
  const store::AttributedDeltas& a = d.attributed();
  EXPECT_EQ(a.values.size(), 52u);
  EXPECT_EQ(a.deltas[0], (store::AttributedDelta{0, 0, 0, 10, 1, 2}));
  EXPECT_EQ(a.deltas[1], (store::AttributedDelta{0, 1, 0, 10, 1, 1}));
  EXPECT_EQ(a.value(a.deltas[2].value), "/cart");
  uint64_t total = 0;
  for (const auto& x : a.deltas) total += x.total;
  EXPECT_EQ(total, 4u + 400u);
  d.clear();
  EXPECT_TRUE(d.attributed().empty());
  EXPECT_TRUE(d.attributed().values.empty());
}

TEST(BatchRecordFormat2, CarriesValueStringsAndFormat1StaysReadable) {
  const auto c = config_of(kAttributed);
  auto set = store::SloSet::build(*c, nullptr);
  const std::vector<store::BucketDelta> deltas{{0, 100, 3, 5}, {1, 100, 1, 1}};
  const std::string v1 = durable::encode_batch(deltas, *set, nullptr);
  EXPECT_NE(v1.substr(0, 2), std::string("\x80\x00", 2));
  const auto r1 = durable::decode_batch(v1).value();
  EXPECT_TRUE(r1.labels.empty());
  ASSERT_EQ(r1.deltas.size(), 2u);

  store::AttributedDeltas a;
  const uint32_t pay = a.add_value("/pay");
  const uint32_t eu = a.add_value("eu");
  a.deltas = {{0, 0, pay, 100, 2, 3}, {0, 1, eu, 100, 3, 5}, {0, 0, a.add_value("/cart"), 100, 1, 2}};
  const durable::IdempotentAnswer key{"k", 7, "{}", kNow};
  const std::string v2 = durable::encode_batch(deltas, *set, &key, &a);
  const auto r2 = durable::decode_batch(v2).value();
  EXPECT_EQ(r2.deltas, r1.deltas);
  ASSERT_TRUE(r2.idempotency);
  EXPECT_EQ(r2.labels, (std::vector<durable::BatchRecord::Label>{{0, "endpoint"}, {0, "region"}}));
  EXPECT_EQ(r2.values, (std::vector<durable::BatchRecord::Value>{{0, "/pay"}, {1, "eu"}, {0, "/cart"}}));
  EXPECT_EQ(r2.value_deltas,
            (std::vector<durable::BatchRecord::ValueDelta>{{0, 100, 2, 3}, {1, 100, 3, 5}, {2, 100, 1, 2}}));
  for (size_t n = 0; n < v2.size(); ++n) EXPECT_FALSE(durable::decode_batch(v2.substr(0, n)).ok()) << n;
  std::string future = v2;
  future[2] = 4;  // a format this build does not know
  EXPECT_THAT(durable::decode_batch(future).status().message(), HasSubstr("format"));
}

// Replay (and the cluster's tailer) assigns slots in record order, by value string; a label the
// config no longer attributes is skipped, and the SLO's own deltas apply as before.
// Formats 2 (by name) and 3 (by the log's dictionary, issue 17) carry the same label values.
void replay_assigns_slots_in_record_order(durable::SloNaming naming) {
  const auto c = config_of(kAttributed);
  auto writer = store::SloSet::build(*c, nullptr);
  const int64_t b = bucket_index(kNow, kFinestResolution);
  std::vector<std::string> records;
  for (const char* endpoint : {"/c", "/a", "/b", "/a", "/d"}) {
    store::AttributedDeltas a;
    a.deltas = {{0, 0, a.add_value(endpoint), b, 0, 1}, {0, 1, a.add_value("eu"), b, 0, 1}};
    records.push_back(
        durable::encode_batch(std::vector<store::BucketDelta>{{0, b, 0, 1}}, *writer, nullptr, &a, naming));
  }
  // The reader attributes endpoint only.
  const auto cr = config_of(
      std::string(kAttributed).replace(std::string(kAttributed).find("[endpoint, region]"), 18, "[endpoint]"));
  auto reader = store::SloSet::build(*cr, nullptr);
  durable::IdempotencyTable keys(kDay, 10);
  durable::RecordApplier applier(*reader, keys, {}, store::WriteAccess::kExclusive);
  if (naming == durable::SloNaming::kByDictionary) {
    ASSERT_TRUE(applier.apply(durable::RecordType::kDictionary, durable::encode_dictionary(*writer), 0, kNow).ok());
  }
  for (size_t i = 0; i < records.size(); ++i)
    ASSERT_TRUE(applier.apply(durable::RecordType::kBatch, records[i], i + 1, kNow).ok());
  applier.flush();
  const store::Attribution& a = *reader->slos()[0].attribution;
  ASSERT_EQ(a.assigned(0), 2u);
  EXPECT_EQ(a.value(0, 0), "/c");
  EXPECT_EQ(a.value(0, 1), "/a");
  const auto got = eval::contributors(reader->slos()[0], kNow - kHour, kNow + kMinute, "", kNow).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bad, 5u);
  ASSERT_EQ(got[0].values.size(), 3u);
  EXPECT_EQ(got[0].values[0].value, "/a");     // 2 bad, ranked before other's 2 by value
  EXPECT_EQ(got[0].values[1].value, "other");  // /b and /d
  EXPECT_EQ(got[0].values[1].bad, 2u);
  EXPECT_EQ(got[0].values[2].value, "/c");
  EXPECT_EQ(reader->slos()[0].series->sum(window_bounds(kHour, kNow)).counts, (store::Counts{0, 5}));
}

TEST(BatchRecordFormat2, ReplayAssignsSlotsInRecordOrderAndSkipsLabelsNoLongerAttributed) {
  replay_assigns_slots_in_record_order(durable::SloNaming::kByName);
}

TEST(BatchRecordFormat3, ReplayAssignsSlotsInRecordOrderAndSkipsLabelsNoLongerAttributed) {
  replay_assigns_slots_in_record_order(durable::SloNaming::kByDictionary);
}

TEST(AttributionSnapshot, RoundTripsValuesAndCountsAndVersion3FilesStillLoad) {
  const auto c = config_of(kAttributed);
  auto set = store::SloSet::build(*c, nullptr);
  store::Attribution& a = *set->slos()[0].attribution;
  store::WriteStats st;
  const int64_t b = bucket_index(kNow, kFinestResolution);
  a.add(0, a.slot_for(0, "/pay"), kNow, b, 1, 4, st);
  a.add(0, a.slot_for(0, "/cart"), kNow, b, 2, 2, st);
  a.add(0, a.slot_for(0, "/search"), kNow, b, 0, 1, st);  // other
  const std::string bytes = durable::encode_snapshot(5, kNow, *set, {});
  const durable::SnapshotView v = durable::decode_snapshot(bytes).value();
  ASSERT_EQ(v.slos[0].attribution.size(), 2u);
  EXPECT_EQ(v.slos[0].attribution[0].values, (std::vector<std::string_view>{"/pay", "/cart"}));
  EXPECT_TRUE(v.slos[1].attribution.empty());

  auto fresh = store::SloSet::build(*c, nullptr);
  for (const auto& image : v.slos[0].attribution)
    fresh->slos()[0].attribution->load(image, v.slos[0].attribution_plan, kNow);
  const auto got = eval::contributors(fresh->slos()[0], kNow - kHour, kNow + kMinute, "endpoint", kNow).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].bad, 4u);
  EXPECT_EQ(got[0].total, 7u);
  ASSERT_EQ(got[0].values.size(), 3u);
  EXPECT_EQ(got[0].values[0].value, "/pay");
  EXPECT_EQ(got[0].values[0].bad, 3u);
  EXPECT_EQ(got[0].values[1].value, "other");
  EXPECT_TRUE(got[0].values[1].other);

  // Damage in the attribution (the last words of the first SLO's section) is refused like a ring's.
  std::string flipped = bytes;
  flipped[32 + 8 + durable::get_u32(bytes.data() + 32) - 1] ^= 1;
  EXPECT_THAT(durable::decode_snapshot(flipped).status().message(), HasSubstr("SLO section 0 fails its CRC check"));
  // A writer left inside a slot is damage whatever the CRC says (SloSeries::check_words).
  store::LabelImage bad = v.slos[0].attribution[0];
  std::string words(bad.words);
  words[8 * 1 + 5] = static_cast<char>(0x01);  // slot 0's total word: a writer in its aux bits (40-45)
  bad.words = words;
  EXPECT_TRUE(store::Attribution::check(bad, v.slos[0].attribution_plan).has_value());

  // Version 3 (no attribution anywhere) still loads.
  auto plain =
      store::SloSet::build(*config_of("slos: [{name: p, service: s, objective: 99, sli: {type: ratio}}]"), nullptr);
  const std::string v3 = durable::fixtures::as_version3(durable::encode_snapshot(5, kNow, *plain, {}));
  const auto old = durable::decode_snapshot(v3);
  ASSERT_TRUE(old.ok()) << old.status().message();
  EXPECT_TRUE(old->slos[0].attribution.empty());
}

TEST(Contributors, RankAddUpAndNameWhatCanBeAsked) {
  const auto c = config_of(kAttributed);
  auto set = store::SloSet::build(*c, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  store::Attribution& a = *slo.attribution;
  store::WriteStats st;
  const int64_t b = bucket_index(kNow, kFinestResolution);
  a.add(0, a.slot_for(0, "/pay"), kNow, b, 9, 100, st);    // 91 bad
  a.add(0, a.slot_for(0, "/cart"), kNow, b, 91, 100, st);  // 9 bad
  a.add(1, a.slot_for(1, "eu"), kNow, b, 100, 200, st);    // 100 bad
  const auto all = eval::contributors(slo, kNow - kHour, kNow + kMinute, "", kNow).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].bad, 100u);
  EXPECT_DOUBLE_EQ(all[0].values[0].share_of_bad, 0.91);
  EXPECT_DOUBLE_EQ(all[0].values[0].error_ratio, 0.91);
  EXPECT_EQ(eval::top_contributors_text(all, 3),
            "region=eu: 100 % of bad events; endpoint=/pay: 91 % of bad events; endpoint=/cart: 9 % of bad events");
  EXPECT_EQ(eval::top_contributors_text(all, 1), "region=eu: 100 % of bad events");
  EXPECT_THAT(eval::contributors(slo, kNow - kHour, kNow, "version", kNow).status().message(),
              HasSubstr("does not attribute label 'version'; it attributes: endpoint, region"));
  EXPECT_THAT(eval::contributors(slo, kNow - 40 * kDay, kNow, "", kNow).status().message(),
              HasSubstr("(1h, 6h, 1d, 3d, 30d)"));
  EXPECT_TRUE(eval::contributors(set->slos()[1], kNow - kHour, kNow, "").value().empty());
  // The span read: 1h snaps to the 1m ring, 30d to the 1h one.
  eval::ContributorsSpan span{};
  ASSERT_TRUE(eval::contributors(slo, kNow - kHour + kSecond, kNow + kSecond, "", kNow, &span).ok());
  EXPECT_EQ(span.resolution, kMinute);
  EXPECT_EQ(span.start, kNow - kHour);
  EXPECT_EQ(span.end, kNow + kMinute);
}

}  // namespace
}  // namespace budgetd
