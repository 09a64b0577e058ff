#pragma once
// How a request is read off the wire, in one place for every reader of raw bytes: a connection's
// Session and the synchronous RawExchange (budgetd/api/raw_exchange.h). Private to the api module.
//
//   RequestParser parser;
//   configure_request_parser(parser, config);        // body and header limits
//   ... read the header into it ...
//   if (auto refused = check_request_framing(parser.get()))   // answer it, then close
//
// Why a framing check of our own (RFC 9112 §6.3): Beast 1.81 refuses a Content-Length after
// `Transfer-Encoding: chunked`, and any Transfer-Encoding after a Content-Length, but it ignores a
// Transfer-Encoding whose last coding is not chunked (`chunked, identity`, `gzip`). With a
// Content-Length after it the body is then framed by that; without one the body is read as the
// next request. Either way a second request can hide in the first one's body (TE.CL smuggling).

#include <optional>
#include <string>

#include <boost/beast/core/error.hpp>

#include "budgetd/config/config.h"
#include "http.h"

namespace budgetd::api {

using RequestParser = http::request_parser<http::string_body>;

// The limits of server: on a fresh parser (one per request).
void configure_request_parser(RequestParser& parser, const config::ServerConfig& config);

// A request refused before routing: the answer's status and why. The connection closes after it.
struct ProtocolRefusal {
  http::status status = http::status::bad_request;
  std::string why;
};

// After the header is read: why its framing is refused, or nullopt. Refused: a request with both
// Transfer-Encoding and Content-Length (400), a Transfer-Encoding on HTTP/1.0 (400), one whose
// last coding is not chunked or that applies chunked twice (400), and other codings before
// chunked (501: budgetd decodes none).
std::optional<ProtocolRefusal> check_request_framing(const HttpRequest& header);

// The answer to a read that failed: 413 over max_body_bytes, 431 over max_header_bytes, 408 for a
// timeout (beast::error::timeout), else 400 malformed. `header_done`: whether the header was read.
ProtocolRefusal refusal_for_read_error(boost::beast::error_code ec, const config::ServerConfig& config,
                                       bool header_done);

}  // namespace budgetd::api
