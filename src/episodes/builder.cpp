#include "budgetd/episodes/builder.h"

#include <algorithm>

#include "budgetd/core/window.h"

namespace budgetd::episodes {
namespace {

std::vector<const eval::AlertInstance*> firing_rules(const std::vector<eval::AlertInstance>& alerts) {
  std::vector<const eval::AlertInstance*> out;
  for (const auto& a : alerts) {
    if (a.state == eval::AlertState::kFiring) out.push_back(&a);
  }
  // The first to fire first; equal times in rule order, so replay and replicas agree.
  std::stable_sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->since < b->since; });
  return out;
}

Episode open_new(const store::StoredSlo& slo, const eval::SloStatus& status, const eval::AlertInstance& first,
                 Timestamp now) {
  const config::SloSpec& spec = *slo.spec;
  Episode e;
  e.id = first.incident.empty() ? spec.name + "@" + format_rfc3339(first.since) : first.incident;
  e.slo = spec.name;
  e.service = spec.service;
  e.window = status.primary().window.name;
  e.detection = first.since;
  // The burn the first rule detected began within its long window: the data it fired on.
  const config::AlertRuleSpec* rule = nullptr;
  for (const auto& r : spec.alert_rules) {
    if (r.name == first.rule) rule = &r;
  }
  const Millis reach = rule ? rule->long_window.length : Millis{0};
  const double threshold = rule ? rule->factor * spec.objective.budget_ratio() : 0;
  const auto bad = burn_onset(slo, first.since - reach, first.since, threshold, now);
  e.start = bad ? std::min(bad->at, e.detection) : e.detection;
  e.start_resolution = bad ? bad->resolution : Millis{0};
  return e;
}

// Opens a span for each firing rule that has none open; closes those whose rule stopped. A span
// stays open while its rule fires, across a restart too (a tracker restored from an older
// snapshot, or none, says it fired later: the burn went on meanwhile).
void update_spans(Episode& e, const std::vector<eval::AlertInstance>& alerts,
                  const std::vector<const eval::AlertInstance*>& firing, Timestamp now) {
  for (RuleSpan& s : e.spans) {
    if (s.resolved) continue;
    const auto a = std::find_if(alerts.begin(), alerts.end(), [&](const auto& x) { return x.rule == s.rule; });
    if (a != alerts.end() && a->state == eval::AlertState::kFiring) continue;
    // When the tracker says it resolved; else (a rule removed, a tracker that lost it) now.
    const bool known = a != alerts.end() && a->resolved_at && *a->resolved_at >= s.fired && *a->resolved_at <= now;
    s.resolved = known ? *a->resolved_at : now;
  }
  for (const auto* a : firing) {
    const bool has_open = std::any_of(e.spans.begin(), e.spans.end(),
                                      [&](const RuleSpan& s) { return s.rule == a->rule && !s.resolved; });
    if (has_open || e.spans.size() >= Episode::kMaxSpans) continue;
    e.spans.push_back({a->rule, a->severity, std::max(a->since, e.detection), std::nullopt});
  }
}

}  // namespace

std::optional<Onset> burn_onset(const store::StoredSlo& slo, Timestamp from, Timestamp to, double threshold,
                                Timestamp now) {
  for (const Millis r : kResolutions) {
    const store::BucketRing* ring = slo.series->ring(r);
    if (ring == nullptr || to <= from) continue;
    const int64_t first = bucket_index(from, r);
    const int64_t end = bucket_index(to - Millis{1}, r) + 1;
    if (first < slo.series->oldest_retained_bucket(r, now) || end - first > static_cast<int64_t>(ring->slots()))
      continue;
    // Backwards from detection: the bucket where the excess of bad events over the threshold,
    // summed up to detection, is largest (a CUSUM change point). Only a bucket with bad events
    // can raise the sum, so the answer always holds some.
    double excess = 0, best = 0;
    std::optional<int64_t> onset;
    for (int64_t b = end - 1; b >= first; --b) {
      const store::Counts c = ring->read(b);
      excess += static_cast<double>(c.bad()) - threshold * static_cast<double>(c.total);
      if (excess > best) {
        best = excess;
        onset = b;
      }
    }
    if (!onset) return std::nullopt;
    return Onset{from_unix_ms(*onset * r.count()), r};
  }
  return std::nullopt;
}

std::optional<Episode> step_episode(const store::StoredSlo& slo, const eval::SloStatus& status,
                                    const eval::AlertTracker& alerts, const std::optional<Episode>& open, Timestamp now,
                                    eval::SeriesBlocks* blocks) {
  const config::SloSpec& spec = *slo.spec;
  std::vector<eval::AlertInstance> mine;
  for (const auto& rule : spec.alert_rules) {
    if (auto a = alerts.find(spec.name, rule.name)) mine.push_back(std::move(*a));
  }
  const std::vector<const eval::AlertInstance*> firing = firing_rules(mine);
  if (!open && firing.empty()) return std::nullopt;

  Episode e = open ? *open : open_new(slo, status, *firing.front(), now);
  update_spans(e, mine, firing, now);
  if (firing.empty()) {
    Timestamp end = e.detection;
    for (const RuleSpan& s : e.spans) end = std::max(end, s.resolved.value_or(now));
    e.end = end;
  }
  for (const auto* a : firing) {
    if (a->long_burn_rate > e.peak_burn_rate) {
      e.peak_burn_rate = a->long_burn_rate;
      e.peak_rule = a->rule;
      e.peak_at = now;
    }
  }
  e.allowed_bad_events = status.primary().allowed_bad_events;
  e.bad_events = eval::counts_between(slo, e.start, e.end.value_or(now), now, blocks).bad();
  e.budget_consumed = e.allowed_bad_events > 0 ? static_cast<double>(e.bad_events) / e.allowed_bad_events : 0;
  e.postmortem_required = e.budget_consumed >= eval::AlertTracker::kPostmortemShare;

  if (open) {
    const bool transition = e.spans != open->spans || e.end != open->end || e.peak_at != open->peak_at;
    const bool figures = e.bad_events != open->bad_events || e.allowed_bad_events != open->allowed_bad_events;
    if (!transition && (!figures || now - open->updated < kFiguresEvery)) return std::nullopt;
  }
  e.updated = now;
  return e;
}

}  // namespace budgetd::episodes
