// OpenSLO v1 documents into budgetd SLOs (see openslo.h for the mapping): the SLO itself, its
// indicator (SLI) and budgeting method, here; the rest by concept beside it: documents and
// references (openslo_documents.h), time (openslo_time.h), alerting (openslo_alerts.h),
// objectives (openslo_objectives.h).

#include <fmt/format.h>

#include "budget_windows.h"
#include "openslo.h"
#include "openslo_alerts.h"
#include "openslo_documents.h"
#include "openslo_objectives.h"
#include "openslo_time.h"

namespace budgetd::config {
namespace {

// The SLI of an SLO: its inline indicator, or the SLI document indicatorRef names.
std::optional<OpenSloDoc> indicator(MapReader& spec, const OpenSloIndex& index, Diagnostics& diags,
                                    const std::string& what) {
  const YAML::Node inline_sli = spec.get("indicator");
  const YAML::Node ref = spec.get("indicatorRef");
  if (inline_sli.IsDefined() && ref.IsDefined()) {
    diags.error(ref, fmt::format("{}: give indicator or indicatorRef, not both", what));
    return std::nullopt;
  }
  if (inline_sli.IsDefined()) {
    if (!at(inline_sli, "spec").IsMap()) {
      diags.error(inline_sli, fmt::format("{}: indicator.spec is required", what));
      return std::nullopt;
    }
    return OpenSloDoc{inline_sli, &diags};
  }
  if (ref.IsDefined()) {
    const OpenSloDoc* sli = find_referenced(index.slis, ref, "indicatorRef", "SLI document", diags, what);
    if (sli == nullptr) return std::nullopt;
    return *sli;
  }
  diags.error(spec.node(), fmt::format("{}: indicator or indicatorRef is required", what));
  return std::nullopt;
}

// Reads the SLI's metric: which kind, and the metric source (only `budgetd` ones mean anything).
std::optional<OpenSloIndicator> read_indicator(const OpenSloDoc& sli, const std::string& what) {
  Diagnostics& diags = *sli.diags;
  MapReader spec(at(sli.node, "spec"), diags, what + ": indicator spec");
  spec.get("description");
  const YAML::Node ratio = spec.get("ratioMetric");
  const YAML::Node threshold = spec.get("thresholdMetric");
  if (ratio.IsDefined() == threshold.IsDefined()) {
    diags.error(spec.node(),
                fmt::format("{}: the indicator needs exactly one of ratioMetric and thresholdMetric", what));
    return std::nullopt;
  }
  OpenSloIndicator ind;
  ind.threshold = threshold.IsDefined();
  std::vector<YAML::Node> sources;
  if (ind.threshold) {
    sources.push_back(at(threshold, "metricSource"));
  } else {
    for (const char* part : {"good", "bad", "total", "raw"}) {
      if (at(ratio, part).IsMap()) sources.push_back(at(at(ratio, part), "metricSource"));
    }
  }
  for (const YAML::Node& s : sources) {
    if (!s.IsMap()) continue;
    if (at(s, "type").IsScalar() && ind.source_type.empty()) ind.source_type = at(s, "type").Scalar();
    if (at(s, "type").IsScalar() && at(s, "type").Scalar() == "budgetd" && at(s, "spec").IsMap() &&
        at(at(s, "spec"), "match").IsMap()) {
      for (const auto& kv : at(at(s, "spec"), "match")) {
        if (kv.second.IsScalar()) ind.match[kv.first.Scalar()] = kv.second.Scalar();
      }
    }
  }
  return ind;
}

std::optional<BudgetingMethod> read_method(MapReader& spec, Diagnostics& diags, const std::string& what) {
  const auto text = spec.string("budgetingMethod");
  if (!text) return BudgetingMethod::kOccurrences;
  if (*text == "Occurrences") return BudgetingMethod::kOccurrences;
  if (*text == "Timeslices") return BudgetingMethod::kTimeslices;
  if (*text == "RatioTimeslices") return BudgetingMethod::kRatioTimeslices;
  diags.error(
      spec.get("budgetingMethod"),
      fmt::format("{}: budgetingMethod must be Occurrences, Timeslices or RatioTimeslices, not '{}'", what, *text));
  return std::nullopt;
}

// One document of kind SLO: what its objectives share is read once, into `base`; each valid
// objective is then one budgetd SLO. Every part is read even after an error, to report them all.
void read_slo(const OpenSloDoc& d, const OpenSloIndex& index, const AlertingDefaults& global, const PolicySpec& policy,
              std::vector<SloSpec>& out) {
  Diagnostics& diags = *d.diags;
  const std::string name = name_of(d.node);
  const std::string what = fmt::format("OpenSLO SLO '{}'", name);
  if (!is_slug(name)) {
    diags.error(at(at(d.node, "metadata"), "name"),
                fmt::format("{}: the name must be 1-63 of a-z, 0-9 and '-' to be a budgetd SLO name", what));
    return;
  }
  MapReader spec(at(d.node, "spec"), diags, what + ": spec");
  if (!spec.valid()) return;
  bool ok = true;
  SloSpec base;
  base.name = name;
  base.description = spec.string("description").value_or("");
  const auto service = spec.string("service", true);
  if (!service || service->empty() || !is_printable(*service)) {
    ok = false;
  } else {
    base.service = *service;
  }
  const auto sli = indicator(spec, index, diags, what);
  const auto ind = sli ? read_indicator(*sli, what) : std::nullopt;
  if (!ind) ok = false;
  const auto window = read_time_window(spec, diags, what);
  if (window) {
    base.windows.push_back(*window);
  } else {
    ok = false;
  }
  const auto method = read_method(spec, diags, what);
  if (!method) ok = false;
  AlertingDefaults alerting = global;
  if (auto rules = read_alert_policies(spec.get("alertPolicies"), index, diags, what); !rules.ok()) {
    ok = false;
  } else if (!rules->empty()) {
    alerting.rules = std::move(*rules);
  }
  if (ind) {
    base.match = ind->match;
    if (ind->source_type != "budgetd") {
      diags.warning(at(d.node, "kind"),
                    fmt::format("{}: its metric source{} is not queried: budgetd is push-based, so events POSTed "
                                "to /v1/events with service '{}' feed it",
                                what, ind->source_type.empty() ? "" : " (" + ind->source_type + ")", base.service));
    }
  }
  base.policy = policy;

  const YAML::Node objectives = spec.get("objectives");
  if (!objectives.IsSequence() || objectives.size() == 0) {
    diags.error(objectives.IsDefined() ? objectives : spec.node(),
                fmt::format("{}: objectives must be a non-empty list", what));
    return;
  }
  for (size_t i = 0; i < objectives.size(); ++i) {
    SloSpec slo = base;
    auto slo_name = objective_slo_name(objectives, i, name, diags, what);
    if (!slo_name) continue;
    slo.name = std::move(*slo_name);
    if (read_objective_entry(objectives[i], diags, fmt::format("{}: objectives[{}]", what, i), ind, method, slo) &&
        ok) {
      if (!check_slices_fit(slo, objectives[i], diags, what)) continue;
      slo.alert_rules = resolve_alert_rules(alerting, slo, d.node, diags);
      out.push_back(std::move(slo));
    }
  }
}

}  // namespace

void read_openslo(const std::vector<OpenSloDoc>& docs, const AlertingDefaults& global, const PolicySpec& policy,
                  std::vector<SloSpec>& out) {
  const OpenSloIndex index = index_documents(docs);
  for (const OpenSloDoc& d : index.slos) read_slo(d, index, global, policy, out);
}

}  // namespace budgetd::config
