// A backtest report for people (report_text) and for programs (report_json).

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "budgetd/backtest/backtest.h"
#include "budgetd/episodes/episode_json.h"
#include "budgetd/eval/contributors_json.h"

namespace budgetd::backtest {
namespace {

using json = nlohmann::ordered_json;

double seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }

json optional_time(const std::optional<Timestamp>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

json sample_json(const BudgetSample& s) {
  return {{"at", format_rfc3339(s.at)},
          {"remaining", s.remaining},
          {"sli", s.sli},
          {"tier", s.tier},
          {"burn_rate_1h", s.burn_rate_1h}};
}

json alert_json(const AlertRecord& a) {
  return {{"rule", a.rule},
          {"severity", config::to_string(a.severity)},
          {"factor", a.factor},
          {"start", format_rfc3339(a.start)},
          {"end", optional_time(a.end)},
          {"duration_seconds", a.end ? json(seconds(*a.end - a.start)) : json(nullptr)},
          {"onset", optional_time(a.onset)},
          {"detection_delay_seconds", a.detection_delay ? json(seconds(*a.detection_delay)) : json(nullptr)},
          {"long_burn_rate", a.long_burn_rate},
          {"short_burn_rate", a.short_burn_rate},
          {"budget_consumed", a.budget_consumed},
          {"postmortem_required", a.postmortem_required}};
}

// The episode as GET /v1/slos/{name}/episodes shows it (without deploys: a replay has none),
// an ongoing one as of the last evaluation.
json episode_json(const BacktestReport& r, const EpisodeRecord& e) {
  json j = episodes::episode_json(e.episode, r.to.value_or(e.episode.updated));
  j["contributors"] = {{"start", format_rfc3339(e.episode.start)},
                       {"end", format_rfc3339(e.episode.end.value_or(e.episode.updated))},
                       {"labels", eval::contributors_json(e.contributors)},
                       {"top", eval::top_contributors_text(e.contributors, 3)}};
  return j;
}

json slo_json(const BacktestReport& r, const SloHistory& h) {
  json alerts = json::array();
  for (const auto& a : h.alerts) alerts.push_back(alert_json(a));
  json episodes = json::array();
  for (const auto& e : h.episodes) episodes.push_back(episode_json(r, e));
  json tiers = json::array();
  for (const auto& t : h.tiers)
    tiers.push_back({{"at", format_rfc3339(t.at)}, {"tier", t.tier}, {"remaining", t.remaining}});
  json daily = json::array();
  for (const auto& s : h.daily) daily.push_back(sample_json(s));
  json budget = json::object();
  if (!h.daily.empty()) {
    budget["first"] = sample_json(h.daily.front());
    budget["last"] = sample_json(h.daily.back());
  }
  if (h.lowest) budget["lowest"] = sample_json(*h.lowest);
  return {{"slo", h.slo},
          {"service", h.service},
          {"objective", h.objective_percent},
          {"window", h.window},
          {"pages", h.pages},
          {"tickets", h.tickets},
          {"pages_per_week", r.per_week(h.pages)},
          {"tickets_per_week", r.per_week(h.tickets)},
          {"alerts", std::move(alerts)},
          {"alerts_omitted", h.alerts_omitted},
          {"episodes", std::move(episodes)},
          {"episodes_omitted", h.episodes_omitted},
          {"budget", std::move(budget)},
          {"tiers", std::move(tiers)},
          {"tier_changes_omitted", h.tier_changes_omitted},
          {"daily", std::move(daily)},
          {"daily_omitted", h.daily_omitted},
          {"evaluation_errors", h.evaluation_errors}};
}

json gate_json(const GateHistory& g) {
  json changes = json::array();
  for (const auto& c : g.changes) {
    changes.push_back({{"at", format_rfc3339(c.at)},
                       {"decision", policy::to_string(c.verdict)},
                       {"tier", c.tier},
                       {"reason", c.reason}});
  }
  const uint64_t n = g.allowed + g.denied;
  return {{"service", g.service},
          {"change", config::to_string(g.change)},
          {"allowed_share", n == 0 ? 0.0 : static_cast<double>(g.allowed) / static_cast<double>(n)},
          {"allowed", g.allowed},
          {"with_requirements", g.with_requirements},
          {"denied", g.denied},
          {"changes", std::move(changes)},
          {"changes_omitted", g.changes_omitted}};
}

std::string percent(double share) { return fmt::format("{:.2f} %", share * 100); }

// "1,234,567"
std::string count(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string delay_text(Millis d) {
  return d < kMinute ? fmt::format("{:g}s", seconds(d)) : fmt::format("{} ({:g}s)", format_duration(d), seconds(d));
}

void episodes_text(const SloHistory& h, std::string& out) {
  if (!h.episodes.empty()) out += fmt::format("  burn episodes: {}\n", h.episodes.size() + h.episodes_omitted);
  for (const EpisodeRecord& r : h.episodes) {
    const episodes::Episode& e = r.episode;
    out += fmt::format(
        "    {}: {} to {}; first alert {} after the first bad event; rules {}; peak burn {:.1f}x; "
        "used {} of the {} budget{}\n",
        e.id, format_rfc3339(e.start), e.end ? format_rfc3339(*e.end) : std::string("the end (ongoing)"),
        delay_text(e.detection - e.start), fmt::join(e.rules(), ","), e.peak_burn_rate, percent(e.budget_consumed),
        e.window, e.postmortem_required ? " (postmortem required)" : "");
    if (const std::string top = eval::top_contributors_text(r.contributors, 3); !top.empty()) {
      out += "      top contributors: " + top + "\n";
    }
  }
  if (h.episodes_omitted != 0) out += fmt::format("    ... and {} more episodes\n", h.episodes_omitted);
}

void slo_text(const BacktestReport& r, const SloHistory& h, std::string& out) {
  out += fmt::format("\nSLO {} (service {}): objective {} %, budget window {}\n", h.slo, h.service, h.objective_percent,
                     h.window);
  out += fmt::format("  alerts: {} pages ({:.2f} per week), {} tickets ({:.2f} per week)", h.pages, r.per_week(h.pages),
                     h.tickets, r.per_week(h.tickets));
  if (r.from && *r.to - *r.from < 7 * kDay) {
    out += fmt::format(", extrapolated from {} of history", format_duration(*r.to - *r.from));
  }
  out += "\n";
  for (const AlertRecord& a : h.alerts) {
    out += fmt::format("    {:<6} {:<10} fired {}", config::to_string(a.severity), a.rule, format_rfc3339(a.start));
    out += a.end ? fmt::format(", resolved {} after {}", format_rfc3339(*a.end), format_duration(*a.end - a.start))
                 : std::string(", still firing at the end");
    if (a.detection_delay) {
      out +=
          fmt::format("; {} after the first bad event ({})", delay_text(*a.detection_delay), format_rfc3339(*a.onset));
    }
    out += fmt::format("; burn {:.1f}x/{:.1f}x; episode used {} of the budget{}\n", a.long_burn_rate, a.short_burn_rate,
                       percent(a.budget_consumed), a.postmortem_required ? " (postmortem required)" : "");
  }
  if (h.alerts_omitted != 0) out += fmt::format("    ... and {} more alerts\n", h.alerts_omitted);
  episodes_text(h, out);
  if (!h.daily.empty()) {
    out += fmt::format("  budget left: {} at the start, {} at the end", percent(h.daily.front().remaining),
                       percent(h.daily.back().remaining));
    if (h.lowest) out += fmt::format(", lowest {} at {}", percent(h.lowest->remaining), format_rfc3339(h.lowest->at));
    out += "\n";
  }
  if (!h.tiers.empty()) {
    out += "  tiers:";
    for (const TierChange& t : h.tiers) out += fmt::format(" {} from {};", t.tier, format_rfc3339(t.at));
    out.back() = '\n';
  }
  if (h.tier_changes_omitted != 0) out += fmt::format("    ... and {} more tier changes\n", h.tier_changes_omitted);
  if (!h.daily.empty()) out += "  budget by day (UTC):\n";
  for (const BudgetSample& s : h.daily) {
    out += fmt::format("    {}  {:>9} left  {:<10} SLI {:.6f}  burn rate 1h {:.2f}x\n", format_rfc3339(s.at),
                       percent(s.remaining), s.tier, s.sli, s.burn_rate_1h);
  }
  if (h.evaluation_errors != 0) out += fmt::format("  {} evaluations failed\n", h.evaluation_errors);
}

}  // namespace

std::string report_json(const BacktestReport& r) {
  json errors = json::array();
  for (const auto& e : r.input.errors) errors.push_back({{"line", e.line}, {"error", e.error}});
  const InputStats& in = r.input;
  json slos = json::array();
  for (const auto& h : r.slos) slos.push_back(slo_json(r, h));
  json gate = json::array();
  for (const auto& g : r.gate) gate.push_back(gate_json(g));
  json out = {{"from", optional_time(r.from)},
              {"to", optional_time(r.to)},
              {"step", format_duration(r.step)},
              {"reorder", format_duration(r.reorder)},
              {"evaluations", r.evaluations},
              {"skipped_evaluations", r.skipped_evaluations},
              {"read_error", r.read_error.empty() ? json(nullptr) : json(r.read_error)},
              {"input",
               {{"bytes", in.bytes},
                {"lines", in.lines},
                {"events", in.events},
                {"applied", in.applied},
                {"unmatched", in.unmatched},
                {"rejected", in.rejected},
                {"too_old", in.too_old},
                {"malformed", in.malformed},
                {"late", in.late},
                {"after_to", in.after_to},
                {"errors", std::move(errors)}}},
              {"slos", std::move(slos)},
              {"gate", std::move(gate)}};
  return out.dump(2) + "\n";
}

std::string report_text(const BacktestReport& r) {
  const InputStats& in = r.input;
  std::string out = fmt::format("budgetd backtest: {} events on {} lines ({} bytes)", count(in.events), count(in.lines),
                                count(in.bytes));
  if (r.from) {
    out += fmt::format(", evaluated every {} from {} to {} ({} evaluations", format_duration(r.step),
                       format_rfc3339(*r.from), format_rfc3339(*r.to), count(r.evaluations));
    if (r.skipped_evaluations != 0)
      out += fmt::format("; {} skipped in gaps without data", count(r.skipped_evaluations));
    out += ")\n";
  } else {
    out += "; nothing was evaluated (no events in the range)\n";
  }
  out +=
      fmt::format("  applied {}, unmatched {}, rejected {} (too old {}), malformed lines {}, late {}, after --to {}\n",
                  count(in.applied), count(in.unmatched), count(in.rejected), count(in.too_old), count(in.malformed),
                  count(in.late), count(in.after_to));
  for (const LineError& e : in.errors) out += fmt::format("  line {}: {}\n", e.line, e.error);
  if (!r.read_error.empty()) out += "  " + r.read_error + "\n";
  for (const SloHistory& h : r.slos) slo_text(r, h, out);
  std::string service;
  for (const GateHistory& g : r.gate) {
    if (g.service != service) {
      service = g.service;
      out += fmt::format("\ngate for service {}:\n", service);
    }
    const uint64_t n = g.allowed + g.denied;
    out += fmt::format("  {:<12} allowed {} of the time", config::to_string(g.change),
                       percent(n == 0 ? 0.0 : static_cast<double>(g.allowed) / static_cast<double>(n)));
    if (g.with_requirements != 0) out += fmt::format(" ({} evaluations with requirements)", count(g.with_requirements));
    out += "\n";
    for (const GateChange& c : g.changes) {
      out += fmt::format("    {} {} ({}): {}\n", format_rfc3339(c.at), policy::to_string(c.verdict), c.tier, c.reason);
    }
    if (g.changes_omitted != 0) out += fmt::format("    ... and {} more changes\n", g.changes_omitted);
  }
  return out;
}

}  // namespace budgetd::backtest
