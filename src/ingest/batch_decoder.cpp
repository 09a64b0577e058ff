#include "budgetd/ingest/batch_decoder.h"

#include <cassert>

#include <fmt/format.h>
#include <simdjson.h>

#include "budgetd/core/echo.h"
#include "json_checks.h"

namespace budgetd::ingest {
namespace {

using Malformed = std::optional<MalformedBody>;

MalformedBody shape(MalformedBody::Kind kind, std::string detail = {}) {
  return {kind, 0, std::nullopt, std::move(detail)};
}

// `doc` and `start` locate the error: its byte offset in the body (or in the NDJSON line).
MalformedBody not_json(error_code e, od::document* doc = nullptr, const char* start = nullptr, uint32_t line = 0) {
  MalformedBody m{MalformedBody::Kind::kNotJson, line, std::nullopt, simdjson::error_message(e)};
  const char* at = nullptr;
  if (doc != nullptr && doc->current_location().get(at) == simdjson::SUCCESS && at >= start) {
    m.byte = static_cast<uint64_t>(at - start);
  }
  return m;
}

MalformedBody trailing(uint32_t line, uint64_t at) { return {MalformedBody::Kind::kTrailingContent, line, at, {}}; }

// Where the token after the document's first value starts in the text at `start`, or nullopt
// when the value ran to the end (simdjson's only error here is OUT_OF_BOUNDS, at the end).
std::optional<uint64_t> next_token(od::document& doc, const char* start) {
  const char* at = nullptr;
  if (doc.current_location().get(at) != simdjson::SUCCESS || at < start) return std::nullopt;
  return static_cast<uint64_t>(at - start);
}

// Why an event was rejected. `reason` stays empty while the event is fine.
// The first reason is kept. Reasons are only formatted while the sink still lists errors, so a
// batch of a million bad events costs no million strings.
class Verdict {
 public:
  bool rejected() const { return rejected_; }
  const std::string& reason() const { return reason_; }
  template <typename... Args>
  void reject(fmt::format_string<Args...> f, Args&&... args) {
    if (rejected_) return;
    rejected_ = true;
    if (want_reason_) reason_ = fmt::format(f, std::forward<Args>(args)...);
  }
  void clear(bool want_reason) {
    rejected_ = false;
    want_reason_ = want_reason;
    reason_.clear();
  }

