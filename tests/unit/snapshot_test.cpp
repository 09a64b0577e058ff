// Snapshots and recovery: what a snapshot holds and refuses, and how a start-up combines the
// newest good snapshot with the log after it.

#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/crc32c.h"
#include "budgetd/durable/recovery.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/store/tagged_word.h"
#include "durable_fixtures.h"

namespace budgetd::durable {
namespace {

using ::testing::HasSubstr;
using namespace fixtures;  // NOLINT: the fixtures of this module's tests

TEST(Snapshot, RoundTripsTheStoreAndKeys) {
  auto set = slo_set(kTwoSlos);
  store::WriteStats st;
  set->slos()[0].series->add(kNow, bucket_index(kNow, kFinestResolution), 3, 5, st);
  set->slos()[1].series->add(kNow, bucket_index(kNow - kDay, kFinestResolution), 1, 1, st);
  const std::vector<IdempotentAnswer> keys{{"k", 7, "{}", kNow}};
  const std::string bytes = encode_snapshot(99, kNow, *set, keys);
  const SnapshotView v = decode_snapshot(bytes).value();
  EXPECT_EQ(v.cut, 99u);
  EXPECT_EQ(v.taken_at, kNow);
  ASSERT_EQ(v.slos.size(), 2u);
  EXPECT_EQ(v.keys, keys);
  auto fresh = slo_set(kTwoSlos);
  fresh->slos()[0].series->load_words(v.slos[0].words);
  EXPECT_EQ(fresh->slos()[0].series->sum(window_bounds(kHour, kNow)).counts, (store::Counts{3, 5}));
  // A truncated or flipped snapshot is refused, never half-loaded.
  for (size_t n : {size_t{0}, size_t{7}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_FALSE(decode_snapshot(bytes.substr(0, n)).ok()) << n;
  std::string flipped = bytes;
  flipped[200] ^= 1;  // inside the first SLO's ring words
  EXPECT_THAT(decode_snapshot(flipped).status().message(), HasSubstr("fails its CRC check"));
}

// A ring layout that does not match the words (a damaged or hostile file whose CRCs were
// recomputed) is refused before anything is loaded, and never allocates what it claims.
TEST(Snapshot, RefusesARingLayoutThatDoesNotMatchItsWords) {
  auto set = slo_set(kTwoSlos);
  const std::string bytes = encode_snapshot(7, kNow, *set, {});
  // Header: magic 8, version 4, cut 8, taken_at 8, count 4; then the first section: length,
  // crc, body = name (varint length + bytes), identity u64, slots u32 per resolution...
  constexpr size_t kSection = 32;
  const size_t body = kSection + 8;
  ASSERT_EQ(bytes[body], 1);  // the name "a"
  const size_t first_slots = body + 2 + 8;
  const auto patched = [&](uint32_t slots) {
    std::string b = bytes;
    std::memcpy(&b[first_slots], &slots, 4);
    uint32_t len = 0;
    std::memcpy(&len, &b[kSection], 4);
    const uint32_t crc = crc32c::value(std::string_view(b).substr(body, len));
    std::memcpy(&b[kSection + 4], &crc, 4);
    return b;
  };
  uint32_t slots = 0;
  std::memcpy(&slots, &bytes[first_slots], 4);
  ASSERT_GT(slots, 0u);
  EXPECT_TRUE(decode_snapshot(patched(slots)).ok());  // the patching itself is sound
  EXPECT_THAT(decode_snapshot(patched(slots + 1)).status().message(), HasSubstr("ring layout"));
  EXPECT_THAT(decode_snapshot(patched(0xFFFFFFFFu)).status().message(), HasSubstr("ring layout"));
}

// Found by the snapshot fuzzer: ring words whose CRCs are right but that no snapshot can hold
// (a slot with more good events than total, one that counts a writer still inside it) loaded,
// and made status answers negative or readers spin forever. Such a snapshot is damage now.
TEST(SnapshotRegression, RingWordsNoSnapshotCanHoldLoaded) {
  auto set = slo_set(kTwoSlos);
  store::WriteStats st;
  set->slos()[0].series->add(kNow, bucket_index(kNow, kFinestResolution), 3, 5, st);
  std::string words;
  set->slos()[0].series->append_words(words);
  const store::SeriesPlan& plan = set->slos()[0].series->plan();
  EXPECT_EQ(store::SloSeries::check_words(plan, words), std::nullopt);
  const auto word = [&](size_t i) {
    uint64_t v;
    std::memcpy(&v, words.data() + 8 * i, 8);
    return v;
  };
  size_t slot = 0;  // the finest ring's slot that holds {3, 5}
  while (store::tagged::payload_of(word(2 * slot + 1)) != 5) ++slot;
  std::string swapped = words;  // good 5, total 3
  std::memcpy(&swapped[16 * slot], words.data() + 16 * slot + 8, 8);
  std::memcpy(&swapped[16 * slot + 8], words.data() + 16 * slot, 8);
  EXPECT_THAT(store::SloSeries::check_words(plan, swapped).value_or(""), HasSubstr("more good events than total"));
  std::string inside = words;  // a writer counted in the total word's aux bits
  const uint64_t with_writer = word(2 * slot + 1) | (uint64_t{1} << store::tagged::kPayloadBits);
  std::memcpy(&inside[16 * slot + 8], &with_writer, 8);
  EXPECT_THAT(store::SloSeries::check_words(plan, inside).value_or(""), HasSubstr("writer still inside"));
  // And decode_snapshot refuses a file holding such words, even with its CRCs recomputed.
  std::string bytes = encode_snapshot(7, kNow, *set, {});
  const size_t at = bytes.find(words);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, swapped.size(), swapped);
  constexpr size_t kSection = 32;  // the first SLO section's length and CRC, then its body
  uint32_t len = 0;
  std::memcpy(&len, &bytes[kSection], 4);
  const uint32_t crc = crc32c::value(std::string_view(bytes).substr(kSection + 8, len));
  std::memcpy(&bytes[kSection + 4], &crc, 4);
  EXPECT_THAT(decode_snapshot(bytes).status().message(), HasSubstr("more good events than total"));
}

TEST(Snapshot, KeepsTheAlertStateAndTheDurableStatesAndReadsVersion1And2Files) {
  auto set = slo_set(kTwoSlos);
  const std::string with_alerts =
      encode_snapshot(3, kNow, *set, {}, R"({"version":1})", {{"deploys", "abc"}, {"overrides", ""}});
  const SnapshotView v3 = decode_snapshot(with_alerts).value();
  EXPECT_EQ(v3.alerts, R"({"version":1})");
  ASSERT_EQ(v3.states.size(), 2u);
  EXPECT_EQ(v3.states[0].name, "deploys");
  EXPECT_EQ(v3.states[0].bytes, "abc");
  EXPECT_EQ(v3.states[1].name, "overrides");
  EXPECT_EQ(v3.states[1].bytes, "");
  std::string flipped = with_alerts;
  flipped[flipped.size() - 8 - 1] ^= 1;  // the last byte of the last state section
  EXPECT_THAT(decode_snapshot(flipped).status().message(), HasSubstr("state section 1 fails its CRC check"));
  // The tail of a version 3 file without states: empty alert section (8), no states (u32 0), end (8).
  const std::string v3_empty = as_version3(encode_snapshot(3, kNow, *set, {}));
  ASSERT_TRUE(decode_snapshot(v3_empty).ok()) << decode_snapshot(v3_empty).status().message();
  // Version 2: no state count.
  std::string v2 = v3_empty;
  v2.erase(v2.size() - 8 - 4, 4);
  v2[8] = 2;
  ASSERT_TRUE(decode_snapshot(v2).ok()) << decode_snapshot(v2).status().message();
  EXPECT_TRUE(decode_snapshot(v2)->states.empty());
  // Version 1: no alert section either.
  std::string v1 = v3_empty;
  v1.erase(v1.size() - 8 - 4 - 8, 12);
  v1[8] = 1;
  const auto decoded = decode_snapshot(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->alerts, "");
  EXPECT_EQ(decoded->slos.size(), 2u);
}

TEST(Recovery, SnapshotPlusLogRestoresExactCountsAndFallsBackOnADamagedSnapshot) {
  TempDir d;
  metrics::Registry m;
  store::WriteGate gate;
  const int64_t b = bucket_index(kNow, kFinestResolution);
  {
    auto set = slo_set(kTwoSlos);
    IdempotencyTable keys(kDay, 1000);
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    Snapshotter snaps(Env::posix(), d.str(), m);
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 5; ++i) {
        const std::vector<store::BucketDelta> deltas{{0, b - i, 1, 2}, {1, b, 0, 1}};
        const IdempotentAnswer key{"key-" + std::to_string(round) + "-" + std::to_string(i), 1, "{}", kNow};
        ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, encode_batch(deltas, *set, &key)).ok());
        store::WriteStats st;
        for (const auto& dl : deltas) set->slos()[dl.slo].series->add(kNow, dl.bucket, dl.good, dl.total, st);
        keys.complete(key);
      }
      ASSERT_TRUE(snaps.take(gate, wal, *set, keys, kNow).ok());
    }
    EXPECT_THAT(m.render(), HasSubstr("budgetd_snapshots_total{reason=\"admin\"} 3\n"));
  }
  const auto check = [&](const std::string& expect_snapshot) {
    auto set = slo_set(kTwoSlos);
    IdempotencyTable keys(kDay, 1000);
    const RecoveryReport r = recover(Env::posix(), d.str(), *set, keys, kNow).value();
    EXPECT_EQ(r.snapshot, expect_snapshot);
    EXPECT_EQ(set->slos()[0].series->sum(window_bounds(kHour, kNow)).counts, (store::Counts{15, 30}));
    EXPECT_EQ(set->slos()[1].series->sum(window_bounds(kHour, kNow)).counts, (store::Counts{0, 15}));
    EXPECT_EQ(keys.size(), 15u);
    return r;
  };
  check(snapshot_name(15));
  // Only the two newest snapshots are kept.
  EXPECT_FALSE(fs::exists(d / snapshot_name(5)));
  // Damage the newest: recovery uses the older one and replays more of the log.
  const std::string newest = d / snapshot_name(15);
  write(newest, read(newest).substr(0, 100));
  const RecoveryReport r = check(snapshot_name(10));
  ASSERT_EQ(r.damaged_snapshots.size(), 1u);
  EXPECT_THAT(r.damaged_snapshots[0], HasSubstr("truncated"));
  EXPECT_EQ(r.replay.records, 5u);
}

