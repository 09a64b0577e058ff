// GET /v1/slos/{name}/episodes (read scope): the SLO's burn episodes over `range` (default and
// most: the longest budget window, as far back as episodes are kept), newest first, each with
// the deploys inside it or just before and its top contributors.

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/deploys/deploy_log.h"
#include "budgetd/episodes/episode_json.h"
#include "budgetd/episodes/episode_log.h"
#include "deploy_json.h"
#include "handler_util.h"

namespace budgetd::api {
namespace {

// A deploy up to this long before an episode began is listed with it: the change most often
// to blame lands shortly before the errors do.
constexpr Millis kDeploysBefore = 24 * kHour;

Millis longest_window(const config::SloSpec& spec) {
  Millis longest{0};
  for (const config::WindowSpec& w : spec.windows) longest = std::max(longest, w.span());
  return longest;
}

Result<Millis> episodes_range(const Request& req, Millis longest) {
  const auto text = req.query_param("range");
  if (!text) return longest;
  auto parsed = parse_duration(*text);
  if (!parsed.ok() || *parsed <= Millis{0} || *parsed > longest) {
    return InvalidArgument("range '" + bounded_echo(*text) + "' is not a duration from 1s to " +
                           format_duration(longest) + " (this SLO's longest budget window, as far back as " +
                           "episodes are kept), such as 7d or 12h");
  }
  return *parsed;
}

// The deploys of the episode's service inside it, and the last one before it (within
// kDeploysBefore), oldest first, each saying which.
json episode_deploys(const deploys::DeployLog& kept, const episodes::Episode& e, Timestamp now) {
  json out = json::array();
  const Timestamp end = e.end.value_or(now);
  std::vector<deploys::Deploy> listed = kept.list(e.service, e.start - kDeploysBefore);  // newest first
  bool before_taken = false;
  std::vector<json> rows;
  for (const deploys::Deploy& d : listed) {
    if (d.ts > end) continue;
    const bool inside = d.ts >= e.start;
    if (!inside && before_taken) continue;
    if (!inside) before_taken = true;
    json j = deploy_json(d);
    j["when"] = inside ? "inside" : "before";
    rows.push_back(std::move(j));
  }
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) out.push_back(std::move(*it));
  return out;
}

}  // namespace

void Api::get_episodes(Request& req, Respond respond) {
  const episodes::EpisodeLog* kept = backend_.episodes();
  if (kept == nullptr) return respond(reply_error(req, http::status::not_found, "this budgetd keeps no episodes"));
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const store::StoredSlo* slo = snap->slos->find(req.params[0]);
  if (slo == nullptr) return respond(reply_no_such_slo(req, req.params[0]));
  const Millis longest = longest_window(*slo->spec);
  auto range = episodes_range(req, longest);
  if (!range.ok()) return respond(reply_error(req, http::status::bad_request, range.status().message()));
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const episodes::Episode& e : kept->list(slo->spec->name, now - *range)) {
    json j = episodes::episode_json(e, now);
    j["deploys"] = backend_.deploys() ? episode_deploys(*backend_.deploys(), e, now) : json::array();
    j["contributors"] = episodes::episode_contributors_json(*slo, e, now);
    list.push_back(std::move(j));
  }
  respond(reply(req, http::status::ok,
                json{{"slo", slo->spec->name},
                     {"service", slo->spec->service},
                     {"objective", slo->spec->objective.percent()},
                     {"range", format_duration(*range)},
                     {"from", format_rfc3339(now - *range)},
                     {"now", format_rfc3339(now)},
                     {"max_kept", episodes::EpisodeLog::kMaxPerSlo},
                     {"episodes", std::move(list)}}));
}

}  // namespace budgetd::api
