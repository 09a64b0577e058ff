#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/crc32c.h"
#include "budgetd/durable/recovery.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/durable/wal.h"
#include "budgetd/durable/wal_reader.h"
#include "budgetd/store/tagged_word.h"
#include "durable_fixtures.h"
#include "faulty_env.h"

namespace budgetd::durable {
namespace {

using ::testing::HasSubstr;
using namespace fixtures;  // NOLINT: the fixtures of this module's tests

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c::value("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c::value(""), 0u);
  const std::string a = "hello, ", b = "world";
  EXPECT_EQ(crc32c::extend(crc32c::value(a), b.data(), b.size()), crc32c::value(a + b));
}

TEST(BatchRecord, RoundTripsDeltasAndIdempotency) {
  auto set = slo_set(kTwoSlos);
  const std::vector<store::BucketDelta> deltas{{1, 179551440, 3, 4}, {0, 179551440, 0, 9}, {1, 179551441, 1, 1}};
  const IdempotentAnswer key{"k-1", 42, R"({"accepted":3})", kNow};
  const auto rec = decode_batch(encode_batch(deltas, *set, &key)).value();
  ASSERT_EQ(rec.slos.size(), 2u);
  EXPECT_EQ(rec.slos[0].name, "b");  // first seen first
  EXPECT_EQ(rec.slos[0].identity_hash, set->slos()[1].identity_hash);
  EXPECT_EQ(rec.deltas,
            (std::vector<BatchRecord::Delta>{{0, 179551440, 3, 4}, {1, 179551440, 0, 9}, {0, 179551441, 1, 1}}));
  ASSERT_TRUE(rec.idempotency);
  EXPECT_EQ(*rec.idempotency, key);
  EXPECT_FALSE(decode_batch(encode_batch(deltas, *set, nullptr)).value().idempotency);
  // Every truncation is refused, never misread.
  const std::string full = encode_batch(deltas, *set, &key);
  for (size_t n = 0; n < full.size(); ++n) EXPECT_FALSE(decode_batch(full.substr(0, n)).ok()) << n;
}

TEST(Wal, AppendsAndReplaysInOrderAcrossSegments) {
  TempDir d;
  metrics::Registry m;
  {
    WalOptions o = options(d / "wal");
    o.segment_bytes = 200;  // a new segment every few records
    Wal wal(Env::posix(), o, 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 1; i <= 20; ++i)
      EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "record-" + std::to_string(i)).value(), uint64_t(i));
    EXPECT_EQ(wal.last_seq(), 20u);
  }
  EXPECT_GT(fs::directory_iterator(d / "wal") != fs::directory_iterator(), 0);
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 7, r).value();
  EXPECT_EQ(rep.records, 13u);
  EXPECT_EQ(rep.last_seq, 20u);
  EXPECT_EQ(rep.segments, 3u);  // 200-byte segments hold 7 of these records
  EXPECT_EQ(rep.torn, "");
  EXPECT_EQ(rep.corruption, "");
  EXPECT_EQ(r.seqs.front(), 8u);
  EXPECT_EQ(r.payloads.back(), "record-20");
}

// Bytes of the segment files under dir, as the file system counts them.
uint64_t bytes_on_disk(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += fs::file_size(e.path());
  return n;
}

