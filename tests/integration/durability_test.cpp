// Counts survive restarts and reloads, batches are idempotent, and a failing disk is answered 503
// without losing reads: all through the real server over HTTP.

#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "durability_fixtures.h"
#include "faulty_env.h"
#include "http_client.h"
#include "stderr_capture.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(Durability, RestartKeepsEveryCount) {
  TestDaemon d(kSlos);
  {
    HttpClient c(d.port());
    for (int i = 0; i < 20; ++i)
      ASSERT_EQ(c.post("/v1/events", batch(50, kT0Ms - i * 600'000, i % 4 != 0)).status, 200);
  }
  std::map<std::string, std::pair<uint64_t, uint64_t>> before;
  {
    HttpClient c(d.port());
    before = all_counts(c);
  }
  ASSERT_EQ(before.size(), 3u * 8 - 1) << "avail and fast have 8 windows, eu 7";
  EXPECT_GT(before["avail/30d"].second, 0u);
  d.restart();
  HttpClient c(d.port());
  EXPECT_EQ(all_counts(c), before);
  EXPECT_NE(d.daemon().recovery().snapshot, "");  // the final snapshot of the clean stop
  EXPECT_EQ(d.daemon().recovery().replay.records, 0u);
}

// Without a snapshot (deleted after the stop) recovery replays the whole log.
TEST(Durability, RestartReplaysTheLog) {
  TestDaemon d(kSlos);
  std::map<std::string, std::pair<uint64_t, uint64_t>> before;
  {
    HttpClient c(d.port());
    for (int i = 0; i < 10; ++i) ASSERT_EQ(c.post("/v1/events", batch(30, kT0Ms - i * 60'000)).status, 200);
    before = all_counts(c);
  }
  d.daemon().stop();
  for (const auto& e : fs::directory_iterator(d.dir())) {
    if (e.path().extension() == ".snap") fs::remove(e.path());
  }
  d.restart();
  HttpClient c(d.port());
  EXPECT_EQ(all_counts(c), before);
  EXPECT_EQ(d.daemon().recovery().snapshot, "");
  EXPECT_EQ(d.daemon().recovery().replay.records, 11u);  // the 10 batches and the segment's SLO dictionary
}

// issue 17: the log names SLOs by their index in its dictionary. A reload that removes an SLO and
// puts the others in another order changes every index; a replay of the whole log (no snapshot)
// must still put each count on its SLO.
TEST(Durability, AReplayAcrossAReloadThatMovesEverySloPutsEachCountOnItsSlo) {
  constexpr const char* kReloaded = R"(
slos:
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: eu}}
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
)";
  TestDaemon d(kSlos);
  std::map<std::string, std::pair<uint64_t, uint64_t>> before;
  {
    HttpClient c(d.port());
    for (int i = 0; i < 5; ++i) ASSERT_EQ(c.post("/v1/events", batch(30, kT0Ms - i * 60'000, i % 2 == 0)).status, 200);
    d.write_config(kReloaded);
    ASSERT_EQ(c.post("/-/reload", "", "application/json").status, 200);
    for (int i = 5; i < 10; ++i) ASSERT_EQ(c.post("/v1/events", batch(20, kT0Ms - i * 60'000, i % 3 == 0)).status, 200);
    before = all_counts(c);
  }
  ASSERT_TRUE(before.contains("eu/1d") && before.contains("avail/30d") && !before.contains("fast/7d"));
  d.daemon().stop();
  for (const auto& e : fs::directory_iterator(d.dir())) {
    if (e.path().extension() == ".snap") fs::remove(e.path());
  }
  d.restart(kReloaded);
  HttpClient c(d.port());
  EXPECT_EQ(all_counts(c), before);
  EXPECT_EQ(d.daemon().recovery().snapshot, "");
  // fast was removed: its deltas of the first five batches (one per 10 s bucket its events hit).
  std::set<int64_t> fast_buckets;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 30; ++j) fast_buckets.insert((kT0Ms - i * 60'000 - j * 1000) / 10'000);
  }
  EXPECT_EQ(d.daemon().recovery().deltas_dropped, fast_buckets.size());
}

TEST(Durability, ReloadKeepsCountsOfUnchangedIdentitiesAndChangesTheMath) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", batch(40, kT0Ms, false)).status, 200);
  const auto before = all_counts(c);
  const double burn_before = c.get("/v1/slos/avail").json()["windows"][0]["burn_rate"];

  // avail: new objective and a custom alert rule with a 12h window (a new ring plan);
  // fast: new threshold (a new identity: starts empty); eu: removed; search: added.
  d.write_config(R"(
slos:
  - name: avail
    service: checkout
    objective: 99
    windows: ["30d"]
    sli: {type: ratio}
    alerting: {rules: [{name: slow-burn, severity: ticket, long: 12h, short: 1h, factor: 2}]}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 100}}
  - {name: search, service: search, objective: 99, sli: {type: ratio}}
)");
  const HttpResult r = c.post("/-/reload", "", "application/json");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json();
  EXPECT_EQ(j["kept"], 1);
  EXPECT_EQ(j["changed"], json::parse(R"(["avail"])"));
  EXPECT_EQ(j["added"], json::parse(R"(["fast","search"])"));
  EXPECT_EQ(j["removed"], json::parse(R"(["fast","eu"])"));

  const json avail = c.get("/v1/slos/avail").json();
  EXPECT_EQ(avail["objective"], 99.0);
  EXPECT_EQ(avail["budget"]["total"], before.at("avail/30d").second);
  EXPECT_EQ(avail["budget"]["good"], before.at("avail/30d").first);
  // Same counts, new math: the burn rate of a 99 % objective is a tenth of 99.9 %'s.
  EXPECT_DOUBLE_EQ(avail["windows"][0]["burn_rate"].get<double>(), burn_before / 10);
  // The 12h window (a ring the SLO did not have) is rebuilt from the finer rings' data.
  bool found_12h = false;
  for (const auto& w : avail["windows"]) {
    if (w["window"] == "12h") {
      found_12h = true;
      EXPECT_EQ(w["total"], before.at("avail/30d").second);
    }
  }
  EXPECT_TRUE(found_12h);
  EXPECT_EQ(c.get("/v1/slos/fast").json()["budget"]["total"], 0);
  EXPECT_EQ(c.get("/v1/slos/eu").status, 404);
  // ... and the reloaded config survives a restart.
  d.restart(R"(
slos:
  - name: avail
    service: checkout
    objective: 99
    windows: ["30d"]
    sli: {type: ratio}
    alerting: {rules: [{name: slow-burn, severity: ticket, long: 12h, short: 1h, factor: 2}]}
)");
  HttpClient c2(d.port());
  EXPECT_EQ(c2.get("/v1/slos/avail").json()["budget"]["total"], before.at("avail/30d").second);
}

// The README's backup and restore: POST /-/snapshot, copy that one file into an empty storage
// dir, start budgetd there.
TEST(Durability, BackupIsOneSnapshotFileAndRestoresEveryCount) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.post("/v1/events", batch(20, kT0Ms - i * 3'600'000, i != 2)).status, 200);
  const auto before = all_counts(c);
  const HttpResult snap = c.post("/-/snapshot", "", "application/json");
  ASSERT_EQ(snap.status, 200) << snap.body;
  const std::string path = snap.json()["snapshot"];
  EXPECT_TRUE(fs::exists(path));

  TempDir restore;
  fs::copy_file(path, restore.path() + "/" + fs::path(path).filename().string());
  TestDaemon restored("storage: {dir: \"" + restore.path() + "\"}\n" + std::string(kSlos), t0());
  HttpClient c2(restored.port());
  EXPECT_EQ(all_counts(c2), before);
  EXPECT_EQ(restored.daemon().recovery().snapshot, fs::path(path).filename().string());
}

TEST(Durability, AnInvalidConfigIsRefusedAndTheRunningOneStays) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  d.write_config("slos:\n  - {name: avail, service: checkout, objective: 120, sli: {type: ratio}}\n");
  const HttpResult r = c.post("/-/reload", "", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.json()["errors"][0].get<std::string>(),
              HasSubstr("budgetd.yaml:4:49: error: SLO 'avail': objective '120' must be below 100"));
  EXPECT_EQ(c.get("/v1/slos").json()["slos"].size(), 3u);
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_config_reloads_total{result=\"refused\"} 1\n"));
}

