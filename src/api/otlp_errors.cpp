// Error answers in OTLP/HTTP's dialect (http.h: ErrorDialect).

#include <nlohmann/json.hpp>

#include "budgetd/inputs/otlp_status.h"
#include "http.h"

namespace budgetd::api {

ErrorDialect error_dialect(const HttpRequest& req) {
  if (!req.target().starts_with("/otlp/")) return ErrorDialect::kBudgetd;
  return media_type(req[http::field::content_type]) == "application/json" ? ErrorDialect::kOtlpJson
                                                                          : ErrorDialect::kOtlpProtobuf;
}

void speak_error_dialect(ErrorDialect dialect, HttpResponse& res) {
  if (dialect == ErrorDialect::kBudgetd || res.result_int() < 400) return;
  // Every error answer is error_response's {"error": {"code", "message"}}; should one not be,
  // its whole body is still the best message there is.
  std::string message = res.body();
  const auto parsed = nlohmann::json::parse(res.body(), nullptr, false);
  if (parsed.is_object()) {
    const auto error = parsed.find("error");
    if (error != parsed.end() && error->is_object()) {
      const auto text = error->find("message");
      if (text != error->end() && text->is_string()) message = text->get<std::string>();
    }
  }
  const bool json = dialect == ErrorDialect::kOtlpJson;
  res.body() =
      inputs::otlp_error_body(json ? inputs::Encoding::kJson : inputs::Encoding::kProtobuf, res.result_int(), message);
  res.set(http::field::content_type, json ? "application/json" : "application/x-protobuf");
  res.prepare_payload();
}

}  // namespace budgetd::api