// issue 17: the log counts its bytes on disk exactly (through segment switches, deletions and
// earlier processes' segments) and says once when they pass the limit it is given.
TEST(Wal, CountsItsBytesOnDiskAndSaysOnceWhenTheyPassTheLimit) {
  TempDir d;
  metrics::Registry m;
  std::atomic<int> outgrown{0};
  WalOptions o = options(d / "wal");
  o.segment_bytes = 200;  // a new segment every few records
  o.outgrown = [&] { ++outgrown; };
  {
    Wal wal(Env::posix(), o, 1, m);
    ASSERT_TRUE(wal.open().ok());
    EXPECT_EQ(wal.disk_bytes(), bytes_on_disk(d / "wal"));
    EXPECT_FALSE(wal.notify_when_over(500));
    for (int i = 1; i <= 20; ++i)
      ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, "record-" + std::to_string(i)).ok());
    EXPECT_EQ(wal.disk_bytes(), bytes_on_disk(d / "wal"));
    EXPECT_GT(wal.disk_bytes(), 500u);
    EXPECT_EQ(outgrown.load(), 1) << "once per notify_when_over()";
    EXPECT_TRUE(wal.notify_when_over(500)) << "past it already: nothing is armed";
    ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, "one more").ok());
    EXPECT_EQ(outgrown.load(), 1);

    wal.drop_through(14);  // the segments holding records 1-14 only
    EXPECT_EQ(wal.disk_bytes(), bytes_on_disk(d / "wal"));
    EXPECT_LT(wal.disk_bytes(), 500u);
    EXPECT_FALSE(wal.notify_when_over(500));
    EXPECT_THAT(m.render(), HasSubstr("budgetd_wal_bytes " + std::to_string(wal.disk_bytes()) + "\n"));
  }
  // A new process counts the segments it finds from the start.
  Wal again(Env::posix(), o, 22, m);
  ASSERT_TRUE(again.open().ok());
  EXPECT_EQ(again.disk_bytes(), bytes_on_disk(d / "wal"));
  EXPECT_TRUE(again.notify_when_over(100));
  EXPECT_EQ(outgrown.load(), 1);
}

std::string only_segment(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.back();
}

TEST(Wal, TornTailIsCutOffAndReported) {
  TempDir d;
  metrics::Registry m;
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, std::string(100, 'x')).ok());
  }
  const std::string seg = only_segment(d / "wal");
  const std::string full = read(seg);
  write(seg, full.substr(0, full.size() - 37));  // a crash in the middle of the 5th record
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(rep.records, 4u);
  EXPECT_THAT(rep.torn, HasSubstr("(seq 5)"));
  EXPECT_THAT(rep.torn, HasSubstr("crash mid-write"));
  EXPECT_EQ(rep.corruption, "");
  EXPECT_EQ(fs::file_size(seg), full.size() - (kRecordHeaderBytes + 100));  // cut at the record start
  // A second replay finds a clean log.
  Replayed again;
  EXPECT_EQ(replay(Env::posix(), d / "wal", 0, again).value().torn, "");
  EXPECT_EQ(again.seqs.size(), 4u);
}

TEST(Wal, FlippedBitInTheMiddleStopsReplayAndKeepsTheRestAside) {
  TempDir d;
  metrics::Registry m;
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, std::string(50, 'a' + i)).ok());
  }
  const std::string seg = only_segment(d / "wal");
  std::string bytes = read(seg);
  const size_t fourth_payload = kSegmentMagic.size() + 3 * (kRecordHeaderBytes + 50) + kRecordHeaderBytes + 10;
  bytes[fourth_payload] ^= 0x04;
  write(seg, bytes);
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2, 3}));  // never past the damage
  EXPECT_THAT(rep.corruption, HasSubstr("(seq 4): a record fails its CRC check, and valid records follow it"));
  ASSERT_NE(rep.quarantine, "");
  // Nothing deleted: the damaged record and everything after it sit in the quarantine dir.
  size_t kept = 0;
  for (const auto& e : fs::directory_iterator(rep.quarantine)) kept += fs::file_size(e.path());
  EXPECT_EQ(kept, 7 * (kRecordHeaderBytes + 50));
  EXPECT_EQ(fs::file_size(seg), kSegmentMagic.size() + 3 * (kRecordHeaderBytes + 50));
}

TEST(Wal, GapInSequenceNumbersIsCorruption) {
  TempDir d;
  metrics::Registry m;
  {
    WalOptions o = options(d / "wal");
    o.segment_bytes = 50;  // one record per segment
    Wal wal(Env::posix(), o, 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, std::string(60, 'z')).ok());
  }
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(d / "wal")) segs.push_back(e.path().string());
  std::sort(segs.begin(), segs.end());
  ASSERT_EQ(segs.size(), 6u);
  fs::remove(segs[1]);  // an operator deletes a segment by hand
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_THAT(rep.corruption, HasSubstr("records are missing"));
  EXPECT_LT(r.seqs.size(), 6u);
}

