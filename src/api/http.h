#pragma once
// HTTP plumbing shared by the API's sources: Beast types, JSON answers and errors, query strings.
// Private to the api module.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http.hpp>
#include <nlohmann/json_fwd.hpp>

namespace budgetd::api {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// Delivers a handler's answer; call exactly once, from any thread.
using Respond = std::function<void(HttpResponse&&)>;

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

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; nullopt for bad percent-encoding.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

// The error code string for a status, e.g. 404 -> "not_found".
std::string_view error_code_for(http::status status);

}  // namespace budgetd::api
