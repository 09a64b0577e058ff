#pragma once
// Which SLOs an event feeds, and with what counts (DESIGN.md §2): an event feeds every SLO of
// its service whose label matchers it satisfies and whose SLI it carries the field for.
//
//   Router router(slo_set);
//   Routed r = route_event(router.routes_for(event.service), event, now,
//                          [&](const Route& route, EventCounts c) { deltas.add(route.slo, ...); });
//
// Thread safety: immutable after construction; share freely.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "budgetd/ingest/event.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::ingest {

struct EventCounts {
  uint64_t good;
  uint64_t total;
};

struct Route {
  uint32_t slo;  // index in the SloSet
  const store::SloSeries* series;
  config::SliSpec sli;
  std::vector<std::pair<std::string, std::string>> match;
  std::vector<std::string> attribution;  // the labels whose values it counts (attribution:)

  // The counts `event` adds to this SLO, or nullopt when it does not feed it.
  std::optional<EventCounts> counts(const Event& event) const;
  // The value of attributed label `i` on `event`; an event without the label counts under "".
  std::string_view attributed_value(const Event& event, size_t i) const {
    const std::string_view* v = event.label(attribution[i]);
    return v == nullptr ? std::string_view{} : *v;
  }
};

// What routing one event came to.
enum class Routed {
  kFed,        // it fed at least one SLO
  kTooOld,     // it matched SLOs, but is older than every window they still retain
  kUnmatched,  // no SLO takes it (unknown service, labels that match none, no field they use)
};

// Routes `event` among `routes` (the SLOs of its service; nullptr when it has none) at `now`:
// calls feed(route, counts) for each SLO the event feeds whose series still retains its ts at
// `now`. The one statement of DESIGN.md §2's routing rule, for ingest and the backtest alike.
template <typename Feed>
Routed route_event(const std::vector<Route>* routes, const Event& event, Timestamp now, Feed&& feed);

class Router {
 public:
  explicit Router(std::shared_ptr<const store::SloSet> slos);

  // The SLOs of `service`, or nullptr when it has none.
  const std::vector<Route>* routes_for(std::string_view service) const;
  const store::SloSet& slos() const { return *slos_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::shared_ptr<const store::SloSet> slos_;
  std::unordered_map<std::string, std::vector<Route>, Hash, std::equal_to<>> by_service_;
};

template <typename Feed>
Routed route_event(const std::vector<Route>* routes, const Event& event, Timestamp now, Feed&& feed) {
  if (routes == nullptr) return Routed::kUnmatched;
  bool fed = false;
  bool too_old = false;
  for (const Route& route : *routes) {
    const std::optional<EventCounts> c = route.counts(event);
    if (!c) continue;
    if (event.ts < route.series->oldest_retained(now)) {
      too_old = true;
      continue;
    }
    feed(route, *c);
    fed = true;
  }
  if (fed) return Routed::kFed;
  return too_old ? Routed::kTooOld : Routed::kUnmatched;
}

}  // namespace budgetd::ingest
