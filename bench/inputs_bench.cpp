// Decoding on one core (issue 16): OTLP protobuf spans/s and remote_write samples/s, next to
// native JSON events/s from the same run, each down to the same per-SLO deltas. Run through
// `make bench`; figures and commands in bench/RESULTS.md.

#include <benchmark/benchmark.h>
#include <snappy.h>

#include <random>

#include <fmt/format.h>

#include "budgetd/config/loader.h"
#include "budgetd/ingest/batch.h"
#include "budgetd/inputs/counter_ledger.h"
#include "budgetd/inputs/otlp_traces.h"
#include "budgetd/inputs/remote_write.h"
#include "otlp/otlp.pb.h"
#include "prometheus/remote.pb.h"

namespace budgetd {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);
constexpr int kServices = 100;

std::shared_ptr<const store::SloSet> make_slos() {
  std::string yaml = "slos:\n";
  for (int i = 0; i < kServices; ++i) {
    yaml += fmt::format("  - {{name: slo-{0}, service: svc-{0}, objective: 99.9, sli: {{type: ratio}}}}\n", i);
    yaml += fmt::format(
        "  - {{name: c-{0}, service: c-{0}, objective: 99.9, sli: {{type: ratio}}, source: {{prometheus: "
        "{{total: 'http_requests_total{{job=\"svc-{0}\"}}', bad: "
        "'http_requests_total{{job=\"svc-{0}\",code=~\"5..\"}}'}}}}}}\n",
        i);
  }
  auto r = config::load_config_string(yaml, "bench.yaml");
  if (!r.ok()) std::abort();
  return store::SloSet::build(*r.config, nullptr);
}

// The same 1,000 requests as native JSON events and as OTLP spans (one resource per service
// batch, as an SDK sends).
struct Requests {
  struct One {
    int service;
    int64_t ts;
    bool good;
  };
  std::vector<One> all;
  explicit Requests(int n) {
    std::mt19937_64 rng(7);
    for (int i = 0; i < n; ++i)
      all.push_back({static_cast<int>(rng() % kServices), to_unix_ms(kNow) - static_cast<int64_t>(rng() % 60'000),
                     rng() % 100 != 0});
  }
  std::string json() const {
    std::string body = R"({"events":[)";
    for (size_t i = 0; i < all.size(); ++i)
      body += fmt::format(R"({}{{"service":"svc-{}","ts":{},"good":{}}})", i ? "," : "", all[i].service, all[i].ts,
                          all[i].good);
    body += "]}";
    body.reserve(body.size() + ingest::required_padding());
    return body;
  }
  std::string spans() const {
    budgetd::otlp::ExportTraceServiceRequest req;
    for (const One& o : all) {
      auto* rs = req.add_resource_spans();
      auto* kv = rs->mutable_resource()->add_attributes();
      kv->set_key("service.name");
      kv->mutable_value()->set_string_value(fmt::format("svc-{}", o.service));
      auto* s = rs->add_scope_spans()->add_spans();
      s->set_trace_id(std::string(16, '\x11'));
      s->set_span_id(std::string(8, '\x22'));
      s->set_name("GET /cart");
      s->set_kind(budgetd::otlp::Span::SPAN_KIND_SERVER);
      s->set_end_time_unix_nano(static_cast<uint64_t>(o.ts) * 1'000'000);
      s->set_start_time_unix_nano(static_cast<uint64_t>(o.ts) * 1'000'000 - 20'000'000);
      auto* code = s->add_attributes();
      code->set_key("http.response.status_code");
      code->mutable_value()->set_int_value(o.good ? 200 : 503);
      if (!o.good) s->mutable_status()->set_code(budgetd::otlp::Status::STATUS_CODE_ERROR);
    }
    return req.SerializeAsString();
  }
};

void BM_NativeJsonEvents(benchmark::State& state) {
  auto slos = make_slos();
  ingest::Router router(slos);
  const std::string body = Requests(1000).json();
  ingest::BatchDecoder decoder;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
  for (auto _ : state) {
    auto bad = ingest::prepare_batch(decoder, body.data(), body.size(), body.capacity(), ingest::BodyFormat::kJson,
                                     kNow, router, ingest::IngestLimits{}, deltas, report);
    benchmark::DoNotOptimize(bad);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_NativeJsonEvents);

void BM_OtlpProtobufSpans(benchmark::State& state) {
  auto slos = make_slos();
  ingest::Router router(slos);
  const std::string body = Requests(1000).spans();
  inputs::SpanDecoder decoder;
  const config::OtlpIngestConfig otlp;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
  for (auto _ : state) {
    auto produce = [&](ingest::EventSink& sink) {
      return decoder.decode(body, inputs::Encoding::kProtobuf, otlp, sink);
    };
    auto bad = ingest::prepare_events(produce, kNow, router, ingest::IngestLimits{}, deltas, report);
    benchmark::DoNotOptimize(bad);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_OtlpProtobufSpans);

// A remote_write request as Prometheus shards them: 2,000 samples (200 series x 10 samples),
// snappy-compressed; decoded, matched to SLOs (RE2 on the bad selectors) and differenced.
void BM_RemoteWriteSamples(benchmark::State& state) {
  auto slos = make_slos();
  inputs::CounterRoutes routes(slos);
  std::vector<std::string> bodies;
  for (int round = 0; round < 64; ++round) {
    budgetd::prompb::WriteRequest req;
    for (int s = 0; s < 200; ++s) {
      auto* ts = req.add_timeseries();
      for (const auto& [k, v] : {std::pair<std::string, std::string>{"__name__", "http_requests_total"},
                                 {"code", s % 2 ? "200" : "503"},
                                 {"instance", fmt::format("10.0.0.{}:8080", s % 7)},
                                 {"job", fmt::format("svc-{}", s / 2)}}) {
        auto* l = ts->add_labels();
        l->set_name(k);
        l->set_value(v);
      }
      for (int i = 0; i < 10; ++i) {
        auto* smp = ts->add_samples();
        smp->set_timestamp(to_unix_ms(kNow) - 3'600'000 + (round * 10 + i) * 5'000);
        smp->set_value((round * 10 + i) * (s % 2 ? 50.0 : 1.0));
      }
    }
    std::string compressed;
    const std::string raw = req.SerializeAsString();
    snappy::Compress(raw.data(), raw.size(), &compressed);
    bodies.push_back(std::move(compressed));
  }
  std::vector<inputs::SeriesInput> series;
  inputs::CounterLedger ledger;
  inputs::CounterReport report;
  inputs::CounterLedger::Undo undo;
  ingest::DeltaBatch deltas;
  inputs::WriteTally tally;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& body = bodies[i++ % bodies.size()];
    std::string raw;
    snappy::Uncompress(body.data(), body.size(), &raw);
    auto bad = inputs::decode_remote_write(raw, routes, series, tally);
    deltas.clear();
    undo.clear();
    ledger.ingest(series, *slos, kNow, inputs::CounterLimits{5 * kMinute, Millis{0}}, deltas, report, undo);
    benchmark::DoNotOptimize(bad);
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_RemoteWriteSamples);

}  // namespace
}  // namespace budgetd

BENCHMARK_MAIN();
