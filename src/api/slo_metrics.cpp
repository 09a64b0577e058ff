#include "slo_metrics.h"

#include "budgetd/eval/budget_math.h"
#include "budgetd/policy/assessment.h"

namespace budgetd::api {
namespace {

metrics::Labels slo_labels(const config::SloSpec& spec) { return {{"slo", spec.name}, {"service", spec.service}}; }

metrics::Labels with(metrics::Labels labels, std::initializer_list<std::pair<std::string, std::string>> more) {
  for (const auto& l : more) labels.push_back(l);
  return labels;
}

}  // namespace

void write_slo_metrics(metrics::Exposition& ex, const store::SloSet& set, const eval::AlertTracker& alerts,
                       Timestamp now, Millis lookback) {
  // Samples of one family must be together: evaluate every SLO first, then write family by family.
  std::vector<policy::SloAssessment> assessed;
  std::vector<const store::SloSeries*> series;  // beside assessed[i]
  assessed.reserve(set.slos().size());
  for (const store::StoredSlo& slo : set.slos()) {
    auto v = policy::assess_slo(slo, now, now, lookback, alerts);
    if (!v.ok()) continue;  // an SLO that cannot be evaluated has no samples
    assessed.push_back(std::move(*v));
    series.push_back(slo.series.get());
  }
  const auto spec_of = [](const policy::SloAssessment& v) -> const config::SloSpec& { return *v.status.spec; };

  ex.family("budgetd_slo_objective_ratio", "gauge", "The SLO's objective as a ratio (99.9 % is 0.999)");
  for (const policy::SloAssessment& v : assessed)
    ex.sample("budgetd_slo_objective_ratio", slo_labels(spec_of(v)), spec_of(v).objective.ratio());

  ex.family("budgetd_slo_sli_ratio", "gauge",
            "Good share of each window (budget windows: the budgeting method's SLI); 1 without events");
  for (const policy::SloAssessment& v : assessed) {
    for (const eval::WindowReport& w : v.status.windows) {
      double sli = eval::sli_ratio(w.counts);
      for (const eval::BudgetReport& b : v.status.budgets) {
        if (b.window.name == w.name) sli = b.sli;
      }
      ex.sample("budgetd_slo_sli_ratio", with(slo_labels(spec_of(v)), {{"window", w.name}}), sli);
    }
  }

  ex.family("budgetd_slo_burn_rate", "gauge", "Error ratio of each window divided by the error budget ratio (events)");
  for (const policy::SloAssessment& v : assessed) {
    for (const eval::WindowReport& w : v.status.windows) {
      ex.sample("budgetd_slo_burn_rate", with(slo_labels(spec_of(v)), {{"window", w.name}}), w.burn_rate);
    }
  }

  ex.family("budgetd_slo_error_budget_remaining_ratio", "gauge",
            "Share of each budget window's error budget left (negative when overspent); primary=\"true\" is the one "
            "tiers and the gate use");
  for (const policy::SloAssessment& v : assessed) {
    for (size_t i = 0; i < v.status.budgets.size(); ++i) {
      const eval::BudgetReport& b = v.status.budgets[i];
      ex.sample("budgetd_slo_error_budget_remaining_ratio",
                with(slo_labels(spec_of(v)),
                     {{"window", b.window.name}, {"primary", i == spec_of(v).primary ? "true" : "false"}}),
                b.remaining);
    }
  }

  ex.family("budgetd_slo_events_total", "counter", "Events counted for the SLO since budgetd started, by result");
  for (size_t i = 0; i < assessed.size(); ++i) {
    const config::SloSpec& spec = spec_of(assessed[i]);
    ex.sample("budgetd_slo_events_total", with(slo_labels(spec), {{"result", "good"}}),
              static_cast<double>(series[i]->ingested_good()));
    ex.sample("budgetd_slo_events_total", with(slo_labels(spec), {{"result", "bad"}}),
              static_cast<double>(series[i]->ingested_bad()));
  }

  ex.family("budgetd_slo_tier", "gauge", "The SLO's policy tier: 1 for the current one, 0 for the others");
  for (const policy::SloAssessment& v : assessed) {
    const auto& tiers = spec_of(v).policy.tiers;
    for (size_t i = 0; i < tiers.size(); ++i) {
      ex.sample("budgetd_slo_tier", with(slo_labels(spec_of(v)), {{"tier", tiers[i].name}}),
                i == v.tier_index ? 1.0 : 0.0);
    }
  }

  ex.family("budgetd_slo_alert_firing", "gauge", "1 while the alert rule fires, else 0");
  for (const policy::SloAssessment& v : assessed) {
    for (size_t i = 0; i < v.status.alerts.size(); ++i) {
      const config::AlertRuleSpec& rule = *v.status.alerts[i].rule;
      const auto& state = v.alert_states[i];
      const bool firing = state && state->state == eval::AlertState::kFiring;
      ex.sample("budgetd_slo_alert_firing",
                with(slo_labels(spec_of(v)), {{"rule", rule.name}, {"severity", config::to_string(rule.severity)}}),
                firing ? 1.0 : 0.0);
    }
  }
}

}  // namespace budgetd::api
