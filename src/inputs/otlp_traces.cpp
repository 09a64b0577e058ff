// OTLP spans -> events (otlp_traces.h).

#include "budgetd/inputs/otlp_traces.h"

#include <array>

#include <fmt/format.h>
#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>

#include "otlp/otlp.pb.h"
#include "otlp_attributes.h"

namespace budgetd::inputs {
namespace {

using budgetd::otlp::ExportTraceServiceRequest;
using budgetd::otlp::Span;

int span_kind(std::string_view name) {
  if (name == "INTERNAL") return Span::SPAN_KIND_INTERNAL;
  if (name == "SERVER") return Span::SPAN_KIND_SERVER;
  if (name == "CLIENT") return Span::SPAN_KIND_CLIENT;
  if (name == "PRODUCER") return Span::SPAN_KIND_PRODUCER;
  if (name == "CONSUMER") return Span::SPAN_KIND_CONSUMER;
  return -1;
}

}  // namespace

struct SpanDecoder::Impl {
  // Reset per body: the arena frees the whole request at once instead of message by message.
  std::unique_ptr<google::protobuf::Arena> arena;
  ExportTraceServiceRequest* request = nullptr;
  std::array<std::string, ingest::kMaxLabels> label_text;  // formatted non-string label values
  std::string json_scratch;

  std::optional<std::string> parse(std::string_view body, Encoding encoding) {
    arena = std::make_unique<google::protobuf::Arena>();
    request = google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(arena.get());
    if (encoding == Encoding::kProtobuf) {
      if (!request->ParseFromArray(body.data(), static_cast<int>(body.size())))
        return std::string("the body is not an OTLP ExportTraceServiceRequest (protobuf)");
      return std::nullopt;
    }
    // OTLP/JSON (the spec's JSON mapping): lowerCamelCase keys, enums as integers, 64-bit
    // integers as strings, unknown fields ignored. Trace and span ids are hex there, not base64,
    // but budgetd never reads them, and hex digits are valid base64, so they parse harmlessly.
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto st = google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(body.data(), body.size()),
                                                                request, options);
    if (!st.ok()) return fmt::format("the body is not OTLP/JSON traces: {}", std::string(st.message()));
    return std::nullopt;
  }
};

SpanDecoder::SpanDecoder() : impl_(std::make_unique<Impl>()) {}
SpanDecoder::~SpanDecoder() = default;

std::optional<std::string> SpanDecoder::decode(std::string_view body, Encoding encoding,
                                               const config::OtlpIngestConfig& config, ingest::EventSink& sink) {
  tally_ = {};
  if (auto bad = impl_->parse(body, encoding)) return bad;
  uint32_t kinds = 0;  // bit per SpanKind
  for (const auto& k : config.span_kinds)
    if (const int v = span_kind(k); v >= 0) kinds |= 1u << v;
  uint32_t index = 0;
  for (const auto& rs : impl_->request->resource_spans()) {
    const Attributes& resource = rs.resource().attributes();
    const budgetd::otlp::AnyValue* service = find_attribute(resource, "service.name");
    for (const auto& ss : rs.scope_spans()) {
      for (const Span& span : ss.spans()) {
        ++tally_.spans;
        // proto3 enums are open: a kind this proto does not name is no configured kind.
        const int kind = span.kind();
        if (kind < 0 || kind > Span::SPAN_KIND_CONSUMER || (kinds & (1u << kind)) == 0) {
          ++tally_.other_kinds;
          continue;
        }
        const uint32_t i = index++;
        if (service == nullptr || service->value_case() != budgetd::otlp::AnyValue::kStringValue ||
            service->string_value().empty()) {
          sink.on_reject(i, 0, "the span's resource has no service.name (a string): budgetd's events need a service");
          continue;
        }
        if (span.end_time_unix_nano() < span.start_time_unix_nano() || span.end_time_unix_nano() == 0) {
          sink.on_reject(i, 0, "the span ends before it starts (or has no end time)");
          continue;
        }
        ingest::Event e;
        e.service = service->string_value();
        e.ts = from_unix_ms(static_cast<int64_t>(span.end_time_unix_nano() / 1'000'000));
        e.has_latency = true;
        e.latency_ms = static_cast<double>(span.end_time_unix_nano() - span.start_time_unix_nano()) / 1e6;
        bool failed = span.status().code() == budgetd::otlp::Status::STATUS_CODE_ERROR;
        const budgetd::otlp::AnyValue* code = find_attribute(span.attributes(), "http.response.status_code");
        if (code == nullptr) code = find_attribute(span.attributes(), "http.status_code");
        if (code != nullptr) {
          const auto c = attribute_int(*code);
          if (c && *c >= config.bad_http_status_min && *c <= config.bad_http_status_max) failed = true;
        }
        e.has_good_flag = true;
        e.good_flag = !failed;
        for (const auto& [label, attribute] : config.labels) {
          if (e.label_count == ingest::kMaxLabels) break;
          const budgetd::otlp::AnyValue* v = find_attribute(span.attributes(), attribute);
          if (v == nullptr) v = find_attribute(resource, attribute);
          if (v == nullptr) continue;
          const auto text = attribute_text(*v, impl_->label_text[e.label_count]);
          if (!text) continue;
          e.labels[e.label_count++] = {label, *text};
        }
        sink.on_event(i, e);
      }
    }
  }
  return std::nullopt;
}

std::string trace_response(Encoding encoding, int64_t rejected, std::string_view message) {
  budgetd::otlp::ExportTraceServiceResponse r;
  if (rejected > 0) {
    r.mutable_partial_success()->set_rejected_spans(rejected);
    r.mutable_partial_success()->set_error_message(std::string(message));
  }
  if (encoding == Encoding::kProtobuf) return r.SerializeAsString();
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  (void)google::protobuf::util::MessageToJsonString(r, &out, options);
  return out;
}

}  // namespace budgetd::inputs
