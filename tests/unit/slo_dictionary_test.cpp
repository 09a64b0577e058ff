// issue 17: compact log records. An embedded budgetd's batch records name SLOs by their index in
// the log's SLO dictionary (format 3); the log writes the dictionary ahead of each segment's first
// record and after each change; replay resolves the indexes by name and identity hash, so a
// record means the same after a reload or a restart with another config.

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/record_applier.h"
#include "budgetd/durable/wal.h"
#include "budgetd/durable/wal_reader.h"
#include "durable_fixtures.h"
#include "faulty_env.h"

namespace budgetd::durable {
namespace {

using ::testing::HasSubstr;
using namespace fixtures;  // NOLINT: the fixtures of this module's tests

// `n` ratio SLOs s0..s(n-1) of service svc.
std::string many_slos(int n) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < n; ++i)
    yaml += "  - {name: s" + std::to_string(i) + ", service: svc, objective: 99.9, sli: {type: ratio}, match: {k: \"" +
            std::to_string(i) + "\"}}\n";
  return yaml;
}

TEST(BatchRecordFormat3, NamesSlosByIndexAndRoundTripsExactly) {
  auto set = slo_set(kTwoSlos);
  const std::vector<store::BucketDelta> deltas{{1, 179551440, 3, 4}, {0, 179551437, 0, 9}, {1, 179551441, 1, 1}};
  const IdempotentAnswer key{"k-1", 42, R"({"accepted":3})", kNow};
  const std::string payload = encode_batch(deltas, *set, &key, nullptr, SloNaming::kByDictionary);
  const BatchRecord rec = decode_batch(payload).value();
  EXPECT_TRUE(rec.by_dictionary);
  EXPECT_TRUE(rec.slos.empty());
  // The set's own indexes, buckets and counts, in the batch's order.
  EXPECT_EQ(rec.deltas,
            (std::vector<BatchRecord::Delta>{{1, 179551440, 3, 4}, {0, 179551437, 0, 9}, {1, 179551441, 1, 1}}));
  ASSERT_TRUE(rec.idempotency);
  EXPECT_EQ(*rec.idempotency, key);
  for (size_t n = 0; n < payload.size(); ++n) EXPECT_FALSE(decode_batch(payload.substr(0, n)).ok()) << n;
  EXPECT_FALSE(decode_batch(payload + "x").ok());
}

// The load the issue measures: 1,000 events spread over 1,000 SLOs, one delta each.
TEST(BatchRecordFormat3, ASpreadBatchTakesAFewBytesPerEvent) {
  auto set = slo_set(many_slos(1000));
  std::vector<store::BucketDelta> deltas;
  for (uint32_t i = 0; i < 1000; ++i) deltas.push_back({i, 179551440 + (i % 6), i % 50 == 0 ? 0u : 1u, 1});
  const std::string by_index = encode_batch(deltas, *set, nullptr, nullptr, SloNaming::kByDictionary);
  const std::string by_name = encode_batch(deltas, *set, nullptr);
  // An index below 16,384 takes two bytes, the bucket offset, total and bad one each.
  EXPECT_LE(by_index.size(), 5 * deltas.size() + 16);
  EXPECT_GT(by_name.size(), 3 * by_index.size()) << "names and hashes per record are what format 3 saves";
  const BatchRecord rec = decode_batch(by_index).value();
  ASSERT_EQ(rec.deltas.size(), deltas.size());
  for (size_t i = 0; i < deltas.size(); ++i) {
    EXPECT_EQ(rec.deltas[i], (BatchRecord::Delta{deltas[i].slo, deltas[i].bucket, deltas[i].good, deltas[i].total}));
  }
}

TEST(BatchRecordFormat3, ByNameResolvesIndexesAgainstTheDictionary) {
  auto set = slo_set(kTwoSlos);
  const std::vector<BatchRecord::Slo> dictionary = decode_dictionary(encode_dictionary(*set)).value();
  ASSERT_EQ(dictionary.size(), 2u);
  EXPECT_EQ(dictionary[1], (BatchRecord::Slo{"b", set->slos()[1].identity_hash}));
  const std::vector<store::BucketDelta> deltas{{1, 100, 3, 4}, {0, 101, 0, 9}};
  const IdempotentAnswer key{"k", 7, "{}", kNow};
  const std::string compact = encode_batch(deltas, *set, &key, nullptr, SloNaming::kByDictionary);
  // The record by name is the one format 1 writes for the same batch.
  const std::string named = by_name(compact, dictionary).value();
  EXPECT_EQ(decode_batch(named).value().slos, decode_batch(encode_batch(deltas, *set, &key)).value().slos);
  EXPECT_EQ(named, encode_batch(deltas, *set, &key));
  // A record by name passes unchanged; an index past the dictionary is damage.
  EXPECT_EQ(by_name(named, {}).value(), named);
  EXPECT_THAT(by_name(compact, std::span(dictionary).first(1)).status().message(), HasSubstr("past the log's"));
  EXPECT_FALSE(decode_dictionary(encode_dictionary(*set) + "x").ok());
}