 private:
  bool rejected_ = false;
  bool want_reason_ = true;
  std::string reason_;
};

struct FieldSeen {
  bool service = false, ts = false, good = false, total = false, latency = false, labels = false;
};

error_code read_labels(od::value v, Event& event, Verdict& verdict) {
  od::object obj;
  if (auto e = v.get_object().get(obj)) {
    if (!is_item_error(e)) return e;
    verdict.reject("labels must be an object of string values, e.g. {{\"region\": \"eu\"}}");
    return validate(v);
  }
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value value = field.value();
    std::string_view text;
    if (auto e = value.get_string().get(text)) {
      if (!is_item_error(e)) return e;
      verdict.reject("label '{}' must have a string value", bounded_echo(key));
      if (auto e2 = validate(value)) return e2;
      continue;
    }
    if (verdict.rejected()) continue;
    if (key.empty() || key.size() > 128 || text.size() > 1024) {
      verdict.reject("label '{}' is too long or empty (names 1-128 bytes, values up to 1024)", bounded_echo(key));
    } else if (event.label_count == kMaxLabels) {
      verdict.reject("an event may carry at most {} labels", kMaxLabels);
    } else if (event.label(key) != nullptr) {
      verdict.reject("label '{}' appears twice", bounded_echo(key));
    } else {
      event.labels[event.label_count++] = Label{key, text};
    }
  }
  return simdjson::SUCCESS;
}

// A value of the wrong type rejects the event; it is then validated so that the rest of the
// body is still checked. Errors that mean malformed JSON are returned.
error_code wrong_type(od::value& v, error_code e, Verdict& verdict, std::string_view why) {
  e = classify_number_error(v, e);
  if (!is_item_error(e)) return e;
  verdict.reject("{}", why);
  return validate(v);
}

// Reads the value of one field of an event into `event`.
error_code read_field(std::string_view key, od::value v, Event& event, FieldSeen& seen, bool& good_is_count,
                      Verdict& verdict) {
  bool* seen_flag = key == "service"      ? &seen.service
                    : key == "ts"         ? &seen.ts
                    : key == "good"       ? &seen.good
                    : key == "total"      ? &seen.total
                    : key == "latency_ms" ? &seen.latency
                    : key == "labels"     ? &seen.labels
                                          : nullptr;
  if (seen_flag == nullptr) {
    verdict.reject("unknown field '{}' (valid: service, ts, good, total, latency_ms, labels)", bounded_echo(key));
    return validate(v);
  }
  if (*seen_flag) {
    verdict.reject("field '{}' appears twice", key);
    return validate(v);
  }
  *seen_flag = true;

  if (key == "labels") return read_labels(v, event, verdict);
  if (key == "service") {
    if (auto e = v.get_string().get(event.service)) return wrong_type(v, e, verdict, "service must be a string");
    if (event.service.empty() || event.service.size() > kMaxServiceBytes)
      verdict.reject("service must be 1-{} bytes", kMaxServiceBytes);
    return simdjson::SUCCESS;
  }
  if (key == "total") {
    if (auto e = v.get_uint64().get(event.total_count))
      return wrong_type(v, e, verdict, "total must be a whole number of requests");
    return simdjson::SUCCESS;
  }
  if (key == "latency_ms") {
    event.has_latency = true;
    if (auto e = v.get_double().get(event.latency_ms)) return wrong_type(v, e, verdict, "latency_ms must be a number");
    if (!(event.latency_ms >= 0)) verdict.reject("latency_ms must not be negative");
    return simdjson::SUCCESS;
  }
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  if (key == "ts") {
    if (type == od::json_type::string) {
      std::string_view text;
      if (auto e = v.get_string().get(text)) return e;
      auto t = parse_rfc3339(text);
      if (!t.ok()) {
        verdict.reject("ts: {}", t.status().message());
        return simdjson::SUCCESS;
      }
      event.ts = *t;
    } else {
      int64_t ms = 0;
      if (auto e = v.get_int64().get(ms)) {
        return wrong_type(v, e, verdict, "ts must be unix milliseconds (a whole number) or an RFC 3339 string");
      }
      event.ts = from_unix_ms(ms);
    }
    if (to_unix_ms(event.ts) < 0) verdict.reject("ts must not be before 1970");
    return simdjson::SUCCESS;
  }
  // key == "good": true/false for one request, or a count beside total.
  constexpr std::string_view kGoodType =
      "good must be true/false, or a whole number of good requests together with total";
  if (type == od::json_type::boolean) {
    event.has_good_flag = true;
    return read_bool(v, event.good_flag);
  }
  if (type != od::json_type::number) return wrong_type(v, simdjson::INCORRECT_TYPE, verdict, kGoodType);
  good_is_count = true;
  if (auto e = v.get_uint64().get(event.good_count)) return wrong_type(v, e, verdict, kGoodType);
  return simdjson::SUCCESS;
}

// Fills `event` from one event object. Returns an error only for malformed JSON; a bad event
// leaves its reason in `verdict`.
error_code read_event(od::object& obj, Timestamp now, Event& event, Verdict& verdict) {
  event = Event{};
  event.ts = now;
  FieldSeen seen;
  bool good_is_count = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    od::value v;
    if (auto e = field.value().get(v)) return e;
    const error_code e = verdict.rejected() ? validate(v) : read_field(key, v, event, seen, good_is_count, verdict);
    if (e) return e;
  }
  if (verdict.rejected()) return simdjson::SUCCESS;
  if (!seen.service) {
    verdict.reject("service is required");
  } else if (seen.total && !good_is_count) {
    verdict.reject("{}", event.has_good_flag ? "with total, good must be the count of good requests, not true/false"
                                             : "total needs good: the count of good requests among them");
  } else if (good_is_count && !seen.total) {
    verdict.reject("a count in good needs total beside it");
  } else if (good_is_count && event.good_count > event.total_count) {
    verdict.reject("good ({}) must not exceed total ({})", event.good_count, event.total_count);
  } else if (good_is_count && event.total_count > kMaxEventTotal) {
    verdict.reject("total ({}) is above the limit of {} requests in one event; split it", event.total_count,
                   kMaxEventTotal);
  } else if (good_is_count && event.has_latency) {
    verdict.reject("latency_ms describes one request; it cannot be combined with good/total counts");
  } else if (!seen.good && !event.has_latency) {
    verdict.reject("the event has no SLI field: give good (true/false), good and total (counts), or latency_ms");
  }
  event.has_counts = good_is_count;
  return simdjson::SUCCESS;
}

}  // namespace

