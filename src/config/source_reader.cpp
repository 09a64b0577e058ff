// `source:` (an SLO's counts from OTLP metrics or Prometheus remote_write) and `ingest.otlp`.

#include "source_reader.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace budgetd::config {
namespace {

// source.otlp.{good,bad,total,histogram}: {metric: name, attributes: {key: value}}
std::optional<CounterSelector> read_otlp_selector(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  MapReader m(n, diags, what);
  if (!m.valid()) return std::nullopt;
  CounterSelector s;
  const auto metric = m.string("metric", true);
  if (!metric) return std::nullopt;
  if (metric->empty()) {
    diags.error(m.get("metric"), what + ".metric must not be empty");
    return std::nullopt;
  }
  s.metric = *metric;
  s.text = *metric;
  if (const YAML::Node attrs = m.get("attributes"); attrs.IsDefined()) {
    if (!attrs.IsMap()) {
      diags.error(attrs, what + ".attributes must be a mapping of attribute to value");
      return std::nullopt;
    }
    for (const auto& kv : attrs) {
      const auto v = scalar_text(kv.second, diags, fmt::format("{}.attributes.{}", what, kv.first.Scalar()));
      if (!v) return std::nullopt;
      s.matchers.push_back({kv.first.Scalar(), MatchOp::kEqual, *v});
      s.text += fmt::format("{}{}=\"{}\"", s.matchers.size() == 1 ? "{" : ",", kv.first.Scalar(), *v);
    }
    if (!s.matchers.empty()) s.text += "}";
  }
  return s;
}

std::optional<CounterSelector> read_prometheus_selector(const YAML::Node& n, Diagnostics& diags,
                                                        const std::string& what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  Result<CounterSelector> s = parse_prometheus_selector(*text);
  if (!s.ok()) {
    diags.error(n, fmt::format("{}: {}", what, s.status().message()));
    return std::nullopt;
  }
  return std::move(*s);
}

// A Prometheus latency SLI reads `<histogram>_bucket{le="B"}` as good: B must be threshold_ms
// (in seconds when the histogram's name says _seconds, as Prometheus' naming rules ask).
bool check_bucket_bound(const CounterSelector& good, const YAML::Node& at, const SloSpec& slo, Diagnostics& diags) {
  const std::string what = fmt::format("SLO '{}': source.prometheus.good", slo.name);
  const bool is_bucket = good.metric.size() > 7 && good.metric.ends_with("_bucket");
  const LabelMatcher* le = nullptr;
  for (const auto& m : good.matchers)
    if (m.name == "le" && m.op == MatchOp::kEqual) le = &m;
  if (!is_bucket || le == nullptr) {
    diags.error(at, fmt::format("{}: a latency SLI counts a histogram's `_bucket{{le=\"...\"}}` series as good, "
                                "with le equal to threshold_ms ({} ms)",
                                what, slo.sli.threshold_ms));
    return false;
  }
  double bound = 0;
  const auto [p, ec] = std::from_chars(le->value.data(), le->value.data() + le->value.size(), bound);
  const bool seconds = good.metric.find("_seconds") != std::string::npos;
  const double bound_ms = seconds ? bound * 1000 : bound;
  if (ec != std::errc() || p != le->value.data() + le->value.size() ||
      std::abs(bound_ms - slo.sli.threshold_ms) > 1e-9) {
    diags.error(at, fmt::format("{}: le=\"{}\" is a bucket bound of {} {}, but threshold_ms is {}: the good "
                                "requests are exactly those in the bucket whose bound is the threshold",
                                what, le->value, bound_ms, "ms", slo.sli.threshold_ms));
    return false;
  }
  return true;
}

// total plus exactly one of good / bad, read by `read_one`.
template <typename ReadOne>
bool read_pair(MapReader& m, CountSource& src, ReadOne read_one) {
  const YAML::Node total = m.get("total");
  const YAML::Node good = m.get("good");
  const YAML::Node bad = m.get("bad");
  if (!total.IsDefined()) {
    m.diags().error(m.node(), m.what() + ": 'total' is required, with one of 'good' or 'bad'");
    return false;
  }
  if (good.IsDefined() == bad.IsDefined()) {
    m.diags().error(m.node(), m.what() + ": give exactly one of 'good' or 'bad' beside 'total'");
    return false;
  }
  auto t = read_one(total, m.what() + ".total");
  auto p = good.IsDefined() ? read_one(good, m.what() + ".good") : read_one(bad, m.what() + ".bad");
  if (!t || !p) return false;
  src.total = std::move(*t);
  src.part = std::move(*p);
  src.part_role = good.IsDefined() ? CounterRole::kGood : CounterRole::kBad;
  return true;
}

bool read_otlp_source(MapReader& m, SloSpec& slo) {
  Diagnostics& diags = m.diags();
  slo.source.kind = SourceKind::kOtlpMetrics;
  const YAML::Node histogram = m.get("histogram");
  if (slo.sli.type == SliType::kLatency) {
    for (const char* k : {"good", "bad", "total"})
      if (const YAML::Node n = m.get(k); n.IsDefined())
        diags.error(n, fmt::format("{}.{}: a latency SLI reads a histogram: source.otlp.histogram", m.what(), k));
    if (!histogram.IsDefined()) {
      diags.error(m.node(), m.what() + ": a latency SLI needs 'histogram' ({metric: ..., attributes: {...}})");
      return false;
    }
    auto h = read_otlp_selector(histogram, diags, m.what() + ".histogram");
    if (!h) return false;
    slo.source.total = std::move(*h);
    slo.source.otlp_histogram = true;
    return true;
  }
  if (histogram.IsDefined()) {
    diags.error(histogram, m.what() + ".histogram: histograms feed latency SLIs; a ratio SLI reads Sums");
    return false;
  }
  return read_pair(m, slo.source,
                   [&](const YAML::Node& n, const std::string& what) { return read_otlp_selector(n, diags, what); });
}

bool read_prometheus_source(MapReader& m, SloSpec& slo) {
  Diagnostics& diags = m.diags();
  slo.source.kind = SourceKind::kPrometheus;
  if (!read_pair(m, slo.source, [&](const YAML::Node& n, const std::string& what) {
        return read_prometheus_selector(n, diags, what);
      }))
    return false;
  if (slo.sli.type != SliType::kLatency) return true;
  if (slo.source.part_role != CounterRole::kGood) {
    diags.error(m.get("bad"), m.what() + ".bad: a latency SLI counts the `_bucket{le=...}` series as good");
    return false;
  }
  return check_bucket_bound(slo.source.part, m.get("good"), slo, diags);
}

}  // namespace

