#include "budgetd/policy/decision_log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace budgetd::policy {
namespace {

using json = nlohmann::json;

// Query parameters (ci_job, commit, by) may hold any bytes: invalid UTF-8 is replaced, never thrown on.
std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json record_json(const GateRecord& d) {
  json j = {{"ts", to_unix_ms(d.ts)}, {"service", d.service}, {"change", d.change}, {"decision", d.decision},
            {"tier", d.tier},         {"ci_job", d.ci_job},   {"commit", d.commit}, {"override", d.override_id},
            {"source", d.source}};
  return j;
}

Result<GateRecord> record_of(const json& j) {
  try {
    GateRecord d;
    d.ts = from_unix_ms(j.at("ts").get<int64_t>());
    d.service = j.at("service").get<std::string>();
    d.change = j.at("change").get<std::string>();
    d.decision = j.at("decision").get<std::string>();
    d.tier = j.value("tier", "");
    d.ci_job = j.value("ci_job", "");
    d.commit = j.value("commit", "");
    d.override_id = j.value("override", "");
    d.source = j.value("source", "gate");
    return d;
  } catch (const json::exception& e) {
    return DataLoss(std::string("a gate decision record is malformed: ") + e.what());
  }
}

Result<GateRecord> decode(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("a gate decision record is not JSON");
  return record_of(j);
}

}  // namespace

std::string encode_decision(const GateRecord& d) { return text_of(record_json(d)); }

std::vector<GateRecord> DecisionLog::list(std::string_view service, Timestamp since) const {
  std::lock_guard lock(mu_);
  std::vector<GateRecord> out;
  for (auto it = kept_.rbegin(); it != kept_.rend() && it->ts >= since; ++it) {
    if (service.empty() || it->service == service) out.push_back(*it);
  }
  return out;
}

Status DecisionLog::check(std::string_view record) const {
  auto decoded = decode(record);
  return decoded.ok() ? Status::Ok() : decoded.status();
}

Status DecisionLog::apply(std::string_view record, Timestamp now) {
  BUDGETD_ASSIGN_OR_RETURN(GateRecord d, decode(record));
  std::lock_guard lock(mu_);
  // Almost always the newest; a replica's older answer arriving late still lands in ts order.
  const auto pos =
      std::upper_bound(kept_.begin(), kept_.end(), d.ts, [](Timestamp t, const GateRecord& r) { return t < r.ts; });
  kept_.insert(pos, std::move(d));
  prune(now);
  return Status::Ok();
}

void DecisionLog::prune(Timestamp now) {
  while (!kept_.empty() && kept_.front().ts + kMaxAge < now) kept_.pop_front();
  while (kept_.size() > kMaxDecisions) kept_.pop_front();
}

std::string DecisionLog::save() const {
  json all = json::array();
  std::lock_guard lock(mu_);
  for (const GateRecord& d : kept_) all.push_back(record_json(d));
  return text_of(json{{"version", 1}, {"decisions", std::move(all)}});
}

Status DecisionLog::load(std::string_view saved, Timestamp now) {
  const json j = json::parse(saved, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("decisions") || !j["decisions"].is_array())
    return DataLoss("the gate decisions section is not readable");
  std::deque<GateRecord> kept;
  for (const json& r : j["decisions"]) {
    BUDGETD_ASSIGN_OR_RETURN(GateRecord d, record_of(r));
    kept.push_back(std::move(d));
  }
  std::stable_sort(kept.begin(), kept.end(), [](const GateRecord& a, const GateRecord& b) { return a.ts < b.ts; });
  std::lock_guard lock(mu_);
  kept_ = std::move(kept);
  prune(now);
  return Status::Ok();
}

}  // namespace budgetd::policy