size_t required_padding() { return simdjson::SIMDJSON_PADDING; }

struct BatchDecoder::Impl {
  od::parser parser;
  Event event;
  Verdict verdict;

  // One event given as a value of the events array.
  error_code array_item(od::value v, uint32_t index, Timestamp now, EventSink& sink) {
    verdict.clear(sink.wants_reasons());
    od::object obj;
    if (auto e = v.get_object().get(obj)) {
      if (!is_item_error(e)) return e;
      sink.on_reject(index, 0, "an event must be a JSON object");
      return validate(v);
    }
    if (auto e = read_event(obj, now, event, verdict)) return e;
    if (verdict.rejected())
      sink.on_reject(index, 0, verdict.reason());
    else
      sink.on_event(index, event);
    return simdjson::SUCCESS;
  }

  Malformed json(const char* data, size_t size, size_t capacity, Timestamp now, EventSink& sink) {
    using Kind = MalformedBody::Kind;
    od::document doc;
    if (auto e = parser.iterate(simdjson::padded_string_view(data, size, capacity)).get(doc)) return not_json(e);
    const auto bad = [&](error_code e) { return not_json(e, &doc, data); };
    od::object top;
    if (auto e = doc.get_object().get(top)) {
      if (e == simdjson::INCORRECT_TYPE) return shape(Kind::kNotAnObject);
      // simdjson refuses a root object whose last byte is not its '}' before reading any of it
      // ("ended early", at byte 0): a complete object with more after it is read alone, and then
      // the byte where the rest starts is reported.
      if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
        const std::string_view text(data, size);
        if (const size_t end = end_of_first_value(text); end < size) {
          if (Malformed m = json(data, end, capacity, now, sink)) return m;
          return trailing(0, skip_whitespace(text, end));
        }
        return MalformedBody{Kind::kNotJson, 0, size, simdjson::error_message(e)};
      }
      return bad(e);
    }
    bool seen_events = false;
    for (auto field : top) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return bad(e);
      if (key != "events") return shape(Kind::kUnknownField, bounded_echo(key));
      if (seen_events) return shape(Kind::kRepeatedEvents);
      seen_events = true;
      od::array events;
      if (auto e = field.value().get_array().get(events)) {
        if (e == simdjson::INCORRECT_TYPE) return shape(Kind::kEventsNotArray);
        return bad(e);
      }
      uint32_t index = 0;
      for (auto element : events) {
        od::value v;
        if (auto e = element.get(v)) return bad(e);
        if (auto e = array_item(v, index, now, sink)) return bad(e);
        ++index;
      }
    }
    if (!seen_events) return shape(Kind::kNoEvents);
    if (const auto at = next_token(doc, data)) return trailing(0, *at);
    return std::nullopt;
  }

  Malformed ndjson(const char* data, size_t size, size_t capacity, Timestamp now, EventSink& sink) {
    uint32_t index = 0;
    uint32_t line_no = 0;
    for (size_t pos = 0; pos < size;) {
      const char* nl = static_cast<const char*>(memchr(data + pos, '\n', size - pos));
      const size_t end = nl ? static_cast<size_t>(nl - data) : size;
      ++line_no;
      size_t len = end - pos;
      const char* line = data + pos;
      pos = end + 1;
      while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t')) --len;
      size_t lead = 0;
      while (lead < len && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
      if (lead == len) continue;  // blank lines are allowed and are not events
      line += lead;
      len -= lead;
      // The rest of the body follows this line in memory, so the padding simdjson may read is
      // there: the line needs no copy.
      const size_t line_capacity = capacity - static_cast<size_t>(line - data);
      if (Malformed m = ndjson_line({line, len}, line_capacity, line_no, index, now, sink)) return m;
    }
    return std::nullopt;
  }

  // One non-blank NDJSON line, trimmed: an event or a rejected one (index counts it), or why the
  // body is malformed.
  Malformed ndjson_line(std::string_view text, size_t capacity, uint32_t line_no, uint32_t& index, Timestamp now,
                        EventSink& sink) {
    od::document doc;
    if (auto e = parser.iterate(simdjson::padded_string_view(text.data(), text.size(), capacity)).get(doc))
      return not_json(e, nullptr, nullptr, line_no);
    verdict.clear(sink.wants_reasons());
    od::object obj;
    if (auto e = doc.get_object().get(obj)) {
      if (is_item_error(e)) return not_an_object(doc, text, line_no, index, sink);
      // As for a JSON body: a complete object with more after it (json() says why).
      if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT) {
        if (const size_t end = end_of_first_value(text); end < text.size()) {
          if (Malformed m = ndjson_line(text.substr(0, end), capacity, line_no, index, now, sink)) return m;
          return trailing(line_no, skip_whitespace(text, end));
        }
        return MalformedBody{MalformedBody::Kind::kNotJson, line_no, text.size(), simdjson::error_message(e)};
      }
      return not_json(e, &doc, text.data(), line_no);
    }
    if (auto e = read_event(obj, now, event, verdict)) return not_json(e, &doc, text.data(), line_no);
    if (const auto at = next_token(doc, text.data())) return trailing(line_no, *at);
    if (verdict.rejected())
      sink.on_reject(index, line_no, verdict.reason());
    else
      sink.on_event(index, event);
    ++index;
    return std::nullopt;
  }

  // A line whose value is not an object: one rejected event if it is JSON with nothing after it,
  // else the body is malformed.
  Malformed not_an_object(od::document& doc, std::string_view text, uint32_t line_no, uint32_t& index,
                          EventSink& sink) {
    od::json_type type;
    if (auto e = doc.type().get(type)) return not_json(e, &doc, text.data(), line_no);
    size_t end = text.size();
    error_code e = simdjson::SUCCESS;
    if (type == od::json_type::array) {
      e = validate(doc.get_value().value_unsafe());
      if (!e) end = next_token(doc, text.data()).value_or(text.size());
    } else {
      e = scalar_line_end(doc, type, text, end);
    }
    if (e) return not_json(e, &doc, text.data(), line_no);
    if (const size_t at = skip_whitespace(text, end); at < text.size()) return trailing(line_no, at);
    sink.on_reject(index++, line_no, "an event must be a JSON object");
    return std::nullopt;
  }
};