bool read_source(MapReader& slo_map, SloSpec& slo) {
  const YAML::Node node = slo_map.get("source");
  if (!node.IsDefined()) return true;
  Diagnostics& diags = slo_map.diags();
  MapReader m(node, diags, slo_map.what() + ": source");
  if (!m.valid()) return false;
  const YAML::Node otlp = m.get("otlp");
  const YAML::Node prom = m.get("prometheus");
  const YAML::Node events = m.get("events");
  const int given = otlp.IsDefined() + prom.IsDefined() + events.IsDefined();
  if (given != 1) {
    diags.error(node, m.what() + ": give exactly one of 'otlp', 'prometheus' or 'events'");
    return false;
  }
  if (events.IsDefined()) {
    if (!events.IsNull() && !(events.IsMap() && events.size() == 0))
      diags.error(events, m.what() + ".events takes no settings: write `source: {events: {}}`");
    return true;
  }
  if (!slo.match.empty()) {
    diags.error(slo_map.get("match"), slo_map.what() +
                                          ": 'match' filters events; an SLO fed by counters selects "
                                          "its series in source: (labels, attributes) instead");
    return false;
  }
  if (otlp.IsDefined()) {
    MapReader o(otlp, diags, m.what() + ".otlp");
    return o.valid() && read_otlp_source(o, slo);
  }
  MapReader p(prom, diags, m.what() + ".prometheus");
  return p.valid() && read_prometheus_source(p, slo);
}

void read_otlp_ingest(MapReader& m, OtlpIngestConfig& out) {
  Diagnostics& diags = m.diags();
  if (const YAML::Node kinds = m.get("span_kinds"); kinds.IsDefined()) {
    if (!kinds.IsSequence() || kinds.size() == 0) {
      diags.error(kinds,
                  "ingest.otlp.span_kinds must be a non-empty list of SERVER, CONSUMER, CLIENT, PRODUCER, INTERNAL");
    } else {
      out.span_kinds.clear();
      for (const auto& k : kinds) {
        const auto v = scalar_text(k, diags, "ingest.otlp.span_kinds[]");
        if (!v) continue;
        if (*v != "SERVER" && *v != "CONSUMER" && *v != "CLIENT" && *v != "PRODUCER" && *v != "INTERNAL")
          diags.error(k, fmt::format("ingest.otlp.span_kinds: unknown kind '{}' (valid: SERVER, CONSUMER, CLIENT, "
                                     "PRODUCER, INTERNAL)",
                                     *v));
        else
          out.span_kinds.push_back(*v);
      }
    }
  }
  if (const YAML::Node labels = m.get("labels"); labels.IsDefined()) {
    if (!labels.IsMap()) {
      diags.error(labels,
                  "ingest.otlp.labels must map a budgetd label to a span attribute, e.g. {endpoint: http.route}");
    } else {
      for (const auto& kv : labels) {
        const auto v = scalar_text(kv.second, diags, "ingest.otlp.labels." + kv.first.Scalar());
        if (v && !v->empty() && !kv.first.Scalar().empty())
          out.labels[kv.first.Scalar()] = *v;
        else if (v)
          diags.error(kv.first, "ingest.otlp.labels: label and attribute names must not be empty");
      }
    }
  }
  if (const YAML::Node range = m.get("bad_http_status"); range.IsDefined()) {
    MapReader r(range, diags, "ingest.otlp.bad_http_status");
    const auto lo = r.unsigned_integer("min", 100, 599);
    const auto hi = r.unsigned_integer("max", 100, 599);
    if (lo) out.bad_http_status_min = static_cast<uint32_t>(*lo);
    if (hi) out.bad_http_status_max = static_cast<uint32_t>(*hi);
    if (out.bad_http_status_min > out.bad_http_status_max)
      diags.error(range, "ingest.otlp.bad_http_status: min must not be above max");
  }
}

}  // namespace budgetd::config
