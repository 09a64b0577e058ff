#include "request_framing.h"

#include <vector>

#include <boost/beast/core/error.hpp>

#include "budgetd/core/echo.h"

namespace budgetd::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The transfer codings of every Transfer-Encoding field, in order (RFC 9110 §5.3: several fields
// are one comma-separated list); empty list elements are allowed and skipped. A coding's
// parameters (";q=...") are not part of its name.
std::vector<std::string_view> transfer_codings(const HttpRequest& header) {
  std::vector<std::string_view> out;
  const auto [first, last] = header.equal_range(http::field::transfer_encoding);
  for (auto it = first; it != last; ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const size_t comma = value.find(',');
      std::string_view element = value.substr(0, comma);
      value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      element = trim(element.substr(0, element.find(';')));
      if (!element.empty()) out.push_back(element);
    }
  }
  return out;
}

ProtocolRefusal bad_framing(std::string why) {
  return {http::status::bad_request, "malformed HTTP request: " + std::move(why)};
}

}  // namespace

void configure_request_parser(RequestParser& parser, const config::ServerConfig& config) {
  parser.body_limit(config.max_body_bytes);
  parser.header_limit(config.max_header_bytes);
}

std::optional<ProtocolRefusal> check_request_framing(const HttpRequest& header) {
  if (header.find(http::field::transfer_encoding) == header.end()) return std::nullopt;
  // Content-Length framing is Beast's, which refuses repeated differing values on its own.
  if (header.find(http::field::content_length) != header.end()) {
    return bad_framing("a request must not carry both Transfer-Encoding and Content-Length (RFC 9112 section 6.3)");
  }
  if (header.version() < 11) {
    return bad_framing("Transfer-Encoding is not defined for HTTP/1.0 (RFC 9112 section 6.1)");
  }
  const std::vector<std::string_view> codings = transfer_codings(header);
  std::string listed;
  for (const std::string_view c : codings) listed += (listed.empty() ? "" : ", ") + std::string(c);
  if (codings.empty() || !iequals(codings.back(), "chunked")) {
    return bad_framing("Transfer-Encoding '" + bounded_echo(listed) +
                       "' does not end in chunked, so the body's length is unknown (RFC 9112 section 6.3)");
  }
  for (size_t i = 0; i + 1 < codings.size(); ++i) {
    if (iequals(codings[i], "chunked")) {
      return bad_framing("Transfer-Encoding applies chunked more than once (RFC 9112 section 7)");
    }
  }
  if (codings.size() > 1) {
    return ProtocolRefusal{http::status::not_implemented,
                           "Transfer-Encoding '" + bounded_echo(listed) +
                               "' is not supported: budgetd decodes chunked only; send the body uncompressed"};
  }
  return std::nullopt;
}

ProtocolRefusal refusal_for_read_error(boost::beast::error_code ec, const config::ServerConfig& config,
                                       bool header_done) {
  if (ec == http::error::body_limit) {
    return {http::status::payload_too_large, "the body is larger than server.max_body_bytes (" +
                                                 std::to_string(config.max_body_bytes) + " bytes); split the batch"};
  }
  if (ec == http::error::header_limit) {
    return {http::status::request_header_fields_too_large,
            "the request headers are larger than server.max_header_bytes (" + std::to_string(config.max_header_bytes) +
                " bytes)"};
  }
  if (ec == boost::beast::error::timeout) {
    return {http::status::request_timeout, header_done
                                               ? "the request body was not received within server.read_timeout"
                                               : "the request headers were not received within server.idle_timeout"};
  }
  return {http::status::bad_request, "malformed HTTP request: " + ec.message()};
}

}  // namespace budgetd::api
