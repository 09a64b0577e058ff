#pragma once
// Small helpers the API's handler files share. Private to the api module.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "http.h"

namespace budgetd::api {

using json = nlohmann::ordered_json;

inline HttpResponse reply(const Request& req, http::status status, const json& body) {
  return json_response(status, body, req.raw.version(), req.raw.keep_alive());
}

inline HttpResponse reply_text(const Request& req, http::status status, std::string body,
                               std::string_view content_type = "application/json") {
  return text_response(status, std::move(body), content_type, req.raw.version(), req.raw.keep_alive());
}

inline HttpResponse reply_error(const Request& req, http::status status, std::string_view message) {
  return error_response(status, error_code_for(status), message, req.raw.version(), req.raw.keep_alive());
}

// The answer for /v1/slos/{name}/... when the config has no SLO of that name.
inline HttpResponse reply_no_such_slo(const Request& req, std::string_view name) {
  return reply_error(req, http::status::not_found, "no SLO named '" + std::string(name) + "'; GET /v1/slos lists them");
}

// The answer when the log refused a state change (a deploy, an override): 503 with Retry-After,
// nothing recorded. `what` names it ("the deploy"); version and keep_alive are the request's,
// taken before the request went away (the committer calls back after the handler returned).
inline HttpResponse reply_not_recorded(std::string_view what, const Status& st, unsigned version, bool keep_alive) {
  HttpResponse res =
      error_response(http::status::service_unavailable, "unavailable",
                     std::string(what) + " was not recorded: " + st.message() + "; retry later", version, keep_alive);
  res.set(http::field::retry_after, "5");
  return res;
}

// An Idempotency-Key header's value as batches and deploys take it: 1-255 visible ASCII.
inline bool valid_idempotency_key(std::string_view key) {
  constexpr size_t kMaxBytes = 255;
  if (key.empty() || key.size() > kMaxBytes) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// A time in a query parameter: unix milliseconds or RFC 3339. Values that, read as
// milliseconds, fall before 1973-03-03 are refused as surely unix seconds, with what was meant.
inline Result<Timestamp> parse_query_time(std::string_view name, std::string_view text) {
  constexpr int64_t kUnixSecondsBelow = 100'000'000'000;
  auto parsed = parse_timestamp(text);
  if (!parsed.ok()) return InvalidArgument(std::string(name) + ": " + parsed.status().message());
  if (const int64_t n = to_unix_ms(*parsed); n >= 0 && n < kUnixSecondsBelow) {
    return InvalidArgument(std::string(name) + ": " + std::string(text) + " looks like unix seconds; " +
                           std::string(name) + " takes unix milliseconds or RFC 3339 (" + std::to_string(n * 1000) +
                           " or " + format_rfc3339(from_unix_ms(n * 1000)) + ")");
  }
  return parsed;
}

}  // namespace budgetd::api