BatchDecoder::BatchDecoder() : impl_(std::make_unique<Impl>()) {}
BatchDecoder::~BatchDecoder() = default;

std::string describe_body_error(const MalformedBody& m) {
  using Kind = MalformedBody::Kind;
  switch (m.kind) {
    case Kind::kNotJson:
      return fmt::format("the body is not valid JSON{}{}: {}; nothing of it was applied",
                         m.line != 0 ? fmt::format(" on line {}", m.line) : "",
                         m.byte ? fmt::format(" near byte {}", *m.byte) : "", m.detail);
    case Kind::kNotAnObject:
      return "the body must be a JSON object {\"events\": [...]}";
    case Kind::kUnknownField:
      return fmt::format("unknown top-level field '{}'; the body is {{\"events\": [...]}}", m.detail);
    case Kind::kRepeatedEvents:
      return "'events' appears twice in the body";
    case Kind::kEventsNotArray:
      return "'events' must be an array of events";
    case Kind::kNoEvents:
      return "the body has no 'events' array; send {\"events\": [...]}";
    case Kind::kTrailingContent: {
      const std::string at = m.byte ? fmt::format(", at byte {}", *m.byte) : "";
      if (m.line == 0)
        return fmt::format("the body has content after its JSON object{}; nothing of it was applied", at);
      return fmt::format(
          "line {} has content after its JSON value{}; NDJSON is one event per line; nothing of the body was applied",
          m.line, at);
    }
  }
  return "the body is malformed; nothing of it was applied";
}

std::optional<MalformedBody> BatchDecoder::decode(const char* data, size_t size, size_t capacity, BodyFormat format,
                                                  Timestamp now, EventSink& sink) {
  assert(capacity >= size + simdjson::SIMDJSON_PADDING && "the body's buffer lacks simdjson's padding");
  return format == BodyFormat::kJson ? impl_->json(data, size, capacity, now, sink)
                                     : impl_->ndjson(data, size, capacity, now, sink);
}

}  // namespace budgetd::ingest
