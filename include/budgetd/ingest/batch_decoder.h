#pragma once
// Decodes a POST /v1/events body with simdjson's On-Demand API: JSON {"events": [...]} or NDJSON
// (one event per line). Each well-formed event goes to EventSink::on_event; an event with wrong
// types or values goes to on_reject with a reason a person can act on. A body that is not
// well-formed JSON is an error Status: the caller must then apply nothing of it. Every byte of
// the body is validated, including fields that are skipped.
//
//   BatchDecoder decoder;               // one per thread, reused: it keeps its buffers
//   Status s = decoder.decode(body, BodyFormat::kJson, now, sink);
//
// Thread safety: one decoder per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "budgetd/core/status.h"
#include "budgetd/ingest/event.h"

namespace budgetd::ingest {

enum class BodyFormat { kJson, kNdjson };

class EventSink {
 public:
  virtual ~EventSink() = default;
  // index: the event's 0-based position in the batch; line: its 1-based line for NDJSON, else 0.
  virtual void on_event(uint32_t index, const Event& event) = 0;
  virtual void on_reject(uint32_t index, uint32_t line, std::string_view reason) = 0;
  // False once the sink lists no more reasons: rejections then carry an empty reason.
  virtual bool wants_reasons() const { return true; }
};

// Bytes simdjson may read past the end of a body; the body's buffer must have them allocated.
size_t required_padding();

class BatchDecoder {
 public:
  BatchDecoder();
  ~BatchDecoder();
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // REQUIRES: capacity >= size + required_padding(); the bytes up to capacity are readable.
  // `now` is the receipt time: the ts of events that carry none.
  Status decode(const char* data, size_t size, size_t capacity, BodyFormat format, Timestamp now, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetd::ingest
