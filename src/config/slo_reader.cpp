// One SLO of budgetd's own format. Its parts are read in a fixed order, that of the keys in
// DESIGN.md: problems at one position are listed in the order they are found.

#include "slo_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "budget_windows.h"
#include "sections.h"
#include "source_reader.h"

namespace budgetd::config {
namespace {

// `name`, `service` and `description`; names the reader after the SLO once its name is known.
bool read_name_and_service(MapReader& m, SloSpec& slo) {
  bool ok = true;
  if (auto name = m.string("name", true)) {
    if (!is_slug(*name)) {
      m.diags().error(
          m.get("name"),
          fmt::format("SLO name '{}' must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
                      *name));
      ok = false;
    }
    slo.name = *name;
  } else {
    ok = false;
  }
  if (!slo.name.empty()) m.set_what(fmt::format("SLO '{}'", slo.name));
  if (auto service = m.string("service", true)) {
    if (service->empty() || service->size() > 256 || !is_printable(*service)) {
      m.diags().error(m.get("service"), fmt::format("{}: service must be 1-256 printable characters", m.what()));
      ok = false;
    }
    slo.service = *service;
  } else {
    ok = false;
  }
  if (auto d = m.string("description")) slo.description = *d;
  return ok;
}

// `windows` (30d when absent) and which of them is `primary`.
bool read_budget_windows(MapReader& m, SloSpec& slo) {
  Diagnostics& diags = m.diags();
  const std::string& what = m.what();
  bool ok = true;
  if (const YAML::Node w = m.get("windows"); w.IsDefined()) {
    if (!w.IsSequence() || w.size() == 0) {
      diags.error(w, fmt::format("{}: windows must be a non-empty list such as [\"30d\"]", what));
      ok = false;
    } else {
      for (size_t i = 0; i < w.size(); ++i) {
        auto win = read_budget_window(w[i], diags, fmt::format("{}: windows[{}]", what, i));
        if (!win) {
          ok = false;
          continue;
        }
        if (!win->is_calendar() && win->length <= kHour) {
          // Budget windows report coverage in whole minutes, so they need minute-aligned buckets.
          diags.error(w[i], fmt::format("{}: budget window {} is too short; budget windows must be longer than 1h "
                                        "(alert windows may be shorter)",
                                        what, win->name));
          ok = false;
          continue;
        }
        if (std::any_of(slo.windows.begin(), slo.windows.end(),
                        [&](const WindowSpec& x) { return x.name == win->name; })) {
          diags.error(w[i], fmt::format("{}: window {} is listed twice", what, win->name));
          ok = false;
          continue;
        }
        slo.windows.push_back(*win);
      }
    }
  } else {
    slo.windows.push_back(WindowSpec::rolling(30 * kDay));
  }
  if (auto primary = m.string("primary")) {
    const auto it =
        std::find_if(slo.windows.begin(), slo.windows.end(), [&](const WindowSpec& x) { return x.name == *primary; });
    if (it == slo.windows.end()) {
      // A plain loop, not std::views::transform: clang 14 (the fuzz build's) cannot compile
      // libstdc++ 12's ranges.
      std::vector<std::string_view> names;
      for (const WindowSpec& w : slo.windows) names.push_back(w.name);
      diags.error(m.get("primary"), fmt::format("{}: primary '{}' is not one of its windows ({})", what, *primary,
                                                fmt::join(names, ", ")));
      ok = false;
    } else {
      slo.primary = static_cast<size_t>(it - slo.windows.begin());
    }
  }
  return ok;
}

// `sla`: a contractual target, which the objective should be stricter than.
bool read_sla(MapReader& m, SloSpec& slo) {
  const YAML::Node sla = m.get("sla");
  if (!sla.IsDefined()) return true;
  const auto target = read_objective(sla, m.diags(), m.what() + ": sla");
  if (!target) return false;
  slo.sla = *target;
  if (slo.objective.nanopercent() != 0 && slo.objective.nanopercent() <= target->nanopercent()) {
    m.diags().warning(sla, fmt::format("{}: objective {} % is not stricter than its SLA {} %: the SLO should "
                                       "spend its budget, and alert, before the SLA is breached",
                                       m.what(), slo.objective.to_string(), target->to_string()));
  }
  return true;
}

void read_sli(MapReader& m, SliSpec& sli) {
  const auto type = m.string("type", true);
  const YAML::Node threshold = m.get("threshold_ms");
  const YAML::Node failed = m.get("failed_requests_are_bad");
  if (!type) return;
  if (*type == "ratio") {
    sli.type = SliType::kRatio;
    if (threshold.IsDefined()) m.diags().error(threshold, "sli.threshold_ms applies only to latency SLIs");
    if (failed.IsDefined()) m.diags().error(failed, "sli.failed_requests_are_bad applies only to latency SLIs");
  } else if (*type == "latency") {
    sli.type = SliType::kLatency;
    if (auto t = m.number("threshold_ms", 0, 3'600'000))
      sli.threshold_ms = *t;
    else if (!threshold.IsDefined())
      m.diags().error(m.node(), m.what() + ": a latency SLI needs threshold_ms");
    if (auto f = m.boolean("failed_requests_are_bad")) sli.failed_requests_are_bad = *f;
  } else {
    m.diags().error(m.get("type"), fmt::format("sli.type must be ratio or latency, not '{}'", *type));
  }
}

// `match`: the labels an event must carry to count for the SLO.
void read_match(MapReader& m, SloSpec& slo) {
  const YAML::Node match = m.get("match");
  if (!match.IsDefined()) return;
  Diagnostics& diags = m.diags();
  if (!match.IsMap()) {
    diags.error(match, fmt::format("{}: match must be a mapping of label to value, e.g. {{region: eu}}", m.what()));
    return;
  }
  for (const auto& kv : match) {
    const auto value = scalar_text(kv.second, diags, fmt::format("{}: match.{}", m.what(), kv.first.Scalar()));
    if (kv.first.Scalar().empty()) diags.error(kv.first, fmt::format("{}: a label name must not be empty", m.what()));
    if (value) slo.match[kv.first.Scalar()] = *value;
  }
}

// `attribution: {labels: [endpoint, region], max_values: 64}`: which labels' values the SLO
// counts apart (store/attribution.h). Memory grows with labels x max_values, hence the limits.
constexpr size_t kMaxAttributedLabels = 8;
constexpr uint32_t kMaxAttributedValues = 1024;  // store::kMaxAttributedValues

void read_attribution(MapReader& m, SloSpec& slo) {
  const YAML::Node node = m.get("attribution");
  if (!node.IsDefined()) return;
  MapReader a(node, m.diags(), m.what() + ": attribution");
  if (!a.valid()) return;
  Diagnostics& diags = m.diags();
  if (auto n = a.unsigned_integer("max_values", 1, kMaxAttributedValues))
    slo.attribution.max_values = static_cast<uint32_t>(*n);
  const YAML::Node labels = a.get("labels");
  if (!labels.IsDefined() || !labels.IsSequence() || labels.size() == 0 || labels.size() > kMaxAttributedLabels) {
    diags.error(labels.IsDefined() ? labels : node,
                fmt::format("{}: attribution.labels must be a list of 1-{} label names, e.g. [endpoint, region]",
                            m.what(), kMaxAttributedLabels));
    return;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto label = scalar_text(labels[i], diags, fmt::format("{}: attribution.labels[{}]", m.what(), i));
    if (!label) continue;
    if (label->empty() || label->size() > 128 || !is_printable(*label)) {
      diags.error(labels[i], fmt::format("{}: attribution.labels[{}] must be 1-128 printable characters", m.what(), i));
    } else if (std::find(slo.attribution.labels.begin(), slo.attribution.labels.end(), *label) !=
               slo.attribution.labels.end()) {
      diags.error(labels[i], fmt::format("{}: attribution label '{}' is listed twice", m.what(), *label));
    } else {
      if (slo.match.contains(*label)) {
        diags.warning(labels[i], fmt::format("{}: attribution label '{}' is also matched on, so it has one value",
                                             m.what(), *label));
      }
      slo.attribution.labels.push_back(*label);
    }
  }
  if (slo.source.from_counters() && slo.attribution.enabled()) {
    // Counters arrive as totals per series, with no event labels to split them by: the parts
    // could never add up to the SLO.
    diags.error(node, fmt::format("{}: attribution: needs events with labels, and this SLO counts pushed counters "
                                  "(source:); remove attribution:, or count events (POST /v1/events, OTLP spans)",
                                  m.what()));
    slo.attribution.labels.clear();
  }
}

void read_slo(const YAML::Node& node, size_t index, const AlertingDefaults& global, const PolicySpec& global_policy,
              Diagnostics& diags, std::vector<SloSpec>& out) {
  MapReader m(node, diags, fmt::format("slos[{}]", index));
  if (!m.valid()) return;
  SloSpec slo;
  bool ok = read_name_and_service(m, slo);
  const std::string what = m.what();
  if (const YAML::Node o = m.get("objective"); o.IsDefined()) {
    if (auto obj = read_objective(o, diags, what)) {
      slo.objective = *obj;
    } else {
      ok = false;
    }
  } else {
    diags.error(node, fmt::format("{}: 'objective' is required (a percentage such as 99.9)", what));
    ok = false;
  }
  ok = read_budget_windows(m, slo) && ok;
  if (const YAML::Node b = m.get("budgeting"); b.IsDefined()) {
    if (auto budgeting = read_budgeting(b, diags, what + ": budgeting")) {
      slo.budgeting = *budgeting;
      ok = check_slices_fit(slo, b, diags, what) && ok;
    } else {
      ok = false;
    }
  }
  ok = read_sla(m, slo) && ok;
  if (const YAML::Node s = m.get("sli"); s.IsDefined()) {
    MapReader sli(s, diags, what + ": sli");
    read_sli(sli, slo.sli);
  } else {
    diags.error(
        node, fmt::format("{}: 'sli' is required, e.g. {{type: ratio}} or {{type: latency, threshold_ms: 300}}", what));
    ok = false;
  }
  read_match(m, slo);
  ok = read_source(m, slo) && ok;  // issue 16: counts from OTLP metrics or remote_write
  read_attribution(m, slo);
  // Read alerting even when the SLO is already invalid, so its own problems are reported too;
  // only the factor checks need a valid objective and window.
  AlertingDefaults mine = global;
  if (const YAML::Node alerting = m.get("alerting"); alerting.IsDefined()) {
    MapReader a(alerting, diags, what + ": alerting");
    read_alerting(a, mine);
  }
  slo.policy = global_policy;
  if (const YAML::Node policy = m.get("policy"); policy.IsDefined()) {
    MapReader p(policy, diags, what + ": policy");
    read_policy(p, slo.policy);
  }
  if (!ok || slo.windows.empty()) return;
  slo.alert_rules = resolve_alert_rules(mine, slo, node, diags);
  out.push_back(std::move(slo));
}

}  // namespace

void read_slos(const YAML::Node& slos, const AlertingDefaults& global, const PolicySpec& global_policy,
               Diagnostics& diags, std::set<std::string, std::less<>>& names, std::vector<SloSpec>& out) {
  if (!slos.IsSequence()) {
    diags.error(slos, "slos must be a list of SLOs");
    return;
  }
  for (size_t i = 0; i < slos.size(); ++i) {
    const YAML::Node slo = slos[i];
    if (slo.IsMap() && slo["name"] && slo["name"].IsScalar() && !names.insert(slo["name"].Scalar()).second) {
      diags.error(slo["name"], fmt::format("SLO name '{}' is used more than once", slo["name"].Scalar()));
    }
    read_slo(slo, i, global, global_policy, diags, out);
  }
}

}  // namespace budgetd::config
