// Start-up recovery time: a snapshot of N SLOs whose rings are full (every bucket of a 30-day
// window holds counts), then a write-ahead log of the given size after it, then the recovery a
// start-up runs. Prints one JSON object with the figures.
//
//   budgetd_recovery_bench [--slos 1000] [--log-mb 1024] [--runs 3] [--dir /tmp/x]
//                          [--naming dictionary|name] [--log-deltas N]
//
// --naming: the records an embedded budgetd writes (format 3, SLOs by the log's dictionary: the
// default), or those of a replica (format 1, by name and hash), about 4x the bytes per delta.
// --log-deltas: a log of that many deltas instead of --log-mb bytes, to compare the two namings
// on the same traffic.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/recovery.h"
#include "budgetd/durable/wal.h"
#include "budgetd/store/slo_set.h"

namespace {

using namespace budgetd;
using Steady = std::chrono::steady_clock;

const Timestamp kNow = from_unix_ms(1795514400000);

std::shared_ptr<const store::SloSet> make_set(int slos) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < slos; ++i) {
    yaml += fmt::format(
        "  - {{name: slo-{0}, service: svc-{1}, objective: 99.9, windows: [\"30d\"], sli: {{type: ratio}}}}\n", i,
        i % 100);
  }
  auto r = config::load_config_string(yaml, "bench.yaml");
  if (!r.ok()) {
    std::fprintf(stderr, "%s", r.error_text().c_str());
    std::exit(1);
  }
  return store::SloSet::build(*r.config, nullptr);
}

// Every slot of every ring holds counts of the current lap: the worst case for a snapshot.
void fill(const store::SloSet& set) {
  store::WriteStats st;
  for (const auto& s : set.slos()) {
    for (const Millis r : kResolutions) {
      const store::BucketRing* ring = s.series->ring(r);
      if (ring == nullptr) continue;
      const int64_t newest = bucket_index(kNow, r);
      for (int64_t b = newest - ring->slots() + 1 + 30; b <= newest; ++b) {
        s.series->add(kNow, b * (r / kFinestResolution), 990, 1000, st);
      }
    }
  }
}

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  int slos = 1000;
  uint64_t log_mb = 1024;
  int runs = 3;
  uint64_t log_deltas = 0;
  auto naming = durable::SloNaming::kByDictionary;
  std::string dir = (std::filesystem::temp_directory_path() / "budgetd-recovery-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--slos"))
      slos = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--log-mb"))
      log_mb = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir"))
      dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--log-deltas"))
      log_deltas = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--naming"))
      naming = !std::strcmp(argv[i + 1], "name") ? durable::SloNaming::kByName : durable::SloNaming::kByDictionary;
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  metrics::Registry metrics;
  durable::Env& env = durable::Env::posix();

  // 1. A full store, snapshotted.
  auto set = make_set(slos);
  fill(*set);
  durable::WalOptions wo;
  wo.dir = dir + "/wal";
  wo.policy = config::FsyncPolicy::kNever;
  durable::Wal wal(env, wo, 1, metrics);
  if (!wal.open().ok()) return 1;
  if (naming == durable::SloNaming::kByDictionary) wal.set_dictionary(durable::encode_dictionary(*set));
  store::WriteGate gate;
  durable::IdempotencyTable keys(kDay, 1'000'000);
  durable::Snapshotter snaps(env, dir, metrics);
  const auto snap_start = Steady::now();
  const auto snap = snaps.take(gate, wal, *set, keys, kNow);
  const double snapshot_write_s = seconds_since(snap_start);
  if (!snap.ok()) return 1;

  // 2. A log after it: batches of 1,000 events spread over 100 SLOs and the last 10 minutes.
  std::mt19937_64 rng(1);
  uint64_t records = 0, deltas = 0;
  const uint64_t target = log_mb << 20;
  std::vector<store::BucketDelta> batch;
  const auto log_start = Steady::now();
  const auto log_size = [&] {
    uint64_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/wal")) n += e.file_size();
    return n;
  };
  const auto more = [&](uint64_t size) { return log_deltas > 0 ? deltas < log_deltas : size < target; };
  for (uint64_t size = 0; more(size); size = (records % 1024 == 0) ? log_size() : size + 1) {
    batch.clear();
    const uint32_t base = static_cast<uint32_t>(rng() % static_cast<uint64_t>(slos));
    for (int i = 0; i < 100; ++i) {
      batch.push_back({(base + static_cast<uint32_t>(i) * 7) % static_cast<uint32_t>(slos),
                       bucket_index(kNow, kFinestResolution) - static_cast<int64_t>(rng() % 60), 9, 10});
    }
    if (!wal.append_and_wait(durable::RecordType::kBatch, durable::encode_batch(batch, *set, nullptr, nullptr, naming))
             .ok())
      return 1;
    ++records;
    deltas += batch.size();
  }
  wal.close();
  const double log_write_s = seconds_since(log_start);
  const uint64_t log_bytes = log_size();
  uint64_t snapshot_bytes = std::filesystem::file_size(dir + "/" + *snap);

  // 3. Recovery, as at start-up, into a fresh store.
  std::vector<double> times;
  durable::RecoveryReport report;
  for (int r = 0; r < runs; ++r) {
    auto fresh = make_set(slos);
    durable::IdempotencyTable k(kDay, 1'000'000);
    const auto t = Steady::now();
    auto rec = durable::recover(env, dir, *fresh, k, kNow);
    times.push_back(seconds_since(t));
    if (!rec.ok()) {
      std::fprintf(stderr, "recovery failed: %s\n", rec.status().message().c_str());
      return 1;
    }
    report = *rec;
  }
  std::sort(times.begin(), times.end());
  std::printf(
      "{\"slos\": %d, \"naming\": \"%s\", \"snapshot_bytes\": %llu, \"snapshot_write_s\": %.3f, \"log_bytes\": %llu, "
      "\"log_records\": "
      "%llu, "
      "\"log_deltas\": %llu, \"log_write_s\": %.3f, \"recovery_runs\": %d, \"recovery_s_median\": %.3f, "
      "\"recovery_s_min\": %.3f, \"recovery_s_max\": %.3f, \"replayed_records\": %llu, \"replay_mb_per_s\": %.0f}\n",
      slos, naming == durable::SloNaming::kByName ? "name" : "dictionary",
      static_cast<unsigned long long>(snapshot_bytes), snapshot_write_s, static_cast<unsigned long long>(log_bytes),
      static_cast<unsigned long long>(records), static_cast<unsigned long long>(deltas), log_write_s, runs,
      times[times.size() / 2], times.front(), times.back(), static_cast<unsigned long long>(report.replay.records),
      static_cast<double>(log_bytes) / (1 << 20) / times[times.size() / 2]);
  std::filesystem::remove_all(dir);
  return 0;
}
