// libFuzzer: POST /api/v1/write bodies (snappy, then a WriteRequest), and OTLP metrics bodies
// when the first byte is odd, through the counter ledger (inputs_fuzz.h says what is checked).

#include <memory>

#include "budgetd/inputs/body_encoding.h"
#include "budgetd/inputs/counter_ledger.h"
#include "budgetd/inputs/otlp_metrics.h"
#include "budgetd/inputs/remote_write.h"
#include "inputs_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace budgetd;
  if (size == 0) return 0;
  static const inputs::CounterRoutes routes(fuzz::inputs_slos());
  // Across inputs: baselines and pairing cells persist, as in the server (renewed when large).
  static auto ledger = std::make_unique<inputs::CounterLedger>();
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<inputs::SeriesInput> series;
  if (data[0] & 1) {
    inputs::MetricsTally tally;
    const auto enc = (data[0] & 2) ? inputs::Encoding::kJson : inputs::Encoding::kProtobuf;
    if (inputs::decode_otlp_metrics(in, enc, routes, series, tally)) {
      fuzz::check(series.empty(), "an undecodable body gives no series");
      return 0;
    }
  } else {
    Result<std::string> raw = inputs::snappy_uncompress(in, 1 << 20);
    const std::string body = raw.ok() ? std::move(*raw) : std::string(in);  // also the protobuf alone
    inputs::WriteTally tally;
    if (inputs::decode_remote_write(body, routes, series, tally)) {
      fuzz::check(series.empty(), "an undecodable body gives no series");
      return 0;
    }
  }
  ingest::DeltaBatch deltas;
  inputs::CounterReport report;
  inputs::CounterLedger::Undo undo;
  ledger->ingest(series, routes.slos(), from_unix_ms(1795514400000), inputs::CounterLimits{5 * kMinute, Millis{0}},
                 deltas, report, undo);
  fuzz::check_deltas(deltas);
  fuzz::check(report.samples >= report.counted + report.rejected(), "every sample is counted once");
  if (data[0] & 4) ledger->undo(undo);
  if (ledger->series_count() > 100'000) ledger = std::make_unique<inputs::CounterLedger>();
  return 0;
}
