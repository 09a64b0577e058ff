// Micro-benchmarks of the ingest hot path and the evaluator. Run through `make bench`, which
// builds in Release; figures and commands are recorded in bench/RESULTS.md.

#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <random>
#include <string>

#include <filesystem>

#include "budgetd/api/slo_metrics.h"
#include "budgetd/config/loader.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/record_applier.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/durable/wal.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/evaluation_cache.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/ingest/batch.h"
#include "budgetd/ingest/router.h"
#include "budgetd/policy/gate.h"

namespace budgetd {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);

// `slos` ratio SLOs over `slos` services with default windows and alert rules.
std::shared_ptr<const store::SloSet> make_slos(int slos) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < slos; ++i) {
    yaml += fmt::format("  - {{name: slo-{0}, service: svc-{0}, objective: 99.9, sli: {{type: ratio}}}}\n", i);
  }
  auto r = config::load_config_string(yaml, "bench.yaml");
  if (!r.ok()) std::abort();
  return store::SloSet::build(*r.config, nullptr);
}

// make_slos(slos), each with an event in every 97th 10 s bucket of the last 30 days: rings of
// every resolution hold data, as a service's do.
std::shared_ptr<const store::SloSet> make_slos_with_30_days(int slos) {
  auto set = make_slos(slos);
  store::WriteStats ws;
  for (const auto& slo : set->slos()) {
    for (int64_t b = 0; b < 30 * 24 * 360; b += 97) {
      slo.series->add(kNow, bucket_index(kNow, kFinestResolution) - b, 99, 100, ws);
    }
  }
  return set;
}

