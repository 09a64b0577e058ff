#include "budgetd/policy/overrides.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "budgetd/policy/gate.h"

namespace budgetd::policy {
namespace {

using json = nlohmann::json;

// Query parameters (ci_job, commit, by) may hold any bytes: invalid UTF-8 is replaced, never thrown on.
std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Records and the snapshot section are JSON: small, rare, and they must take added fields.
json override_json(const Override& o) {
  json changes = json::array();
  for (const config::ChangeType c : o.changes) changes.push_back(config::to_string(c));
  json j = {{"id", o.id},
            {"service", o.service},
            {"changes", std::move(changes)},
            {"reason", o.reason},
            {"by", o.by},
            {"created_at", to_unix_ms(o.created_at)},
            {"expires_at", to_unix_ms(o.expires_at)}};
  if (o.ended_at) {
    j["ended_at"] = to_unix_ms(*o.ended_at);
    j["ended_by"] = o.ended_by;
  }
  return j;
}

Result<Override> override_of(const json& j) {
  try {
    Override o;
    o.id = j.at("id").get<std::string>();
    o.service = j.at("service").get<std::string>();
    for (const auto& c : j.at("changes")) {
      const auto change = parse_change(c.get<std::string>());
      if (!change) return DataLoss("an override names an unknown change type");
      o.changes.push_back(*change);
    }
    o.reason = j.at("reason").get<std::string>();
    o.by = j.value("by", "");
    o.created_at = from_unix_ms(j.at("created_at").get<int64_t>());
    o.expires_at = from_unix_ms(j.at("expires_at").get<int64_t>());
    if (j.contains("ended_at")) {
      o.ended_at = from_unix_ms(j.at("ended_at").get<int64_t>());
      o.ended_by = j.value("ended_by", "");
    }
    return o;
  } catch (const json::exception& e) {
    return DataLoss(std::string("an override is malformed: ") + e.what());
  }
}

struct Record {
  bool end = false;
  Override created;  // !end
  std::string id;    // end
  Timestamp at;      // end
  std::string by;    // end
};

Result<Record> decode(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return DataLoss("a gate override record is not JSON");
  Record r;
  const std::string op = j.value("op", "");
  if (op == "create") {
    BUDGETD_ASSIGN_OR_RETURN(r.created, override_of(j.value("override", json())));
    return r;
  }
  if (op == "end" && j.contains("id") && j["id"].is_string() && j.contains("at") && j["at"].is_number_integer()) {
    r.end = true;
    r.id = j["id"].get<std::string>();
    r.at = from_unix_ms(j["at"].get<int64_t>());
    r.by = j.value("by", "");
    return r;
  }
  return DataLoss("a gate override record is neither a create nor an end");
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
}

}  // namespace

bool Override::covers(config::ChangeType c) const {
  return std::find(changes.begin(), changes.end(), c) != changes.end();
}

const char* Override::state(Timestamp now) const {
  if (ended_at) return "ended";
  return now < expires_at ? "active" : "expired";
}

std::string new_override_id() {
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard lock(mu);
  return fmt::format("ovr-{:016x}", gen());
}

std::string encode_override(const Override& o) {
  return text_of(json{{"op", "create"}, {"override", override_json(o)}});
}

std::string encode_end(const std::string& id, Timestamp at, const std::string& by) {
  return text_of(json{{"op", "end"}, {"id", id}, {"at", to_unix_ms(at)}, {"by", by}});
}

Status GateOverrides::check_override(const Override& o, Millis max) {
  if (o.service.empty()) return InvalidArgument("service is required");
  if (o.changes.empty())
    return InvalidArgument("changes must list at least one of feature, risky, reliability, security");
  if (o.reason.empty()) return InvalidArgument("reason is required: say why the gate is overridden");
  if (o.reason.size() > kMaxOverrideReasonBytes || !printable(o.reason))
    return InvalidArgument(fmt::format("reason must be printable text of at most {} bytes", kMaxOverrideReasonBytes));
  if (o.by.size() > kMaxOverrideByBytes || !printable(o.by))
    return InvalidArgument(fmt::format("by must be printable text of at most {} bytes", kMaxOverrideByBytes));
  if (o.expires_at <= o.created_at) return InvalidArgument("expires_in must be more than 0");
  if (o.expires_at - o.created_at > max)
    return InvalidArgument("expires_in is longer than policy.max_override (" + format_duration(max) + ")");
  return Status::Ok();
}

std::optional<Override> GateOverrides::active(std::string_view service, config::ChangeType change,
                                              Timestamp now) const {
  std::lock_guard lock(mu_);
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
    if (it->service == service && it->covers(change) && it->active(now)) return *it;
  }
  return std::nullopt;
}

std::vector<Override> GateOverrides::list(std::string_view service) const {
  std::lock_guard lock(mu_);
  std::vector<Override> out;
  for (auto it = kept_.rbegin(); it != kept_.rend(); ++it) {
    if (service.empty() || it->service == service) out.push_back(*it);
  }
  return out;
}

std::optional<Override> GateOverrides::find(std::string_view id) const {
  std::lock_guard lock(mu_);
  for (const Override& o : kept_) {
    if (o.id == id) return o;
  }
  return std::nullopt;
}

Status GateOverrides::check(std::string_view record) const {
  auto decoded = decode(record);
  return decoded.ok() ? Status::Ok() : decoded.status();
}

Status GateOverrides::apply(std::string_view record, Timestamp now) {
  BUDGETD_ASSIGN_OR_RETURN(Record r, decode(record));
  std::lock_guard lock(mu_);
  if (r.end) {
    // Ending one that is gone, ended or expired changes nothing: the record stays harmless.
    for (Override& o : kept_) {
      if (o.id == r.id && !o.ended_at && r.at < o.expires_at) {
        o.ended_at = std::max(r.at, o.created_at);
        o.ended_by = r.by;
      }
    }
  } else {
    const auto pos = std::upper_bound(kept_.begin(), kept_.end(), r.created.created_at,
                                      [](Timestamp t, const Override& o) { return t < o.created_at; });
    kept_.insert(pos, std::move(r.created));
  }
  prune(now);
  return Status::Ok();
}

void GateOverrides::prune(Timestamp now) {
  // The audit log: overrides that stopped more than kAuditAge ago go, then the oldest past kMaxKept.
  std::erase_if(kept_, [&](const Override& o) { return o.ended_at.value_or(o.expires_at) + kAuditAge < now; });
  if (kept_.size() > kMaxKept) kept_.erase(kept_.begin(), kept_.begin() + (kept_.size() - kMaxKept));
}

std::string GateOverrides::save() const {
  json all = json::array();
  std::lock_guard lock(mu_);
  for (const Override& o : kept_) all.push_back(override_json(o));
  return text_of(json{{"version", 1}, {"overrides", std::move(all)}});
}

Status GateOverrides::load(std::string_view saved, Timestamp now) {
  const json j = json::parse(saved, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("overrides") || !j["overrides"].is_array())
    return DataLoss("the gate overrides section is not readable");
  std::vector<Override> kept;
  for (const json& o : j["overrides"]) {
    BUDGETD_ASSIGN_OR_RETURN(Override parsed, override_of(o));
    kept.push_back(std::move(parsed));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Override& a, const Override& b) { return a.created_at < b.created_at; });
  std::lock_guard lock(mu_);
  kept_ = std::move(kept);
  prune(now);
  return Status::Ok();
}

}  // namespace budgetd::policy
