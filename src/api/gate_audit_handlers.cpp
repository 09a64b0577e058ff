// The gate's audit trail: break-glass overrides (POST, GET /v1/gate/overrides, DELETE
// /v1/gate/overrides/{id}; admin scope) and the decision log (GET /v1/gate/decisions).
// README "Overrides and the decision log".

#include <algorithm>

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"
#include "budgetd/policy/decision_log.h"
#include "budgetd/policy/gate.h"
#include "budgetd/policy/overrides.h"
#include "handler_util.h"

namespace budgetd::api {
namespace {

constexpr const char* kOverrideFields = "service, changes, reason, expires_in, by";

json override_json(const policy::Override& o, Timestamp now) {
  json changes = json::array();
  for (const config::ChangeType c : o.changes) changes.push_back(config::to_string(c));
  return {{"id", o.id},
          {"service", o.service},
          {"changes", std::move(changes)},
          {"reason", o.reason},
          {"by", o.by},
          {"state", o.state(now)},
          {"created_at", format_rfc3339(o.created_at)},
          {"expires_at", format_rfc3339(o.expires_at)},
          {"ended_at", o.ended_at ? json(format_rfc3339(*o.ended_at)) : json(nullptr)},
          {"ended_by", o.ended_at ? json(o.ended_by) : json(nullptr)}};
}

// The override a POST body asks for, at `now`; InvalidArgument naming the field that is wrong.
Result<policy::Override> read_override(std::string_view body, Timestamp now) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument(
        "the body must be a JSON object: {\"service\", \"changes\": [...], \"reason\", \"expires_in\", \"by\"}");
  policy::Override o;
  o.created_at = now;
  std::optional<Millis> expires_in;
  for (const auto& [key, value] : j.items()) {
    if (key == "changes") {
      if (!value.is_array()) return InvalidArgument("changes must be a list such as [\"feature\", \"risky\"]");
      for (const auto& c : value) {
        const auto change = c.is_string() ? policy::parse_change(c.get<std::string>()) : std::nullopt;
        if (!change)
          return InvalidArgument("changes: '" + bounded_echo(c.is_string() ? c.get<std::string>() : c.dump()) +
                                 "' is not one of feature, risky, reliability, security");
        if (!o.covers(*change)) o.changes.push_back(*change);
      }
      continue;
    }
    std::string* text = key == "service" ? &o.service : key == "reason" ? &o.reason : key == "by" ? &o.by : nullptr;
    if (text == nullptr && key != "expires_in")
      return InvalidArgument("unknown field '" + bounded_echo(key) + "' (valid: " + kOverrideFields + ")");
    if (!value.is_string()) return InvalidArgument(key + " must be a string, not " + std::string(value.type_name()));
    if (text != nullptr) {
      *text = value.get<std::string>();
      continue;
    }
    auto d = parse_duration(value.get<std::string>());
    if (!d.ok()) return InvalidArgument("expires_in: " + d.status().message());
    expires_in = *d;
  }
  if (!expires_in) return InvalidArgument("expires_in is required: how long the override lasts, such as 2h");
  o.expires_at = now + *expires_in;
  return o;
}

// The longest override the service's SLOs allow (the shortest policy.max_override among them);
// nullopt when no SLO covers it.
std::optional<Millis> max_override(const store::SloSet& slos, std::string_view service) {
  std::optional<Millis> max;
  for (const store::StoredSlo& s : slos.slos()) {
    if (s.spec->service == service)
      max = std::min(max.value_or(s.spec->policy.max_override), s.spec->policy.max_override);
  }
  return max;
}

}  // namespace

