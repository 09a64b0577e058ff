#pragma once
// Which SLOs an event feeds, and with what counts (DESIGN.md §2): an event feeds every SLO of
// its service whose label matchers it satisfies and whose SLI it carries the field for.
//
//   Router router(slo_set);
//   if (const auto* routes = router.routes_for(event.service))
//     for (const Route& r : *routes) if (auto c = r.counts(event)) deltas.add(r.slo, ...);
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

  // The counts `event` adds to this SLO, or nullopt when it does not feed it.
  std::optional<EventCounts> counts(const Event& event) const;
};

class Router {
 public:
  explicit Router(std::shared_ptr<const store::SloSet> slos);

  // The SLOs of `service`, or nullptr when it has none.
  const std::vector<Route>* routes_for(std::string_view service) const;
  const store::SloSet& slos() const { return *slos_; }
  const std::shared_ptr<const store::SloSet>& slos_ptr() const { return slos_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::shared_ptr<const store::SloSet> slos_;
  std::unordered_map<std::string, std::vector<Route>, Hash, std::equal_to<>> by_service_;
};

}  // namespace budgetd::ingest
