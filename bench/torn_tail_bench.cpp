// Start-up after a crash that tore one large record: a log of small good records, then one batch
// record of --record-mb MiB whose last KiB never reached the disk. Times the log replay a
// start-up runs (durable::replay_wal, which must decide the damage is a torn tail) on a fresh copy
// of that log each run. Prints one JSON object with the figures.
//
//   budgetd_torn_tail_bench [--record-mb 8] [--runs 5] [--dir /tmp/x]

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
#include "budgetd/durable/wal_format.h"
#include "budgetd/durable/wal_reader.h"
#include "budgetd/store/slo_set.h"

namespace {

using namespace budgetd;
using Steady = std::chrono::steady_clock;

const Timestamp kNow = from_unix_ms(1795514400000);

std::shared_ptr<const store::SloSet> make_set(int slos) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < slos; ++i) {
    yaml += fmt::format("  - {{name: slo-{0}, service: svc-{0}, objective: 99.9, sli: {{type: ratio}}}}\n", i);
  }
  auto r = config::load_config_string(yaml, "bench.yaml");
  if (!r.ok()) {
    std::fprintf(stderr, "%s", r.error_text().c_str());
    std::exit(1);
  }
  return store::SloSet::build(*r.config, nullptr);
}

// A batch record payload of about `bytes`: one SLO's deltas over consecutive 10 s buckets with a
// few requests each, as a backfill of a low-traffic service's history produces them. Its bytes
// are the worst realistic case for the old search: every delta holds 4 bytes that read as a
// record length under 1 MiB, and each such offset cost a CRC over that length.
std::string big_payload(const store::SloSet& set, size_t bytes) {
  std::mt19937_64 rng(7);
  std::vector<store::BucketDelta> deltas;
  const int64_t newest = to_unix_ms(kNow) / 10'000;
  // About 7 bytes a delta: slo ref 1, bucket 4, good 1, total 1.
  for (size_t i = 0; i < bytes / 7; ++i) {
    const uint64_t total = 1 + rng() % 10;
    deltas.push_back({0, newest - static_cast<int64_t>(i), total - rng() % 2 * (total / 2), total});
  }
  return durable::encode_batch(deltas, set, nullptr);
}

double seconds_since(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  size_t record_mb = 8;
  int runs = 5;
  std::string dir = (std::filesystem::temp_directory_path() / "budgetd-torn-tail-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--record-mb"))
      record_mb = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs"))
      runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dir"))
      dir = argv[i + 1];
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/original");
  durable::Env& env = durable::Env::posix();

  // 1. 100 small good records, then the big one, torn: its last KiB is missing.
  const auto set = make_set(100);
  std::string segment(durable::kSegmentMagic);
  uint64_t seq = 1;
  for (; seq <= 100; ++seq) {
    segment += durable::frame_record(durable::RecordType::kBatch, seq, big_payload(*set, 700));
  }
  const std::string big = durable::frame_record(durable::RecordType::kBatch, seq, big_payload(*set, record_mb << 20));
  segment += std::string_view(big).substr(0, big.size() - 1024);
  const std::string name = durable::segment_name(1);
  if (!env.write_file_atomically(dir + "/original/" + name, segment).ok()) return 1;

  // 2. Replay a fresh copy each run (replay cuts the torn tail off).
  std::vector<double> times;
  durable::ReplayReport report;
  for (int r = 0; r < runs; ++r) {
    const std::string wal = dir + "/run/wal";
    std::filesystem::remove_all(dir + "/run");
    std::filesystem::create_directories(wal);
    std::filesystem::copy_file(dir + "/original/" + name, wal + "/" + name);
    const auto t = Steady::now();
    auto rep = durable::replay_wal(env, wal, 0, kNow, [](const durable::FramedRecord& rec) {
      const auto batch = durable::decode_batch(rec.payload);
      return batch.ok() ? Status::Ok() : batch.status();
    });
    times.push_back(seconds_since(t));
    if (!rep.ok() || rep->torn.empty() || !rep->corruption.empty()) {
      std::fprintf(stderr, "replay did not report a torn tail: %s\n",
                   rep.ok() ? rep->corruption.c_str() : rep.status().message().c_str());
      return 1;
    }
    report = *rep;
  }
  std::sort(times.begin(), times.end());
  std::printf(
      "{\"record_bytes\": %zu, \"segment_bytes\": %zu, \"runs\": %d, \"replay_s_median\": %.4f, \"replay_s_min\": "
      "%.4f, \"replay_s_max\": %.4f, \"records_replayed\": %llu}\n",
      big.size(), segment.size(), runs, times[times.size() / 2], times.front(), times.back(),
      static_cast<unsigned long long>(report.records));
  std::filesystem::remove_all(dir);
  return 0;
}