TEST(Durability, IdempotencyKeyAppliesABatchOnceEvenAcrossRestarts) {
  TestDaemon d(kSlos);
  const std::string body = batch(10, kT0Ms);
  std::string first;
  {
    HttpClient c(d.port());
    const HttpResult a = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "batch-0001"}});
    ASSERT_EQ(a.status, 200);
    first = a.body;
    const HttpResult b = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "batch-0001"}});
    EXPECT_EQ(b.status, 200);
    EXPECT_EQ(b.body, first);
    EXPECT_EQ(b.header("idempotent-replayed"), "true");
    const HttpResult other =
        c.post("/v1/events", batch(3, kT0Ms), "application/json", {{"Idempotency-Key", "batch-0001"}});
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 10);
  }
  d.restart();
  HttpClient c(d.port());
  const HttpResult again = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "batch-0001"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first);
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 10);
  // A key stays remembered 24h (ingest.idempotency_ttl), then it is new again.
  d.clock().advance(kDay);
  EXPECT_EQ(
      c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "batch-0001"}}).header("idempotent-replayed"),
      "");
}

// Under every fsync policy: refused while the disk is full, taken again once space is back.
class FullDisk : public ::testing::TestWithParam<std::string> {};
INSTANTIATE_TEST_SUITE_P(Policies, FullDisk, ::testing::Values("always", "interval", "never"));

