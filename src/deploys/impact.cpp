#include "budgetd/deploys/impact.h"

#include <algorithm>

#include "budgetd/core/window.h"
#include "budgetd/eval/budget.h"
#include "budgetd/eval/budget_math.h"

namespace budgetd::deploys {
namespace {

// The buckets of one ring that a deploy's span, and the hour before it, are read from.
struct Span {
  Millis resolution{0};
  int64_t first = 0;  // counted_from's bucket
  int64_t end = 0;    // one past the last counted bucket
  bool before = false;
};

// The finest ring holding the hour before `from` too; else the finest holding `from`.
std::optional<Span> choose_span(const store::SloSeries& series, Timestamp from, Timestamp to, bool ongoing,
                                Timestamp now) {
  for (const bool with_before : {true, false}) {
    for (const Millis r : kResolutions) {
      const store::BucketRing* ring = series.ring(r);
      if (ring == nullptr) continue;
      Span s{r, bucket_index(from, r), 0, with_before};
      s.end = std::max(s.first, ongoing ? bucket_index(now, r) + 1 : bucket_index(to, r));
      const int64_t oldest_needed = with_before ? s.first - kHour / r : s.first;
      if (oldest_needed < series.oldest_retained_bucket(r, now)) continue;
      if (s.end - oldest_needed > static_cast<int64_t>(ring->slots())) continue;
      return s;
    }
  }
  return std::nullopt;
}

}  // namespace

SloImpact slo_impact(const store::StoredSlo& slo, Timestamp from, Timestamp to, bool ongoing, Timestamp now,
                     double allowed_bad_events) {
  const config::SloSpec& spec = *slo.spec;
  SloImpact out;
  out.slo = spec.name;
  out.window = spec.primary_window().name;
  const std::optional<Span> span = choose_span(*slo.series, from, to, ongoing, now);
  if (!span) return out;
  const store::BucketRing& ring = *slo.series->ring(span->resolution);
  const int64_t hour = kHour / span->resolution;
  const store::Counts counted = ring.sum(span->first, span->end).counts;
  out.retained = true;
  out.counted_from = from_unix_ms(span->first * span->resolution.count());
  out.counted_to = from_unix_ms(span->end * span->resolution.count());
  out.bad = counted.bad();
  out.total = counted.total;
  out.consumed = allowed_bad_events > 0 ? static_cast<double>(out.bad) / allowed_bad_events : 0;
  out.burn_rate_1h_after =
      eval::burn_rate(ring.sum(span->first, std::min(span->first + hour, span->end)).counts, spec.objective);
  if (span->before) {
    out.burn_rate_1h_before = eval::burn_rate(ring.sum(span->first - hour, span->first).counts, spec.objective);
  }
  return out;
}

ImpactReader::ImpactReader(const store::SloSet& slos, Timestamp now)
    : slos_(slos), now_(now), allowed_(slos.slos().size()) {}

Result<double> ImpactReader::allowed_bad_events(size_t i) {
  if (!allowed_[i]) {
    const store::StoredSlo& slo = slos_.slos()[i];
    BUDGETD_ASSIGN_OR_RETURN(const eval::BudgetReport budget,
                             eval::evaluate_budget(slo, slo.spec->primary_window(), now_));
    allowed_[i] = budget.allowed_bad_events;
  }
  return *allowed_[i];
}

Result<DeployImpact> ImpactReader::impact(const Deploy& d, const std::optional<Deploy>& next) {
  DeployImpact impact;
  impact.from = d.ts;
  impact.ongoing = !next.has_value();
  impact.to = next ? next->ts : now_;
  for (size_t i = 0; i < slos_.slos().size(); ++i) {
    const store::StoredSlo& slo = slos_.slos()[i];
    if (slo.spec->service != d.service) continue;
    BUDGETD_ASSIGN_OR_RETURN(const double allowed, allowed_bad_events(i));
    impact.slos.push_back(slo_impact(slo, impact.from, impact.to, impact.ongoing, now_, allowed));
  }
  return impact;
}

Result<DeployImpact> deploy_impact(const Deploy& d, const std::optional<Deploy>& next, const store::SloSet& slos,
                                   Timestamp now) {
  return ImpactReader(slos, now).impact(d, next);
}

}  // namespace budgetd::deploys
