#include "budgetd/api/slo_metrics.h"

#include <fmt/format.h>

#include "budgetd/eval/budget_math.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/policy/assessment.h"

namespace budgetd::api {
namespace {

struct FamilyText {
  const char* name;
  const char* type;
  const char* help;
};

// In the order the parts are sent.
constexpr FamilyText kFamilyText[] = {
    {"budgetd_slo_objective_ratio", "gauge", "The SLO's objective as a ratio (99.9 % is 0.999)"},
    {"budgetd_slo_sli_ratio", "gauge",
     "Good share of each window (budget windows: the budgeting method's SLI); 1 without events"},
    {"budgetd_slo_burn_rate", "gauge", "Error ratio of each window divided by the error budget ratio (events)"},
    {"budgetd_slo_error_budget_remaining_ratio", "gauge",
     "Share of each budget window's error budget left (negative when overspent); primary=\"true\" is the one "
     "tiers and the gate use"},
    {"budgetd_slo_events_total", "counter", "Events counted for the SLO since budgetd started, by result"},
    {"budgetd_slo_tier", "gauge", "The SLO's policy tier: 1 for the current one, 0 for the others"},
    {"budgetd_slo_alert_firing", "gauge", "1 while the alert rule fires, else 0"},
    {"budgetd_slo_alert_insufficient_data", "gauge",
     "1 while min_events holds the alert rule back (its long window has too few events to fire), else 0"},
    {"budgetd_slo_too_few_events", "gauge",
     "1 while the primary budget window holds fewer events than one bad event needs not to overspend it "
     "((1 - objective) x total < 1), else 0"},
};

void header(std::string& out, const FamilyText& f) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", f.name, f.help, f.name, f.type);
}

// Appends `,name="value"` with the value escaped.
void append_label(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  out += name;
  out += "=\"";
  metrics::append_label_value(out, value);
  out += '"';
}

}  // namespace

SloMetricsWriter::SloMetricsWriter() {
  static_assert(std::size(kFamilyText) == kFamilies);
  for (size_t f = 0; f < kFamilies; ++f) header(chunk(static_cast<Family>(f)), kFamilyText[f]);
}

std::string& SloMetricsWriter::chunk(Family f) {
  // Text grows in chunks of about kChunkBytes rather than in one string per family: no copy as
  // it grows, and little reserved memory left unused in the rendering kept until the next tick.
  std::vector<std::string>& chunks = families_[f];
  if (chunks.empty() || chunks.back().size() + kSampleBytes > kChunkBytes) {
    chunks.emplace_back().reserve(kChunkBytes);
  }
  return chunks.back();
}

void SloMetricsWriter::sample(Family f, std::string_view extra, double value) {
  std::string& out = chunk(f);
  out += kFamilyText[f].name;
  out += '{';
  out += labels_;
  out += extra;
  out += "} ";
  metrics::append_value(out, value);
  out += '\n';
}

void SloMetricsWriter::add(const store::StoredSlo& slo, const eval::SloStatus& status,
                           const eval::AlertTracker& alerts) {
  const config::SloSpec& spec = *status.spec;
  labels_ = "slo=\"";
  metrics::append_label_value(labels_, spec.name);
  labels_ += "\",service=\"";
  metrics::append_label_value(labels_, spec.service);
  labels_ += '"';

  sample(kObjective, "", spec.objective.ratio());
  // One buffer for every sample's extra labels: a string per label was ~20 allocations per SLO
  // per tick.
  std::string extra;
  for (const eval::WindowReport& w : status.windows) {
    double sli = eval::sli_ratio(w.counts);
    for (const eval::BudgetReport& b : status.budgets) {
      if (b.window.name == w.name) sli = b.sli;
    }
    extra.clear();
    append_label(extra, "window", w.name);
    sample(kSli, extra, sli);
    sample(kBurnRate, extra, w.burn_rate);
  }
  for (size_t i = 0; i < status.budgets.size(); ++i) {
    const eval::BudgetReport& b = status.budgets[i];
    extra.clear();
    append_label(extra, "window", b.window.name);
    extra += i == spec.primary ? ",primary=\"true\"" : ",primary=\"false\"";
    sample(kRemaining, extra, b.remaining);
  }
  sample(kEvents, ",result=\"good\"", static_cast<double>(slo.series->ingested_good()));
  sample(kEvents, ",result=\"bad\"", static_cast<double>(slo.series->ingested_bad()));
  const size_t tier = policy::tier_index(spec.policy, status.primary(), spec.objective);
  for (size_t i = 0; i < spec.policy.tiers.size(); ++i) {
    extra.clear();
    append_label(extra, "tier", spec.policy.tiers[i].name);
    sample(kTier, extra, i == tier ? 1.0 : 0.0);
  }
  for (const eval::AlertRuleReport& a : status.alerts) {
    const config::AlertRuleSpec& rule = *a.rule;
    const bool firing = alerts.is_firing(spec.name, rule.name);
    extra.clear();
    append_label(extra, "rule", rule.name);
    append_label(extra, "severity", config::to_string(rule.severity));
    sample(kFiring, extra, firing ? 1.0 : 0.0);
    sample(kInsufficientData, extra, !firing && a.low_traffic ? 1.0 : 0.0);
  }
  const eval::BudgetReport& primary = status.primary();
  const bool too_few = primary.method == config::BudgetingMethod::kOccurrences &&
                       eval::too_few_events(primary.window.counts, spec.objective);
  sample(kTooFewEvents, "", too_few ? 1.0 : 0.0);
}

std::shared_ptr<const SloMetrics> SloMetricsWriter::finish(Timestamp evaluated_at, std::chrono::nanoseconds took) && {
  auto out = std::make_shared<SloMetrics>();
  out->evaluated_at = evaluated_at;
  for (std::vector<std::string>& chunks : families_) {
    for (std::string& c : chunks) out->parts.push_back(std::move(c));
  }
  // Written with the samples they describe, so a scrape never pairs one tick's samples with
  // another tick's time.
  std::string when;
  header(when, {"budgetd_slo_evaluation_timestamp_seconds", "gauge",
                "When the evaluation the budgetd_slo_* samples come from ran, in unix seconds (budgetd's clock); "
                "they are refreshed every alerting.evaluation_interval"});
  when += "budgetd_slo_evaluation_timestamp_seconds ";
  metrics::append_value(when, static_cast<double>(to_unix_ms(evaluated_at)) / 1000.0);
  when += '\n';
  header(when, {"budgetd_slo_evaluation_duration_seconds", "gauge",
                "How long that evaluation of every SLO (and this rendering) took, in seconds"});
  when += "budgetd_slo_evaluation_duration_seconds ";
  metrics::append_value(when, std::chrono::duration<double>(took).count());
  when += '\n';
  out->parts.push_back(std::move(when));
  return out;
}

}  // namespace budgetd::api
