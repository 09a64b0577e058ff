#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <stdexcept>

namespace budgetd::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream_storage;
  beast::flat_buffer buffer;

  beast::tcp_stream& stream() { return *stream_storage; }
  void connect() {
    if (stream_storage) stream_storage->close();
    buffer.clear();
    stream_storage.emplace(ioc);
    stream_storage->connect(tcp::endpoint(net::ip::make_address(host), port));
  }
};

HttpClient::HttpClient(uint16_t port, std::string host) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->connect();
}

HttpClient::~HttpClient() {
  beast::error_code ec;
  if (impl_->stream().socket().is_open()) impl_->stream().socket().shutdown(tcp::socket::shutdown_both, ec);
}

void HttpClient::reconnect() { impl_->connect(); }

void HttpClient::close() {
  beast::error_code ec;
  impl_->stream().socket().shutdown(tcp::socket::shutdown_both, ec);
  impl_->stream().close();
}

HttpResult HttpClient::get(const std::string& target) { return request("GET", target, "", {}); }

HttpResult HttpClient::post(const std::string& target, const std::string& body, const std::string& content_type,
                            const std::map<std::string, std::string>& headers) {
  auto h = headers;
  h["Content-Type"] = content_type;
  return request("POST", target, body, h);
}

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, impl_->host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  impl_->stream().expires_after(std::chrono::seconds(30));
  beast::error_code ec;
  http::write(impl_->stream(), req, ec);
  if (ec) return {};
  return read_response();
}

void HttpClient::send_raw(const std::string& bytes) {
  impl_->stream().expires_after(std::chrono::seconds(30));
  beast::error_code ec;
  net::write(impl_->stream(), net::buffer(bytes), ec);
}

HttpResult HttpClient::read_response(std::chrono::milliseconds timeout) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  impl_->stream().expires_after(timeout);
  beast::error_code ec;
  http::read(impl_->stream(), impl_->buffer, parser, ec);
  if (ec) return {};
  HttpResult r;
  const auto& res = parser.get();
  r.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = res.body();
  r.keep_alive = res.keep_alive();
  return r;
}

bool HttpClient::wait_closed(std::chrono::milliseconds timeout) {
  impl_->stream().expires_after(timeout);
  char c;
  beast::error_code ec;
  for (;;) {
    impl_->stream().read_some(net::buffer(&c, 1), ec);
    if (ec == beast::error::timeout) return false;
    if (ec) return true;  // EOF or reset
  }
}

HttpResult http_get(uint16_t port, const std::string& target) {
  HttpClient c(port);
  return c.get(target);
}

}  // namespace budgetd::test
