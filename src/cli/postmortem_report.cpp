#include "cli/postmortem_report.h"

#include <fmt/format.h>
#include <algorithm>

#include "budgetd/core/time.h"

namespace budgetd::cli {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
double num(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// "1h20m5s": budgetd's own duration form, from seconds.
std::string duration_text(double seconds) {
  if (seconds <= 0) return "0s";
  return format_duration(Millis{static_cast<int64_t>(seconds * 1000 + 0.5)});
}

struct TimelineEvent {
  std::string at;
  int order;  // at equal times: first bad events, deploys, alerts fired, alerts resolved
  std::string event;
};

ojson timeline(const json& e) {
  std::vector<TimelineEvent> events;
  events.push_back({str(e, "start"), 0, "first bad events of the burn (" + str(e, "start_resolution") + " bucket)"});
  if (const auto d = e.find("deploys"); d != e.end() && d->is_array()) {
    for (const json& x : *d) {
      std::string text = "deploy " + str(x, "id") + ": " + str(x, "service") + " " + str(x, "version");
      if (!str(x, "change").empty()) text += " (" + str(x, "change") + ")";
      if (str(x, "when") == "before") text += ", before the episode";
      events.push_back({str(x, "ts"), 1, text});
    }
  }
  if (const auto a = e.find("alerts"); a != e.end() && a->is_array()) {
    for (const json& x : *a) {
      events.push_back({str(x, "fired"), 2, "alert " + str(x, "rule") + " (" + str(x, "severity") + ") fired"});
      if (!str(x, "resolved").empty())
        events.push_back({str(x, "resolved"), 3, "alert " + str(x, "rule") + " resolved"});
    }
  }
  // RFC 3339 UTC with the same precision sorts as text.
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return std::tie(a.at, a.order) < std::tie(b.at, b.order); });
  ojson out = ojson::array();
  for (const auto& ev : events) out.push_back({{"at", ev.at}, {"event", ev.event}});
  return out;
}

ojson contributors(const json& e) {
  ojson out = ojson::array();
  const auto c = e.find("contributors");
  if (c == e.end() || !c->is_object() || !c->contains("labels") || !(*c)["labels"].is_array()) return out;
  struct Row {
    std::string label, value;
    double share;
    uint64_t bad, total;
  };
  std::vector<Row> rows;
  for (const json& l : (*c)["labels"]) {
    if (!l.contains("values") || !l["values"].is_array()) continue;
    for (const json& v : l["values"]) {
      rows.push_back({str(l, "label"), str(v, "value"), num(v, "share_of_bad"), static_cast<uint64_t>(num(v, "bad")),
                      static_cast<uint64_t>(num(v, "total"))});
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.share > b.share; });
  for (size_t i = 0; i < rows.size() && i < 3; ++i) {
    out.push_back({{"label", rows[i].label},
                   {"value", rows[i].value},
                   {"share_of_bad", rows[i].share},
                   {"bad", rows[i].bad},
                   {"total", rows[i].total}});
  }
  return out;
}

ojson sources(const json& answer, const json& e) {
  const std::string from = "GET /v1/slos/" + str(answer, "slo") + "/episodes";
  return {
      {"budget_consumed",
       fmt::format("bad events from start to end ({}), counted from budgetd's rings at the finest resolution "
                   "holding the span, divided by the bad events the {} budget allowed at the episode's last "
                   "evaluation ({:.1f}): {} fields bad_events / allowed_bad_events",
                   static_cast<uint64_t>(num(e, "bad_events")), str(e, "budget_window"), num(e, "allowed_bad_events"),
                   from)},
      {"start", "the " + str(e, "start_resolution") +
                    " bucket where the burn began: from there to detection, the bad events in excess of the first "
                    "rule's threshold rate, summed back over its long window, are largest"},
      {"detection", "when the first alert rule fired, at a budgetd evaluation (alerting.evaluation_interval)"},
      {"end", "when the last of its rules resolved, at a budgetd evaluation"},
      {"peak_burn_rate", "the highest long-window burn rate of a firing rule at any evaluation (" +
                             str(e, "peak_rule") + ", " + str(e, "peak_at") + ")"},
      {"postmortem_required", "budget consumed >= 30 % in one episode (the error budget policy's criterion)"},
      {"deploys", "POST /v1/deploys markers of service " + str(e, "service") +
                      " inside the episode, and the last one up to 24h before it"},
      {"contributors", "attribution: counts per label value over [start, end), read from the rings when asked"},
  };
}

}  // namespace

