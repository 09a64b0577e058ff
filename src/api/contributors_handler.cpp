// GET /v1/slos/{name}/contributors?window=6h&label=endpoint (read scope): which label values
// burned the budget over a window ending now (eval/contributors.h).

#include "api.h"
#include "budgetd/core/log.h"
#include "contributors_json.h"
#include "handler_util.h"

namespace budgetd::api {
namespace {

// `window` (default: the primary budget window's length) as the status bounds it: ending with
// the bucket holding now, at the resolution of its length (core/window.h).
Result<WindowBounds> contributors_bounds(const Request& req, const store::StoredSlo& slo, Timestamp now) {
  Millis length = slo.spec->primary_window().length;
  if (auto text = req.query_param("window")) {
    auto d = parse_duration(*text);
    if (!d.ok() || *d <= Millis{0} || d->count() % resolution_for(*d).count() != 0)
      return InvalidArgument("window: '" + std::string(*text) + "' is not a window length SLO '" + slo.spec->name +
                             "' can be asked for; it attributes " + eval::askable_windows(slo));
    length = *d;
  }
  return window_bounds(length, now);
}

}  // namespace

void Api::get_contributors(Request& req, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const store::StoredSlo* slo = snap->slos->find(req.params[0]);
  if (slo == nullptr) return respond(reply_no_such_slo(req, req.params[0]));
  const Timestamp now = clock_.now();
  const auto refuse = [&](const Status& s) {
    contributors_refused_.inc();
    log::info("api: a contributors request was refused").field("slo", slo->spec->name).field("error", s.message());
    respond(reply_error(req, http::status::bad_request, s.message()));
  };
  if (!slo->attribution) {
    return refuse(InvalidArgument("SLO '" + slo->spec->name +
                                  "' attributes no labels; add attribution: {labels: [...]} to its config"));
  }
  auto bounds = contributors_bounds(req, *slo, now);
  if (!bounds.ok()) return refuse(bounds.status());
  const std::string label(req.query_param("label").value_or(""));
  eval::ContributorsSpan span{};
  auto c = eval::contributors(*slo, bounds->start, bounds->end, label, now, &span);
  if (!c.ok()) return refuse(c.status());
  nlohmann::ordered_json out = {{"slo", slo->spec->name}};
  out.update(contributors_window_json(format_duration(bounds->end - bounds->start), span, *c));
  out["top"] = eval::top_contributors_text(*c, 3);
  respond(reply(req, http::status::ok, out));
}

}  // namespace budgetd::api
