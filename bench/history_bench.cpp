// GET /v1/slos/{name}/history without the socket: a 30d SLO (default alert rules) with every
// bucket of its 60 days of rings filled, asked for its whole 30d window at 1h steps (721
// points, 4 burn-rate windows each): the evaluation (eval::evaluate_history), the tiers
// (policy::assess_history), and the JSON answer rendered to text, as the handler does.
// Run through `make bench` (bench/run.sh); figures in bench/RESULTS.md.

#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include "budgetd/config/loader.h"
#include "budgetd/policy/assessment.h"
#include "history_json.h"

namespace budgetd {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

std::shared_ptr<const store::SloSet> filled_slo() {
  auto r = config::load_config_string(
      "slos:\n  - {name: checkout, service: checkout, objective: 99.9, windows: [\"30d\"], sli: {type: ratio}}\n",
      "bench.yaml");
  if (!r.ok()) std::abort();
  auto slos = store::SloSet::build(*r.config, nullptr);
  store::WriteStats ws;
  // One count every 10 s over 61 days: every bucket of every ring holds something.
  for (int64_t b = 0; b < 61 * 24 * 360; ++b) {
    slos->slos()[0].series->add(kNow, bucket_index(kNow, kFinestResolution) - b, 990 + b % 11, 1000, ws);
  }
  return slos;
}

void BM_History30dAt1h(benchmark::State& state) {
  const auto slos = filled_slo();
  const store::StoredSlo& slo = slos->slos()[0];
  const eval::HistoryQuery q{kNow - 30 * kDay, kNow, kHour};
  size_t bytes = 0;
  for (auto _ : state) {
    auto h = policy::assess_history(slo, q, 0, kNow);
    if (!h.ok() || h->history.points.size() != 721) std::abort();
    const std::string body = api::history_json(slo, *h, false).dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.counters["points"] = 721;
  state.counters["body_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_History30dAt1h)->Unit(benchmark::kMillisecond);

// The evaluation alone, without the JSON.
void BM_History30dAt1hEvaluate(benchmark::State& state) {
  const auto slos = filled_slo();
  const eval::HistoryQuery q{kNow - 30 * kDay, kNow, kHour};
  for (auto _ : state) {
    auto h = policy::assess_history(slos->slos()[0], q, 0, kNow);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_History30dAt1hEvaluate)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace budgetd

BENCHMARK_MAIN();