// Each segment holds the dictionary ahead of its first record; a change is written ahead of the
// next record; a record a failure cuts off takes its dictionary with it.
TEST(Wal, WritesTheDictionaryAheadOfEachSegmentAndAfterEachChange) {
  TempDir d;
  metrics::Registry m;
  {
    WalOptions o = options(d / "wal");
    o.segment_bytes = 200;  // a new segment every few records
    Wal wal(Env::posix(), o, 1, m);
    ASSERT_TRUE(wal.open().ok());
    wal.set_dictionary("D1");
    for (int i = 1; i <= 8; ++i)
      ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, "record-" + std::to_string(i)).ok());
    wal.set_dictionary("D2");
    ASSERT_TRUE(wal.append_and_wait(RecordType::kState, "state").ok());
    ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, "record-9").ok());
  }
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  ASSERT_GE(rep.segments, 2u);
  // Segment by segment: the first record of each is a dictionary.
  std::vector<std::string> segments;
  for (const auto& e : fs::directory_iterator(d / "wal")) segments.push_back(e.path().filename().string());
  std::sort(segments.begin(), segments.end());
  for (const std::string& s : segments) {
    const uint64_t first = *parse_segment_name(s);
    const size_t at = static_cast<size_t>(std::find(r.seqs.begin(), r.seqs.end(), first) - r.seqs.begin());
    ASSERT_LT(at, r.types.size()) << s;
    EXPECT_EQ(r.types[at], RecordType::kDictionary) << s;
  }
  // The change goes in front of the next record, whatever its type, once.
  const auto d2 = std::find(r.payloads.begin(), r.payloads.end(), "D2");
  ASSERT_NE(d2, r.payloads.end());
  EXPECT_EQ(*(d2 + 1), "state");
  EXPECT_EQ(std::count(r.payloads.begin(), r.payloads.end(), "D2"), 1);
  EXPECT_EQ(r.payloads.back(), "record-9");
  // Seqs still rise by one, dictionaries included.
  for (size_t i = 0; i < r.seqs.size(); ++i) EXPECT_EQ(r.seqs[i], i + 1);
}

TEST(Wal, ARecordCutOffAfterAFailureTakesItsDictionaryWithIt) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  {
    Wal wal(env, options(d / "wal", FsyncPolicy::kAlways), 1, m);
    ASSERT_TRUE(wal.open().ok());
    wal.set_dictionary("D1");
    EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "durable").value(), 2u);
    wal.set_dictionary("D2");
    env.sync_errno = EIO;
    ASSERT_FALSE(wal.append_and_wait(RecordType::kBatch, "lost").ok());  // D2 and "lost": cut off
    env.sync_errno = 0;
    ASSERT_TRUE(eventually([&] { return wal.failure().empty(); }));
    EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "after").value(), 4u);
  }
  Replayed r;
  replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"D1", "durable", "D2", "after"}));
}

