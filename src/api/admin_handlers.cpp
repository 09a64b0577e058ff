// The admin-scope actions: POST /-/reload (re-read the config) and POST /-/snapshot (a backup).

#include "api.h"
#include "handler_util.h"

namespace budgetd::api {

void Api::post_reload(Request& req, Respond respond) {
  const ReloadOutcome r = backend_.reload();
  if (!r.ok) {
    std::string message = "the new config is invalid; the running config stays:";
    for (const auto& e : r.errors) message += "\n" + e;
    json body = {{"error", {{"code", "bad_request"}, {"message", message}}}, {"errors", r.errors}};
    return respond(reply(req, http::status::bad_request, body));
  }
  respond(reply(req, http::status::ok,
                {{"reloaded", true},
                 {"slos", backend_.state()->slos->slos().size()},
                 {"kept", r.kept},
                 {"added", r.added},
                 {"removed", r.removed},
                 {"changed", r.changed},
                 {"warnings", r.warnings}}));
}

void Api::post_snapshot(Request& req, Respond respond) {
  const auto path = backend_.take_snapshot();
  if (!path.ok()) return respond(reply_error(req, http::status::service_unavailable, path.status().message()));
  respond(reply(req, http::status::ok, {{"snapshot", *path}, {"taken_at", format_rfc3339(clock_.now())}}));
}

}  // namespace budgetd::api
