#include "budgetd/eval/alert_tracker.h"

#include <algorithm>
#include <set>

#include "budgetd/eval/budget_math.h"
#include "budgetd/eval/contributors.h"

namespace budgetd::eval {

const char* to_string(AlertState s) {
  switch (s) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
    case AlertState::kInsufficientData:
      return "insufficient_data";
  }
  return "?";
}

namespace {

// Share of the primary budget that the bad events between `from` and `to` consumed.
double consumed_between(const store::StoredSlo& slo, const SloStatus& status, Timestamp from, Timestamp to,
                        Timestamp now, SeriesBlocks* blocks) {
  const double allowed = status.primary().allowed_bad_events;
  if (allowed <= 0 || to <= from) return 0;
  return static_cast<double>(counts_between(slo, from, to, now, blocks).bad()) / allowed;
}

// An episode's errors start before its alert fires: the short window that fired it was already
// burning. Counting from the start of that short window takes in the errors that made the rule
// fire, without reaching back over the long window into unrelated history.
Timestamp episode_start(Timestamp fired, const config::AlertRuleSpec& rule) { return fired - rule.short_window.length; }

}  // namespace

std::vector<AlertChange> AlertTracker::observe(const store::StoredSlo& slo, const SloStatus& status, Timestamp now,
                                               SeriesBlocks* blocks) {
  std::vector<AlertChange> changes;
  std::lock_guard lock(mu_);
  const config::SloSpec& spec = *slo.spec;
  for (const AlertRuleReport& report : status.alerts) {
    const config::AlertRuleSpec& rule = *report.rule;
    AlertInstance& a = alerts_.try_emplace(key_of(spec.name, rule.name)).first->second;  // copies the key only when new
    bool fired = false;
    a.slo = spec.name;
    a.service = spec.service;
    a.rule = rule.name;
    a.severity = rule.severity;
    a.runbook_url = rule.runbook_url;
    a.factor = rule.factor;
    a.long_window = rule.long_window.name;
    a.short_window = rule.short_window.name;
    a.objective_percent = spec.objective.percent();
    a.long_burn_rate = report.long_window.burn_rate;
    a.short_burn_rate = report.short_window.burn_rate;
    a.events = report.long_window.counts.total;
    a.min_events = rule.min_events;
    // Low traffic is a state, not silence; a resolved alert keeps saying when it ended.
    if (!report.firing && (a.state == AlertState::kInactive || a.state == AlertState::kInsufficientData))
      a.state = report.low_traffic ? AlertState::kInsufficientData : AlertState::kInactive;

    if (report.firing && a.state != AlertState::kFiring) {
      a.state = AlertState::kFiring;
      a.since = now;
      a.resolved_at.reset();
      a.incident.clear();  // the last span's
      a.incident = incident_for(spec.name, now);
      // The change is pushed once the episode's figures are known (below): a copy taken here
      // said budget_consumed 0 and no postmortem in the first notification, while the status
      // already showed the burn that arrived in one batch.
      fired = true;
    } else if (!report.firing && a.state == AlertState::kFiring) {
      a.state = AlertState::kResolved;
      a.resolved_at = now;
      a.budget_consumed = consumed_between(slo, status, episode_start(a.since, rule), now, now, blocks);
      a.postmortem_required = a.budget_consumed >= kPostmortemShare;
      auto& past = past_[spec.name];
      past.push_front({a.rule, a.severity, a.since, now, a.budget_consumed, a.postmortem_required});
      if (past.size() > kEpisodesKept) past.pop_back();
      changes.push_back({AlertChange::Kind::kResolved, a});
      continue;
    }
    if (a.state == AlertState::kFiring) {
      // The episode so far; it can require a postmortem before it ends.
      a.budget_consumed = consumed_between(slo, status, episode_start(a.since, rule), now, now, blocks);
      a.postmortem_required = a.budget_consumed >= kPostmortemShare;
      // Who burned it, over the long window the rule fires on; kept as it was once resolved.
      if (slo.attribution) {
        const WindowBounds& w = report.long_window.bounds;
        auto c = contributors(slo, w.start, w.end, "", now);
        a.top_contributors = c.ok() ? top_contributors_text(*c, 3) : std::string();
      }
      // Alert state from before incidents (an older snapshot) joins one now.
      if (a.incident.empty()) a.incident = incident_for(spec.name, a.since);
    }
    if (fired) changes.push_back({AlertChange::Kind::kFired, a});
  }
  return changes;
}

