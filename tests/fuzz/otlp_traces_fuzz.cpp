// libFuzzer: POST /otlp/v1/traces bodies. The first byte picks protobuf, OTLP/JSON or gzip of
// either; the spans are routed like the server routes them (inputs_fuzz.h says what is checked).

#include "budgetd/ingest/batch.h"
#include "budgetd/inputs/body_encoding.h"
#include "budgetd/inputs/otlp_traces.h"
#include "inputs_fuzz.h"

namespace {

struct CheckingSink final : budgetd::ingest::EventSink {
  budgetd::ingest::EventSink* next = nullptr;
  void on_event(uint32_t i, const budgetd::ingest::Event& e) override {
    budgetd::fuzz::check(!e.service.empty(), "a span's event has a service");
    budgetd::fuzz::check(e.latency_ms >= 0, "a span's latency is >= 0");
    next->on_event(i, e);
  }
  void on_reject(uint32_t i, uint32_t line, std::string_view why) override { next->on_reject(i, line, why); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace budgetd;
  if (size == 0) return 0;
  static const ingest::Router router(fuzz::inputs_slos());
  static inputs::SpanDecoder decoder;
  const uint8_t mode = data[0];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode & 2) {
    Result<std::string> raw = inputs::gunzip(body, 1 << 20);
    if (!raw.ok()) return 0;
    fuzz::check(raw->size() <= (1 << 20), "gunzip stops at its bound");
    body = std::move(*raw);
  }
  config::OtlpIngestConfig otlp;
  otlp.labels = {{"endpoint", "http.route"}, {"region", "cloud.region"}};
  const auto encoding = (mode & 1) ? inputs::Encoding::kJson : inputs::Encoding::kProtobuf;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
  const auto produce = [&](ingest::EventSink& sink) {
    CheckingSink checking;
    checking.next = &sink;
    return decoder.decode(body, encoding, otlp, checking);
  };
  const auto bad =
      ingest::prepare_events(produce, from_unix_ms(1795514400000), router, ingest::IngestLimits{}, deltas, report);
  if (bad) fuzz::check(deltas.empty() && report.accepted == 0, "an undecodable body applies nothing");
  fuzz::check_deltas(deltas);
  (void)inputs::trace_response(encoding, report.rejected, "x");
  return 0;
}