void Api::post_override(Request& req, Respond respond) {
  policy::GateOverrides* overrides = backend_.overrides();
  if (overrides == nullptr)
    return respond(reply_error(req, http::status::not_found, "this budgetd keeps no overrides"));
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const Timestamp now = clock_.now();
  auto o = read_override(req.raw.body(), now);
  Status valid = o.ok() ? Status::Ok() : o.status();
  if (valid.ok()) {
    if (const auto max = max_override(*snap->slos, o->service))
      valid = policy::GateOverrides::check_override(*o, *max);
    else
      valid = InvalidArgument("service '" + bounded_echo(o->service) +
                              "': no SLO covers it, so the gate never answers for it; GET /v1/slos lists the services");
  }
  if (!valid.ok()) {
    log::warn("gate: override refused").field("error", valid.message()).field("remote", req.remote);
    return respond(reply_error(req, http::status::bad_request, valid.message()));
  }
  o->id = policy::new_override_id();
  const json answer = override_json(*o, now);
  const unsigned version = req.raw.version();
  const bool keep_alive = req.raw.keep_alive();
  backend_.committer().commit_state(
      *overrides, policy::encode_override(*o), now,
      [respond = std::move(respond), answer, version, keep_alive](Status st) mutable {
        if (!st.ok()) return respond(reply_not_recorded("the override", st, version, keep_alive));
        log::warn("gate: override created; the gate allows these changes whatever the budget says")
            .field("id", answer["id"].get<std::string>())
            .field("service", answer["service"].get<std::string>())
            .field("changes", answer["changes"].dump())
            .field("by", answer["by"].get<std::string>())
            .field("reason", answer["reason"].get<std::string>())
            .field("expires_at", answer["expires_at"].get<std::string>());
        respond(json_response(http::status::created, answer, version, keep_alive));
      });
}

void Api::get_overrides(Request& req, Respond respond) {
  const policy::GateOverrides* overrides = backend_.overrides();
  if (overrides == nullptr)
    return respond(reply_error(req, http::status::not_found, "this budgetd keeps no overrides"));
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const policy::Override& o : overrides->list(req.query_param("service").value_or("")))
    list.push_back(override_json(o, now));
  respond(reply(req, http::status::ok, json{{"overrides", std::move(list)}}));
}

void Api::delete_override(Request& req, Respond respond) {
  policy::GateOverrides* overrides = backend_.overrides();
  if (overrides == nullptr)
    return respond(reply_error(req, http::status::not_found, "this budgetd keeps no overrides"));
  const Timestamp now = clock_.now();
  const std::string& id = req.params[0];
  const auto o = overrides->find(id);
  if (!o)
    return respond(reply_error(req, http::status::not_found,
                               "no override '" + bounded_echo(id) + "'; GET /v1/gate/overrides lists them"));
  if (!o->active(now)) {
    return respond(reply_error(req, http::status::conflict,
                               "override '" + o->id + "' is " + o->state(now) + " already; it stays in the audit log"));
  }
  const std::string by(req.query_param("by").value_or(""));
  const unsigned version = req.raw.version();
  const bool keep_alive = req.raw.keep_alive();
  backend_.committer().commit_state(
      *overrides, policy::encode_end(o->id, now, by), now,
      [this, overrides, id = o->id, by, respond = std::move(respond), version, keep_alive](Status st) mutable {
        if (!st.ok()) {
          HttpResponse res =
              error_response(http::status::service_unavailable, "unavailable",
                             "the override was not ended: " + st.message() + "; retry later", version, keep_alive);
          res.set(http::field::retry_after, "5");
          return respond(std::move(res));
        }
        log::info("gate: override ended").field("id", id).field("by", by);
        const auto ended = overrides->find(id);
        respond(json_response(http::status::ok, ended ? override_json(*ended, clock_.now()) : json{{"id", id}}, version,
                              keep_alive));
      });
}

void Api::get_decisions(Request& req, Respond respond) {
  const policy::DecisionLog* decisions = backend_.decisions();
  if (decisions == nullptr)
    return respond(reply_error(req, http::status::not_found, "this budgetd keeps no decision log"));
  Millis range = 7 * kDay;
  if (const auto r = req.query_param("range")) {
    auto parsed = parse_duration(*r);
    if (!parsed.ok() || *parsed <= Millis{0}) {
      return respond(reply_error(req, http::status::bad_request,
                                 "range '" + bounded_echo(*r) + "' is not a positive duration such as 7d or 12h"));
    }
    range = std::min(*parsed, policy::DecisionLog::kMaxAge);
  }
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const policy::GateRecord& d : decisions->list(req.query_param("service").value_or(""), now - range)) {
    list.push_back({{"ts", format_rfc3339(d.ts)},
                    {"service", d.service},
                    {"change", d.change},
                    {"decision", d.decision},
                    {"tier", d.tier},
                    {"ci_job", d.ci_job},
                    {"commit", d.commit},
                    {"override", d.override_id.empty() ? json(nullptr) : json(d.override_id)},
                    {"source", d.source}});
  }
  respond(reply(req, http::status::ok, json{{"decisions", std::move(list)}}));
}

}  // namespace budgetd::api
