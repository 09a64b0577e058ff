#pragma once
// Connections: the accept loop and one Session per connection, after Beast's async server
// examples. Private to the api module.
//
// A session lives on its own strand for its whole life and has at most one request in flight:
// read headers (idle_timeout) -> answer 100-continue if asked -> read body (read_timeout) ->
// handle -> write (write_timeout) -> read the next request or close. A fresh parser with the
// configured body and header limits is made for every request, and its framing is checked before
// any of its body is read (request_framing.h).
//
// Thread safety: a Session's members are touched only on its strand: every completion handler
// runs there, and a handler's answer (which may come from another thread, e.g. the log's after
// a group fsync) is dispatched back onto it. The Listener likewise lives on its own strand.
// SessionHub is shared by all of them: its session map under mu_, draining_ and active_ atomic.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>

#include "budgetd/config/config.h"
#include "budgetd/metrics/registry.h"
#include "http.h"
#include "request_framing.h"

namespace budgetd::api {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

class Session;

// Answers one parsed request (implemented by Api).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual void handle(Request& request, Respond respond) = 0;
  // A request that failed before it could be routed (bad framing, limits, timeouts): counted
  // and logged like any other answer.
  virtual void note_protocol_error(http::status status, std::string_view remote, std::string_view why) = 0;
};

// What every session shares: limits, the handler, and the registry used to drain them.
class SessionHub {
 public:
  SessionHub(const config::ServerConfig& config, RequestHandler& handler, metrics::Registry& metrics);

  const config::ServerConfig& config() const { return config_; }
  RequestHandler& handler() { return handler_; }
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // false when max_connections is reached.
  bool admit(const std::shared_ptr<Session>& s);
  void release(Session* s);
  // Marks the hub draining and closes every idle session; busy ones close after their answer.
  void drain();
  uint32_t active() const { return active_.load(std::memory_order_acquire); }

  metrics::Counter& timeouts;
  metrics::Counter& accept_pauses;   // EMFILE episodes
  metrics::Counter& accept_retries;  // failed retries within them
  metrics::Gauge& accept_paused;
  metrics::Counter& rejected_connections;
  metrics::Gauge& open_connections;

 private:
  const config::ServerConfig config_;
  RequestHandler& handler_;
  // release/acquire: a session that sees draining_ also sees the hub state written before it.
  std::atomic<bool> draining_{false};
  std::atomic<uint32_t> active_{0};
  std::mutex mu_;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, SessionHub& hub);
  ~Session();

  void run();
  // Answers 503 and closes: the server is at max_connections.
  void run_overloaded();
  // Closes now if idle, else after the answer in flight. Runs on the session's strand.
  void close_when_idle();

 private:
  // Read deadlines use their own timer: beast::tcp_stream's timeout closes the socket, and a
  // slow client should still get its 408.
  void arm_read_deadline(Millis d);
  void disarm_read_deadline();
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void dispatch();
  void send(HttpResponse&& response, SharedText tail = nullptr);
  void on_write(bool close, beast::error_code ec);
  void fail_request(beast::error_code ec);
  // Answers before the request is read to its end (limits, timeouts, framing), then closes.
  void refuse(ProtocolRefusal refusal);
  void close();
  void linger();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<void> response_;  // the message being written: alive until its async_write completes
  std::shared_ptr<http::response<http::empty_body>> continue_;
  net::steady_timer read_deadline_;
  uint64_t read_generation_ = 0;  // the armed deadline's; bumped when a read completes
  bool read_timed_out_ = false;
  SessionHub& hub_;
  std::string remote_;
  bool busy_ = false;     // a request is being handled or answered
  bool closing_ = false;  // close after the answer in flight
  bool closed_ = false;
  bool request_unread_ = false;  // answered before the request was read to its end
  std::unique_ptr<std::array<char, 4096>> linger_buffer_;
  size_t lingered_bytes_ = 0;
};

// Accepts connections and starts a Session for each; survives EMFILE by pausing, and logs
// each pause episode twice: when it starts and when it ends (how long, how many retries).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, SessionHub& hub);
  // Opens, binds and listens; the error says what failed and where.
  beast::error_code open(const tcp::endpoint& endpoint, std::string& what);
  uint16_t port() const;
  void run();
  void stop();  // closes the acceptor; safe from any thread

 private:
  void accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  net::io_context& ioc_;
  net::strand<net::io_context::executor_type> strand_;
  tcp::acceptor acceptor_;
  static constexpr std::chrono::milliseconds kAcceptRetry{100};

  net::steady_timer retry_timer_;
  SessionHub& hub_;
  uint16_t port_ = 0;
  // The accept pause in progress, if any (on the strand only).
  std::optional<std::chrono::steady_clock::time_point> paused_since_;
  uint64_t pause_retries_ = 0;
};

}  // namespace budgetd::api
