#include "budgetd/api/server.h"

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "api.h"
#include "budgetd/core/log.h"
#include "session.h"

namespace budgetd::api {

struct Server::Impl {
  Impl(const config::ServerConfig& c, Backend& backend, const Clock& clock, metrics::Registry& metrics)
      : config(c), api(c, backend, clock, metrics), hub(c, api, metrics), ioc(c.threads) {}

  const config::ServerConfig config;
  Api api;
  SessionHub hub;
  net::io_context ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  bool drained = false;
};

Server::Server(const config::ServerConfig& config, Backend& backend, const Clock& clock, metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, backend, clock, metrics)) {}

Server::~Server() { drain(); }

Status Server::start() {
  beast::error_code ec;
  const auto address = net::ip::make_address(impl_->config.listen_host, ec);
  if (ec) {
    return InvalidArgument("server.listen: '" + impl_->config.listen_host + "' is not an IP address (" + ec.message() +
                           ")");
  }
  impl_->listener = std::make_shared<Listener>(impl_->ioc, impl_->hub);
  std::string what;
  if (ec = impl_->listener->open(tcp::endpoint{address, impl_->config.listen_port}, what); ec) {
    return Unavailable("cannot listen on " + impl_->config.listen_host + ":" +
                       std::to_string(impl_->config.listen_port) + " (" + what + ": " + ec.message() + ")");
  }
  impl_->listener->run();
  impl_->work.emplace(impl_->ioc.get_executor());
  for (int i = 0; i < impl_->config.threads; ++i) {
    impl_->threads.emplace_back([this] {
      // Handlers never throw across the event loop by design; if one does, log it and keep the
      // thread serving rather than take the daemon down.
      for (;;) {
        try {
          impl_->ioc.run();
          return;
        } catch (const std::exception& e) {
          log::error("http: unexpected exception in a server thread").field("error", e.what());
        }
      }
    });
  }
  log::info("http: listening")
      .field("address", impl_->config.listen_host)
      .field("port", uint64_t{port()})
      .field("threads", impl_->config.threads);
  return Status::Ok();
}

uint16_t Server::port() const { return impl_->listener ? impl_->listener->port() : 0; }

void Server::drain() {
  if (impl_->drained || !impl_->listener) return;
  impl_->drained = true;
  impl_->listener->stop();
  impl_->hub.drain();
  const auto deadline = std::chrono::steady_clock::now() + impl_->config.drain_timeout;
  while (impl_->hub.active() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (impl_->hub.active() != 0) {
    log::warn("http: drain timeout reached; closing connections still open")
        .field("open_connections", uint64_t{impl_->hub.active()});
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace budgetd::api
