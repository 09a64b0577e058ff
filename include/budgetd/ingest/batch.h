#pragma once
// One POST /v1/events batch, in two steps so that nothing is applied before the whole body has
// been read and (later) logged:
//
//   BatchReport report;
//   if (auto bad = prepare_batch(decoder, body, size, capacity, BodyFormat::kJson, now, router, limits,
//                                deltas, report))
//     return bad_request(describe_body_error(*bad));   // malformed: nothing applied
//   committer.commit({slos, deltas, ...});              // logged, then store::apply_deltas
//
// An event is accepted when it feeds at least one SLO, unmatched when it is valid but feeds
// none, and rejected (with its reason) when it is invalid, too far in the future, or older than
// every window of the SLOs it matches.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/ingest/batch_decoder.h"
#include "budgetd/ingest/delta_batch.h"
#include "budgetd/ingest/router.h"

namespace budgetd::ingest {

struct ItemError {
  uint32_t index;
  uint32_t line;  // NDJSON line, 1-based; 0 for JSON bodies
  std::string error;
};

struct BatchReport {
  uint32_t accepted = 0;
  uint32_t rejected = 0;
  uint32_t unmatched = 0;
  std::vector<ItemError> errors;  // the first `max_errors_listed` rejections
  uint32_t errors_omitted = 0;
  // Rejections by kind, for metrics.
  uint32_t rejected_too_old = 0;
  uint32_t rejected_future = 0;

  void clear();
};

struct IngestLimits {
  Millis max_future{5 * kMinute};
  uint32_t max_errors_listed = 100;
};

// nullopt when the body was well-formed (then `deltas` and `report` hold the batch); else why
// not, and both are empty.
[[nodiscard]] std::optional<MalformedBody> prepare_batch(BatchDecoder& decoder, const char* data, size_t size,
                                                         size_t capacity, BodyFormat format, Timestamp now,
                                                         const Router& router, const IngestLimits& limits,
                                                         DeltaBatch& deltas, BatchReport& report);

// The same for events another decoder makes (OTLP spans, issue 16): `produce` gives each event
// of the body to the sink, or returns why the body is undecodable (then both are empty).
using EventProducer = std::function<std::optional<std::string>(EventSink&)>;
[[nodiscard]] std::optional<std::string> prepare_events(const EventProducer& produce, Timestamp now,
                                                        const Router& router, const IngestLimits& limits,
                                                        DeltaBatch& deltas, BatchReport& report);

}  // namespace budgetd::ingest
