#pragma once
// Which SLOs a pushed counter series feeds (issue 16): the SLOs whose `source:` selectors match
// it, each as its total or as its good/bad part. Built once per SLO set, like ingest::Router.
//
//   CounterRoutes routes(slo_set);
//   routes.match(SourceKind::kPrometheus, "http_requests_total", labels, feeds);
//
// Thread safety: immutable after construction; share freely.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "budgetd/config/source.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::inputs {

struct SeriesLabel {
  std::string_view name;
  std::string_view value;
};

enum class CounterSide : uint8_t { kTotal, kPart };

struct CounterFeed {
  uint32_t slo;  // index in the SloSet
  CounterSide side;
  friend bool operator==(const CounterFeed&, const CounterFeed&) = default;
};

class CounterRoutes {
 public:
  explicit CounterRoutes(std::shared_ptr<const store::SloSet> slos);
  ~CounterRoutes();
  CounterRoutes(const CounterRoutes&) = delete;
  CounterRoutes& operator=(const CounterRoutes&) = delete;

  // Appends to `out` every (SLO, side) a series of `metric` with `labels` feeds. A label the
  // series lacks matches as the empty string, as in Prometheus. For OTLP histograms, call with
  // the histogram's name: it feeds its SLOs as both sides (count = total, bucket = good).
  void match(config::SourceKind kind, std::string_view metric, std::span<const SeriesLabel> labels,
             std::vector<CounterFeed>& out) const;
  // Whether any SLO reads counters of this kind (else a body need not be decoded past its size).
  bool any(config::SourceKind kind) const;
  const store::SloSet& slos() const { return *slos_; }
  std::shared_ptr<const store::SloSet> slo_set() const { return slos_; }

 private:
  struct Selector;
  struct Entry;
  std::shared_ptr<const store::SloSet> slos_;
  std::unordered_map<std::string, std::vector<Entry>> prometheus_;
  std::unordered_map<std::string, std::vector<Entry>> otlp_;
};

}  // namespace budgetd::inputs