TEST_P(FullDisk, IsAnswered503WhileReadsKeepWorkingThenIngestResumes) {
  FaultyEnv env;
  TestDaemon d("storage: {fsync: " + GetParam() + "}\n" + kSlos, t0(), &env);
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", batch(5, kT0Ms)).status, 200);
  env.append_errno = ENOSPC;
  const HttpResult r = c.post("/v1/events", batch(5, kT0Ms), "application/json", {{"Idempotency-Key", "k"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after"), "5");
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("No space left on device (ENOSPC)"));
  // Nothing of the refused batch was applied; reads and status keep working.
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 5);
  const HttpResult ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.json()["reason"].get<std::string>(), HasSubstr("ENOSPC"));
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_wal_healthy 0\n"));
  EXPECT_EQ(c.post("/v1/events", batch(5, kT0Ms)).status, 503);
  // Space comes back: the log starts a fresh segment within about a second.
  env.append_errno = 0;
  for (int i = 0; i < 100 && c.get("/readyz").status != 200; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(c.get("/readyz").status, 200);
  // The key of the refused batch was released, so its retry is applied now.
  ASSERT_EQ(c.post("/v1/events", batch(5, kT0Ms), "application/json", {{"Idempotency-Key", "k"}}).status, 200);
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 10);
  d.restart();
  HttpClient c2(d.port());
  EXPECT_EQ(c2.get("/v1/slos/avail").json()["budget"]["total"], 10);
}

TEST(Durability, FsyncAlwaysAnswersAfterTheGroupFsync) {
  FaultyEnv env;
  env.sync_delay_ms = 20;  // a slow disk: batches arriving during one fsync share the next
  TestDaemon d(std::string("storage: {fsync: always}\n") + kSlos, t0(), &env);
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      HttpClient c(d.port());
      for (int i = 0; i < 25; ++i) EXPECT_EQ(c.post("/v1/events", batch(4, kT0Ms - t * 1000)).status, 200);
    });
  }
  for (auto& t : clients) t.join();
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 4 * 25 * 4);
  const std::string metrics = c.get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("budgetd_wal_appends_total 100\n"));
  const auto at = metrics.find("\nbudgetd_wal_fsyncs_total ");  // the sample, not its # HELP
  ASSERT_NE(at, std::string::npos);
  const int fsyncs = std::stoi(metrics.substr(at + 26));
  EXPECT_GE(fsyncs, 1);
  EXPECT_LT(fsyncs, 100) << "group commit: four clients share fsyncs";
}

TEST(Durability, ConcurrentIngestAndReadsStayConsistentAndExact) {
  TestDaemon d(kSlos);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    HttpClient c(d.port());
    while (!done.load()) {
      const json s = c.get("/v1/slos/avail").json();
      for (const auto& w : s["windows"]) {
        if (w["bad"] != 0) ++torn;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      HttpClient c(d.port());
      for (int i = 0; i < 40; ++i) {
        std::string b = R"({"events":[)";
        for (int k = 0; k < 20; ++k)
          b += (k ? "," : "") + std::string(R"({"service":"checkout","good":250,"total":250,"ts":)") +
               std::to_string(kT0Ms - (t * 40 + i) * 100) + "}";
        EXPECT_EQ(c.post("/v1/events", b + "]}").status, 200);
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], 3 * 40 * 20 * 250);
}

// A read-only data directory (injected through the file layer: no root or mounts needed) stops
// start-up with an error that names the directory and the cause.
TEST(Durability, ReadOnlyStorageDirRefusesToStartWithTheReason) {
  FaultyEnv env;
  TempDir dir;
  ManualClock clock(t0());
  config::Config cfg = parse_config(kSlos, dir.path());
  env.open_errno = EROFS;
  Daemon d(std::move(cfg), clock, env);
  const Status s = d.start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(dir.path() + "/wal/"));
  EXPECT_THAT(s.message(), HasSubstr("Read-only file system (EROFS)"));
}

