#include "budgetd/inputs/otlp_metrics.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>

#include "otlp/otlp.pb.h"
#include "otlp_attributes.h"

namespace budgetd::inputs {
namespace {

namespace pb = budgetd::otlp;

// A point's series: the metric, the resource's attributes, then the point's (which win).
struct PointLabels {
  std::vector<SeriesLabel> labels;
  std::vector<std::string> scratch;
  std::string key;

  void build(const std::string& metric, const Attributes& resource, const Attributes& point) {
    labels.clear();
    scratch.assign(resource.size() + point.size(), std::string());
    key = metric;
    size_t i = 0;
    for (const Attributes* attrs : {&resource, &point}) {
      for (const auto& kv : *attrs) {
        const auto text = attribute_text(kv.value(), scratch[i++]);
        if (!text) continue;
        labels.push_back({kv.key(), *text});
        key.append("\x1f").append(kv.key()).append("\x1e").append(*text);
      }
    }
  }
};

void add_series(std::vector<SeriesInput>& out, std::string key, std::vector<CounterFeed> feeds, CounterSample s,
                bool pair_complete = false) {
  out.push_back({std::move(key), std::move(feeds), {s}, pair_complete});
}

int64_t point_ms(uint64_t unix_nano) { return static_cast<int64_t>(unix_nano / 1'000'000); }

void read_sum(const pb::Metric& m, const Attributes& resource, const CounterRoutes& routes, PointLabels& pl,
              std::vector<SeriesInput>& out, MetricsTally& tally) {
  const pb::Sum& sum = m.sum();
  for (const auto& p : sum.data_points()) {
    ++tally.points;
    pl.build(m.name(), resource, p.attributes());
    std::vector<CounterFeed> feeds;
    routes.match(config::SourceKind::kOtlpMetrics, m.name(), pl.labels, feeds);
    if (feeds.empty()) continue;
    if (!sum.is_monotonic()) {
      ++tally.rejected;
      if (tally.first_error.empty())
        tally.first_error = fmt::format("metric '{}' is a non-monotonic Sum: it does not count requests", m.name());
      continue;
    }
    const double v = p.value_case() == pb::NumberDataPoint::kAsInt ? static_cast<double>(p.as_int()) : p.as_double();
    const bool delta = sum.aggregation_temporality() == pb::AGGREGATION_TEMPORALITY_DELTA;
    add_series(out, pl.key, std::move(feeds), {point_ms(p.time_unix_nano()), v, p.start_time_unix_nano(), delta});
  }
}

void read_histogram(const pb::Metric& m, const Attributes& resource, const CounterRoutes& routes, PointLabels& pl,
                    std::vector<SeriesInput>& out, MetricsTally& tally) {
  const pb::Histogram& h = m.histogram();
  const bool delta = h.aggregation_temporality() == pb::AGGREGATION_TEMPORALITY_DELTA;
  const double scale = m.unit() == "s" ? 1000.0 : 1.0;  // bounds in seconds, thresholds in ms
  for (const auto& p : h.data_points()) {
    ++tally.points;
    pl.build(m.name(), resource, p.attributes());
    std::vector<CounterFeed> feeds;
    routes.match(config::SourceKind::kOtlpMetrics, m.name(), pl.labels, feeds);
    for (const CounterFeed& f : feeds) {
      const double threshold = routes.slos().slos()[f.slo].spec->sli.threshold_ms;
      std::optional<uint64_t> good;
      uint64_t below = 0;
      for (int i = 0; i < p.explicit_bounds_size() && i < p.bucket_counts_size(); ++i) {
        below += p.bucket_counts(i);
        if (std::abs(p.explicit_bounds(i) * scale - threshold) < 1e-9) good = below;
      }
      if (!good) {
        ++tally.rejected;
        if (tally.first_error.empty())
          tally.first_error = fmt::format(
              "histogram '{}' has no bucket bound at the SLO's threshold_ms {} (its bounds, "
              "in {}: {})",
              m.name(), threshold, scale == 1.0 ? "ms" : "s", fmt::join(p.explicit_bounds(), ", "));
        continue;
      }
      const int64_t ts = point_ms(p.time_unix_nano());
      const std::string slo_key = fmt::format("{}#slo{}", pl.key, f.slo);
      add_series(out, slo_key + "#count", {{f.slo, CounterSide::kTotal}},
                 {ts, static_cast<double>(p.count()), p.start_time_unix_nano(), delta}, true);
      add_series(out, slo_key + "#good", {{f.slo, CounterSide::kPart}},
                 {ts, static_cast<double>(*good), p.start_time_unix_nano(), delta}, true);
    }
  }
}

}  // namespace

std::optional<std::string> decode_otlp_metrics(std::string_view body, Encoding encoding, const CounterRoutes& routes,
                                               std::vector<SeriesInput>& out, MetricsTally& tally) {
  out.clear();
  tally = {};
  google::protobuf::Arena arena;
  auto* req = google::protobuf::Arena::CreateMessage<pb::ExportMetricsServiceRequest>(&arena);
  if (encoding == Encoding::kProtobuf) {
    if (!req->ParseFromArray(body.data(), static_cast<int>(body.size())))
      return std::string("the body is not an OTLP ExportMetricsServiceRequest (protobuf)");
  } else {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    const auto st = google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(body.data(), body.size()),
                                                                req, options);
    if (!st.ok()) return fmt::format("the body is not OTLP/JSON metrics: {}", std::string(st.message()));
  }
  PointLabels pl;
  for (const auto& rm : req->resource_metrics()) {
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics()) {
        if (m.has_sum()) read_sum(m, rm.resource().attributes(), routes, pl, out, tally);
        if (m.has_histogram()) read_histogram(m, rm.resource().attributes(), routes, pl, out, tally);
      }
    }
  }
  return std::nullopt;
}

std::string metrics_response(Encoding encoding, int64_t rejected, std::string_view message) {
  pb::ExportMetricsServiceResponse r;
  if (rejected > 0) {
    r.mutable_partial_success()->set_rejected_data_points(rejected);
    r.mutable_partial_success()->set_error_message(std::string(message));
  }
  if (encoding == Encoding::kProtobuf) return r.SerializeAsString();
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(r, &out, google::protobuf::util::JsonPrintOptions());
  return out;
}

}  // namespace budgetd::inputs