ojson postmortem_data(const json& answer, const json& e) {
  const bool ongoing = str(e, "status") == "ongoing";
  const std::string start = str(e, "start");
  return {{"title",
           "Postmortem: " + str(answer, "slo") + " burn of " + start.substr(0, std::min<size_t>(10, start.size()))},
          {"episode", str(e, "id")},
          {"slo", str(answer, "slo")},
          {"service", str(answer, "service")},
          {"objective", num(answer, "objective")},
          {"date", start.substr(0, std::min<size_t>(10, start.size()))},
          {"start", start},
          {"end", ongoing ? ojson(nullptr) : ojson(str(e, "end"))},
          {"status", ongoing ? "ongoing" : "resolved"},
          {"as_of", str(answer, "now")},
          {"duration_seconds", num(e, "duration_seconds")},
          {"impact",
           {{"budget_consumed", num(e, "budget_consumed")},
            {"budget_window", str(e, "budget_window")},
            {"bad_events", static_cast<uint64_t>(num(e, "bad_events"))},
            {"allowed_bad_events", num(e, "allowed_bad_events")},
            {"peak_burn_rate", num(e, "peak_burn_rate")},
            {"peak_rule", str(e, "peak_rule")},
            {"postmortem_required", e.value("postmortem_required", false)}}},
          {"detection",
           {{"first_bad_event", start},
            {"first_alert", str(e, "detection")},
            {"delay_seconds", num(e, "detection_delay_seconds")}}},
          {"timeline", timeline(e)},
          {"top_contributors", contributors(e)},
          {"sources", sources(answer, e)}};
}

std::string postmortem_markdown(const ojson& d) {
  const ojson& impact = d["impact"];
  const ojson& detection = d["detection"];
  std::string md = "# " + d["title"].get<std::string>() + "\n\n";
  md += fmt::format("- **Episode:** {}\n- **SLO:** {} ({} % objective), service {}\n", d["episode"].get<std::string>(),
                    d["slo"].get<std::string>(), d["objective"].get<double>(), d["service"].get<std::string>());
  md += "- **Date:** " + d["date"].get<std::string>() + "\n";
  const std::string end =
      d["end"].is_null() ? "ongoing at " + d["as_of"].get<std::string>() : d["end"].get<std::string>();
  md += "- **Duration:** " + duration_text(d["duration_seconds"].get<double>()) + " (" + d["start"].get<std::string>() +
        " to " + end + ")\n";
  md += "- **Status:** " + d["status"].get<std::string>() + "\n\n";
  md += "## Impact\n\n";
  md +=
      fmt::format("- SLO impact: error budget consumed: {:.1f} % of the {} budget ({} bad events of {:.1f} allowed)\n",
                  100 * impact["budget_consumed"].get<double>(), impact["budget_window"].get<std::string>(),
                  impact["bad_events"].get<uint64_t>(), impact["allowed_bad_events"].get<double>());
  md += fmt::format("- Peak burn rate: {:.1f} ({})\n", impact["peak_burn_rate"].get<double>(),
                    impact["peak_rule"].get<std::string>());
  md += std::string("- Postmortem required: ") + (impact["postmortem_required"].get<bool>() ? "yes" : "no") + "\n";
  md += "- Detection delay: " + duration_text(detection["delay_seconds"].get<double>()) +
        " from the first bad event (" + detection["first_bad_event"].get<std::string>() + ") to the first alert (" +
        detection["first_alert"].get<std::string>() + ")\n\n";
  md += "## Timeline (UTC)\n\n| time | event |\n|---|---|\n";
  for (const ojson& t : d["timeline"])
    md += "| " + t["at"].get<std::string>() + " | " + t["event"].get<std::string>() + " |\n";
  md += "\n## Top contributors\n\n";
  if (d["top_contributors"].empty()) md += "None recorded (the SLO has no attribution:, or no bad events by label).\n";
  for (const ojson& c : d["top_contributors"]) {
    md += fmt::format("- {}={}: {:.1f} % of bad events ({} bad of {})\n", c["label"].get<std::string>(),
                      c["value"].get<std::string>(), 100 * c["share_of_bad"].get<double>(), c["bad"].get<uint64_t>(),
                      c["total"].get<uint64_t>());
  }
  md += "\n## Root cause\n\n\n## Action items\n\n\n## Lessons learned\n\n\n";
  md += "## Where these numbers come from\n\n";
  for (const auto& [key, why] : d["sources"].items()) md += "- " + key + ": " + why.get<std::string>() + "\n";
  return md;
}

}  // namespace budgetd::cli
