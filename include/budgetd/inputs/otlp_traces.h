#pragma once
// OTLP/HTTP traces (POST /otlp/v1/traces) as events: one event per span of the kinds in
// ingest.otlp.span_kinds, with service = the resource's service.name, ts = the span's end,
// latency_ms = its duration, good = false when its status is ERROR or its HTTP status is in
// ingest.otlp.bad_http_status, and labels from ingest.otlp.labels.
//
//   SpanDecoder decoder;                                  // one per thread, reused
//   auto bad = decoder.decode(body, Encoding::kProtobuf, otlp_config, sink);
//   if (bad) return answer_400(*bad);                     // nothing of it reached the sink
//
// Thread safety: one decoder per thread; the events' strings point into it until the next decode.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "budgetd/config/source.h"
#include "budgetd/ingest/batch_decoder.h"

namespace budgetd::inputs {

// How an OTLP/HTTP body is written (Content-Type application/x-protobuf or application/json).
enum class Encoding { kProtobuf, kJson };

struct SpanTally {
  uint32_t spans = 0;        // spans in the body
  uint32_t other_kinds = 0;  // spans of kinds that are not events (not rejected: OTLP has no such error)
};

class SpanDecoder {
 public:
  SpanDecoder();
  ~SpanDecoder();
  SpanDecoder(const SpanDecoder&) = delete;
  SpanDecoder& operator=(const SpanDecoder&) = delete;

  // Decodes the whole body first: when it is undecodable, returns why and calls the sink for
  // nothing. Else every span of the configured kinds reaches sink.on_event (or on_reject with
  // a reason, e.g. no service.name), indexed in body order.
  [[nodiscard]] std::optional<std::string> decode(std::string_view body, Encoding encoding,
                                                  const config::OtlpIngestConfig& config, ingest::EventSink& sink);
  const SpanTally& tally() const { return tally_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  SpanTally tally_;
};

// The ExportTraceServiceResponse for `rejected` spans (partial_success only when rejected > 0),
// in the request's encoding.
std::string trace_response(Encoding encoding, int64_t rejected, std::string_view message);

}  // namespace budgetd::inputs
