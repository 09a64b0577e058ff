#include "budgetd/net/http_client.h"

#include <fmt/format.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include "budgetd/core/time.h"

namespace budgetd::net {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<HttpAnswer> http_request(const config::HttpTarget& target, const std::string& method, const std::string& path,
                                const std::string& body, size_t body_limit) {
  // Asynchronous operations on a private io_context, run to completion here: Beast's stream
  // timeouts apply only to asynchronous operations, and a receiver that accepts the connection
  // and never answers must not hang the notifier or a CI job. One deadline covers it all.
  net::io_context ioc;
  net::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  net::steady_timer resolve_deadline(ioc);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(target.timeout);
  const std::string after = format_duration(target.timeout);

  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "budgetd");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : target.headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> res;
  res.body_limit(body_limit);

  Status failure = Unavailable("no answer");
  const auto fail = [&](std::string_view step, const beast::error_code& ec) {
    const bool timed_out = ec == beast::error::timeout || ec == net::error::operation_aborted;
    failure = Unavailable(timed_out ? fmt::format("{} {}: no answer within {}", step, target.url, after)
                                    : fmt::format("{} {}: {}", step, target.url, ec.message()));
  };
  resolve_deadline.expires_at(deadline);
  resolve_deadline.async_wait([&](const beast::error_code& ec) {
    if (!ec) resolver.cancel();
  });
  resolver.async_resolve(target.host, std::to_string(target.port),
                         [&](const beast::error_code& ec, const net::ip::tcp::resolver::results_type& endpoints) {
                           resolve_deadline.cancel();
                           if (ec) return fail("cannot resolve", ec);
                           stream.expires_at(deadline);  // for every operation from here on
                           stream.async_connect(
                               endpoints, [&](const beast::error_code& cec, const net::ip::tcp::endpoint&) {
                                 if (cec) return fail("cannot connect to", cec);
                                 http::async_write(stream, req, [&](const beast::error_code& wec, size_t) {
                                   if (wec) return fail("cannot send to", wec);
                                   http::async_read(stream, buffer, res, [&](const beast::error_code& rec, size_t) {
                                     if (rec) return fail("no answer from", rec);
                                     failure = Status::Ok();
                                   });
                                 });
                               });
                         });
  ioc.run();
  if (!failure.ok()) return failure;
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  return HttpAnswer{res.get().result_int(), std::move(res.get().body())};
}

}  // namespace budgetd::net
