// Writes the seeds that need real encodings (CRCs, ring words, batch payloads) into the corpus
// directories of the snapshot and wal_record harnesses. Run from the fuzz build after a format
// changes:  build-fuzz/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus
// The other seeds are text, written by hand.

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/durable/wal_format.h"
#include "budgetd/eval/alert_tracker.h"
#include "snapshot_fuzz_config.h"

namespace {

using namespace budgetd;

const Timestamp kNow = from_unix_ms(1795514400000);
const int64_t kBucket = 1795514400000 / 10'000;

std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "seeds.yaml");
  if (!r.ok()) {
    std::fprintf(stderr, "%s", r.error_text().c_str());
    std::exit(1);
  }
  return store::SloSet::build(*r.config, nullptr);
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
}

// Counts in both SLOs over the last half hour.
void fill(const store::SloSet& set) {
  store::WriteStats st;
  for (const auto& s : set.slos()) {
    for (int64_t b = 0; b < 180; b += 7) s.series->add(kNow, kBucket - b, 95, 100, st);
  }
}

// One firing page, as AlertTracker saves it.
std::string alert_state() {
  eval::AlertTracker t;
  const std::string v1 = R"({"version":1,"alerts":[{"slo":"a","service":"s","rule":"page-fast","severity":"page",
      "runbook_url":"","factor":14.4,"long_window":"1h","short_window":"5m","objective_percent":99.9,"state":"firing",
      "since":1795514340000,"long_burn_rate":20.5,"short_burn_rate":30,"budget_consumed":0.35,
      "postmortem_required":true}],"episodes":{"a":[{"rule":"page-fast","severity":"page","start":1795510000000,
      "end":1795512000000,"budget_consumed":0.1,"postmortem_required":false}]}})";
  if (!t.load(v1).ok()) std::exit(1);
  return t.save();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s tests/fuzz/corpus\n", argv[0]);
    return 2;
  }
  const std::string corpus = argv[1];
  const auto set = slo_set(fuzz::kSnapshotFuzzConfig);
  fill(*set);
  const std::vector<durable::IdempotentAnswer> keys{
      {"retry-1", 42, R"({"accepted":3,"rejected":0,"unmatched":0,"errors":[]})", kNow, 5}};

  // snapshot: the first byte 1 seals the sections' CRCs and names the file after the cut.
  const std::string full = durable::encode_snapshot(5, kNow, *set, keys, alert_state());
  write(corpus + "/snapshot/full", "\x01" + full);
  write(corpus + "/snapshot/empty-store",
        "\x01" +
            durable::encode_snapshot(1, kNow, *slo_set("slos: []"), {}, R"({"version":2,"alerts":[],"episodes":{}})"));
  // The same SLOs written under other windows: loading migrates the counts bucket by bucket.
  const auto other = slo_set(std::string(fuzz::kSnapshotFuzzConfig)
                                 .replace(std::string(fuzz::kSnapshotFuzzConfig).find("[\"2h\"]"), 6, "[\"3h\"]"));
  fill(*other);
  write(corpus + "/snapshot/other-windows", "\x01" + durable::encode_snapshot(9, kNow, *other, {}, {}));
  // As it is (first byte 0): a damaged CRC, skipped whole.
  std::string damaged = full;
  damaged[40] = static_cast<char>(damaged[40] ^ 0x10);
  write(corpus + "/snapshot/damaged-crc", std::string(1, '\0') + damaged);

  // wal_record: a framed record, and payloads alone.
  const std::vector<store::BucketDelta> deltas{{0, kBucket, 9, 10}, {1, kBucket - 1, 0, 3}, {0, kBucket - 2, 5, 5}};
  const durable::IdempotentAnswer key{"retry-1", 42, R"({"accepted":3})", kNow, 0};
  const std::string payload = durable::encode_batch(deltas, *set, &key);
  write(corpus + "/wal_record/framed-batch", durable::frame_record(durable::RecordType::kBatch, 7, payload));
  write(corpus + "/wal_record/batch-with-key", payload);
  write(corpus + "/wal_record/batch-without-key", durable::encode_batch(deltas, *set, nullptr));
  write(corpus + "/wal_record/framed-empty", durable::frame_record(durable::RecordType::kBatch, 1, ""));
  // Format 3 (SLOs by the log's dictionary) and the dictionary itself.
  write(corpus + "/wal_record/batch-by-dictionary",
        durable::encode_batch(deltas, *set, &key, nullptr, durable::SloNaming::kByDictionary));
  write(corpus + "/wal_record/dictionary", durable::encode_dictionary(*set));
  write(corpus + "/wal_record/framed-dictionary",
        durable::frame_record(durable::RecordType::kDictionary, 6, durable::encode_dictionary(*set)));
  return 0;
}