// Every policy refuses while the disk is full and recovers once space is back.
class WalDiskFull : public ::testing::TestWithParam<FsyncPolicy> {};
INSTANTIATE_TEST_SUITE_P(Policies, WalDiskFull,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kInterval, FsyncPolicy::kNever),
                         [](const auto& param_info) { return std::string(to_string(param_info.param)); });

TEST_P(WalDiskFull, RefusesTheAppendLeavesNoPartialRecordAndRecovers) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  {
    Wal wal(env, options(d / "wal", GetParam()), 1, m);
    ASSERT_TRUE(wal.open().ok());
    ASSERT_EQ(wal.append_and_wait(RecordType::kBatch, "one").value(), 1u);
    env.append_errno = ENOSPC;
    env.partial_bytes = 11;  // the kernel took part of the record before the disk filled
    const auto r = wal.append_and_wait(RecordType::kBatch, "two");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(r.status().message(), HasSubstr("No space left on device (ENOSPC)"));
    EXPECT_THAT(wal.failure(), HasSubstr("ENOSPC"));
    EXPECT_FALSE(wal.append_and_wait(RecordType::kBatch, "three").ok());  // refused while failed
    EXPECT_THAT(m.render(), HasSubstr("budgetd_wal_healthy 0\n"));
    env.append_errno = 0;  // space freed
    ASSERT_TRUE(eventually([&] { return wal.failure().empty(); })) << "the log recovers by itself";
    EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "four").value(), 2u);  // seq 2: "two" never existed
  }
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"one", "four"}));
  EXPECT_EQ(rep.corruption, "");
}

TEST(Wal, FsyncFailureUnderAlwaysRefusesAndCutsOffWhatWasNotSynced) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  {
    Wal wal(env, options(d / "wal", FsyncPolicy::kAlways), 1, m);
    ASSERT_TRUE(wal.open().ok());
    EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "durable").value(), 1u);
    env.sync_errno = EIO;
    const auto lost = wal.append_and_wait(RecordType::kBatch, "lost");
    ASSERT_FALSE(lost.ok());
    EXPECT_THAT(lost.status().message(), HasSubstr("EIO"));
    EXPECT_THAT(wal.failure(), HasSubstr("fdatasync"));
    env.sync_errno = 0;
    ASSERT_TRUE(eventually([&] { return wal.failure().empty(); })) << "the log recovers by itself";
    EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "after").value(), 2u);
  }
  Replayed r;
  replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"durable", "after"}));  // "lost" was answered 503
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2}));
}

TEST(Wal, ConcurrentAppendersShareFsyncs) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  Wal wal(env, options(d / "wal", FsyncPolicy::kAlways), 1, m);
  ASSERT_TRUE(wal.open().ok());
  const uint64_t syncs_before = env.syncs.load();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (wal.append_and_wait(RecordType::kBatch, "x").ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
  EXPECT_LT(env.syncs.load() - syncs_before, 400u) << "group commit: fewer fsyncs than records";
}

TEST(Wal, SyncNowCoversEverythingAppendedWhateverThePolicy) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  WalOptions o = options(d / "wal", FsyncPolicy::kNever);
  Wal wal(env, o, 1, m);
  ASSERT_TRUE(wal.open().ok());
  ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, "a").ok());
  const uint64_t before = env.syncs.load();
  EXPECT_TRUE(wal.sync_now().ok());
  EXPECT_EQ(env.syncs.load(), before + 1);
  env.sync_errno = EIO;
  EXPECT_THAT(wal.sync_now().message(), HasSubstr("EIO"));
  EXPECT_THAT(wal.failure(), HasSubstr("EIO"));  // a failed fsync stops appends under every policy
}

