// OpenSLO v1 documents into budgetd SLOs (see openslo.h for the mapping).

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "budget_windows.h"
#include "budgetd/core/window.h"
#include "openslo.h"

namespace budgetd::config {
namespace {

constexpr std::string_view kApiVersion = "openslo/v1";

struct Named {
  YAML::Node node;
  Diagnostics* diags;
};
using Index = std::map<std::string, Named, std::less<>>;

// n[key] without yaml-cpp's throw on missing keys of const nodes: an Undefined node instead.
YAML::Node at(const YAML::Node& n, std::string_view key) {
  if (!n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string name_of(const YAML::Node& doc) {
  const YAML::Node m = at(doc, "metadata");
  if (m.IsMap() && at(m, "name") && at(m, "name").IsScalar()) return at(m, "name").Scalar();
  return "";
}

// "2w" -> {2, 'w'}. OpenSLO's units: m (minute), h, d, w, M (month), Q (quarter), Y (year); s too.
struct OpenSloDuration {
  int64_t count = 0;
  char unit = 0;
  std::optional<Millis> fixed() const {  // nullopt for M, Q and Y, which have no fixed length
    switch (unit) {
      case 's':
        return count * kSecond;
      case 'm':
        return count * kMinute;
      case 'h':
        return count * kHour;
      case 'd':
        return count * kDay;
      case 'w':
        return count * 7 * kDay;
      default:
        return std::nullopt;
    }
  }
};

std::optional<OpenSloDuration> read_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  OpenSloDuration d;
  size_t i = 0;
  while (i < text->size() && std::isdigit(static_cast<unsigned char>((*text)[i])) && i < 6) {
    d.count = d.count * 10 + ((*text)[i] - '0');
    ++i;
  }
  if (i == 0 || i + 1 != text->size() || d.count == 0 ||
      std::string_view("smhdwMQY").find((*text)[i]) == std::string_view::npos) {
    diags.error(n,
                fmt::format("{}: '{}' is not an OpenSLO duration such as 5m, 1h, 28d, 1w, 1M, 1Q or 1Y", what, *text));
    return std::nullopt;
  }
  d.unit = (*text)[i];
  return d;
}

// A duration with a fixed length (not M, Q or Y), or nullopt after saying why.
std::optional<Millis> fixed_duration(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  const auto d = read_duration(n, diags, what);
  if (!d) return std::nullopt;
  if (!d->fixed()) {
    diags.error(
        n, fmt::format("{}: {}{} has no fixed length; write it in days, hours or minutes", what, d->count, d->unit));
  }
  return d->fixed();
}

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Whether "YYYY-MM-DD HH:MM:SS" is where budgetd's periods of `unit` start anyway: local
// midnight, on a Monday for weeks, on the 1st for months, of Jan/Apr/Jul/Oct for quarters.
bool start_is_aligned(std::string_view t, CalendarUnit unit) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(std::string(t).c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return false;
  if (h != 0 || mi != 0 || s != 0) return false;
  switch (unit) {
    case CalendarUnit::kDaily:
      return true;
    case CalendarUnit::kWeekly:
      // 1970-01-01 was a Thursday: Monday is 4 days on.
      return ((days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) - 4) % 7 + 7) % 7 == 0;
    case CalendarUnit::kMonthly:
      return d == 1;
    case CalendarUnit::kQuarterly:
      return d == 1 && (mo - 1) % 3 == 0;
    case CalendarUnit::kYearly:
      return d == 1 && mo == 1;
  }
  return false;
}

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

class Importer {
 public:
  Importer(const std::vector<OpenSloDoc>& docs, const AlertingDefaults& global, const PolicySpec& policy)
      : docs_(docs), global_(global), policy_(policy) {}

  void run(std::vector<SloSpec>& out) {
    index();
    for (const OpenSloDoc& d : slos_) read_slo(d, out);
  }