std::string AlertTracker::incident_for(const std::string& slo, Timestamp since) const {
  const std::string prefix = slo + "/";
  for (auto it = alerts_.lower_bound(prefix); it != alerts_.end() && it->first.starts_with(prefix); ++it) {
    const AlertInstance& other = it->second;
    if (other.slo == slo && other.state == AlertState::kFiring && !other.incident.empty()) return other.incident;
  }
  return slo + "@" + format_rfc3339(since);
}

std::vector<AlertChange> AlertTracker::retain(const store::SloSet& set, Timestamp now) {
  std::vector<AlertChange> changes;
  std::set<std::string, std::less<>> keep;
  for (const auto& s : set.slos()) {
    for (const auto& r : s.spec->alert_rules) keep.insert(s.spec->name + "/" + r.name);
  }
  std::lock_guard lock(mu_);
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    if (keep.count(it->first) != 0) {
      ++it;
      continue;
    }
    if (it->second.state == AlertState::kFiring) {
      it->second.state = AlertState::kResolved;
      it->second.resolved_at = now;
      changes.push_back({AlertChange::Kind::kResolved, it->second});
    }
    it = alerts_.erase(it);
  }
  for (auto it = past_.begin(); it != past_.end();) {
    it = set.find(it->first) == nullptr ? past_.erase(it) : std::next(it);
  }
  return changes;
}

std::vector<AlertInstance> AlertTracker::firing() const {
  std::lock_guard lock(mu_);
  std::vector<AlertInstance> out;
  for (const auto& [key, a] : alerts_) {
    if (a.state == AlertState::kFiring) out.push_back(a);
  }
  return out;
}

std::vector<AlertInstance> AlertTracker::insufficient_data() const {
  std::lock_guard lock(mu_);
  std::vector<AlertInstance> out;
  for (const auto& [key, a] : alerts_) {
    if (a.state == AlertState::kInsufficientData) out.push_back(a);
  }
  return out;
}

const std::string& AlertTracker::key_of(std::string_view slo, std::string_view rule) const {
  key_.assign(slo);
  key_ += '/';
  key_ += rule;
  return key_;
}

std::optional<AlertInstance> AlertTracker::find(std::string_view slo, std::string_view rule) const {
  std::lock_guard lock(mu_);
  const auto it = alerts_.find(key_of(slo, rule));
  if (it == alerts_.end()) return std::nullopt;
  return it->second;
}

bool AlertTracker::is_firing(std::string_view slo, std::string_view rule) const {
  std::lock_guard lock(mu_);
  const auto it = alerts_.find(key_of(slo, rule));
  return it != alerts_.end() && it->second.state == AlertState::kFiring;
}

std::vector<AlertEpisode> AlertTracker::episodes(std::string_view slo) const {
  std::lock_guard lock(mu_);
  std::vector<AlertEpisode> out;
  // Only this SLO's alerts: keys are "slo/rule", so they sit together from "slo/" on. (Scanning
  // every alert made each status answer cost O(SLOs), and a list of 10,000 SLOs seconds.)
  const std::string prefix = std::string(slo) + "/";
  for (auto it = alerts_.lower_bound(prefix); it != alerts_.end() && it->first.starts_with(prefix); ++it) {
    const AlertInstance& a = it->second;
    if (a.slo == slo && a.state == AlertState::kFiring) {  // not an SLO named "slo/x"
      out.push_back({a.rule, a.severity, a.since, std::nullopt, a.budget_consumed, a.postmortem_required});
    }
  }
  if (const auto it = past_.find(slo); it != past_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  std::stable_sort(out.begin(), out.end(),
                   [](const AlertEpisode& a, const AlertEpisode& b) { return a.start > b.start; });
  return out;
}

}  // namespace budgetd::eval
