#include "budgetd/notify/http_client.h"

#include <fmt/format.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace budgetd::notify {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<HttpAnswer> http_request(const config::HttpTarget& target, const std::string& method, const std::string& path,
                                const std::string& body) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  const auto deadline = std::chrono::duration_cast<std::chrono::steady_clock::duration>(target.timeout);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (ec) return Unavailable(fmt::format("cannot resolve {}: {}", target.host, ec.message()));
  stream.expires_after(deadline);
  stream.connect(endpoints, ec);
  if (ec) return Unavailable(fmt::format("cannot connect to {}:{}: {}", target.host, target.port, ec.message()));

  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "budgetd");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : target.headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  stream.expires_after(deadline);
  http::write(stream, req, ec);
  if (ec) return Unavailable(fmt::format("cannot send to {}: {}", target.url, ec.message()));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> res;
  res.body_limit(8 << 20);
  stream.expires_after(deadline);
  http::read(stream, buffer, res, ec);
  if (ec) return Unavailable(fmt::format("no answer from {}: {}", target.url, ec.message()));
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  return HttpAnswer{res.get().result_int(), std::move(res.get().body())};
}

Status http_post(const config::HttpTarget& target, const std::string& path, const std::string& body) {
  auto answer = http_request(target, "POST", path, body);
  if (!answer.ok()) return answer.status();
  if (answer->status < 200 || answer->status >= 300) {
    return Unavailable(fmt::format("{} answered {}: {}", target.url, answer->status, answer->body.substr(0, 300)));
  }
  return Status::Ok();
}

}  // namespace budgetd::notify
