#include "http.h"

#include <cctype>

#include <nlohmann/json.hpp>

namespace budgetd::api {

std::string media_type(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view{v};
  }
  return std::nullopt;
}

void Respond::append_tail(HttpResponse& res, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) res.body() += part;
  res.prepare_payload();
}

size_t tail_bytes(const SharedText& tail) {
  size_t n = 0;
  if (tail) {
    for (const std::string& part : *tail) n += part.size();
  }
  return n;
}

HttpResponse text_response(http::status status, std::string body, std::string_view content_type, unsigned version,
                           bool keep_alive) {
  HttpResponse res{status, version};
  res.set(http::field::server, "budgetd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse json_response(http::status status, const nlohmann::ordered_json& body, unsigned version, bool keep_alive) {
  // replace: a label or service name with invalid UTF-8 must not turn an answer into an exception.
  return text_response(status, body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n",
                       "application/json", version, keep_alive);
}

HttpResponse error_response(http::status status, std::string_view code, std::string_view message, unsigned version,
                            bool keep_alive) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}}, version, keep_alive);
}

std::string_view error_code_for(http::status status) {
  switch (status) {
    case http::status::bad_request:
      return "bad_request";
    case http::status::unauthorized:
      return "unauthorized";
    case http::status::forbidden:
      return "forbidden";
    case http::status::not_found:
      return "not_found";
    case http::status::method_not_allowed:
      return "method_not_allowed";
    case http::status::request_timeout:
      return "request_timeout";
    case http::status::conflict:
      return "conflict";
    case http::status::unprocessable_entity:
      return "unprocessable_entity";
    case http::status::payload_too_large:
      return "payload_too_large";
    case http::status::unsupported_media_type:
      return "unsupported_media_type";
    case http::status::request_header_fields_too_large:
      return "headers_too_large";
    case http::status::too_many_requests:
      return "too_many_requests";
    case http::status::service_unavailable:
      return "unavailable";
    case http::status::not_implemented:
      return "not_implemented";
    default:
      return "internal";
  }
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;  // "%" needs two hex digits after it
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace budgetd::api