// A second budgetd on the same storage dir would interleave two logs: it must refuse.
TEST(Durability, OneDaemonPerStorageDir) {
  TestDaemon first(kSlos);
  ManualClock clock(t0());
  Daemon second(parse_config(kSlos, first.dir()), clock);
  const Status s = second.start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("is in use by another budgetd"));
}

// A batch routed before a reload and committed after it lands in the SLO of the same identity in
// the new set (at its new index), and not at all if that SLO is gone or redefined.
TEST(Durability, ABatchInFlightDuringAReloadFollowsItsSlos) {
  TestDaemon d(kSlos);
  const auto routed_with = d.daemon().state();
  const int64_t bucket = bucket_index(t0(), kFinestResolution);
  durable::PendingBatch batch;
  batch.slos = routed_with->slos;
  batch.now = t0();
  batch.deltas = {{0, bucket, 5, 7}, {2, bucket, 1, 1}};  // avail and eu in the old order
  // New order; eu redefined (another matcher: another identity).
  const auto outcome = d.daemon().apply_config(parse_config(R"(
slos:
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: us}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 300}}
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
)",
                                                            d.dir()));
  ASSERT_TRUE(outcome.ok);
  std::promise<Status> done;
  d.daemon().committer().commit(std::move(batch), [&](Status s) { done.set_value(s); });
  ASSERT_TRUE(done.get_future().get().ok());
  HttpClient c(d.port());
  const json avail = c.get("/v1/slos/avail").json();
  EXPECT_EQ(avail["budget"]["good"], 5);
  EXPECT_EQ(avail["budget"]["total"], 7);
  EXPECT_EQ(c.get("/v1/slos/eu").json()["budget"]["total"], 0);
  EXPECT_EQ(c.get("/v1/slos/fast").json()["budget"]["total"], 0);
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_ingest_reload_dropped_updates_total 1\n"));
  // The log holds the batch under the new set's names: a restart counts it the same way.
  d.restart(R"(
slos:
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: us}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 300}}
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
)");
  HttpClient c2(d.port());
  EXPECT_EQ(c2.get("/v1/slos/avail").json()["budget"]["total"], 7);
}

// Ingest, reloads, snapshots and a stop, all at once: stop() neither deadlocks on a request
// that is reloading or snapshotting, nor loses or doubles a batch that was answered 200. Runs
// under ThreadSanitizer too.
TEST(Durability, StopDuringIngestReloadsAndSnapshotsLosesNothingAnswered) {
  TestDaemon d(kSlos);
  d.write_config(kSlos);
  std::atomic<bool> done{false};
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(d.port());
      for (int i = 0; !done.load(); ++i) {
        const std::string b = R"({"events":[{"service":"checkout","good":1,"total":1,"ts":)" +
                              std::to_string(kT0Ms - (t * 1000 + i % 1000) * 100) + "}]}";
        const HttpResult r = c.post("/v1/events", b);
        if (r.status == 200) {
          ++accepted;
        } else {
          break;  // stopping: refused or closed
        }
      }
    });
  }
  for (const char* admin : {"/-/reload", "/-/snapshot"}) {
    threads.emplace_back([&, admin] {
      HttpClient c(d.port());
      while (!done.load()) {
        const int status = c.post(admin, "").status;
        if (status != 200) break;  // 503 while stopping, 0 once closed
      }
    });
  }
  while (accepted.load() < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  d.daemon().stop();
  done = true;
  for (auto& t : threads) t.join();
  d.restart();
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/v1/slos/avail").json()["budget"]["total"], accepted.load());
}

// issue 17: a log that grows faster than snapshot_interval. 1 MiB segments, a 4 MiB limit (three
// SLOs' store is far smaller, so 4 x the store is less) and no interval snapshot for an hour.
}  // namespace
}  // namespace budgetd::test
