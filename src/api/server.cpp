#include "budgetd/api/server.h"

#include <pthread.h>

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "api.h"
#include "budgetd/core/log.h"
#include "session.h"

namespace budgetd::api {
namespace {

// A pool of threads running one io_context: the I/O threads, and each executor of api.h.
// Handlers never throw across the event loop by design; if one does, the thread logs it and
// keeps serving rather than take the daemon down.
class ThreadPool {
 public:
  explicit ThreadPool(std::string name) : name_(std::move(name)) {}

  net::io_context& context() { return ctx_; }

  void start(int threads) {
    work_.emplace(ctx_.get_executor());
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        // Named so that top -H and perf tell the pools apart (15 characters at most).
        pthread_setname_np(pthread_self(), ("budgetd-" + name_).substr(0, 15).c_str());
        for (;;) {
          try {
            ctx_.run();
            return;
          } catch (const std::exception& e) {
            log::error("http: unexpected exception in a server thread")
                .field("threads", name_)
                .field("error", e.what());
          }
        }
      });
    }
  }

  // Lets the threads finish what is queued, then joins them.
  void finish() {
    work_.reset();
    join();
  }

  // Drops what is queued and joins.
  void stop() {
    work_.reset();
    ctx_.stop();
    join();
  }

 private:
  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const std::string name_;
  net::io_context ctx_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

}  // namespace

struct Server::Impl {
  Impl(const config::ServerConfig& c, Backend& backend, const Clock& clock, metrics::Registry& metrics)
      : config(c), api(c, backend, clock, metrics), hub(c, api, metrics) {}
  // The pools are destroyed before api (members in reverse order), so api lets go of their
  // executors first.
  ~Impl() { api.leave_executors(); }

  const config::ServerConfig config;
  Api api;
  SessionHub hub;
  // After api and hub, so that they are joined (drain) and destroyed first: their threads call
  // both. The I/O pool last of all: executors' answers are dispatched into it.
  ThreadPool io{"io"};
  ThreadPool read{"read"};
  ThreadPool ingest{"ingest"};
  ThreadPool admin{"admin"};
  std::shared_ptr<Listener> listener;
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
  impl_->listener = std::make_shared<Listener>(impl_->io.context(), impl_->hub);
  std::string what;
  if (ec = impl_->listener->open(tcp::endpoint{address, impl_->config.listen_port}, what); ec) {
    impl_->listener.reset();
    return Unavailable("cannot listen on " + impl_->config.listen_host + ":" +
                       std::to_string(impl_->config.listen_port) + " (" + what + ": " + ec.message() + ")");
  }
  impl_->api.run_on({impl_->read.context().get_executor(), impl_->ingest.context().get_executor(),
                     impl_->admin.context().get_executor()});
  impl_->read.start(impl_->config.read_threads);
  impl_->ingest.start(impl_->config.ingest_threads);
  impl_->admin.start(1);
  impl_->listener->run();
  impl_->io.start(impl_->config.threads);
  log::info("http: listening")
      .field("address", impl_->config.listen_host)
      .field("port", uint64_t{port()})
      .field("threads", impl_->config.threads)
      .field("read_threads", impl_->config.read_threads)
      .field("ingest_threads", impl_->config.ingest_threads);
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
  impl_->io.stop();
  // Handlers still queued run to their end (a batch half way through its commit must finish);
  // their answers land in the stopped I/O context and are dropped with it.
  impl_->read.finish();
  impl_->ingest.finish();
  impl_->admin.finish();
}

}  // namespace budgetd::api
