#include "budgetd/ingest/router.h"

namespace budgetd::ingest {

std::optional<EventCounts> Route::counts(const Event& event) const {
  for (const auto& [key, value] : match) {
    const std::string_view* v = event.label(key);
    if (v == nullptr || *v != value) return std::nullopt;
  }
  if (sli.type == config::SliType::kRatio) {
    if (event.has_counts) return EventCounts{event.good_count, event.total_count};
    if (event.has_good_flag) return EventCounts{event.good_flag ? 1u : 0u, 1};
    return std::nullopt;
  }
  if (!event.has_latency) return std::nullopt;
  const bool failed = sli.failed_requests_are_bad && event.has_good_flag && !event.good_flag;
  return EventCounts{!failed && event.latency_ms <= sli.threshold_ms ? 1u : 0u, 1};
}

Router::Router(std::shared_ptr<const store::SloSet> slos) : slos_(std::move(slos)) {
  const auto& all = slos_->slos();
  for (size_t i = 0; i < all.size(); ++i) {
    const config::SloSpec& spec = *all[i].spec;
    if (spec.source.from_counters()) continue;  // fed by pushed counters (issue 16), never by events
    Route r{static_cast<uint32_t>(i),
            all[i].series.get(),
            spec.sli,
            {spec.match.begin(), spec.match.end()},
            spec.attribution.labels};
    by_service_[spec.service].push_back(std::move(r));
  }
}

const std::vector<Route>* Router::routes_for(std::string_view service) const {
  const auto it = by_service_.find(service);
  return it == by_service_.end() ? nullptr : &it->second;
}

}  // namespace budgetd::ingest
