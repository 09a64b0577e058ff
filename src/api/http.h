#pragma once
// HTTP plumbing shared by the API's sources: Beast types, JSON answers and errors, query strings.
// Private to the api module.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/beast/http.hpp>
#include <nlohmann/json_fwd.hpp>

namespace budgetd::api {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Text that several answers send without copying it (GET /metrics: the evaluator's per-SLO
// rendering), in parts written one after another. Immutable once shared.
using SharedText = std::shared_ptr<const std::vector<std::string>>;

// Delivers a handler's answer; call exactly once, from any thread. An answer may carry a shared
// tail: its parts are sent after the body, from where they lie (the session writes them piece by
// piece), so a 20 MB exposition is neither copied nor rebuilt per answer.
//
// Made from a callable taking (HttpResponse&&, SharedText), or one taking only the response:
// then a tail is appended to the body first (for callers that inspect whole bodies).
class Respond {
 public:
  using Sink = std::function<void(HttpResponse&&, SharedText)>;

  Respond() = default;
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Respond>>>
  Respond(F f) : sink_(sink_for(std::move(f))) {}  // NOLINT: implicit, like std::function

  void operator()(HttpResponse&& res, SharedText tail = nullptr) const { sink_(std::move(res), std::move(tail)); }
  explicit operator bool() const { return static_cast<bool>(sink_); }

  // Appends the parts to the body and sets Content-Length again.
  static void append_tail(HttpResponse& res, const std::vector<std::string>& parts);

 private:
  template <typename F>
  static Sink sink_for(F f) {
    if constexpr (std::is_invocable_v<F&, HttpResponse&&, SharedText>) {
      return f;
    } else {
      return [f = std::move(f)](HttpResponse&& res, SharedText tail) mutable {
        if (tail) append_tail(res, *tail);
        f(std::move(res));
      };
    }
  }

  Sink sink_;
};

// Bytes in the parts of a shared tail.
size_t tail_bytes(const SharedText& tail);

struct Request {
  HttpRequest& raw;  // the handler may move the body out
  std::string_view path;
  std::vector<std::pair<std::string, std::string>> query;  // decoded
  std::vector<std::string> params;                         // the {name} segments of the route
  std::string remote;

  // The value of query parameter `name`, or nullopt.
  std::optional<std::string_view> query_param(std::string_view name) const;
};

HttpResponse json_response(http::status status, const nlohmann::ordered_json& body, unsigned version, bool keep_alive);
// {"error": {"code": ..., "message": ...}}
HttpResponse error_response(http::status status, std::string_view code, std::string_view message, unsigned version,
                            bool keep_alive);
HttpResponse text_response(http::status status, std::string body, std::string_view content_type, unsigned version,
                           bool keep_alive);

// A Content-Type's media type, lower case, without parameters: "Application/JSON; charset=utf-8"
// -> "application/json".
std::string media_type(std::string_view content_type);

// ASCII case-insensitive equality, as HTTP compares tokens ("chunked", "100-continue").
bool iequals(std::string_view a, std::string_view b);

// How a request's error answers are written. budgetd's own routes answer {"error": {...}};
// OTLP/HTTP's (/otlp/...) a google.rpc.Status in the request's encoding (JSON when it sent
// application/json, else protobuf), as the OTLP spec asks of every 4xx and 5xx, so an OTel SDK
// or Collector logs why. The dialect is chosen from the request alone, so the refusals made
// before routing (a body over the limit, a bad token) speak it too.
enum class ErrorDialect : uint8_t { kBudgetd, kOtlpProtobuf, kOtlpJson };
// Reads the Content-Type only under /otlp/, so other requests pay one prefix compare.
ErrorDialect error_dialect(const HttpRequest& req);
// Rewrites an error answer of budgetd's into `dialect`'s body and Content-Type, with the same
// message and headers (Retry-After, Allow, WWW-Authenticate); an answer below 400, or kBudgetd,
// stays as it is.
void speak_error_dialect(ErrorDialect dialect, HttpResponse& res);

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; nullopt for bad percent-encoding.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// The error code string for a status, e.g. 404 -> "not_found".
std::string_view error_code_for(http::status status);

}  // namespace budgetd::api
