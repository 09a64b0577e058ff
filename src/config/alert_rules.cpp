#include "alert_rules.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "budgetd/config/loader.h"
#include "budgetd/core/window.h"

namespace budgetd::config {
namespace {

struct DefaultRule {
  const char* name;
  Severity severity;
  Millis long_window;
  Millis short_window;
  double budget_percent;
};

// DESIGN.md §3 / SRE Workbook "Alerting on SLOs", table 5-8.
constexpr DefaultRule kDefaultRules[] = {
    {"page-1h", Severity::kPage, kHour, 5 * kMinute, 2},
    {"page-6h", Severity::kPage, 6 * kHour, 30 * kMinute, 5},
    {"ticket-1d", Severity::kTicket, kDay, 2 * kHour, 10},
    {"ticket-3d", Severity::kTicket, 3 * kDay, 6 * kHour, 10},
};

double factor_for(double budget_percent, Millis primary, Millis long_window) {
  return budget_percent / 100.0 * static_cast<double>(primary.count()) / static_cast<double>(long_window.count());
}

std::string fill_template(std::string text, const SloSpec& slo, std::string_view rule) {
  const std::pair<std::string_view, std::string_view> vars[] = {
      {"{slo}", slo.name}, {"{service}", slo.service}, {"{rule}", rule}};
  for (const auto& [key, value] : vars) {
    for (size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size())) {
      text.replace(pos, key.size(), value);
    }
  }
  return text;
}

std::optional<AlertRuleDraft> read_rule(const YAML::Node& node, size_t index, Diagnostics& diags,
                                        std::string_view where) {
  MapReader m(node, diags, fmt::format("{}.rules[{}]", where, index));
  if (!m.valid()) return std::nullopt;
  AlertRuleDraft r;
  r.where = node;
  bool ok = true;
  if (auto name = m.string("name", true))
    r.name = *name;
  else
    ok = false;
  if (auto sev = m.string("severity", true)) {
    if (*sev == "page")
      r.severity = Severity::kPage;
    else if (*sev == "ticket")
      r.severity = Severity::kTicket;
    else {
      diags.error(m.get("severity"), fmt::format("{}: severity must be page or ticket, not '{}'", m.what(), *sev));
      ok = false;
    }
  } else {
    ok = false;
  }
  bool windows_ok = true;
  for (auto [key, slot] : {std::pair{"long", &r.long_window}, std::pair{"short", &r.short_window}}) {
    const YAML::Node w = m.get(key);
    if (!w.IsDefined()) {
      diags.error(node, fmt::format("{}: '{}' window is required", m.what(), key));
      windows_ok = false;
      continue;
    }
    if (auto win = read_window(w, diags, fmt::format("{}.{}", m.what(), key)))
      *slot = *win;
    else
      windows_ok = false;
  }
  if (windows_ok && r.short_window.length >= r.long_window.length) {
    diags.error(m.get("short"), fmt::format("{}: the short window ({}) must be shorter than the long window ({})",
                                            m.what(), r.short_window.name, r.long_window.name));
    windows_ok = false;
  }
  r.factor = m.number("factor", 0, 1e9);
  r.budget_percent = m.number("budget_percent", 0, 100);
  if (m.get("factor").IsDefined() == m.get("budget_percent").IsDefined()) {
    diags.error(node, fmt::format("{}: give exactly one of factor (a burn rate) or budget_percent (the share of the "
                                  "budget spent when it fires)",
                                  m.what()));
    ok = false;
  }
  ok = ok && windows_ok && (r.factor || r.budget_percent);
  r.min_events = m.unsigned_integer("min_events", 0, uint64_t{1} << 40);
  if (auto url = m.string("runbook_url")) r.runbook_url = *url;
  if (!ok) return std::nullopt;
  return r;
}

constexpr Millis kMaxWindow = 400 * kDay;

// The default rules are the SRE Workbook's for a 30-day budget. Scaled to a budget window
// shorter than their long windows (a 2h budget), their factors fall far below 1 and they look
// further back than the budget itself: they would fire while the SLO spends its budget slower
// than it can afford. The SLO keeps them (the config says so), with a warning saying what to do.
void warn_defaults_outlast_budget(const SloSpec& slo, const YAML::Node& slo_node, Diagnostics& diags) {
  const Millis primary = slo.primary_window().length;
  std::vector<std::string> longer;
  std::vector<std::string> factors;
  for (const DefaultRule& d : kDefaultRules) {
    factors.push_back(fmt::format("{:.3g}", factor_for(d.budget_percent, primary, d.long_window)));
    if (d.long_window > primary) longer.push_back(fmt::format("{} ({})", d.name, format_duration(d.long_window)));
  }
  if (longer.empty()) return;
  diags.warning(slo_node,
                fmt::format("SLO '{}': its primary budget window {} is shorter than the long windows of the default "
                            "alert rules {}: scaled to it, the default factors are {}, far below the burn rate of 1 "
                            "the budget affords, so they would alert on a healthy SLO; give this SLO its own "
                            "alerting.rules with long windows of at most {} and factors of 1 or more, or a budget "
                            "window of at least {}",
                            slo.name, slo.primary_window().name, fmt::join(longer, ", "), fmt::join(factors, ", "),
                            format_duration(primary), format_duration(std::end(kDefaultRules)[-1].long_window)));
}

}  // namespace