 private:
  // Checks every document's envelope and files the referable ones by kind and name.
  void index() {
    bool targets_noted = false;
    for (const OpenSloDoc& d : docs_) {
      Diagnostics& diags = *d.diags;
      const YAML::Node& n = d.node;
      if (!n.IsMap()) {
        diags.error(n, "an OpenSLO document must be a mapping with apiVersion, kind, metadata and spec");
        continue;
      }
      const std::string api = at(n, "apiVersion").IsScalar() ? at(n, "apiVersion").Scalar() : "";
      if (api != kApiVersion) {
        diags.error(at(n, "apiVersion").IsDefined() ? at(n, "apiVersion") : n,
                    fmt::format("apiVersion '{}' is not supported: budgetd reads OpenSLO {}", api, kApiVersion));
        continue;
      }
      const std::string kind = at(n, "kind").IsScalar() ? at(n, "kind").Scalar() : "";
      const std::string name = name_of(n);
      if (name.empty()) {
        diags.error(n, fmt::format("OpenSLO {}: metadata.name is required", kind.empty() ? "document" : kind));
        continue;
      }
      if (!at(n, "spec").IsMap()) {
        diags.error(n, fmt::format("OpenSLO {} '{}': spec is required", kind, name));
        continue;
      }
      Index* into = nullptr;
      if (kind == "SLO") {
        slos_.push_back(d);  // read in run(), once every document is indexed
        continue;
      } else if (kind == "SLI") {
        into = &slis_;
      } else if (kind == "AlertPolicy") {
        into = &policies_;
      } else if (kind == "AlertCondition") {
        into = &conditions_;
      } else if (kind == "Service") {
        into = &services_;
      } else if (kind == "AlertNotificationTarget") {
        if (!targets_noted) {
          diags.warning(at(n, "kind"), fmt::format("AlertNotificationTarget '{}': budgetd sends every alert to its "
                                                   "notify: targets (Alertmanager, webhooks); route by the labels slo, "
                                                   "service and severity there",
                                                   name));
          targets_noted = true;
        }
        continue;
      } else if (kind == "DataSource") {
        diags.warning(at(n, "kind"), fmt::format("DataSource '{}' is not used: budgetd does not query metric sources, "
                                                 "services push their events to it",
                                                 name));
        continue;
      } else {
        diags.error(at(n, "kind").IsDefined() ? at(n, "kind") : n,
                    fmt::format("OpenSLO kind '{}' is not supported (budgetd reads SLO, SLI, Service, AlertPolicy, "
                                "AlertCondition, AlertNotificationTarget and DataSource)",
                                kind));
        continue;
      }
      if (!into->emplace(name, Named{n, d.diags}).second) {
        diags.warning(at(at(n, "metadata"), "name"),
                      fmt::format("{} '{}' is defined more than once; the first one is used", kind, name));
      }
    }
  }

  // The SLI of an SLO: its inline indicator, or the SLI document indicatorRef names.
  std::optional<Named> indicator(MapReader& spec, Diagnostics& diags, const std::string& what) {
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
      return Named{inline_sli, &diags};
    }
    if (ref.IsDefined()) {
      const std::string name = ref.IsScalar() ? ref.Scalar() : "";
      const auto it = slis_.find(name);
      if (it == slis_.end()) {
        diags.error(ref, fmt::format("{}: indicatorRef '{}' names no SLI document", what, name));
        return std::nullopt;
      }
      return it->second;
    }
    diags.error(spec.node(), fmt::format("{}: indicator or indicatorRef is required", what));
    return std::nullopt;
  }

  struct Indicator {
    bool threshold = false;  // thresholdMetric, else ratioMetric
    std::string source_type;
    std::map<std::string, std::string> match;  // from metric sources of type budgetd
  };

