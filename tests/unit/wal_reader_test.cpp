// Start-up's log replay after damage: a torn record of any size is found in time linear in the
// log, and what follows damage is still told apart (torn tail, valid records, undecided).

#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal_format.h"
#include "budgetd/durable/wal_reader.h"

namespace budgetd::durable {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
const Timestamp kNow = from_unix_ms(1795514400000);

class LogDir {
 public:
  LogDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("budgetd-wal-reader-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_ / "wal");
  }
  ~LogDir() { fs::remove_all(path_); }
  std::string wal() const { return (path_ / "wal").string(); }
  std::string segment() const { return wal() + "/" + segment_name(1); }
  void write_segment(const std::string& bytes) const {
    std::ofstream(segment(), std::ios::binary | std::ios::trunc) << bytes;
  }

 private:
  fs::path path_;
};

struct Replay {
  ReplayReport report;
  std::vector<uint64_t> seqs;
};

Replay replay(const LogDir& d) {
  Replay out;
  out.report = replay_wal(Env::posix(), d.wal(), 0, kNow, [&](const FramedRecord& r) {
                 out.seqs.push_back(r.seq);
                 return Status::Ok();
               }).value();
  return out;
}

// Records 1..n with small payloads.
std::string good_records(uint64_t n) {
  std::string out(kSegmentMagic);
  for (uint64_t seq = 1; seq <= n; ++seq) out += frame_record(RecordType::kBatch, seq, std::string(30, 'p'));
  return out;
}

// A real batch payload of about `bytes`: deltas of 50 SLOs over an hour of 10 s buckets.
std::string batch_payload(size_t bytes) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < 50; ++i)
    yaml += fmt::format("  - {{name: s{0}, service: s, objective: 99, sli: {{type: ratio}}}}\n", i);
  const auto r = config::load_config_string(yaml, "t.yaml");
  const auto set = store::SloSet::build(*r.config, nullptr);
  std::mt19937_64 rng(3);
  std::vector<store::BucketDelta> deltas;
  for (size_t i = 0; i < bytes / 7; ++i) {
    const uint64_t total = 1 + rng() % 100;
    deltas.push_back({static_cast<uint32_t>(rng() % 50), to_unix_ms(kNow) / 10'000 - static_cast<int64_t>(rng() % 360),
                      total - rng() % (total + 1) / 10, total});
  }
  return encode_batch(deltas, *set, nullptr);
}

TEST(WalReader, ATornBigBatchRecordIsATornTail) {
  LogDir d;
  const std::string big = frame_record(RecordType::kBatch, 4, batch_payload(2 << 20));
  const std::string good = good_records(3);
  d.write_segment(good + big.substr(0, big.size() - 1000));  // a crash before its last KiB was written
  const Replay r = replay(d);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_THAT(r.report.torn, HasSubstr("(seq 4)"));
  EXPECT_THAT(r.report.torn, HasSubstr("crash mid-write"));
  EXPECT_EQ(r.report.corruption, "");
  EXPECT_EQ(fs::file_size(d.segment()), good.size());
}

// The bound on the search never hides a valid record: one far after the damage, behind bytes that
// are no record, still makes the damage corruption (kept aside), not a torn tail (cut off).
TEST(WalReader, AValidRecordFarAfterDamageIsStillFound) {
  LogDir d;
  std::string bytes = good_records(2);
  std::string damaged = frame_record(RecordType::kBatch, 3, std::string(100, 'x'));
  damaged[30] ^= 0x01;
  bytes += damaged + std::string(3 << 20, '\0') + frame_record(RecordType::kBatch, 9, "far");
  d.write_segment(bytes);
  const Replay r = replay(d);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2}));
  EXPECT_THAT(r.report.corruption, HasSubstr("(seq 3): a record fails its CRC check, and valid records follow it"));
  EXPECT_EQ(r.report.torn, "");
}

// Regression (issue 11, finding 3): looking for a valid record after a torn one computed a CRC at
// every byte offset, over whatever length the bytes there claimed: a 1 MiB damaged tail took 7 s
// to start, a torn 2 MB record ~10 s. This tail makes every 12th offset claim a record of half the
// tail, so the old search computed ~4 TB of CRCs (hours); now its CRC work is bounded by the tail's
// size, and a tail that looks that much like records is kept aside, never cut off.
TEST(WalReaderRegression, StartUpAfterATornRecordWasQuadratic) {
  LogDir d;
  const std::string good = good_records(3);
  const size_t tail_bytes = 16 << 20;
  std::string tail = frame_record(RecordType::kBatch, 4, std::string(64, 't')).substr(0, kRecordHeaderBytes);
  for (int i = 0; i < 4; ++i) tail[static_cast<size_t>(i)] = '\xff';  // a length no record has: damage
  const uint32_t half = tail_bytes / 2;
  while (tail.size() < tail_bytes) {  // [length = half] [crc: anything] [type 1, 0, 0, 0], repeated
    for (int i = 0; i < 4; ++i) tail.push_back(static_cast<char>(half >> (8 * i)));
    tail.append("\x5a\x5a\x5a\x5a", 4);
    tail.append("\x01\x00\x00\x00", 4);
  }
  d.write_segment(good + tail);
  const Replay r = replay(d);
  EXPECT_EQ(r.seqs, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_THAT(r.report.corruption, HasSubstr("(seq 4): a record fails its CRC check, and too much of what follows "
                                             "looks like records to rule out valid ones"));
  EXPECT_EQ(r.report.torn, "");
  ASSERT_NE(r.report.quarantine, "");
  size_t kept = 0;
  for (const auto& e : fs::directory_iterator(r.report.quarantine)) kept += fs::file_size(e.path());
  EXPECT_EQ(kept, tail.size());  // nothing deleted
  EXPECT_EQ(fs::file_size(d.segment()), good.size());
}

// Found by the wal_replay fuzzer: damage at the very start of a segment (here its header) left an
// empty file behind after the rest was kept aside, and the next start found that empty segment
// in the middle of the log: damage again, every start. The whole segment is moved aside now.
TEST(WalReaderRegression, DamageAtASegmentsStartLeftAnEmptySegmentBehind) {
  LogDir d;
  d.write_segment(good_records(2));
  const std::string second = d.wal() + "/" + segment_name(3);
  std::string bad = good_records(4).substr(0, kSegmentMagic.size() + 10);
  bad[0] ^= 0x20;  // not the segment header
  std::ofstream(second, std::ios::binary) << bad;
  const Replay first = replay(d);
  EXPECT_EQ(first.seqs, (std::vector<uint64_t>{1, 2}));
  EXPECT_THAT(first.report.corruption, HasSubstr("does not start with the segment header"));
  EXPECT_FALSE(fs::exists(second));
  ASSERT_NE(first.report.quarantine, "");
  EXPECT_TRUE(fs::exists(first.report.quarantine + "/" + segment_name(3)));
  const Replay again = replay(d);  // clean: nothing of the damage is left in the log
  EXPECT_EQ(again.seqs, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(again.report.corruption, "");
  EXPECT_EQ(again.report.torn, "");
}

}  // namespace
}  // namespace budgetd::durable