TEST(Wal, RefusesARecordLargerThanTheFormatHolds) {
  TempDir d;
  metrics::Registry m;
  Wal wal(Env::posix(), options(d / "wal"), 1, m);
  ASSERT_TRUE(wal.open().ok());
  const auto r = wal.append_and_wait(RecordType::kBatch, std::string(kMaxRecordBytes + 1, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("smaller batches"));
  EXPECT_EQ(wal.failure(), "");  // the log itself is fine
  EXPECT_EQ(wal.append_and_wait(RecordType::kBatch, "next").value(), 1u);
}

TEST(Wal, CloseAnswersEveryAppendStillWaitingForAnFsync) {
  TempDir d;
  metrics::Registry m;
  test::FaultyEnv env;
  auto wal = std::make_unique<Wal>(env, options(d / "wal", FsyncPolicy::kAlways), 1, m);
  ASSERT_TRUE(wal->open().ok());
  env.hold_syncs();
  std::promise<Result<uint64_t>> first, second;
  wal->append(RecordType::kBatch, "a", [&](Result<uint64_t> r) { first.set_value(std::move(r)); });
  env.wait_until_a_sync_is_held();  // the group fsync of "a" is in flight ...
  wal->append(RecordType::kBatch, "b", [&](Result<uint64_t> r) { second.set_value(std::move(r)); });
  std::thread closer([&] { wal->close(); });  // ... when close() comes
  env.release_syncs();
  closer.join();
  // Every `done` ran exactly once (a promise set twice would throw), with a definite answer.
  const auto a = first.get_future().get();
  const auto b = second.get_future().get();
  EXPECT_TRUE(a.ok());
  EXPECT_TRUE(b.ok()) << "the final fsync of close() covers it";
  EXPECT_FALSE(wal->append_and_wait(RecordType::kBatch, "c").ok());
}

TEST(WalReplay, AGapTheSnapshotCoversIsNoDamage) {
  TempDir d;
  metrics::Registry m;
  {
    WalOptions o = options(d / "wal");
    o.segment_bytes = 50;  // one record per segment
    Wal wal(Env::posix(), o, 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, std::string(60, 'z')).ok());
  }
  fs::remove(d / ("wal/" + segment_name(2)));  // seq 2 never reached the disk; the snapshot has it
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 3, r).value();
  EXPECT_EQ(rep.corruption, "");
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{4, 5, 6}));
}

TEST(WalReplay, RecordsAFailedLogCouldNotCutOffAreDroppedForTheNextSegments) {
  TempDir d;
  metrics::Registry m;
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (const char* p : {"1", "2", "3", "4-never-acknowledged", "5-never-acknowledged"})
      ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, p).ok());
  }
  {
    // The log failed after seq 3 and started again at seq 4 in a fresh segment.
    Wal wal(Env::posix(), options(d / "wal"), 4, m);
    ASSERT_TRUE(wal.open().ok());
    for (const char* p : {"4", "5", "6"}) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, p).ok());
  }
  Replayed r;
  const ReplayReport rep = replay(Env::posix(), d / "wal", 0, r).value();
  EXPECT_EQ(rep.corruption, "");
  EXPECT_THAT(rep.torn, HasSubstr("abandoned"));
  EXPECT_EQ(r.payloads, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST(WalReplay, ARecordThatPassesItsCrcButDoesNotDecodeStopsReplayWithoutFailingStartUp) {
  TempDir d;
  metrics::Registry m;
  {
    Wal wal(Env::posix(), options(d / "wal"), 1, m);
    ASSERT_TRUE(wal.open().ok());
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(wal.append_and_wait(RecordType::kBatch, std::to_string(i)).ok());
  }
  std::vector<uint64_t> applied;
  const ReplayReport rep = replay_wal(Env::posix(), d / "wal", 0, kNow, [&](const FramedRecord& rec) -> Status {
                             if (rec.seq == 3) return DataLoss("a batch record that does not decode");
                             applied.push_back(rec.seq);
                             return Status::Ok();
                           }).value();
  EXPECT_EQ(applied, (std::vector<uint64_t>{1, 2}));
  EXPECT_THAT(rep.corruption, HasSubstr("(seq 3): a batch record that does not decode"));
  EXPECT_NE(rep.quarantine, "");
}

}  // namespace
}  // namespace budgetd::durable