// A {"events": [...]} batch of `n` single-request events spread over `services` services and
// the last minute, padded for simdjson.
// `with_ts`: each event a "ts" in the minute before kNow (as services send them); else none (the
// server stamps arrival, so a batch's events share one bucket per SLO).
std::string make_batch(int n, int services, bool with_ts = true) {
  std::mt19937_64 rng(7);
  std::string body = R"({"events":[)";
  for (int i = 0; i < n; ++i) {
    const uint64_t service = rng() % services;
    const int64_t ts = to_unix_ms(kNow) - static_cast<int64_t>(rng() % 60'000);
    const bool good = rng() % 100 != 0;
    body += with_ts ? fmt::format(R"({}{{"service":"svc-{}","ts":{},"good":{}}})", i ? "," : "", service, ts, good)
                    : fmt::format(R"({}{{"service":"svc-{}","good":{}}})", i ? "," : "", service, good);
  }
  body += "]}";
  body.reserve(body.size() + ingest::required_padding());
  return body;
}

struct NullSink : ingest::EventSink {
  uint64_t events = 0;
  void on_event(uint32_t, const ingest::Event&) override { ++events; }
  void on_reject(uint32_t, uint32_t, std::string_view) override {}
};

// simdjson On-Demand decoding alone, per event.
void BM_DecodeBatch(benchmark::State& state) {
  const std::string body = make_batch(static_cast<int>(state.range(0)), 100);
  ingest::BatchDecoder decoder;
  NullSink sink;
  for (auto _ : state) {
    const auto bad = decoder.decode(body.data(), body.size(), body.capacity(), ingest::BodyFormat::kJson, kNow, sink);
    benchmark::DoNotOptimize(bad);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeBatch)->Arg(100)->Arg(1000);

// Decode + validate + route + sum into deltas + apply to the store: the in-process ceiling of
// POST /v1/events on one thread (100 SLOs, batches of 1,000 events).
void ingest_batches(benchmark::State& state, bool with_ts) {
  auto slos = make_slos(100);
  ingest::Router router(slos);
  const std::string body = make_batch(static_cast<int>(state.range(0)), 100, with_ts);
  ingest::BatchDecoder decoder;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
  for (auto _ : state) {
    const auto bad =
        ingest::prepare_batch(decoder, body.data(), body.size(), body.capacity(), ingest::BodyFormat::kJson, kNow,
                              router, ingest::IngestLimits{}, deltas, report);
    const store::WriteStats ws = store::apply_deltas(deltas.deltas(), *slos, kNow);
    benchmark::DoNotOptimize(bad);
    benchmark::DoNotOptimize(ws);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
void BM_IngestBatch(benchmark::State& state) { ingest_batches(state, true); }
BENCHMARK(BM_IngestBatch)->Arg(100)->Arg(1000);
// The same events without "ts": what decoding a ts and the buckets it spreads a batch over cost.
void BM_IngestBatchNoTs(benchmark::State& state) { ingest_batches(state, false); }
BENCHMARK(BM_IngestBatchNoTs)->Arg(1000);

// `slos` SLOs as make_slos, attributing the first `labels` of endpoint, region, version.
std::shared_ptr<const store::SloSet> make_attributed_slos(int slos, int labels) {
  static const char* const kLabels[] = {"endpoint", "region", "version"};
  std::string attribution;
  for (int l = 0; l < labels; ++l) attribution += fmt::format("{}{}", l ? ", " : "", kLabels[l]);
  std::string yaml = "slos:\n";
  for (int i = 0; i < slos; ++i) {
    yaml += fmt::format("  - {{name: slo-{0}, service: svc-{0}, objective: 99.9, sli: {{type: ratio}}{1}}}\n", i,
                        labels ? fmt::format(", attribution: {{labels: [{}], max_values: 64}}", attribution) : "");
  }
  auto r = config::load_config_string(yaml, "bench.yaml");
  if (!r.ok()) std::abort();
  return store::SloSet::build(*r.config, nullptr);
}

// make_batch's events, each with an endpoint (of 20), a region (of 4) and a version (of 3).
std::string make_labelled_batch(int n, int services) {
  std::mt19937_64 rng(7);
  std::string body = R"({"events":[)";
  for (int i = 0; i < n; ++i) {
    body += fmt::format(
        R"({}{{"service":"svc-{}","ts":{},"good":{},"labels":{{"endpoint":"/api/v1/e{}","region":"r{}","version":"v1.{}"}}}})",
        i ? "," : "", rng() % services, to_unix_ms(kNow) - static_cast<int64_t>(rng() % 60'000), rng() % 100 != 0,
        rng() % 20, rng() % 4, rng() % 3);
  }
  body += "]}";
  body.reserve(body.size() + ingest::required_padding());
  return body;
}

// BM_IngestBatch on labelled events, with 0 or 3 attributed labels per SLO (attribution:): what
// counting per label value costs at ingest. Same events either way; only the config differs.
void BM_IngestBatchAttributed(benchmark::State& state) {
  auto slos = make_attributed_slos(100, static_cast<int>(state.range(1)));
  ingest::Router router(slos);
  const std::string body = make_labelled_batch(static_cast<int>(state.range(0)), 100);
  ingest::BatchDecoder decoder;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
  for (auto _ : state) {
    const auto bad =
        ingest::prepare_batch(decoder, body.data(), body.size(), body.capacity(), ingest::BodyFormat::kJson, kNow,
                              router, ingest::IngestLimits{}, deltas, report);
    const store::WriteStats ws = store::apply_deltas(deltas.deltas(), *slos, kNow);
    const store::WriteStats wa = store::apply_attributed(deltas.attributed(), *slos, kNow);
    benchmark::DoNotOptimize(bad);
    benchmark::DoNotOptimize(ws);
    benchmark::DoNotOptimize(wa);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["slo_memory_bytes"] = static_cast<double>(slos->slos()[0].memory_bytes());
}
BENCHMARK(BM_IngestBatchAttributed)->ArgNames({"events", "attributed_labels"})->Args({1000, 0})->Args({1000, 3});

// One delta into one SLO's rings (all four resolutions and coverage).
void BM_StoreAdd(benchmark::State& state) {
  auto slos = make_slos(1);
  store::SloSeries& series = *slos->slos()[0].series;
  store::WriteStats ws;
  int64_t bucket = bucket_index(kNow, kFinestResolution);
  int64_t i = 0;
  for (auto _ : state) {
    series.add(kNow, bucket - (i++ & 63), 1, 1, ws);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreAdd);

// The full status of one SLO: 8 windows, coverage, 4 alert rules.
void BM_EvaluateSlo(benchmark::State& state) {
  auto slos = make_slos(1);
  store::WriteStats ws;
  for (int64_t b = 0; b < 30 * 24 * 360; b += 7) {
    slos->slos()[0].series->add(kNow, bucket_index(kNow, kFinestResolution) - b, 99, 100, ws);
  }
  for (auto _ : state) {
    auto s = eval::evaluate_slo(slos->slos()[0], kNow, kNow, kHour);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateSlo);

// Routing one decoded event to its SLOs: the service lookup and each route's matchers and counts.
void BM_RouteEvent(benchmark::State& state) {
  auto slos = make_slos(100);
  ingest::Router router(slos);
  ingest::Event e;
  e.service = "svc-42";
  e.ts = kNow;
  e.has_good_flag = true;
  e.good_flag = true;
  uint64_t fed = 0;
  for (auto _ : state) {
    if (const auto* routes = router.routes_for(e.service)) {
      for (const ingest::Route& r : *routes) {
        if (auto c = r.counts(e)) fed += c->total;
      }
    }
    benchmark::DoNotOptimize(fed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteEvent);

// One evaluator tick over 10,000 SLOs with 30 days of data: every window, the alert rules'
// states and the policy tier of each, on one core (what Daemon::evaluate_now does). cached:1
// keeps block sums between ticks (eval/evaluation_cache.h), as the daemon does; cached:0 reads
// every bucket. Each tick is 10 s after the last, after one untimed tick: the steady state.
void BM_EvaluateAllSlos(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool cached = state.range(1) != 0;
  auto slos = make_slos_with_30_days(n);
  eval::EvaluationCache cache(slos);
  eval::AlertTracker tracker;
  size_t tiers = 0;
  Timestamp at = kNow;
  const auto tick = [&] {
    for (size_t i = 0; i < slos->slos().size(); ++i) {
      const store::StoredSlo& slo = slos->slos()[i];
      eval::SeriesBlocks* blocks = cached ? cache.blocks(i) : nullptr;
      auto s = eval::evaluate_slo(slo, at, at, kHour, blocks);
      auto changes = tracker.observe(slo, *s, at, blocks);
      tiers += policy::tier_index(slo.spec->policy, s->primary(), slo.spec->objective);
      benchmark::DoNotOptimize(changes);
    }
    at += 10 * kSecond;
  };
  tick();
  for (auto _ : state) tick();
  benchmark::DoNotOptimize(tiers);
  state.SetItemsProcessed(state.iterations() * n);
  state.counters["cache_bytes"] = static_cast<double>(cache.memory_bytes());
}
BENCHMARK(BM_EvaluateAllSlos)
    ->ArgNames({"slos", "cached"})
    ->Args({10'000, 0})
    ->Args({10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// The evaluator's whole tick (Daemon::evaluate_now): every SLO's status, its alert states, and
// its samples of the per-SLO /metrics, rendered once per tick for every scrape to send. cached
// as BM_EvaluateAllSlos.
void BM_EvaluationTick(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool cached = state.range(1) != 0;
  auto slos = make_slos_with_30_days(n);
  eval::EvaluationCache cache(slos);
  eval::AlertTracker tracker;
  size_t bytes = 0;
  Timestamp at = kNow;
  const auto tick = [&] {
    api::SloMetricsWriter w;
    for (size_t i = 0; i < slos->slos().size(); ++i) {
      const store::StoredSlo& slo = slos->slos()[i];
      eval::SeriesBlocks* blocks = cached ? cache.blocks(i) : nullptr;
      auto s = eval::evaluate_slo(slo, at, at, kHour, blocks);
      if (!s.ok()) std::abort();
      auto changes = tracker.observe(slo, *s, at, blocks);
      benchmark::DoNotOptimize(changes);
      w.add(slo, *s, tracker);
    }
    auto m = std::move(w).finish(at, std::chrono::nanoseconds{0});
    bytes = 0;
    for (const std::string& part : m->parts) bytes += part.size();
    at += 10 * kSecond;
  };
  tick();
  for (auto _ : state) tick();
  state.counters["metrics_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_EvaluationTick)
    ->ArgNames({"slos", "cached"})
    ->Args({10'000, 0})
    ->Args({10'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

// Encoding a batch of 100 deltas and appending it to the log (fsync never: the write path only),
// its SLOs by name (a replica's records) or by the log's dictionary (an embedded budgetd's).
void BM_WalAppend(benchmark::State& state) {
  const auto naming = state.range(0) == 0 ? durable::SloNaming::kByName : durable::SloNaming::kByDictionary;
  auto slos = make_slos(100);
  const std::string dir = (std::filesystem::temp_directory_path() / "budgetd-bench-wal").string();
  std::filesystem::remove_all(dir);
  metrics::Registry m;
  durable::WalOptions o;
  o.dir = dir;
  o.policy = config::FsyncPolicy::kNever;
  durable::Wal wal(durable::Env::posix(), o, 1, m);
  if (!wal.open().ok()) std::abort();
  if (naming == durable::SloNaming::kByDictionary) wal.set_dictionary(durable::encode_dictionary(*slos));
  std::vector<store::BucketDelta> deltas;
  for (uint32_t i = 0; i < 100; ++i) deltas.push_back({i, bucket_index(kNow, kFinestResolution) - i % 6, 99, 100});
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string payload = durable::encode_batch(deltas, *slos, nullptr, nullptr, naming);
    bytes += static_cast<int64_t>(payload.size());
    // fsync never: `done` runs before append() returns.
    wal.append(durable::RecordType::kBatch, payload, [](Result<uint64_t> seq) { benchmark::DoNotOptimize(seq); });
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  wal.close();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_WalAppend)->ArgName("by_dictionary")->Arg(0)->Arg(1);

// Applying log records as start-up replay does (kExclusive: plain stores) and as a cluster's
// tailer does (kShared: the lock-free writes), on the recovery bench's records: 100 deltas each,
// over 100 of 1,000 SLOs (65 MB of rings: the writes miss the cache) and the last 10 minutes.
// Records name their SLOs by name (format 1) or by the log's dictionary (format 3).
void BM_ReplayRecords(benchmark::State& state) {
  const auto access = state.range(0) == 0 ? store::WriteAccess::kShared : store::WriteAccess::kExclusive;
  const auto naming = state.range(1) == 0 ? durable::SloNaming::kByName : durable::SloNaming::kByDictionary;
  constexpr int kSlos = 1000;
  auto slos = make_slos(kSlos);
  std::mt19937_64 rng(1);
  std::vector<std::string> records;
  for (int r = 0; r < 2000; ++r) {
    std::vector<store::BucketDelta> batch;
    const uint32_t base = static_cast<uint32_t>(rng() % kSlos);
    for (uint32_t i = 0; i < 100; ++i) {
      batch.push_back(
          {(base + i * 7) % kSlos, bucket_index(kNow, kFinestResolution) - static_cast<int64_t>(rng() % 60), 9, 10});
    }
    records.push_back(durable::encode_batch(batch, *slos, nullptr, nullptr, naming));
  }
  durable::IdempotencyTable keys(kDay, 10);
  durable::RecordApplier applier(*slos, keys, {}, access);
  if (naming == durable::SloNaming::kByDictionary &&
      !applier.apply(durable::RecordType::kDictionary, durable::encode_dictionary(*slos), 0, kNow).ok())
    std::abort();
  uint64_t seq = 0;
  for (auto _ : state) {
    for (const std::string& rec : records) {
      if (!applier.apply(durable::RecordType::kBatch, rec, ++seq, kNow).ok()) std::abort();
    }
    applier.flush();
  }
  state.SetItemsProcessed(static_cast<int64_t>(applier.deltas_applied()));
  state.SetLabel(std::string(access == store::WriteAccess::kShared ? "shared" : "exclusive") +
                 (naming == durable::SloNaming::kByName ? ", by name" : ", by dictionary"));
}
BENCHMARK(BM_ReplayRecords)
    ->ArgNames({"exclusive", "by_dictionary"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond);

// Encoding a snapshot of 100 SLOs (the part that runs while the write gate is closed).
void BM_SnapshotEncode(benchmark::State& state) {
  auto slos = make_slos(static_cast<int>(state.range(0)));
  size_t size = 0;
  for (auto _ : state) {
    std::string bytes = durable::encode_snapshot(1, kNow, *slos, {});
    size = bytes.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(size) * state.iterations());
}
BENCHMARK(BM_SnapshotEncode)->Arg(100)->Unit(benchmark::kMillisecond);

// Decoding a snapshot of 100 SLOs and loading it into a fresh store.
void BM_SnapshotLoad(benchmark::State& state) {
  auto slos = make_slos(static_cast<int>(state.range(0)));
  const std::string bytes = durable::encode_snapshot(1, kNow, *slos, {});
  for (auto _ : state) {
    auto view = durable::decode_snapshot(bytes);
    for (size_t i = 0; i < view->slos.size(); ++i) slos->slos()[i].series->load_words(view->slos[i].words);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(bytes.size()) * state.iterations());
}
BENCHMARK(BM_SnapshotLoad)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace budgetd

BENCHMARK_MAIN();
