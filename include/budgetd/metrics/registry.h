#pragma once
// budgetd's own metrics in the Prometheus text exposition format (version 0.0.4).
//
//   Registry r;
//   Counter& too_old = r.counter("budgetd_events_rejected_total", "Events rejected, by reason",
//                                {{"reason", "too_old"}});
//   too_old.inc();
//   Histogram& d = r.histogram("budgetd_http_request_duration_seconds", "Time to answer a request, by route",
//                              {{"route", "/v1/events"}}, kLatencyBuckets);
//   d.observe(0.0012);
//   std::string text = r.render();   // GET /metrics
//
// Registering takes a mutex and returns a reference that stays valid as long as the registry:
// look a metric up once, keep the reference, and updates are single atomic operations.
//
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace budgetd::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  // relaxed: a counter publishes no other data; scrapes only need an eventually current value.
  void inc(uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<uint64_t> v_{0};  // own cache line: counters are bumped by every core
};

class Gauge {
 public:
  // relaxed: as Counter.
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double d) { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const { return v_.load(std::memory_order_relaxed); }

 private:
  alignas(64) std::atomic<double> v_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Request latencies from 100 µs to 10 s.
extern const std::vector<double> kLatencyBuckets;

// The exposition format's pieces, for code that writes many samples itself (api/slo_metrics):
// a label value with \\, " and newline escaped; a sample value (NaN, +Inf, -Inf, or the shortest
// decimal that reads back as the same double).
void append_label_value(std::string& out, std::string_view v);
void append_value(std::string& out, double v);

// Writes samples that are computed at scrape time (e.g. the snapshot's age).
class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}
  // Starts a family: the HELP and TYPE lines.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);

 private:
  std::string& out_;
};

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                       const std::vector<double>& upper_bounds);
  // Called on every render(), after the registered metrics, under no lock of the registry.
  void add_collector(std::function<void(Exposition&)> collector);

  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, Type type, const std::string& help);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::function<void(Exposition&)>> collectors_;
};

}  // namespace budgetd::metrics
