#pragma once
// The batch decoder under libFuzzer, for one body format (batch_json_fuzz.cpp,
// batch_ndjson_fuzz.cpp). Besides crashes and sanitizer reports it checks what the decoder
// promises:
// - a body it accepts is JSON (each non-blank line of NDJSON) by the RFC 8259 grammar of
//   json_grammar.h: a malformed body is never half applied;
// - indexes count up by one from 0 over events and rejections alike; NDJSON lines rise;
// - every event it hands on is valid (batch_decoder.h, event.h), and every message is short,
//   whatever the input echoed (core/echo.h).
// The body sits in a buffer of exactly its size plus the padding the decoder REQUIRES, so a
// read past that padding is an AddressSanitizer report.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "budgetd/ingest/batch_decoder.h"
#include "check.h"
#include "json_grammar.h"

namespace budgetd::fuzz {

// Longer messages than this mean input was echoed whole.
inline constexpr size_t kMaxMessageBytes = 512;

class CheckingSink final : public ingest::EventSink {
 public:
  explicit CheckingSink(ingest::BodyFormat format) : format_(format) {}

  void on_event(uint32_t index, const ingest::Event& e) override {
    next(index, 0);
    check(!e.service.empty() && e.service.size() <= ingest::kMaxServiceBytes, "service is 1-256 bytes");
    check(to_unix_ms(e.ts) >= 0, "ts is not before 1970");
    check(!e.has_counts || (e.good_count <= e.total_count && e.total_count <= ingest::kMaxEventTotal),
          "good <= total <= the limit");
    check(!e.has_latency || e.latency_ms >= 0, "latency_ms is not negative");
    check(e.has_counts || e.has_good_flag || e.has_latency, "an event has an SLI field");
    check(e.label_count <= ingest::kMaxLabels, "at most kMaxLabels labels");
    for (uint32_t i = 0; i < e.label_count; ++i) {
      check(!e.labels[i].key.empty() && e.labels[i].key.size() <= 128 && e.labels[i].value.size() <= 1024,
            "label sizes");
    }
  }
  void on_reject(uint32_t index, uint32_t line, std::string_view reason) override {
    next(index, line);
    check(!reason.empty() && reason.size() <= kMaxMessageBytes, "a rejection has a short reason");
  }

 private:
  void next(uint32_t index, uint32_t line) {
    check(index == count_++, "indexes count up by one from 0");
    if (format_ == ingest::BodyFormat::kJson) {
      check(line == 0, "JSON bodies have no lines");
    } else if (line != 0) {
      check(line > last_line_, "NDJSON lines rise");
      last_line_ = line;
    }
  }

  ingest::BodyFormat format_;
  uint32_t count_ = 0;
  uint32_t last_line_ = 0;
};

// Each non-blank NDJSON line, trimmed as the decoder trims it, must be JSON.
inline bool every_line_is_json(std::string_view body) {
  while (!body.empty()) {
    const size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty() && check_json_text(line) == JsonVerdict::kInvalid) return false;
  }
  return true;
}

inline int fuzz_batch(const uint8_t* data, size_t size, ingest::BodyFormat format) {
  static ingest::BatchDecoder decoder;  // reused, as on a server thread
  const size_t capacity = size + ingest::required_padding();
  std::unique_ptr<char[]> buffer(new char[capacity]);
  if (size != 0) std::memcpy(buffer.get(), data, size);
  std::memset(buffer.get() + size, 0, capacity - size);
  CheckingSink sink(format);
  const auto bad = decoder.decode(buffer.get(), size, capacity, format, from_unix_ms(1795514400000), sink);
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (!bad) {
    if (format == ingest::BodyFormat::kJson) {
      check(check_json_text(body) != JsonVerdict::kInvalid, "an accepted JSON body is JSON");
    } else {
      check(every_line_is_json(body), "every line of an accepted NDJSON body is JSON");
    }
  } else {
    check(describe_body_error(*bad).size() <= kMaxMessageBytes, "a malformed body gets a short message");
  }
  return 0;
}

}  // namespace budgetd::fuzz
