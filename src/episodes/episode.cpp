#include "budgetd/episodes/episode.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace budgetd::episodes {
namespace {

using json = nlohmann::json;

// Times as unix milliseconds: exact, and what every other state record carries.
json span_json(const RuleSpan& s) {
  json j = {{"rule", s.rule}, {"severity", config::to_string(s.severity)}, {"fired", to_unix_ms(s.fired)}};
  if (s.resolved) j["resolved"] = to_unix_ms(*s.resolved);
  return j;
}

RuleSpan span_of(const json& j) {
  RuleSpan s;
  s.rule = j.at("rule").get<std::string>();
  s.severity = j.at("severity").get<std::string>() == "ticket" ? config::Severity::kTicket : config::Severity::kPage;
  s.fired = from_unix_ms(j.at("fired").get<int64_t>());
  if (j.contains("resolved")) s.resolved = from_unix_ms(j.at("resolved").get<int64_t>());
  return s;
}

}  // namespace

std::vector<std::string> Episode::rules() const {
  std::vector<std::string> out;
  for (const RuleSpan& s : spans) {
    if (std::find(out.begin(), out.end(), s.rule) == out.end()) out.push_back(s.rule);
  }
  return out;
}

std::string encode_episode(const Episode& e) {
  json spans = json::array();
  for (const RuleSpan& s : e.spans) spans.push_back(span_json(s));
  json j = {{"v", 1},
            {"id", e.id},
            {"slo", e.slo},
            {"service", e.service},
            {"window", e.window},
            {"start", to_unix_ms(e.start)},
            {"start_resolution_ms", e.start_resolution.count()},
            {"detection", to_unix_ms(e.detection)},
            {"spans", std::move(spans)},
            {"peak_burn_rate", e.peak_burn_rate},
            {"peak_rule", e.peak_rule},
            {"peak_at", to_unix_ms(e.peak_at)},
            {"bad_events", e.bad_events},
            {"allowed_bad_events", e.allowed_bad_events},
            {"budget_consumed", e.budget_consumed},
            {"postmortem_required", e.postmortem_required},
            {"updated", to_unix_ms(e.updated)}};
  if (e.end) j["end"] = to_unix_ms(*e.end);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Episode> decode_episode(std::string_view record) {
  const json j = json::parse(record, nullptr, false);
  if (!j.is_object() || j.value("v", 0) != 1) return DataLoss("not an episode record");
  try {
    Episode e;
    e.id = j.at("id").get<std::string>();
    e.slo = j.at("slo").get<std::string>();
    e.service = j.at("service").get<std::string>();
    e.window = j.at("window").get<std::string>();
    e.start = from_unix_ms(j.at("start").get<int64_t>());
    e.start_resolution = Millis{j.at("start_resolution_ms").get<int64_t>()};
    e.detection = from_unix_ms(j.at("detection").get<int64_t>());
    if (j.contains("end")) e.end = from_unix_ms(j.at("end").get<int64_t>());
    for (const json& s : j.at("spans")) e.spans.push_back(span_of(s));
    e.peak_burn_rate = j.at("peak_burn_rate").get<double>();
    e.peak_rule = j.at("peak_rule").get<std::string>();
    e.peak_at = from_unix_ms(j.at("peak_at").get<int64_t>());
    e.bad_events = j.at("bad_events").get<uint64_t>();
    e.allowed_bad_events = j.at("allowed_bad_events").get<double>();
    e.budget_consumed = j.at("budget_consumed").get<double>();
    e.postmortem_required = j.at("postmortem_required").get<bool>();
    e.updated = from_unix_ms(j.at("updated").get<int64_t>());
    if (e.id.empty() || e.slo.empty() || e.spans.size() > Episode::kMaxSpans) return DataLoss("not an episode record");
    return e;
  } catch (const json::exception& ex) {
    return DataLoss(std::string("not an episode record: ") + ex.what());
  }
}

}  // namespace budgetd::episodes
