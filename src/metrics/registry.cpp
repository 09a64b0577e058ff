#include "budgetd/metrics/registry.h"

#include <cassert>
#include <cmath>

#include <fmt/format.h>

namespace budgetd::metrics {

void append_label_value(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

namespace {

void append_labels(std::string& out, const Labels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return;
  out += '{';
  bool first = true;
  const auto one = [&](const std::pair<std::string, std::string>& kv) {
    if (!first) out += ',';
    first = false;
    out += kv.first;
    out += "=\"";
    append_label_value(out, kv.second);
    out += '"';
  };
  for (const auto& kv : labels) one(kv);
  if (extra != nullptr) one(*extra);
  out += '}';
}

std::string format_value(double v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace

const std::vector<double> kLatencyBuckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  // relaxed: as Counter; a scrape may see count and sum from slightly different moments.
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  append_labels(out_, labels);
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

Registry::Family& Registry::family(const std::string& name, Type type, const std::string& help) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.type = type;
    it->second.help = help;
  }
  assert(it->second.type == type && "a metric name registered with two types");
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Type::kCounter, help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Type::kGauge, help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const Labels& labels,
                               const std::vector<double>& upper_bounds) {
  std::lock_guard lock(mu_);
  auto& slot = family(name, Type::kHistogram, help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(upper_bounds);
  return *slot;
}

void Registry::add_collector(std::function<void(Exposition&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  std::string out;
  std::vector<std::function<void(Exposition&)>> collectors;
  {
    std::lock_guard lock(mu_);
    Exposition ex(out);
    for (const auto& [name, f] : families_) {
      switch (f.type) {
        case Type::kCounter:
          ex.family(name, "counter", f.help);
          for (const auto& [labels, c] : f.counters) ex.sample(name, labels, static_cast<double>(c->value()));
          break;
        case Type::kGauge:
          ex.family(name, "gauge", f.help);
          for (const auto& [labels, g] : f.gauges) ex.sample(name, labels, g->value());
          break;
        case Type::kHistogram:
          ex.family(name, "histogram", f.help);
          for (const auto& [labels, h] : f.histograms) {
            const Histogram::Snapshot s = h->snapshot();
            for (size_t i = 0; i <= s.upper_bounds.size(); ++i) {
              const std::pair<std::string, std::string> le{
                  "le", i < s.upper_bounds.size() ? format_value(s.upper_bounds[i]) : "+Inf"};
              out += name + "_bucket";
              append_labels(out, labels, &le);
              out += fmt::format(" {}\n", s.cumulative[i]);
            }
            ex.sample(name + "_sum", labels, s.sum);
            ex.sample(name + "_count", labels, static_cast<double>(s.count));
          }
          break;
      }
    }
    collectors = collectors_;
  }
  Exposition ex(out);
  for (const auto& c : collectors) c(ex);
  return out;
}

}  // namespace budgetd::metrics
