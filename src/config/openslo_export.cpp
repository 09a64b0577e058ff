// budgetd's SLOs as OpenSLO v1 documents (`budgetd export openslo`): the inverse of
// openslo_import.cpp, so that exporting and importing again gives the same SLOs.

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "budgetd/config/loader.h"

namespace budgetd::config {
namespace {

// A fraction with up to nine decimals, from 1e-9 units: 950'000'000 -> "0.95".
std::string fraction(int64_t nano) {
  std::string digits = fmt::format("{:09d}", nano % 1'000'000'000);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return fmt::format("{}{}{}", nano / 1'000'000'000, digits.empty() ? "" : ".", digits);
}

// OpenSLO's duration shorthand for a budgetd duration: 30d, 6h, 5m (never weeks: 14d stays 14d).
std::string duration(Millis d) { return format_duration(d); }

const char* calendar_duration(CalendarUnit u) {
  switch (u) {
    case CalendarUnit::kDaily:
      return "1d";
    case CalendarUnit::kWeekly:
      return "1w";
    case CalendarUnit::kMonthly:
      return "1M";
    case CalendarUnit::kQuarterly:
      return "1Q";
    case CalendarUnit::kYearly:
      return "1Y";
  }
  return "1M";
}

const char* method_name(BudgetingMethod m) {
  switch (m) {
    case BudgetingMethod::kOccurrences:
      return "Occurrences";
    case BudgetingMethod::kTimeslices:
      return "Timeslices";
    case BudgetingMethod::kRatioTimeslices:
      return "RatioTimeslices";
  }
  return "Occurrences";
}

// The metric source of a pushed SLI: budgetd's own type, carrying the service and the labels.
void metric_source(YAML::Emitter& out, const SloSpec& s) {
  out << YAML::Key << "metricSource" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << "budgetd";
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "service" << YAML::Value << s.service;
  if (!s.match.empty()) {
    out << YAML::Key << "match" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : s.match) out << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
}

// spec.indicator: a ratioMetric or thresholdMetric of budgetd's own metric source.
void indicator(YAML::Emitter& out, const SloSpec& s, std::vector<std::string>& notes) {
  out << YAML::Key << "indicator" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
      << s.name + "-sli" << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (s.sli.type == SliType::kRatio) {
    out << YAML::Key << "ratioMetric" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "counter" << YAML::Value << true;
    for (const char* part : {"good", "total"}) {
      out << YAML::Key << part << YAML::Value << YAML::BeginMap;
      metric_source(out, s);
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  } else {
    out << YAML::Key << "thresholdMetric" << YAML::Value << YAML::BeginMap;
    metric_source(out, s);
    out << YAML::EndMap;
    if (!s.sli.failed_requests_are_bad) {
      notes.push_back(fmt::format("SLO '{}': failed_requests_are_bad: false has no OpenSLO equivalent", s.name));
    }
  }
  out << YAML::EndMap << YAML::EndMap;  // indicator spec, indicator
}

// spec.timeWindow: the primary window only, as OpenSLO v1 has one.
void time_window(YAML::Emitter& out, const SloSpec& s, std::vector<std::string>& notes) {
  const WindowSpec& w = s.primary_window();
  if (s.windows.size() > 1) {
    notes.push_back(
        fmt::format("SLO '{}': OpenSLO v1 has one time window per SLO; exported its primary, {}", s.name, w.name));
  }
  out << YAML::Key << "timeWindow" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  if (w.calendar) {
    out << YAML::Key << "duration" << YAML::Value << calendar_duration(w.calendar->unit);
    out << YAML::Key << "isRolling" << YAML::Value << false;
    // 2024-01-01 is a Monday and the first day of a month, quarter and year: where budgetd's
    // periods start anyway.
    out << YAML::Key << "calendar" << YAML::Value << YAML::BeginMap << YAML::Key << "startTime" << YAML::Value
        << "2024-01-01 00:00:00" << YAML::Key << "timeZone" << YAML::Value << w.calendar->timezone << YAML::EndMap;
  } else {
    out << YAML::Key << "duration" << YAML::Value << duration(w.length);
    out << YAML::Key << "isRolling" << YAML::Value << true;
  }
  out << YAML::EndMap << YAML::EndSeq;
}

// spec.objectives: the one objective, with the latency threshold and the time slices.
void objectives(YAML::Emitter& out, const SloSpec& s) {
  out << YAML::Key << "objectives" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  if (s.objective.nanopercent() % 100 == 0) {
    out << YAML::Key << "target" << YAML::Value << fraction(s.objective.nanopercent() / 100);
  } else {  // more decimals than a nine-decimal fraction holds: the percentage is exact
    out << YAML::Key << "targetPercent" << YAML::Value << s.objective.to_string();
  }
  if (s.sli.type == SliType::kLatency) {
    // budgetd counts latency <= threshold as good; a threshold just under a round value is "lt".
    const double above = std::nextafter(s.sli.threshold_ms, INFINITY);
    const bool lt = std::floor(above) == above && above != s.sli.threshold_ms;
    out << YAML::Key << "op" << YAML::Value << (lt ? "lt" : "lte");
    out << YAML::Key << "value" << YAML::Value << fmt::format("{}", lt ? above : s.sli.threshold_ms);
  }
  if (s.budgeting.timesliced()) {
    if (s.budgeting.method == BudgetingMethod::kTimeslices) {
      out << YAML::Key << "timeSliceTarget" << YAML::Value << fraction(s.budgeting.slice_target);
    }
    out << YAML::Key << "timeSliceWindow" << YAML::Value << duration(s.budgeting.slice);
  }
  out << YAML::EndMap << YAML::EndSeq;
}

// spec.alertPolicies: one inline policy whose burn-rate conditions are the SLO's rules.
void alert_policies(YAML::Emitter& out, const SloSpec& s) {
  out << YAML::Key << "alertPolicies" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << "AlertPolicy";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value
      << s.name + "-burn-rate" << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "alertWhenBreaching" << YAML::Value << true;
  out << YAML::Key << "conditions" << YAML::Value << YAML::BeginSeq;
  for (const AlertRuleSpec& r : s.alert_rules) {
    out << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << "AlertCondition";
    out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << r.name
        << YAML::EndMap;
    out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "severity" << YAML::Value << to_string(r.severity);
    out << YAML::Key << "condition" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "kind" << YAML::Value << "burnrate";
    out << YAML::Key << "op" << YAML::Value << "gt";
    out << YAML::Key << "threshold" << YAML::Value << fmt::format("{}", r.factor);
    out << YAML::Key << "lookbackWindow" << YAML::Value << r.long_window.name;
    out << YAML::Key << "alertAfter" << YAML::Value << r.short_window.name;
    out << YAML::EndMap << YAML::EndMap << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "notificationTargets" << YAML::Value << YAML::BeginSeq << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap << YAML::EndSeq;
}

void slo_document(YAML::Emitter& out, const SloSpec& s, std::vector<std::string>& notes) {
  out << YAML::BeginDoc << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "openslo/v1";
  out << YAML::Key << "kind" << YAML::Value << "SLO";
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name
      << YAML::EndMap;
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (!s.description.empty()) out << YAML::Key << "description" << YAML::Value << s.description;
  out << YAML::Key << "service" << YAML::Value << s.service;
  indicator(out, s, notes);
  time_window(out, s, notes);
  out << YAML::Key << "budgetingMethod" << YAML::Value << method_name(s.budgeting.method);
  objectives(out, s);
  if (!s.alert_rules.empty()) alert_policies(out, s);
  out << YAML::EndMap << YAML::EndMap;  // spec, document
  if (s.sla) notes.push_back(fmt::format("SLO '{}': its sla has no OpenSLO field and is not exported", s.name));
  if (s.attribution.enabled())
    notes.push_back(fmt::format("SLO '{}': attribution (labels {}) has no OpenSLO field and is not exported", s.name,
                                fmt::join(s.attribution.labels, ", ")));
  if (!s.alert_rules.empty() && s.alert_rules.front().min_events != 10) {
    notes.push_back(fmt::format("SLO '{}': alert min_events has no OpenSLO field and is not exported", s.name));
  }
}

}  // namespace

std::string export_openslo(const Config& config, std::vector<std::string>& notes) {
  YAML::Emitter out;
  for (const SloSpec& s : config.slos) slo_document(out, s, notes);
  return std::string(out.c_str()) + "\n";
}

}  // namespace budgetd::config
