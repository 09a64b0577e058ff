// GET /v1/slos/{name}/history (read scope): the primary budget's burn-down, point by point
// (eval/history.h), with each point's tier (policy::assess_history).

#include <charconv>

#include "api.h"
#include "budgetd/policy/assessment.h"
#include "handler_util.h"
#include "history_json.h"

namespace budgetd::api {
namespace {

struct HistoryRequest {
  eval::HistoryQuery query;
  int periods = 0;
  bool periods_asked = false;
};

Result<Millis> positive_duration(std::string_view name, std::string_view text) {
  auto d = parse_duration(text);
  if (!d.ok()) return InvalidArgument(std::string(name) + ": " + d.status().message());
  if (*d <= Millis{0})
    return InvalidArgument(std::string(name) + ": " + std::string(text) + " is not a positive duration");
  return *d;
}

// range (default: the primary window's length) or from, ending at `to` (default now); step
// (default: default_history_step); periods.
Result<HistoryRequest> parse_history_request(const Request& req, const store::StoredSlo& slo, Timestamp now) {
  HistoryRequest r;
  const auto range_text = req.query_param("range");
  const auto from_text = req.query_param("from");
  if (range_text && from_text) {
    return InvalidArgument("give range (ending at to, or now) or from (and to), not both");
  }
  r.query.to = now;
  if (auto to = req.query_param("to")) {
    BUDGETD_ASSIGN_OR_RETURN(r.query.to, parse_query_time("to", *to));
  }
  Millis range = slo.spec->primary_window().length;
  if (range_text) {
    BUDGETD_ASSIGN_OR_RETURN(range, positive_duration("range", *range_text));
  }
  r.query.from = r.query.to - range;
  if (from_text) {
    BUDGETD_ASSIGN_OR_RETURN(r.query.from, parse_query_time("from", *from_text));
    if (r.query.from > r.query.to) {
      return InvalidArgument("from=" + format_rfc3339(r.query.from) + " is after to=" + format_rfc3339(r.query.to));
    }
  }
  r.query.step = eval::default_history_step(slo, r.query.to - r.query.from);
  if (auto step = req.query_param("step")) {
    BUDGETD_ASSIGN_OR_RETURN(r.query.step, positive_duration("step", *step));
  }
  if (auto periods = req.query_param("periods")) {
    const char* end = periods->data() + periods->size();
    const auto [ptr, ec] = std::from_chars(periods->data(), end, r.periods);
    if (ec != std::errc{} || ptr != end) {
      return InvalidArgument("periods: '" + std::string(*periods) + "' is not a whole number (0 to " +
                             std::to_string(eval::kMaxHistoryPeriods) + ")");
    }
    r.periods_asked = true;
  }
  return r;
}

}  // namespace

void Api::get_history(Request& req, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const store::StoredSlo* slo = snap->slos->find(req.params[0]);
  if (slo == nullptr) {
    return respond(reply_no_such_slo(req, req.params[0]));
  }
  const Timestamp now = clock_.now();
  auto parsed = parse_history_request(req, *slo, now);
  if (!parsed.ok()) return respond(reply_error(req, http::status::bad_request, parsed.status().message()));
  auto history = policy::assess_history(*slo, parsed->query, parsed->periods, now);
  if (!history.ok()) return respond(reply_error(req, http::status::bad_request, history.status().message()));
  respond(reply(req, http::status::ok, history_json(*slo, *history, parsed->periods_asked)));
}

}  // namespace budgetd::api