// A log of format 3 records, applied to `set` after `cut`: what each SLO of `set` holds.
std::map<std::string, uint64_t> replayed_totals(const std::string& dir, const store::SloSet& set, uint64_t cut,
                                                Status* failure = nullptr) {
  IdempotencyTable keys(Millis{60'000}, 1 << 20);
  RecordApplier applier(set, keys, {}, store::WriteAccess::kExclusive);
  auto rep = replay_wal(Env::posix(), dir, cut, kNow,
                        [&](const FramedRecord& rec) { return applier.apply(rec.type, rec.payload, rec.seq, kNow); });
  applier.flush();
  if (failure != nullptr && rep.ok()) *failure = rep->corruption.empty() ? Status::Ok() : DataLoss(rep->corruption);
  std::map<std::string, uint64_t> out;
  for (const store::StoredSlo& s : set.slos()) {
    out[s.spec->name] = s.series->sum(window_bounds(kHour, kNow)).counts.total;
  }
  return out;
}

TEST(RecordApplier, ResolvesIndexesByTheDictionaryBeforeThemEvenBelowTheCut) {
  TempDir d;
  metrics::Registry m;
  auto set = slo_set(kTwoSlos);
  const int64_t bucket = to_unix_ms(kNow) / 10'000 - 1;
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    wal.set_dictionary(encode_dictionary(*set));  // seq 1
    for (uint64_t n = 1; n <= 3; ++n) {           // seqs 2, 3, 4: a gets 1, 2, 3; b gets 10, 20, 30
      const std::vector<store::BucketDelta> deltas{{0, bucket, n, n}, {1, bucket, 0, 10 * n}};
      ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch,
                                      encode_batch(deltas, *set, nullptr, nullptr, SloNaming::kByDictionary))
                      .ok());
    }
  }
  // A snapshot cut at seq 2 (after the dictionary): replay still learns the dictionary.
  EXPECT_EQ(replayed_totals(d / "wal", *slo_set(kTwoSlos), 2), (std::map<std::string, uint64_t>{{"a", 5}, {"b", 50}}));
  // Another config, the same SLOs in another order and one more: counts follow the names.
  auto reordered = slo_set(
      "slos: [{name: c, service: s, objective: 99, sli: {type: ratio}}, {name: b, service: s, objective: 99, sli: "
      "{type: ratio}}, {name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  EXPECT_EQ(replayed_totals(d / "wal", *reordered, 0),
            (std::map<std::string, uint64_t>{{"a", 6}, {"b", 60}, {"c", 0}}));
}

// Start-up replay (kExclusive) sums the deltas of many records per SLO and bucket and writes each
// sum once; a tailer (kShared) writes every delta in log order. Both must leave the same words:
// recent and expired buckets, buckets repeated across records, counts near saturation.
TEST(RecordApplier, HeldSumsLeaveTheWordsThatWritesInLogOrderLeave) {
  auto writer = slo_set(kTwoSlos);
  std::mt19937_64 rng(5);
  const int64_t now_bucket = to_unix_ms(kNow) / 10'000;
  std::vector<std::string> records;
  for (int r = 0; r < 400; ++r) {
    std::vector<store::BucketDelta> deltas;
    for (int i = 0; i < 20; ++i) {
      const uint32_t slo = static_cast<uint32_t>(rng() % 2);
      // Mostly the last hour (repeated buckets), some up to 40 days back (beyond what some rings keep).
      const int64_t back =
          rng() % 4 == 0 ? static_cast<int64_t>(rng() % (40 * 8640)) : static_cast<int64_t>(rng() % 360);
      const uint64_t total = rng() % 16 == 0 ? (uint64_t{1} << 39) + rng() % 1000 : rng() % 50;
      deltas.push_back({slo, now_bucket - back, total == 0 ? 0 : rng() % (total + 1), total});
    }
    records.push_back(encode_batch(deltas, *writer, nullptr, nullptr, SloNaming::kByDictionary));
  }
  const auto words_after = [&](store::WriteAccess access) {
    auto set = slo_set(kTwoSlos);
    IdempotencyTable keys(Millis{60'000}, 16);
    RecordApplier applier(*set, keys, {}, access);
    EXPECT_TRUE(applier.apply(RecordType::kDictionary, encode_dictionary(*set), 1, kNow).ok());
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_TRUE(applier.apply(RecordType::kBatch, records[i], i + 2, kNow).ok());
    }
    applier.flush();
    std::string words;
    for (const store::StoredSlo& s : set->slos()) s.series->append_words(words);
    return words;
  };
  const std::string in_log_order = words_after(store::WriteAccess::kShared);
  EXPECT_EQ(words_after(store::WriteAccess::kExclusive), in_log_order);
  // And the records wrote something: the comparison compares counts, not two empty stores.
  std::string untouched;
  const auto fresh = slo_set(kTwoSlos);  // named: a temporary's slos() would dangle in the loop
  for (const store::StoredSlo& s : fresh->slos()) s.series->append_words(untouched);
  EXPECT_NE(in_log_order, untouched);
}

TEST(RecordApplier, ARecordByIndexWithoutADictionaryIsDamage) {
  TempDir d;
  metrics::Registry m;
  auto set = slo_set(kTwoSlos);
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    const std::vector<store::BucketDelta> deltas{{1, 179551440, 1, 1}};
    ASSERT_TRUE(
        wal.append_and_wait(RecordType::kBatch, encode_batch(deltas, *set, nullptr, nullptr, SloNaming::kByDictionary))
            .ok());
  }
  Status failure;
  replayed_totals(d / "wal", *set, 0, &failure);
  EXPECT_THAT(failure.message(), HasSubstr("no dictionary before it"));
}

}  // namespace
}  // namespace budgetd::durable