// Regression (the cluster's SIGKILL catch-up loss): a batch applied from the replication stream
// has no local seq, so a snapshot once took its key whenever the key was completed before the
// file was written, even after the capture. The restarted replica then re-read that record
// from the snapshot's stream position, found its key "already counted" and skipped counts the
// snapshot did not hold.
TEST(Snapshot, TakesOnlyTheKeysCompletedBeforeItsCapture) {
  TempDir d;
  metrics::Registry m;
  store::WriteGate gate;
  auto set = slo_set(kTwoSlos);
  IdempotencyTable keys(kDay, 1000);
  Wal wal(Env::posix(), options(d / "wal"), 1, m);
  ASSERT_TRUE(wal.open().ok());
  keys.complete({"before", 1, "{}", kNow});  // seq 0: applied from the stream before the capture
  Snapshotter snaps(Env::posix(), d.str(), m);
  SnapshotCapture capture = snaps.capture(gate, wal, *set, keys, kNow);
  keys.complete({"after", 1, "{}", kNow});  // seq 0 too, but its counts are not in the capture
  ASSERT_TRUE(snaps.write(std::move(capture), wal, keys, {}).ok());
  IdempotencyTable restored(kDay, 1000);
  ASSERT_TRUE(recover(Env::posix(), d.str(), *slo_set(kTwoSlos), restored, kNow).ok());
  std::string answer;
  EXPECT_EQ(restored.claim("before", 1, kNow, &answer), IdempotencyTable::Claim::kReplay);
  EXPECT_EQ(restored.claim("after", 1, kNow, &answer), IdempotencyTable::Claim::kNew);
}