// A window length checked against the bucket ladder of core/window.h.
std::optional<WindowSpec> read_window(const YAML::Node& n, Diagnostics& diags, std::string_view what) {
  const auto text = scalar_text(n, diags, what);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d.ok()) {
    diags.error(n, fmt::format("{}: {}", what, d.status().message()));
    return std::nullopt;
  }
  return check_window(*d, n, diags, what, *text);
}

std::optional<WindowSpec> check_window(Millis length, const YAML::Node& where, Diagnostics& diags,
                                       std::string_view what, std::string_view text) {
  const std::string written = text.empty() ? format_duration(length) : std::string(text);
  const Millis r = resolution_for(length);
  if (length > kMaxWindow) {
    diags.error(where, fmt::format("{}: '{}' is longer than the longest supported window, {}", what, written,
                                   format_duration(kMaxWindow)));
    return std::nullopt;
  }
  if (length.count() % r.count() != 0) {
    diags.error(where, fmt::format("{}: '{}' is not a multiple of its bucket resolution {} (windows up to 1h use "
                                   "10s buckets, up to 6h 1m, up to 3d 5m, longer 1h)",
                                   what, written, format_duration(r)));
    return std::nullopt;
  }
  return WindowSpec::rolling(length);
}

void read_alerting(MapReader& m, AlertingDefaults& out) {
  if (auto v = m.unsigned_integer("min_events", 0, uint64_t{1} << 40)) out.min_events = *v;
  if (auto v = m.string("runbook_url")) out.runbook_url = *v;
  const YAML::Node rules = m.get("rules");
  if (!rules.IsDefined()) return;
  if (!rules.IsSequence()) {
    m.diags().error(rules, fmt::format("{}.rules must be a list of alert rules", m.what()));
    return;
  }
  std::vector<AlertRuleDraft> drafts;
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < rules.size(); ++i) {
    auto r = read_rule(rules[i], i, m.diags(), m.what());
    if (!r) continue;
    if (!names.insert(r->name).second) {
      m.diags().error(rules[i], fmt::format("{}: rule name '{}' is used twice", m.what(), r->name));
      continue;
    }
    drafts.push_back(std::move(*r));
  }
  out.rules = std::move(drafts);
}

std::vector<AlertRuleSpec> resolve_alert_rules(const AlertingDefaults& defaults, const SloSpec& slo,
                                               const YAML::Node& slo_node, Diagnostics& diags) {
  std::vector<AlertRuleDraft> drafts;
  if (defaults.rules) {
    drafts = *defaults.rules;
  } else {
    for (const DefaultRule& d : kDefaultRules) {
      AlertRuleDraft r;
      r.name = d.name;
      r.severity = d.severity;
      r.long_window = WindowSpec::rolling(d.long_window);
      r.short_window = WindowSpec::rolling(d.short_window);
      r.budget_percent = d.budget_percent;
      r.is_default = true;
      drafts.push_back(std::move(r));
    }
  }
  const Millis primary = slo.primary_window().length;
  if (!defaults.rules) warn_defaults_outlast_budget(slo, slo_node, diags);
  const double max_burn = slo.objective.max_burn_rate();
  std::vector<AlertRuleSpec> out;
  for (const AlertRuleDraft& d : drafts) {
    AlertRuleSpec r;
    r.name = d.name;
    r.severity = d.severity;
    r.long_window = d.long_window;
    r.short_window = d.short_window;
    r.factor = d.factor ? *d.factor : factor_for(*d.budget_percent, primary, d.long_window.length);
    r.min_events = d.min_events.value_or(defaults.min_events);
    r.runbook_url = fill_template(d.runbook_url.value_or(defaults.runbook_url), slo, d.name);
    // The burn rate cannot exceed 1 / (1 - objective) (every event bad), and a rule fires only
    // above its factor, so a factor at or above that bound can never fire.
    if (r.factor >= max_burn) {
      const std::string msg = fmt::format(
          "SLO '{}': alert rule '{}' has burn-rate factor {:.4g}, but at objective {}% the burn rate can never exceed "
          "{:.4g}",
          slo.name, r.name, r.factor, slo.objective.to_string(), max_burn);
      if (d.is_default) {
        // A loose objective (e.g. a 90 % latency SLO) is normal; leave the impossible default out.
        diags.warning(slo_node, msg + "; this default rule is left out (set alerting.rules to choose your own)");
        continue;
      }
      diags.error(d.where, msg);
      continue;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<AlertRuleSpec> default_alert_rules(Millis primary, uint64_t min_events) {
  std::vector<AlertRuleSpec> out;
  for (const DefaultRule& d : kDefaultRules) {
    out.push_back({d.name, d.severity, WindowSpec::rolling(d.long_window), WindowSpec::rolling(d.short_window),
                   factor_for(d.budget_percent, primary, d.long_window), min_events, ""});
  }
  return out;
}

}  // namespace budgetd::config
