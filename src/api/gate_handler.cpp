// GET /v1/gate and POST /v1/gate/webhook (Flagger): may this service deploy this change now?
// (DESIGN.md §3, README "Policy tiers and the deploy gate")
//
// Both ask one GateQuestion and get one answer, built by gate_answer_json alone: the verdict of
// the service's SLOs (policy::decide, policy::combine), an active override, the last deploy.
// Every answer is written to the decision log once it is sent.

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"
#include "budgetd/policy/assessment.h"
#include "budgetd/policy/decision_log.h"
#include "budgetd/policy/gate.h"
#include "budgetd/policy/overrides.h"
#include "cluster_json.h"
#include "deploy_json.h"
#include "handler_util.h"
#include "status_json.h"

namespace budgetd::api {
namespace {

json optional_time(const std::optional<Timestamp>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

bool truthy(std::optional<std::string_view> v) { return v && (*v == "true" || *v == "1"); }

// The whole gate answer (README "The gate's answer"), in one place.
json gate_answer_json(const policy::GateDecision& g, const GateQuestion& q, const std::optional<policy::Override>& o,
                      const ServingState& snap, const deploys::DeployLog* deploys, Timestamp now) {
  json slos = json::array();
  for (const policy::SloDecision& d : g.slos) {
    json reopens = json::object();
    for (const config::ChangeType c : config::kChangeTypes)
      reopens[config::to_string(c)] = optional_time(d.reopens_at[static_cast<size_t>(c)]);
    slos.push_back({{"name", d.slo},
                    {"tier", d.tier},
                    {"remaining", d.remaining},
                    {"allowed", d.allowed()},
                    {"decision", policy::to_string(d.verdict)},
                    {"insufficient_data", d.insufficient_data},
                    {"requirements", d.requirements},
                    {"reasons", d.reasons},
                    {"reopens_at", std::move(reopens)}});
  }
  json answer = {{"allowed", g.allowed()},  {"decision", policy::to_string(g.verdict)},
                 {"service", q.service},    {"change", config::to_string(q.change)},
                 {"tier", g.tier},          {"insufficient_data", g.insufficient_data},
                 {"reasons", g.reasons},    {"requirements", g.requirements},
                 {"slos", std::move(slos)}, {"override", nullptr},
                 {"dry_run", q.dry_run},    {"evaluated_at", format_rfc3339(now)}};
  if (o) {
    answer["override"] = {
        {"id", o->id}, {"reason", o->reason}, {"by", o->by}, {"expires_at", format_rfc3339(o->expires_at)}};
  }
  if (deploys != nullptr) add_last_deploy(answer, *deploys, q.service, *snap.slos, now);
  return answer;
}

}  // namespace

void Api::get_gate(Request& req, Respond respond) {
  const auto service = req.query_param("service");
  const auto change_name = req.query_param("change");
  if (!service || service->empty())
    return respond(
        reply_error(req, http::status::bad_request, "service is required: /v1/gate?service=S&change=feature"));
  if (!change_name)
    return respond(reply_error(req, http::status::bad_request,
                               "change is required: one of feature, risky, reliability, security"));
  const auto change = policy::parse_change(*change_name);
  if (!change) {
    return respond(
        reply_error(req, http::status::bad_request,
                    "change '" + std::string(*change_name) + "' is not one of feature, risky, reliability, security"));
  }
  GateQuestion q;
  q.service = std::string(*service);
  q.change = *change;
  q.slo = std::string(req.query_param("slo").value_or(""));
  q.ci_job = std::string(req.query_param("ci_job").value_or(""));
  q.commit = std::string(req.query_param("commit").value_or(""));
  q.dry_run = truthy(req.query_param("dry_run"));
  q.source = "gate";
  answer_gate(req, std::move(q), http::status::ok, std::move(respond));
}

void Api::post_gate_webhook(Request& req, Respond respond) {
  // Flagger's webhook payload: {"name", "namespace", "phase", "checksum", "metadata": {...}},
  // metadata being the strings the Canary's webhook lists (here service and change).
  const json body = json::parse(req.raw.body(), nullptr, /*allow_exceptions=*/false);
  const auto refuse = [&](const std::string& why) { respond(reply_error(req, http::status::bad_request, why)); };
  if (body.is_discarded() || !body.is_object())
    return refuse("the body is not Flagger's webhook payload: {\"name\", \"namespace\", \"metadata\": {...}}");
  const auto it = body.find("metadata");
  if (it == body.end() || !it->is_object())
    return refuse("metadata is required: list service and change in the Canary webhook's metadata");
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto v = it->find(key);
    if (v == it->end()) return std::string();
    if (!v->is_string()) return std::nullopt;
    return v->get<std::string>();
  };
  GateQuestion q;
  const auto service = text("service");
  const auto change = text("change");
  if (!service || service->empty()) return refuse("metadata.service is required (a string)");
  if (!change || change->empty())
    return refuse("metadata.change is required: one of feature, risky, reliability, security");
  const auto parsed = policy::parse_change(*change);
  if (!parsed)
    return refuse("metadata.change '" + bounded_echo(*change) +
                  "' is not one of feature, risky, reliability, security");
  q.service = *service;
  q.change = *parsed;
  for (const auto& [key, into] :
       {std::pair{"slo", &q.slo}, std::pair{"ci_job", &q.ci_job}, std::pair{"commit", &q.commit}}) {
    const auto v = text(key);
    if (!v) return refuse(std::string("metadata.") + key + " must be a string");
    *into = *v;
  }
  // Flagger names the canary; without a ci_job it stands in for one in the decision log.
  if (q.ci_job.empty() && body.contains("name") && body["name"].is_string()) {
    q.ci_job = "flagger/" + body.value("namespace", "") + "/" + body["name"].get<std::string>();
  }
  q.source = "webhook";
  // 412 halts Flagger's rollout; 200 lets it proceed.
  answer_gate(req, std::move(q), http::status::precondition_failed, std::move(respond));
}

void Api::answer_gate(Request& req, GateQuestion q, http::status denied_status, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const Timestamp now = clock_.now();
  std::vector<policy::SloDecision> decisions;
  for (const store::StoredSlo& slo : snap->slos->slos()) {
    if (slo.spec->service != q.service || (!q.slo.empty() && slo.spec->name != q.slo)) continue;
    auto view = policy::assess_slo(slo, now, now, snap->config->storage.status_lookback, backend_.alerts());
    if (!view.ok()) return respond(reply_error(req, http::status::service_unavailable, view.status().message()));
    policy::name_budget_contributors(*view, slo);
    decisions.push_back(policy::decide(*view, q.change));
  }
  if (decisions.empty()) {
    return respond(reply_error(
        req, http::status::not_found,
        !q.slo.empty() ? "service '" + bounded_echo(q.service) + "' has no SLO named '" + bounded_echo(q.slo) + "'"
                       : "no SLO covers service '" + bounded_echo(q.service) + "'; GET /v1/slos lists them"));
  }
  policy::GateDecision g = policy::combine(std::move(decisions));
  std::optional<policy::Override> o;
  if (const policy::GateOverrides* overrides = backend_.overrides()) o = overrides->active(q.service, q.change, now);
  if (o) {
    // Break glass: the override allows the change and says so first; the SLOs' reasons stay.
    if (g.verdict == policy::Verdict::kDeny) g.verdict = policy::Verdict::kAllow;
    g.reasons.insert(g.reasons.begin(), fmt::format("override {} by {} allows {} changes until {}: {}", o->id,
                                                    o->by.empty() ? "(unnamed)" : o->by, config::to_string(q.change),
                                                    format_rfc3339(o->expires_at), o->reason));
  }
  const char* decision = policy::to_string(g.verdict);
  if (!q.dry_run) gate_decision_counter(q.service, decision).inc();
  log::info(q.dry_run ? "gate: decision (dry run: nothing is deployed on it)" : "gate: decision")
      .field("service", q.service)
      .field("change", config::to_string(q.change))
      .field("decision", decision)
      .field("tier", g.tier)
      .field("ci_job", q.ci_job)
      .field("commit", q.commit)
      .field("override", o ? o->id : "")
      .field("source", q.source)
      .field("dry_run", q.dry_run)
      .field("remote", req.remote);
  json answer = gate_answer_json(g, q, o, *snap, backend_.deploys(), now);
  add_replication(answer, backend_);  // cluster mode: how far behind this replica answers
  const http::status status = g.allowed() ? http::status::ok : denied_status;
  respond(reply(req, status, answer));
  // A dry run gates nothing: it is logged (above) but neither counted nor recorded.
  policy::DecisionLog* log_of_decisions = backend_.decisions();
  if (log_of_decisions == nullptr || q.dry_run) return;
  // Recorded once answered, from the ingest executor: appending to the log can wait (a slow
  // fsync, a stuck disk), and neither the answer nor the read executor may wait with it. A
  // crash in between loses the record, never the answer.
  std::string record = policy::encode_decision(
      {now, q.service, config::to_string(q.change), decision, g.tier, q.ci_job, q.commit, o ? o->id : "", q.source});
  auto commit = [this, log_of_decisions, record = std::move(record), now]() mutable {
    backend_.committer().commit_state(*log_of_decisions, std::move(record), now, [](Status st) {
      if (!st.ok()) log::warn("gate: the decision was not recorded in the decision log").field("error", st.message());
    });
  };
  if (!decisions_) return commit();  // no executors (before run_on): here and now
  net::post(decisions_, std::move(commit));
}

metrics::Counter& Api::gate_decision_counter(const std::string& service, const char* decision) {
  // Services come from the config (an unknown one is a 404 before this), so the labels are bounded.
  return metrics_.counter("budgetd_gate_decisions_total", "Deploy-gate answers, by service and decision",
                          {{"service", service}, {"decision", decision}});
}

}  // namespace budgetd::api
