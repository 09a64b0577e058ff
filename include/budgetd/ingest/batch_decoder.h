#pragma once
// Decodes a POST /v1/events body with simdjson's On-Demand API: JSON {"events": [...]} or NDJSON
// (one event per line). Each well-formed event goes to EventSink::on_event; an event with wrong
// types or values goes to on_reject with a reason a person can act on. A body that is not
// well-formed JSON comes back as a MalformedBody (what and where): the caller must then apply
// nothing of it, and phrases it for its reader. Every byte of the body is validated, including
// fields that are skipped.
//
//   BatchDecoder decoder;               // one per thread, reused: it keeps its buffers
//   if (auto bad = decoder.decode(data, size, capacity, BodyFormat::kJson, now, sink))
//     return answer_400(describe_body_error(*bad));
//
// Thread safety: one decoder per thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "budgetd/core/time.h"
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

// Why a body is not a batch at all. The decoder says what and where; callers phrase it.
struct MalformedBody {
  enum class Kind {
    kNotJson,          // not well-formed JSON; `detail` is the parser's message
    kNotAnObject,      // JSON body: the top level is not an object
    kUnknownField,     // JSON body: a top-level field other than "events"; `detail` names it (cut short)
    kRepeatedEvents,   // JSON body: "events" appears twice
    kEventsNotArray,   // JSON body: "events" is not an array
    kNoEvents,         // JSON body: no "events" field
    kTrailingContent,  // content after the JSON document of the body (or of an NDJSON line)
  };
  Kind kind = Kind::kNotJson;
  uint32_t line = 0;  // NDJSON: the 1-based line it is on; 0 for a JSON body
  // Where it was found, as an offset in the JSON body or in the line: for trailing content, the
  // byte where that content starts.
  std::optional<uint64_t> byte;
  std::string detail;
};

// As the answer to a POST says it: "the body is not valid JSON on line 3 near byte 12: ...;
// nothing of it was applied".
std::string describe_body_error(const MalformedBody& m);

// Bytes simdjson may read past the end of a body; the body's buffer must have them allocated.
size_t required_padding();

class BatchDecoder {
 public:
  BatchDecoder();
  ~BatchDecoder();
  BatchDecoder(const BatchDecoder&) = delete;
  BatchDecoder& operator=(const BatchDecoder&) = delete;

  // REQUIRES: capacity >= size + required_padding(); the bytes up to capacity are readable.
  // `now` is the receipt time: the ts of events that carry none. nullopt: the body was
  // well-formed, and every event in it reached the sink.
  [[nodiscard]] std::optional<MalformedBody> decode(const char* data, size_t size, size_t capacity, BodyFormat format,
                                                    Timestamp now, EventSink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetd::ingest
