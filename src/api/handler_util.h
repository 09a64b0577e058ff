#pragma once
// Small helpers the API's handler files share. Private to the api module.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

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

}  // namespace budgetd::api
