// The log's size limit: a log past storage.wal_max_bytes is snapshotted and trimmed long before
// the snapshot interval, and a snapshot that fails for it is counted, logged once and retried,
// all through the real server over HTTP.

#include <algorithm>
#include <filesystem>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "durability_fixtures.h"
#include "faulty_env.h"
#include "http_client.h"
#include "stderr_capture.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kSmallLog =
    "storage: {snapshot_interval: 1h, wal_segment_bytes: 1048576, wal_max_bytes: 4194304}\n";
constexpr double kSmallLogLimit = 4194304;
const std::string kLogSizeSnapshots = R"(budgetd_snapshots_total{reason="log_size"})";

// `n` good events 10 s apart, one per bucket: a log record of a few bytes per event and SLO
// (a batch into one bucket would be a handful of bytes in all).
std::string spread_batch(int n, int64_t newest_ms) {
  std::string b = R"({"events":[)";
  for (int i = 0; i < n; ++i) {
    b += (i ? "," : "") + std::string(R"({"service":"checkout","good":true,"latency_ms":12,"ts":)") +
         std::to_string(newest_ms - int64_t{i} * 10'000) + "}";
  }
  return b + "]}";
}

// One sample of a /metrics text, `series` with its labels; -1 when it is not there.
double sample(const std::string& metrics, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  const size_t at = metrics.find(needle);
  return at == std::string::npos ? -1 : std::stod(metrics.substr(at + needle.size()));
}

// Polls /metrics until `done` holds for it, for up to 30 s: the snapshot thread works in the
// background. Returns the last text.
template <typename Done>
std::string metrics_when(HttpClient& c, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string m = c.get("/metrics").body;
  while (!done(m) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m = c.get("/metrics").body;
  }
  return m;
}

// Ingests spread batches until the metrics show `done`, for at most 2,000 batches (some 25 MiB of
// log; 4 MiB passes the limit): returns how many it took.
template <typename Done>
int push_until(HttpClient& c, Done done) {
  int batches = 0;
  while (batches < 2000 && !done(c.get("/metrics").body)) {
    const HttpResult r = c.post("/v1/events", spread_batch(1000, kT0Ms - (batches % 9) * 1000));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    ++batches;
  }
  return batches;
}

uint64_t wal_bytes_on_disk(const std::string& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir + "/wal")) n += fs::file_size(e.path());
  return n;
}

std::vector<std::string> snapshot_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".snap") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Durability, ALogPastItsLimitIsSnapshottedAndTrimmedLongBeforeTheInterval) {
  TestDaemon d(kSmallLog + std::string(kSlos));
  HttpClient c(d.port());
  ASSERT_EQ(sample(c.get("/metrics").body, "budgetd_wal_limit_bytes"), kSmallLogLimit);
  const int batches = push_until(c, [](const std::string& m) { return sample(m, kLogSizeSnapshots) >= 1; });
  ASSERT_GE(sample(c.get("/metrics").body, kLogSizeSnapshots), 1) << "after " << batches << " batches";
  // The first snapshot frees nothing (segments go once the older of the two newest snapshots
  // covers them, and there was none before); the next, a moment later, trims the log. It waits
  // for a record after the first one's cut: without one it would be the same snapshot again.
  ASSERT_EQ(c.post("/v1/events", batch(5, kT0Ms)).status, 200);
  const std::string m = metrics_when(c, [](const std::string& text) {
    return sample(text, "budgetd_wal_bytes") >= 0 && sample(text, "budgetd_wal_bytes") <= kSmallLogLimit;
  });
  EXPECT_LE(sample(m, "budgetd_wal_bytes"), kSmallLogLimit) << m;
  EXPECT_EQ(sample(m, "budgetd_wal_bytes"), static_cast<double>(wal_bytes_on_disk(d.dir())));
  const double log_size = sample(m, kLogSizeSnapshots);
  EXPECT_GE(log_size, 2);
  EXPECT_LE(log_size, 3) << "no storm of snapshots";
  EXPECT_EQ(sample(m, R"(budgetd_snapshots_total{reason="interval"})"), 0);
  EXPECT_EQ(sample(m, R"(budgetd_snapshot_failures_total{reason="log_size"})"), 0);
  EXPECT_EQ(snapshot_files(d.dir()).size(), 2u);

  // A restart from the last of them and the log after it (the clean stop's own snapshot set
  // aside) recovers every count exactly.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.post("/v1/events", batch(50, kT0Ms - i * 60'000, i != 3)).status, 200);
  const auto before = all_counts(c);
  EXPECT_GT(before.at("avail/30d").second, uint64_t(1000) * batches + 5);
  d.daemon().stop();
  const auto snaps = snapshot_files(d.dir());
  ASSERT_EQ(snaps.size(), 2u);
  fs::remove(snaps.back());
  d.restart();
  HttpClient c2(d.port());
  EXPECT_EQ(all_counts(c2), before);
  EXPECT_EQ(d.daemon().recovery().snapshot, fs::path(snaps.front()).filename().string());
  EXPECT_EQ(d.daemon().recovery().replay.records, 5u);
}

// A full disk under a log past its limit: each try is counted, one line is logged, the next
// try waits longer, and once space is back the log is trimmed by itself.
TEST(Durability, ALogSizeSnapshotThatFailsIsCountedLoggedOnceAndRetriedLater) {
  FaultyEnv env;
  env.write_file_errno = ENOSPC;
  StderrCapture capture;
  TestDaemon d(kSmallLog + std::string(kSlos), t0(), &env);
  HttpClient c(d.port());
  const std::string failures = R"(budgetd_snapshot_failures_total{reason="log_size"})";
  push_until(c, [&](const std::string& m) { return sample(m, failures) >= 1; });
  std::string m = metrics_when(c, [&](const std::string& text) { return sample(text, failures) >= 2; });
  ASSERT_GE(sample(m, failures), 2) << "retried";
  EXPECT_EQ(sample(m, kLogSizeSnapshots), 0);
  EXPECT_EQ(capture.lines_with("snapshot: could not write a snapshot").size(), 1u);
  EXPECT_THAT(capture.text(), HasSubstr("No space left on device (ENOSPC)"));
  EXPECT_EQ(c.post("/v1/events", batch(5, kT0Ms)).status, 200) << "ingest goes on meanwhile";

  env.write_file_errno = 0;
  m = metrics_when(c, [](const std::string& text) { return sample(text, kLogSizeSnapshots) >= 1; });
  ASSERT_GE(sample(m, kLogSizeSnapshots), 1) << "retried once space is back";
  ASSERT_EQ(c.post("/v1/events", batch(5, kT0Ms)).status, 200);  // a record after its cut (see above)
  m = metrics_when(c, [](const std::string& text) { return sample(text, "budgetd_wal_bytes") <= kSmallLogLimit; });
  std::string files;
  for (const auto& e : fs::recursive_directory_iterator(d.dir())) files += e.path().string() + "\n";
  EXPECT_LE(sample(m, "budgetd_wal_bytes"), kSmallLogLimit) << "files:\n" << files << capture.text();
  EXPECT_EQ(capture.lines_with("snapshot: could not write a snapshot").size(), 1u);
  EXPECT_EQ(capture.lines_with("snapshot: written again").size(), 1u);
}

}  // namespace
}  // namespace budgetd::test
