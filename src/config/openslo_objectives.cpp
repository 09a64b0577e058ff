// OpenSLO objectives. An objective's parts are read in a fixed order, so that problems at one
// position are listed in the order they are found.

#include "openslo_objectives.h"

#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "budget_windows.h"
#include "openslo_documents.h"
#include "openslo_time.h"

namespace budgetd::config {
namespace {

// A fraction 0 < f < 1 (up to nine decimals) as an objective: 0.9995 -> 99.95 %.
std::optional<Objective> fraction_objective(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  const auto f = parse_nanopercent(*text, 1);
  if (!f.ok() || *f <= 0 || *f >= BudgetingSpec::kTargetScale) {
    diags.error(n, fmt::format("{}: '{}' must be a fraction above 0 and below 1 with at most nine decimals, such "
                               "as 0.999",
                               what, *text));
    return std::nullopt;
  }
  return Objective::from_nanopercent(*f * 100);
}

std::string slugify(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// `target` (a fraction) or `targetPercent`, exactly one.
bool read_target(MapReader& o, const std::string& what, SloSpec& slo) {
  Diagnostics& diags = o.diags();
  const YAML::Node target = o.get("target");
  const YAML::Node target_percent = o.get("targetPercent");
  if (target.IsDefined() == target_percent.IsDefined()) {
    diags.error(o.node(), fmt::format("{}: give exactly one of target (0-1) and targetPercent", what));
    return false;
  }
  const auto objective = target.IsDefined() ? fraction_objective(target, diags, what + ".target")
                                            : read_objective(target_percent, diags, what + ".targetPercent");
  if (!objective) return false;
  slo.objective = *objective;
  return true;
}

// `op` and `value`: the threshold of a thresholdMetric; meaningless for a ratioMetric.
bool read_threshold(MapReader& o, const std::optional<OpenSloIndicator>& ind, const std::string& what, SloSpec& slo) {
  Diagnostics& diags = o.diags();
  const auto op = o.string("op");
  const YAML::Node value = o.get("value");
  if (ind && ind->threshold) {
    if (!op || !value.IsDefined()) {
      diags.error(o.node(), fmt::format("{}: a thresholdMetric objective needs op (lt or lte) and value, the latency "
                                        "in milliseconds",
                                        what));
      return false;
    }
    if (*op != "lt" && *op != "lte") {
      diags.error(o.get("op"), fmt::format("{}: op '{}' cannot be honoured: budgetd's latency SLI counts events at "
                                           "or under a threshold as good (op lt or lte)",
                                           what, *op));
      return false;
    }
    const auto v = o.number("value", 0, 1e9);
    if (!v) return false;
    slo.sli.type = SliType::kLatency;
    // lt is "under the value": the largest double below it, with budgetd's "<=", is exact.
    slo.sli.threshold_ms = *op == "lt" ? std::nextafter(*v, 0.0) : *v;
  } else if (ind) {
    slo.sli.type = SliType::kRatio;
    if (op) {
      diags.warning(o.get("op"), fmt::format("{}: op '{}' is ignored on a ratioMetric objective: the target is the "
                                             "least share of good events",
                                             what, *op));
    }
    if (value.IsDefined()) diags.warning(value, fmt::format("{}: value is ignored on a ratioMetric objective", what));
  }
  return true;
}

// `timeSliceWindow` and `timeSliceTarget` of the timeslice methods; ignored under Occurrences.
bool read_time_slices(MapReader& o, BudgetingMethod method, const std::string& what, SloSpec& slo) {
  Diagnostics& diags = o.diags();
  slo.budgeting.method = method;
  const YAML::Node slice_target = o.get("timeSliceTarget");
  const YAML::Node slice_window = o.get("timeSliceWindow");
  if (!slo.budgeting.timesliced()) {
    if (slice_target.IsDefined() || slice_window.IsDefined()) {
      diags.warning(slice_target.IsDefined() ? slice_target : slice_window,
                    fmt::format("{}: timeSliceTarget and timeSliceWindow are ignored under Occurrences", what));
    }
    return true;
  }
  bool ok = true;
  slo.budgeting.slice = kMinute;
  if (slice_window.IsDefined()) {
    const auto w = read_openslo_duration(slice_window, diags, what + ".timeSliceWindow");
    const auto len = w ? w->fixed() : std::nullopt;
    if (!len || !is_ladder_resolution(*len)) {
      if (w) {
        diags.error(slice_window, fmt::format("{}.timeSliceWindow must be 10s, 1m, 5m or 1h (the store's bucket "
                                              "sizes)",
                                              what));
      }
      ok = false;
    } else {
      slo.budgeting.slice = *len;
    }
  }
  if (method != BudgetingMethod::kTimeslices) return ok;
  if (!slice_target.IsDefined()) {
    diags.error(o.node(), fmt::format("{}: Timeslices needs timeSliceTarget", what));
    return false;
  }
  if (auto text = scalar_text(slice_target, diags, what + ".timeSliceTarget")) {
    const auto t = parse_nanopercent(*text, 1);
    if (!t.ok() || *t <= 0 || *t > BudgetingSpec::kTargetScale) {
      diags.error(slice_target, fmt::format("{}.timeSliceTarget must be a fraction above 0 and at most 1", what));
      return false;
    }
    slo.budgeting.slice_target = *t;
  }
  return ok;
}

}  // namespace

std::optional<std::string> objective_slo_name(const YAML::Node& objectives, size_t i, const std::string& slo,
                                              Diagnostics& diags, const std::string& what) {
  if (objectives.size() == 1) return slo;
  const YAML::Node o = objectives[i];
  std::string suffix = at(o, "name").IsScalar()          ? slugify(at(o, "name").Scalar())
                       : at(o, "displayName").IsScalar() ? slugify(at(o, "displayName").Scalar())
                                                         : std::to_string(i + 1);
  std::string name = slo + "-" + (suffix.empty() ? std::to_string(i + 1) : suffix);
  if (!is_slug(name)) {
    diags.error(o, fmt::format("{}: objective {} would be the SLO '{}', which is not a valid name", what, i + 1, name));
    return std::nullopt;
  }
  return name;
}

bool read_objective_entry(const YAML::Node& node, Diagnostics& diags, const std::string& what,
                          const std::optional<OpenSloIndicator>& ind, const std::optional<BudgetingMethod>& method,
                          SloSpec& slo) {
  MapReader o(node, diags, what);
  if (!o.valid()) return false;
  o.get("name");
  o.get("displayName");
  bool ok = true;
  const bool composite = o.get("compositeWeight").IsDefined();
  const bool own_indicator = o.get("indicator").IsDefined() || o.get("indicatorRef").IsDefined();
  if (composite || own_indicator) {
    diags.error(node, fmt::format("{}: composite SLOs (objectives with their own indicator or compositeWeight) are "
                                  "not supported",
                                  what));
    ok = false;
  }
  ok = read_target(o, what, slo) && ok;
  ok = read_threshold(o, ind, what, slo) && ok;
  // Without a valid method the slice keys are left unread: they are then reported as unknown.
  if (method) ok = read_time_slices(o, *method, what, slo) && ok;
  return ok;
}

}  // namespace budgetd::config
