// POST /v1/deploys (gate scope) and GET /v1/deploys (read scope): deploy markers and what each
// deploy cost (README "Deploys").

#include <map>

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"
#include "deploy_json.h"
#include "handler_util.h"

namespace budgetd::api {
namespace {

constexpr const char* kFields = "service, version, ts, change, commit, ci_job, url";

// A ts: RFC 3339, or unix milliseconds as a number or a string of digits.
Result<Timestamp> read_ts(const json& v) {
  if (v.is_number_integer()) return from_unix_ms(v.get<int64_t>());
  if (v.is_string()) {
    auto t = parse_timestamp(v.get_ref<const std::string&>());
    if (!t.ok()) return InvalidArgument("ts: " + t.status().message());
    return *t;
  }
  return InvalidArgument("ts must be an RFC 3339 string or unix milliseconds, not " + std::string(v.type_name()));
}

// The deploy a POST body describes; InvalidArgument naming the field that is wrong. `gave_ts`:
// whether the body said when (otherwise it is `now`).
Result<deploys::Deploy> read_deploy(std::string_view body, Timestamp now, bool* gave_ts) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("the body is not JSON: send {\"service\": S, \"version\": V, ...}");
  if (!j.is_object()) return InvalidArgument("the body must be a JSON object: {\"service\": S, \"version\": V, ...}");
  deploys::Deploy d;
  d.ts = now;
  const std::map<std::string_view, std::string*> texts = {{"service", &d.service}, {"version", &d.version},
                                                          {"change", &d.change},   {"commit", &d.commit},
                                                          {"ci_job", &d.ci_job},   {"url", &d.url}};
  for (const auto& [key, value] : j.items()) {
    if (key == "ts") {
      BUDGETD_ASSIGN_OR_RETURN(d.ts, read_ts(value));
      continue;
    }
    const auto field = texts.find(key);
    if (field == texts.end())
      return InvalidArgument("unknown field '" + bounded_echo(key) + "' (valid: " + kFields + ")");
    if (!value.is_string()) return InvalidArgument(key + " must be a string, not " + std::string(value.type_name()));
    *field->second = value.get<std::string>();
  }
  *gave_ts = j.contains("ts");
  if (!j.contains("service")) return InvalidArgument("service is required");
  if (!j.contains("version")) return InvalidArgument("version is required");
  return d;
}

// A retry of a deploy already recorded under its Idempotency-Key: the first answer again, or
// 422 when the key was used for another deploy.
HttpResponse replay_deploy(const Request& req, const deploys::Deploy& first, const deploys::Deploy& retry,
                           bool gave_ts) {
  if (!deploys::same_deploy(first, retry, gave_ts)) {
    return reply_error(req, http::status::unprocessable_entity,
                       "Idempotency-Key '" + bounded_echo(retry.idempotency_key) + "' was already used for " +
                           deploys::format_id(first) + ", a different deploy (" + first.service + " " + first.version +
                           ")");
  }
  HttpResponse res = reply(req, http::status::ok, deploy_json(first));
  res.set("Idempotent-Replayed", "true");
  return res;
}

bool has_service(const store::SloSet& slos, std::string_view service) {
  for (const store::StoredSlo& s : slos.slos()) {
    if (s.spec->service == service) return true;
  }
  return false;
}

}  // namespace

void Api::post_deploys(Request& req, Respond respond) {
  deploys::DeployLog* kept = backend_.deploys();
  if (kept == nullptr) return respond(reply_error(req, http::status::not_found, "this budgetd keeps no deploys"));
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const Timestamp now = clock_.now();
  bool gave_ts = false;
  auto d = read_deploy(req.raw.body(), now, &gave_ts);
  const std::string_view key = req.raw["Idempotency-Key"];
  if (d.ok() && !key.empty()) {
    if (!valid_idempotency_key(key)) {
      return respond(
          reply_error(req, http::status::bad_request, "Idempotency-Key must be 1-255 visible ASCII characters"));
    }
    d->idempotency_key = std::string(key);
    if (std::optional<deploys::Deploy> first = kept->by_key(key))
      return respond(replay_deploy(req, *first, *d, gave_ts));
  }
  Status valid = d.ok() ? kept->check_deploy(*d, now, snap->config->ingest.max_future) : d.status();
  // A deploy of a service no SLO covers would never show a cost: most likely a typo.
  if (valid.ok() && !has_service(*snap->slos, d->service)) {
    valid = InvalidArgument("service '" + bounded_echo(d->service) +
                            "': no SLO covers it, so its deploys would cost nothing; GET /v1/slos lists the services");
  }
  if (!valid.ok()) {
    log::warn("deploys: refused").field("error", valid.message()).field("remote", req.remote);
    deploys_refused_.inc();
    return respond(reply_error(req, http::status::bad_request, valid.message()));
  }
  d->id = kept->reserve_id();
  d->origin = kept->origin();
  json answer = deploy_json(*d);
  const unsigned version = req.raw.version();
  const bool keep_alive = req.raw.keep_alive();
  backend_.committer().commit_state(*kept, deploys::encode_deploy(*d), now,
                                    [this, kept, key = d->idempotency_key, respond = std::move(respond), answer,
                                     version, keep_alive](Status st) mutable {
                                      if (!st.ok())
                                        return respond(reply_not_recorded("the deploy", st, version, keep_alive));
                                      // Two retries with one key in flight at once: the log keeps one of them, and both
                                      // answers name that one.
                                      if (!key.empty()) {
                                        if (std::optional<deploys::Deploy> winner = kept->by_key(key))
                                          answer = deploy_json(*winner);
                                      }
                                      deploys_recorded_.inc();
                                      log::info("deploys: recorded")
                                          .field("id", answer["id"].get<std::string>())
                                          .field("service", answer["service"].get<std::string>())
                                          .field("version", answer["version"].get<std::string>());
                                      respond(json_response(http::status::created, answer, version, keep_alive));
                                    });
}

void Api::get_deploys(Request& req, Respond respond) {
  deploys::DeployLog* kept = backend_.deploys();
  if (kept == nullptr) return respond(reply_error(req, http::status::not_found, "this budgetd keeps no deploys"));
  const std::string service(req.query_param("service").value_or(""));
  Millis range = 7 * kDay;
  if (const auto r = req.query_param("range")) {
    auto parsed = parse_duration(*r);
    if (!parsed.ok() || *parsed <= Millis{0}) {
      return respond(reply_error(req, http::status::bad_request,
                                 "range '" + bounded_echo(*r) + "' is not a positive duration such as 7d or 12h"));
    }
    range = *parsed;
  }
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const Timestamp now = clock_.now();
  json list = json::array();
  // Newest first, so the deploy after each one (of its service) has just been seen.
  std::map<std::string, deploys::Deploy, std::less<>> newer;
  deploys::ImpactReader impacts(*snap->slos, now);
  for (const deploys::Deploy& d : kept->list(service, now - std::min(range, kept->retention()))) {
    const auto next = newer.find(d.service);
    auto impact = impacts.impact(d, next == newer.end() ? std::nullopt : std::optional(next->second));
    if (!impact.ok()) return respond(reply_error(req, http::status::service_unavailable, impact.status().message()));
    list.push_back(deploy_json(d, *impact));
    newer.insert_or_assign(d.service, d);
  }
  respond(reply(req, http::status::ok, json{{"deploys", std::move(list)}}));
}

}  // namespace budgetd::api
