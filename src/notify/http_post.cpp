#include "http_post.h"

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

Status http_post(const config::HttpTarget& target, const std::string& path, const std::string& body) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  const auto deadline = std::chrono::duration_cast<std::chrono::steady_clock::duration>(target.timeout);
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
  if (ec) return Unavailable(fmt::format("resolve {}: {}", target.host, ec.message()));
  stream.expires_after(deadline);
  stream.connect(endpoints, ec);
  if (ec) return Unavailable(fmt::format("connect {}:{}: {}", target.host, target.port, ec.message()));

  http::request<http::string_body> req{http::verb::post, path, 11};
  req.set(http::field::host, target.host);
  req.set(http::field::user_agent, "budgetd");
  req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : target.headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  stream.expires_after(deadline);
  http::write(stream, req, ec);
  if (ec) return Unavailable(fmt::format("send to {}: {}", target.url, ec.message()));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> res;
  res.body_limit(1 << 20);
  stream.expires_after(deadline);
  http::read(stream, buffer, res, ec);
  if (ec) return Unavailable(fmt::format("answer from {}: {}", target.url, ec.message()));
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  const unsigned code = res.get().result_int();
  if (code < 200 || code >= 300) {
    return Unavailable(fmt::format("{} answered {}: {}", target.url, code, res.get().body().substr(0, 300)));
  }
  return Status::Ok();
}

}  // namespace budgetd::notify