  // Reads the SLI's metric: which kind, and the metric source (only `budgetd` ones mean anything).
  std::optional<Indicator> read_indicator(const Named& sli, const std::string& what) {
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
    Indicator ind;
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

  std::optional<WindowSpec> read_time_window(MapReader& spec, Diagnostics& diags, const std::string& what) {
    const YAML::Node list = spec.get("timeWindow");
    if (!list.IsDefined()) {
      diags.error(spec.node(), fmt::format("{}: timeWindow is required", what));
      return std::nullopt;
    }
    if (!list.IsSequence() || list.size() != 1) {
      diags.error(list, fmt::format("{}: timeWindow must be a list of exactly one window", what));
      return std::nullopt;
    }
    MapReader w(list[0], diags, what + ": timeWindow[0]");
    if (!w.valid()) return std::nullopt;
    const YAML::Node dn = w.get("duration");
    if (!dn.IsDefined()) {
      diags.error(list[0], fmt::format("{}: timeWindow[0].duration is required", what));
      return std::nullopt;
    }
    const auto d = read_duration(dn, diags, what + ": timeWindow[0].duration");
    const bool rolling = w.boolean("isRolling").value_or(true);
    const YAML::Node cal = w.get("calendar");
    if (!d) return std::nullopt;
    if (rolling) {
      if (cal.IsDefined()) diags.warning(cal, fmt::format("{}: calendar is ignored for a rolling window", what));
      const auto len = d->fixed();
      if (!len) {
        diags.error(dn, fmt::format("{}: a rolling window of {}{} has no fixed length; write it in days (e.g. 30d) "
                                    "or make it a calendar window (isRolling: false)",
                                    what, d->count, d->unit));
        return std::nullopt;
      }
      auto win = check_window(*len, dn, diags, what + ": timeWindow", dn.Scalar());
      if (win && win->length <= kHour) {
        diags.error(dn, fmt::format("{}: budget windows must be longer than 1h, not {}", what, win->name));
        return std::nullopt;
      }
      return win;
    }
    // A calendar window: one day, week, month, quarter or year.
    std::optional<CalendarUnit> unit;
    if (d->count == 1) {
      switch (d->unit) {
        case 'd':
          unit = CalendarUnit::kDaily;
          break;
        case 'w':
          unit = CalendarUnit::kWeekly;
          break;
        case 'M':
          unit = CalendarUnit::kMonthly;
          break;
        case 'Q':
          unit = CalendarUnit::kQuarterly;
          break;
        case 'Y':
          unit = CalendarUnit::kYearly;
          break;
        default:
          break;
      }
    }
    if (!unit) {
      diags.error(dn, fmt::format("{}: a calendar window of {}{} is not supported: budgetd's calendar windows are 1d, "
                                  "1w, 1M, 1Q and 1Y (OpenSLO writes minutes as m and months as M)",
                                  what, d->count, d->unit));
      return std::nullopt;
    }
    YAML::Node as_budgetd;
    as_budgetd["calendar"] = to_string(*unit);
    std::string zone = "UTC";
    if (cal.IsMap()) {
      MapReader c(cal, diags, what + ": timeWindow[0].calendar");
      if (auto z = c.string("timeZone")) zone = *z;
      if (auto start = c.string("startTime"); start && !start_is_aligned(*start, *unit)) {
        diags.warning(c.get("startTime"),
                      fmt::format("{}: calendar.startTime '{}' is not honoured: budgetd's {} periods start at local "
                                  "midnight{}",
                                  what, *start, to_string(*unit),
                                  *unit == CalendarUnit::kWeekly      ? " on Mondays"
                                  : *unit == CalendarUnit::kDaily     ? ""
                                  : *unit == CalendarUnit::kQuarterly ? " on the first day of a quarter"
                                  : *unit == CalendarUnit::kYearly    ? " on January 1"
                                                                      : " on the first of the month"));
      }
    } else if (cal.IsDefined()) {
      diags.error(cal, fmt::format("{}: calendar must be a mapping with timeZone", what));
    }
    as_budgetd["timezone"] = zone;
    return read_budget_window(as_budgetd, diags, what + ": timeWindow");
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

  // The alert rules of the SLO's alertPolicies (inline or by alertPolicyRef); nullopt when it has
  // none (then the defaults apply), an empty list after errors.
  std::optional<std::vector<AlertRuleDraft>> read_alert_policies(const YAML::Node& list, Diagnostics& diags,
                                                                 const std::string& what, bool& ok) {
    if (!list.IsDefined() || list.IsNull()) return std::nullopt;
    if (!list.IsSequence()) {
      diags.error(list, fmt::format("{}: alertPolicies must be a list", what));
      ok = false;
      return std::nullopt;
    }
    if (list.size() == 0) return std::nullopt;
    std::vector<AlertRuleDraft> rules;
    for (const YAML::Node& entry : list) {
      Named policy{entry, &diags};
      if (entry.IsMap() && at(entry, "alertPolicyRef").IsDefined()) {
        const std::string ref = at(entry, "alertPolicyRef").IsScalar() ? at(entry, "alertPolicyRef").Scalar() : "";
        const auto it = policies_.find(ref);
        if (it == policies_.end()) {
          diags.error(at(entry, "alertPolicyRef"),
                      fmt::format("{}: alertPolicyRef '{}' names no AlertPolicy", what, ref));
          ok = false;
          continue;
        }
        policy = it->second;
      }
      const YAML::Node conditions = at(at(policy.node, "spec"), "conditions");
      if (!conditions.IsSequence() || conditions.size() == 0) {
        policy.diags->error(policy.node,
                            fmt::format("{}: AlertPolicy '{}' needs a list of conditions", what, name_of(policy.node)));
        ok = false;
        continue;
      }
      for (const YAML::Node& c : conditions) {
        Named condition{c, policy.diags};
        if (c.IsMap() && at(c, "conditionRef").IsDefined()) {
          const std::string ref = at(c, "conditionRef").IsScalar() ? at(c, "conditionRef").Scalar() : "";
          const auto it = conditions_.find(ref);
          if (it == conditions_.end()) {
            policy.diags->error(at(c, "conditionRef"),
                                fmt::format("{}: conditionRef '{}' names no AlertCondition", what, ref));
            ok = false;
            continue;
          }
          condition = it->second;
        }
        if (auto rule = read_condition(condition, what)) {
          rules.push_back(std::move(*rule));
        } else {
          ok = false;
        }
      }
    }
    return rules;
  }

  std::optional<AlertRuleDraft> read_condition(const Named& c, const std::string& what) {
    Diagnostics& diags = *c.diags;
    const std::string name = name_of(c.node);
    const std::string where = fmt::format("{}: AlertCondition '{}'", what, name);
    if (!is_slug(name)) {
      diags.error(c.node, fmt::format("{}: the name must be 1-63 of a-z, 0-9 and '-' to become a rule name", where));
      return std::nullopt;
    }
    MapReader spec(at(c.node, "spec"), diags, where + ": spec");
    if (!spec.valid()) return std::nullopt;
    spec.get("description");
    AlertRuleDraft r;
    r.name = name;
    r.where = c.node;
    const std::string severity = spec.string("severity").value_or("page");
    r.severity =
        (severity == "page" || severity == "critical" || severity == "high") ? Severity::kPage : Severity::kTicket;
    MapReader cond(spec.get("condition"), diags, where + ": condition");
    if (!cond.valid()) return std::nullopt;
    const YAML::Node lookback = cond.get("lookbackWindow");
    const YAML::Node after = cond.get("alertAfter");
    const YAML::Node threshold = cond.get("threshold");
    const auto kind = cond.string("kind", true);
    if (kind && *kind != "burnrate") {
      diags.error(cond.get("kind"), fmt::format("{}: condition kind '{}' is not supported: budgetd alerts on burn "
                                                "rates (kind: burnrate)",
                                                where, *kind));
      return std::nullopt;
    }
    const auto op = cond.string("op").value_or("gt");
    if (op != "gt" && op != "gte") {
      diags.error(cond.get("op"), fmt::format("{}: op '{}' cannot be honoured: budgetd's rules fire while the burn "
                                              "rate is above the threshold (op gt or gte)",
                                              where, op));
      return std::nullopt;
    }
    r.factor = cond.number("threshold", 0, 1e9);
    if (!r.factor) {
      if (!threshold.IsDefined()) diags.error(cond.node(), fmt::format("{}: threshold is required", where));
      return std::nullopt;
    }
    if (!lookback.IsDefined()) {
      diags.error(cond.node(), fmt::format("{}: lookbackWindow is required", where));
      return std::nullopt;
    }
    const auto long_len = fixed_duration(lookback, diags, where + ": lookbackWindow");
    if (!long_len) return std::nullopt;
    Millis short_len = *long_len / 12;
    if (after.IsDefined()) {
      const auto a = fixed_duration(after, diags, where + ": alertAfter");
      if (!a) return std::nullopt;
      short_len = *a;
    }
    auto long_w = check_window(*long_len, lookback, diags, where + ": lookbackWindow", lookback.Scalar());
    // The short window at the ladder resolution: a twelfth of 1d is 2h, of 1h is 5m.
    short_len = std::max(short_len, resolution_for(short_len));
    short_len = short_len / resolution_for(short_len) * resolution_for(short_len);
    auto short_w = check_window(short_len, after.IsDefined() ? after : lookback, diags, where + ": short window");
    if (!long_w || !short_w) return std::nullopt;
    if (short_w->length >= long_w->length) {
      diags.error(after.IsDefined() ? after : lookback,
                  fmt::format("{}: alertAfter ({}) becomes the short window and must be "
                              "shorter than lookbackWindow ({})",
                              where, short_w->name, long_w->name));
      return std::nullopt;
    }
    r.long_window = *long_w;
    r.short_window = *short_w;
    return r;
  }

  void read_slo(const OpenSloDoc& d, std::vector<SloSpec>& out) {
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
    const auto sli = indicator(spec, diags, what);
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
    AlertingDefaults alerting = global_;
    if (auto rules = read_alert_policies(spec.get("alertPolicies"), diags, what, ok)) alerting.rules = std::move(rules);
    if (ind) {
      base.match = ind->match;
      if (ind->source_type != "budgetd") {
        diags.warning(at(d.node, "kind"),
                      fmt::format("{}: its metric source{} is not queried: budgetd is push-based, so events POSTed "
                                  "to /v1/events with service '{}' feed it",
                                  what, ind->source_type.empty() ? "" : " (" + ind->source_type + ")", base.service));
      }
    }
    base.policy = policy_;

    const YAML::Node objectives = spec.get("objectives");
    if (!objectives.IsSequence() || objectives.size() == 0) {
      diags.error(objectives.IsDefined() ? objectives : spec.node(),
                  fmt::format("{}: objectives must be a non-empty list", what));
      return;
    }
    for (size_t i = 0; i < objectives.size(); ++i) {
      SloSpec slo = base;
      if (objectives.size() > 1) {
        const YAML::Node o = objectives[i];
        std::string suffix = at(o, "name").IsScalar()          ? slugify(at(o, "name").Scalar())
                             : at(o, "displayName").IsScalar() ? slugify(at(o, "displayName").Scalar())
                                                               : std::to_string(i + 1);
        slo.name = name + "-" + (suffix.empty() ? std::to_string(i + 1) : suffix);
        if (!is_slug(slo.name)) {
          diags.error(o, fmt::format("{}: objective {} would be the SLO '{}', which is not a valid name", what, i + 1,
                                     slo.name));
          continue;
        }
      }
      if (read_objective_entry(objectives[i], diags, fmt::format("{}: objectives[{}]", what, i), ind, method, slo) &&
          ok) {
        if (!check_slices_fit(slo, objectives[i], diags, what)) continue;
        slo.alert_rules = resolve_alert_rules(alerting, slo, d.node, diags);
        out.push_back(std::move(slo));
      }
    }
  }

  bool read_objective_entry(const YAML::Node& node, Diagnostics& diags, const std::string& what,
                            const std::optional<Indicator>& ind, const std::optional<BudgetingMethod>& method,
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
    const YAML::Node target = o.get("target");
    const YAML::Node target_percent = o.get("targetPercent");
    if (target.IsDefined() == target_percent.IsDefined()) {
      diags.error(node, fmt::format("{}: give exactly one of target (0-1) and targetPercent", what));
      ok = false;
    } else if (target.IsDefined()) {
      if (auto objective = fraction_objective(target, diags, what + ".target")) {
        slo.objective = *objective;
      } else {
        ok = false;
      }
    } else if (auto objective = read_objective(target_percent, diags, what + ".targetPercent")) {
      slo.objective = *objective;
    } else {
      ok = false;
    }
    const auto op = o.string("op");
    const YAML::Node value = o.get("value");
    if (ind && ind->threshold) {
      if (!op || !value.IsDefined()) {
        diags.error(node, fmt::format("{}: a thresholdMetric objective needs op (lt or lte) and value, the latency "
                                      "in milliseconds",
                                      what));
        ok = false;
      } else if (*op != "lt" && *op != "lte") {
        diags.error(o.get("op"), fmt::format("{}: op '{}' cannot be honoured: budgetd's latency SLI counts events at "
                                             "or under a threshold as good (op lt or lte)",
                                             what, *op));
        ok = false;
      } else if (auto v = o.number("value", 0, 1e9)) {
        slo.sli.type = SliType::kLatency;
        // lt is "under the value": the largest double below it, with budgetd's "<=", is exact.
        slo.sli.threshold_ms = *op == "lt" ? std::nextafter(*v, 0.0) : *v;
      } else {
        ok = false;
      }
    } else if (ind) {
      slo.sli.type = SliType::kRatio;
      if (op) {
        diags.warning(o.get("op"), fmt::format("{}: op '{}' is ignored on a ratioMetric objective: the target is the "
                                               "least share of good events",
                                               what, *op));
      }
      if (value.IsDefined()) diags.warning(value, fmt::format("{}: value is ignored on a ratioMetric objective", what));
    }
    if (method) {
      slo.budgeting.method = *method;
      const YAML::Node slice_target = o.get("timeSliceTarget");
      const YAML::Node slice_window = o.get("timeSliceWindow");
      if (slo.budgeting.timesliced()) {
        slo.budgeting.slice = kMinute;
        if (slice_window.IsDefined()) {
          const auto w = read_duration(slice_window, diags, what + ".timeSliceWindow");
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
        if (*method == BudgetingMethod::kTimeslices) {
          if (!slice_target.IsDefined()) {
            diags.error(node, fmt::format("{}: Timeslices needs timeSliceTarget", what));
            ok = false;
          } else if (auto text = scalar_text(slice_target, diags, what + ".timeSliceTarget")) {
            const auto t = parse_nanopercent(*text, 1);
            if (!t.ok() || *t <= 0 || *t > BudgetingSpec::kTargetScale) {
              diags.error(slice_target,
                          fmt::format("{}.timeSliceTarget must be a fraction above 0 and at most 1", what));
              ok = false;
            } else {
              slo.budgeting.slice_target = *t;
            }
          }
        }
      } else if (slice_target.IsDefined() || slice_window.IsDefined()) {
        diags.warning(slice_target.IsDefined() ? slice_target : slice_window,
                      fmt::format("{}: timeSliceTarget and timeSliceWindow are ignored under Occurrences", what));
      }
    }
    return ok;
  }

  const std::vector<OpenSloDoc>& docs_;
  const AlertingDefaults& global_;
  const PolicySpec& policy_;
  std::vector<OpenSloDoc> slos_;
  Index slis_, policies_, conditions_, services_;
};

}  // namespace

bool is_openslo(const YAML::Node& doc) {
  if (doc.IsMap()) return at(doc, "apiVersion").IsDefined();
  return doc.IsSequence() && doc.size() > 0 && doc[0].IsMap() && at(doc[0], "apiVersion").IsDefined();
}

void collect_openslo(const YAML::Node& doc, Diagnostics& diags, std::vector<OpenSloDoc>& out) {
  if (doc.IsSequence()) {
    for (const YAML::Node& d : doc) out.push_back({d, &diags});
  } else {
    out.push_back({doc, &diags});
  }
}

void read_openslo(const std::vector<OpenSloDoc>& docs, const AlertingDefaults& global, const PolicySpec& policy,
                  std::vector<SloSpec>& out) {
  Importer(docs, global, policy).run(out);
}

}  // namespace budgetd::config
