#include "http_receiver.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace budgetd::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct HttpReceiver::Impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
};

HttpReceiver::HttpReceiver() : impl_(std::make_unique<Impl>()) {
  port_ = impl_->acceptor.local_endpoint().port();
  thread_ = std::thread([this] {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket(impl_->ioc);
      impl_->acceptor.accept(socket, ec);
      if (ec || stop_.load()) return;
      beast::flat_buffer buffer;
      for (;;) {  // keep-alive
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        unsigned status = 200;
        std::string ok_body;
        {
          std::lock_guard lock(mu_);
          if (!statuses_.empty()) {
            status = statuses_.front();
            statuses_.pop_front();
          } else {
            for (const auto& [needle, refusal] : refusals_) {
              if (req.body().find(needle) != std::string::npos) status = refusal;
            }
          }
          requests_.push_back({std::string(req.method_string()), std::string(req.target()), req.body(), status});
          ok_body = ok_body_;
        }
        cv_.notify_all();
        http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
        res.body() = status == 200 ? ok_body : R"({"error":"test receiver told to fail"})";
        if (status >= 300 && status < 400) res.set(http::field::location, "http://elsewhere.example/");
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !req.keep_alive()) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  });
}

HttpReceiver::~HttpReceiver() {
  // A blocked accept() is not interrupted by closing the acceptor: wake it with a connection.
  stop_.store(true);
  beast::error_code ec;
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), ec);
  if (thread_.joinable()) thread_.join();
  impl_->acceptor.close(ec);
}

void HttpReceiver::fail_next(int count, unsigned status) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < count; ++i) statuses_.push_back(status);
}

void HttpReceiver::refuse_containing(std::string needle, unsigned status) {
  std::lock_guard lock(mu_);
  refusals_.emplace_back(std::move(needle), status);
}

void HttpReceiver::answer_with(std::string body) {
  std::lock_guard lock(mu_);
  ok_body_ = std::move(body);
}

bool HttpReceiver::wait_for(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

}  // namespace budgetd::test