TEST(Recovery, DropsCountsOfRemovedOrChangedSlosAndMigratesChangedWindows) {
  TempDir d;
  metrics::Registry m;
  const int64_t b = bucket_index(kNow, kFinestResolution);
  {
    auto set = slo_set(kTwoSlos);
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    const std::vector<store::BucketDelta> deltas{{0, b, 4, 4}, {1, b, 2, 2}};
    ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, encode_batch(deltas, *set, nullptr)).ok());
    store::WriteStats st;
    for (const auto& dl : deltas) set->slos()[dl.slo].series->add(kNow, dl.bucket, dl.good, dl.total, st);
    store::WriteGate gate;
    IdempotencyTable keys(kDay, 10);
    ASSERT_TRUE(Snapshotter(Env::posix(), d.str(), m).take(gate, wal, *set, keys, kNow).ok());
  }
  // a: same identity, new windows (a 7d budget window, so another plan); b: now latency.
  auto set = slo_set(R"(slos: [{name: a, service: s, objective: 99.5, windows: ["7d", "30d"], sli: {type: ratio}},
                               {name: b, service: s, objective: 99, sli: {type: latency, threshold_ms: 5}}])");
  IdempotencyTable keys(kDay, 10);
  const RecoveryReport r = recover(Env::posix(), d.str(), *set, keys, kNow).value();
  EXPECT_EQ(r.slos_restored, 1u);
  EXPECT_EQ(set->slos()[0].series->sum(window_bounds(7 * kDay, kNow)).counts, (store::Counts{4, 4}));
  EXPECT_EQ(set->slos()[0].series->sum(window_bounds(5 * kMinute, kNow)).counts, (store::Counts{4, 4}));
  EXPECT_EQ(set->slos()[1].series->sum(window_bounds(kHour, kNow)).counts, (store::Counts{0, 0}));
}

}  // namespace
}  // namespace budgetd::durable
