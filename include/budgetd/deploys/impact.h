#pragma once
// What a deploy cost: over [the deploy, the next deploy of its service or now), the bad events
// of each of the service's SLOs, the share of its primary budget they consumed, and the 1h burn
// rate before and after it.
//
//   ImpactReader reader(slos, now);                       // one per request
//   Result<DeployImpact> i = reader.impact(d, next_deploy_of_its_service);
//   i->slos[0].consumed;     // 0.12: 12 % of the primary budget, as it stands at `now`
//
// Exact, and so aligned to buckets: for each SLO the span is read from one ring, the finest
// that still holds the hour before the deploy at `now` (else the finest that holds the deploy,
// and then no "before"), both ends rounded down to its buckets (an ongoing span runs to the
// end of the bucket holding `now`, as status windows do). `counted_from`/`counted_to` say
// which span that is, so anyone can check the counts; consecutive deploys counted at the same
// resolution never share a bucket. "before" is the hour ending at counted_from; "after" the
// hour from it, cut at counted_to.
//
// consumed = bad / the bad events the primary budget window allows at `now` (eval's
// allowed_bad_events: (1 - objective) x its events), as an alert episode's budget_consumed is.
//
// Thread safety: only reads the store; any thread.

#include <optional>
#include <string>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/deploys/deploy_log.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::deploys {

struct SloImpact {
  std::string slo;
  std::string window;  // the primary budget window: "30d"
  // False when no ring still holds the deploy (the SLO's windows are all shorter than its
  // age): then nothing below is known and the answer says so rather than guess.
  bool retained = false;
  Timestamp counted_from, counted_to;
  uint64_t bad = 0, total = 0;
  double consumed = 0;
  std::optional<double> burn_rate_1h_before;  // nullopt: the hour before is no longer held
  double burn_rate_1h_after = 0;
};

struct DeployImpact {
  Timestamp from, to;  // the deploy's ts; the next deploy's, or now
  bool ongoing = false;
  std::vector<SloImpact> slos;  // the service's SLOs, in config order
};

// Impacts at one `now`. Each SLO's primary budget is evaluated once per reader, however many
// deploys it is asked about (a GET lists up to thousands). Not for concurrent use: one a request.
class ImpactReader {
 public:
  ImpactReader(const store::SloSet& slos, Timestamp now);
  Result<DeployImpact> impact(const Deploy& d, const std::optional<Deploy>& next);

 private:
  // The bad events the primary budget window of slos_.slos()[i] allows at now_.
  Result<double> allowed_bad_events(size_t i);

  const store::SloSet& slos_;
  const Timestamp now_;
  std::vector<std::optional<double>> allowed_;  // by SLO index, filled on first use
};

// One deploy's impact: ImpactReader(slos, now).impact(d, next).
Result<DeployImpact> deploy_impact(const Deploy& d, const std::optional<Deploy>& next, const store::SloSet& slos,
                                   Timestamp now);

// The SloImpact of one SLO over [from, to) (ongoing: to = now, the current bucket included),
// `allowed_bad_events` being its primary budget's at `now`.
SloImpact slo_impact(const store::StoredSlo& slo, Timestamp from, Timestamp to, bool ongoing, Timestamp now,
                     double allowed_bad_events);

}  // namespace budgetd::deploys
