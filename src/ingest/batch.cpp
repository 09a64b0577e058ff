#include "budgetd/ingest/batch.h"

#include <fmt/format.h>

#include "budgetd/core/window.h"

namespace budgetd::ingest {
namespace {

// Routes each decoded event and sums what it feeds into the batch's deltas.
class BatchBuilder final : public EventSink {
 public:
  BatchBuilder(Timestamp now, const Router& router, const IngestLimits& limits, DeltaBatch& deltas, BatchReport& report)
      : now_(now), router_(router), limits_(limits), deltas_(deltas), report_(report) {}

  void on_event(uint32_t index, const Event& event) override {
    if (event.ts > now_ + limits_.max_future) {
      ++report_.rejected_future;
      reject(index, 0, [&] {
        return fmt::format("ts {} is {} ahead of budgetd's clock ({}); events more than {} in the future are rejected",
                           format_rfc3339(event.ts), format_duration(event.ts - now_), format_rfc3339(now_),
                           format_duration(limits_.max_future));
      });
      return;
    }
    const int64_t bucket = bucket_index(event.ts, kFinestResolution);
    const Routed routed = route_event(routes_for(event.service), event, now_, [&](const Route& route, EventCounts c) {
      deltas_.add(route.slo, bucket, c.good, c.total);
      if (route.attribution.empty()) return;
      const int64_t at = attribution_bucket(route.slo, bucket);
      for (size_t i = 0; i < route.attribution.size(); ++i) {
        deltas_.add_attributed(route.slo, static_cast<uint32_t>(i), route.attributed_value(event, i), at, c.good,
                               c.total);
      }
    });
    switch (routed) {
      case Routed::kFed:
        ++report_.accepted;
        break;
      case Routed::kTooOld:
        ++report_.rejected_too_old;
        reject(index, 0, [&] {
          return fmt::format("ts {} is too old: it is before every retained window of the SLOs it matches",
                             format_rfc3339(event.ts));
        });
        break;
      case Routed::kUnmatched:
        ++report_.unmatched;
        break;
    }
  }

  void on_reject(uint32_t index, uint32_t line, std::string_view reason) override {
    reject(index, line, [reason] { return std::string(reason); });
  }

  bool wants_reasons() const override { return report_.errors.size() < limits_.max_errors_listed; }

 private:
  // `reason` makes the message; it is only called while errors are still listed.
  template <typename MakeReason>
  void reject(uint32_t index, uint32_t line, MakeReason reason) {
    ++report_.rejected;
    if (wants_reasons()) {
      report_.errors.push_back({index, line, reason()});
    } else {
      ++report_.errors_omitted;
    }
  }

  // The first 10 s bucket of the finest attribution bucket holding `bucket`: every attribution
  // ring is that coarse or coarser, so summing there first writes the same ring buckets with
  // fewer deltas (a batch's minute of one value is one delta, not six).
  int64_t attribution_bucket(uint32_t slo, int64_t bucket) const {
    const store::Attribution* a = router_.slos().slos()[slo].attribution.get();
    if (a == nullptr) return bucket;
    for (size_t i = 0; i < kResolutions.size(); ++i) {
      if (a->plan().slots[i] == 0) continue;
      const int64_t per = kResolutions[i] / kFinestResolution;
      return floor_div(bucket, per) * per;
    }
    return bucket;
  }

  // Batches usually carry one service over and over: remember the last lookup.
  const std::vector<Route>* routes_for(std::string_view service) {
    if (!has_last_ || service != last_service_) {
      last_service_.assign(service);
      last_routes_ = router_.routes_for(service);
      has_last_ = true;
    }
    return last_routes_;
  }

  Timestamp now_;
  const Router& router_;
  const IngestLimits& limits_;
  DeltaBatch& deltas_;
  BatchReport& report_;
  std::string last_service_;
  const std::vector<Route>* last_routes_ = nullptr;
  bool has_last_ = false;
};

}  // namespace

void BatchReport::clear() {
  accepted = rejected = unmatched = errors_omitted = rejected_too_old = rejected_future = 0;
  errors.clear();
}

std::optional<MalformedBody> prepare_batch(BatchDecoder& decoder, const char* data, size_t size, size_t capacity,
                                           BodyFormat format, Timestamp now, const Router& router,
                                           const IngestLimits& limits, DeltaBatch& deltas, BatchReport& report) {
  deltas.clear();
  report.clear();
  BatchBuilder builder(now, router, limits, deltas, report);
  std::optional<MalformedBody> bad = decoder.decode(data, size, capacity, format, now, builder);
  if (bad) {
    deltas.clear();
    report.clear();
  }
  return bad;
}

std::optional<std::string> prepare_events(const EventProducer& produce, Timestamp now, const Router& router,
                                          const IngestLimits& limits, DeltaBatch& deltas, BatchReport& report) {
  deltas.clear();
  report.clear();
  BatchBuilder builder(now, router, limits, deltas, report);
  std::optional<std::string> bad = produce(builder);
  if (bad) {
    deltas.clear();
    report.clear();
  }
  return bad;
}

}  // namespace budgetd::ingest
