#include "recorder.h"

#include <algorithm>

#include <fmt/format.h>

#include "budgetd/episodes/builder.h"

namespace budgetd::backtest {

void AlertOnset::add(double k, uint64_t good, uint64_t total, Timestamp first_bad) {
  const uint64_t bad = total - good;
  const double next = std::max(0.0, excess + static_cast<double>(bad) - k * static_cast<double>(total));
  if (excess == 0 && next > 0) onset = first_bad;  // only bad events can lift it off 0
  excess = next;
}

Recorder::Recorder(std::shared_ptr<const store::SloSet> slos, Millis lookback)
    : slos_(std::move(slos)), lookback_(lookback) {
  const auto& all = slos_->slos();
  state_.resize(all.size());
  history_.resize(all.size());
  std::map<std::string, size_t> service_index;
  for (uint32_t i = 0; i < all.size(); ++i) {
    const config::SloSpec& spec = *all[i].spec;
    state_[i].onsets.resize(spec.alert_rules.size());
    SloHistory& h = history_[i];
    h.slo = spec.name;
    h.service = spec.service;
    h.objective_percent = spec.objective.percent();
    h.window = spec.primary_window().name;
    auto [it, added] = service_index.emplace(spec.service, services_.size());
    if (added) services_.push_back({spec.service, {}, {}, {}, false});
    services_[it->second].slos.push_back(i);
  }
  for (const ServiceGate& g : services_) {
    for (const config::ChangeType c : config::kChangeTypes) {
      GateHistory h;
      h.service = g.service;
      h.change = c;
      gate_.push_back(std::move(h));
    }
  }
}

void Recorder::on_counts(uint32_t slo, uint64_t good, uint64_t total, Timestamp first_bad) {
  const config::SloSpec& spec = *slos_->slos()[slo].spec;
  const double budget = spec.objective.budget_ratio();
  SloState& st = state_[slo];
  for (size_t r = 0; r < st.onsets.size(); ++r) {
    st.onsets[r].add(spec.alert_rules[r].factor * budget, good, total, first_bad);
  }
}

void Recorder::evaluate(Timestamp t) {
  ++evaluations_;
  last_evaluation_ = t;
  const auto& slos = slos_->slos();
  std::vector<std::optional<policy::SloAssessment>> assessed(slos.size());
  for (uint32_t i = 0; i < slos.size(); ++i) {
    auto s = eval::evaluate_slo(slos[i], t, t, lookback_);
    if (!s.ok()) {
      ++history_[i].evaluation_errors;
      continue;
    }
    // The alert states first: the tier, the gate and the firing pages see this evaluation's.
    for (const eval::AlertChange& c : tracker_.observe(slos[i], *s, t)) record_alert_change(i, c);
    record_episode(i, *s, t);
    assessed[i] = policy::assess(slos[i], std::move(*s), &tracker_);
    record_budget(i, *assessed[i], t);
  }
  for (ServiceGate& g : services_) record_gate(g, assessed, t);
}

void Recorder::record_alert_change(uint32_t slo, const eval::AlertChange& c) {
  SloHistory& h = history_[slo];
  const std::string key = c.alert.key();
  if (c.kind == eval::AlertChange::Kind::kResolved) {
    const auto it = open_alerts_.find(key);
    if (it == open_alerts_.end()) return;  // fired while the list was full
    AlertRecord& r = h.alerts[it->second];
    r.end = c.alert.resolved_at;
    r.budget_consumed = c.alert.budget_consumed;
    r.postmortem_required = c.alert.postmortem_required;
    open_alerts_.erase(it);
    return;
  }
  ++(c.alert.severity == config::Severity::kPage ? h.pages : h.tickets);
  if (h.alerts.size() >= kMaxListed) {
    ++h.alerts_omitted;
    return;
  }
  AlertRecord r;
  r.rule = c.alert.rule;
  r.severity = c.alert.severity;
  r.factor = c.alert.factor;
  r.start = c.alert.since;
  r.long_burn_rate = c.alert.long_burn_rate;
  r.short_burn_rate = c.alert.short_burn_rate;
  const auto& rules = slos_->slos()[slo].spec->alert_rules;
  for (size_t j = 0; j < rules.size(); ++j) {
    const auto& onset = state_[slo].onsets[j].onset;
    if (rules[j].name == r.rule && onset && *onset <= r.start) {
      r.onset = onset;
      r.detection_delay = r.start - *onset;
    }
  }
  open_alerts_[key] = h.alerts.size();
  h.alerts.push_back(std::move(r));
}

void Recorder::record_episode(uint32_t slo, const eval::SloStatus& status, Timestamp t) {
  SloState& st = state_[slo];
  std::optional<episodes::Episode> next = episodes::step_episode(slos_->slos()[slo], status, tracker_, st.episode, t);
  if (!next) return;
  if (next->ongoing()) {
    st.episode = std::move(next);
    return;
  }
  st.episode.reset();
  list_episode(slo, std::move(*next), t);
}

void Recorder::list_episode(uint32_t slo, episodes::Episode e, Timestamp t) {
  SloHistory& h = history_[slo];
  if (h.episodes.size() >= kMaxListed) {
    ++h.episodes_omitted;
    return;
  }
  // Read now, while the rings still hold the episode's span at a fine resolution.
  auto c = eval::contributors(slos_->slos()[slo], e.start, e.end.value_or(t), "");
  h.episodes.push_back({std::move(e), c.ok() ? std::move(*c) : std::vector<eval::LabelContributors>{}});
}

void Recorder::record_budget(uint32_t slo, const policy::SloAssessment& a, Timestamp t) {
  SloState& st = state_[slo];
  SloHistory& h = history_[slo];
  const size_t tier = a.tier_index;
  BudgetSample sample;
  sample.at = t;
  sample.remaining = a.status.primary().remaining;
  sample.sli = a.status.primary().sli;
  sample.tier = a.tier().name;
  sample.burn_rate_1h = a.status.forecast.burn_rate_1h;
  if (st.tier != tier) {
    if (h.tiers.size() < kMaxListed) {
      h.tiers.push_back({t, sample.tier, sample.remaining});
    } else {
      ++h.tier_changes_omitted;
    }
    st.tier = tier;
  }
  const int64_t day = floor_div(to_unix_ms(t), kDay.count());
  if (!st.last_sample || day != st.last_sample_day) {
    if (h.daily.size() < kMaxListed) {
      h.daily.push_back(sample);
    } else {
      ++h.daily_omitted;
    }
    st.last_sample_day = day;
  }
  if (!h.lowest || sample.remaining < h.lowest->remaining) h.lowest = sample;
  st.last_sample = std::move(sample);
}

void Recorder::record_gate(ServiceGate& g, const std::vector<std::optional<policy::SloAssessment>>& assessed,
                           Timestamp t) {
  std::vector<std::pair<size_t, bool>> inputs;
  for (const uint32_t i : g.slos) {
    if (assessed[i]) inputs.emplace_back(assessed[i]->tier_index, !assessed[i]->firing_pages.empty());
  }
  if (inputs.empty()) return;  // none of its SLOs could be evaluated: no answer to record
  const size_t first = static_cast<size_t>(&g - services_.data()) * config::kChangeTypes.size();
  // The verdicts depend only on the tiers and the firing pages: decide again when those change.
  if (!g.decided || inputs != g.inputs) {
    for (size_t c = 0; c < config::kChangeTypes.size(); ++c) {
      std::vector<policy::SloDecision> decisions;
      for (const uint32_t i : g.slos) {
        if (assessed[i]) decisions.push_back(policy::decide(*assessed[i], config::kChangeTypes[c]));
      }
      policy::GateDecision d = policy::combine(std::move(decisions));
      GateHistory& h = gate_[first + c];
      if (!g.decided || d.verdict != g.last[c].verdict) {
        // The reasons of the SLO that decided (the strictest; among equals the one with least budget).
        const policy::SloDecision* decider = nullptr;
        for (const auto& s : d.slos) {
          if (s.verdict == d.verdict && (decider == nullptr || s.remaining < decider->remaining)) decider = &s;
        }
        std::string reason = fmt::format("{}", fmt::join(decider->reasons, "; "));
        if (h.changes.size() < kMaxListed) {
          h.changes.push_back({t, d.verdict, d.tier, std::move(reason)});
        } else {
          ++h.changes_omitted;
        }
      }
      g.last[c] = std::move(d);
    }
    g.inputs = std::move(inputs);
    g.decided = true;
  }
  for (size_t c = 0; c < config::kChangeTypes.size(); ++c) {
    GateHistory& h = gate_[first + c];
    switch (g.last[c].verdict) {
      case policy::Verdict::kAllow:
        ++h.allowed;
        break;
      case policy::Verdict::kAllowWithRequirements:
        ++h.allowed;
        ++h.with_requirements;
        break;
      case policy::Verdict::kDeny:
        ++h.denied;
        break;
    }
  }
}

void Recorder::finish(BacktestReport& report) {
  const auto& slos = slos_->slos();
  for (const auto& [key, index] : open_alerts_) {
    const auto slash = key.find('/');
    const int i = slos_->index_of(std::string_view(key).substr(0, slash));
    if (i < 0) continue;
    AlertRecord& r = history_[static_cast<size_t>(i)].alerts[index];
    if (auto a = tracker_.find(key.substr(0, slash), key.substr(slash + 1))) {
      r.budget_consumed = a->budget_consumed;
      r.postmortem_required = a->postmortem_required;
    }
  }
  for (uint32_t i = 0; i < slos.size(); ++i) {
    if (state_[i].episode && last_evaluation_) list_episode(i, std::move(*state_[i].episode), *last_evaluation_);
    const auto& last = state_[i].last_sample;
    SloHistory& h = history_[i];
    if (last && (h.daily.empty() || h.daily.back().at != last->at)) h.daily.push_back(*last);
  }
  report.slos = std::move(history_);
  report.gate = std::move(gate_);
  report.evaluations = evaluations_;
}

}  // namespace budgetd::backtest
