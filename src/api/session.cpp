#include "session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "budgetd/core/log.h"
#include "request_framing.h"

namespace budgetd::api {
namespace {

std::chrono::steady_clock::duration to_steady(Millis d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
}

// The body of an answer with a shared tail (http.h): the answer's own bytes, then each part of
// the tail, handed to the socket at most kPieceBytes at a time and never copied into one buffer.
// Each piece is one async write step, so other connections' work runs between them.
struct TailedBody {
  static constexpr size_t kPieceBytes = 256 * 1024;

  struct value_type {
    std::string head;
    SharedText tail;
  };
  static std::uint64_t size(const value_type& v) { return v.head.size() + tail_bytes(v.tail); }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;

    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& v) : v_(v), left_(size(v)) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      for (const std::string* s = part(); s != nullptr; s = part()) {
        if (offset_ < s->size()) {
          const size_t n = std::min(kPieceBytes, s->size() - offset_);
          const net::const_buffer piece(s->data() + offset_, n);
          offset_ += n;
          left_ -= n;
          return std::make_pair(piece, left_ != 0);
        }
        ++part_;
        offset_ = 0;
      }
      return boost::none;
    }

   private:
    // part_ 0 is the head, part_ i + 1 the tail's part i; null past the end.
    const std::string* part() const {
      if (part_ == 0) return &v_.head;
      if (!v_.tail || part_ - 1 >= v_.tail->size()) return nullptr;
      return &(*v_.tail)[part_ - 1];
    }

    const value_type& v_;
    size_t part_ = 0;
    size_t offset_ = 0;
    uint64_t left_;
  };
};

}  // namespace

SessionHub::SessionHub(const config::ServerConfig& config, RequestHandler& handler, metrics::Registry& metrics)
    : timeouts(metrics.counter("budgetd_http_timeouts_total", "Connections closed because a read or write timed out")),
      accept_pauses(metrics.counter("budgetd_http_accept_pauses_total",
                                    "Times accepting connections paused because the process was out of file "
                                    "descriptors (or socket memory)")),
      accept_retries(metrics.counter("budgetd_http_accept_retries_total",
                                     "Accept attempts that failed again during an accept pause")),
      accept_paused(metrics.gauge("budgetd_http_accept_paused", "1 while accepting connections is paused")),
      rejected_connections(metrics.counter("budgetd_http_rejected_connections_total",
                                           "Connections answered 503 because server.max_connections was reached")),
      open_connections(metrics.gauge("budgetd_http_open_connections", "Open HTTP connections")),
      config_(config),
      handler_(handler) {}

bool SessionHub::admit(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu_);
  if (draining() || sessions_.size() >= config_.max_connections) return false;
  sessions_.emplace(s.get(), s);
  // release: pairs with the acquire in active(), read by the draining thread.
  active_.store(static_cast<uint32_t>(sessions_.size()), std::memory_order_release);
  open_connections.set(static_cast<double>(sessions_.size()));
  return true;
}

void SessionHub::release(Session* s) {
  std::lock_guard lock(mu_);
  if (sessions_.erase(s) == 0) return;
  active_.store(static_cast<uint32_t>(sessions_.size()), std::memory_order_release);
  open_connections.set(static_cast<double>(sessions_.size()));
}

void SessionHub::drain() {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(mu_);
    draining_.store(true, std::memory_order_release);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->close_when_idle();
}

Session::Session(tcp::socket&& socket, SessionHub& hub)
    : stream_(std::move(socket)), read_deadline_(stream_.get_executor()), hub_(hub) {
  beast::error_code ec;
  const auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
}

Session::~Session() { hub_.release(this); }

void Session::run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void Session::run_overloaded() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->hub_.rejected_connections.inc();
    HttpResponse res = error_response(http::status::service_unavailable, "overloaded",
                                      "budgetd is at server.max_connections; retry shortly", 11, false);
    res.set(http::field::retry_after, "1");
    self->busy_ = true;
    self->send(std::move(res));
  });
}

void Session::close_when_idle() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->busy_) {
      self->closing_ = true;  // on_write closes after the answer in flight
      return;
    }
    self->closed_ = true;
    self->read_deadline_.cancel();
    beast::error_code ec;
    self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    self->stream_.close();  // cancels the pending read: its handler sees operation_aborted
  });
}

void Session::arm_read_deadline(Millis d) {
  const uint64_t generation = ++read_generation_;
  read_timed_out_ = false;
  read_deadline_.expires_after(to_steady(d));
  read_deadline_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    // A deadline whose read already completed is stale, even if it fired before the cancel.
    if (ec || generation != self->read_generation_ || self->closed_) return;
    self->read_timed_out_ = true;
    beast::error_code cancel_ec;
    self->stream_.socket().cancel(cancel_ec);  // the read completes with operation_aborted
  });
}

void Session::disarm_read_deadline() {
  ++read_generation_;
  read_deadline_.cancel();
}

void Session::read_header() {
  parser_.emplace();
  configure_request_parser(*parser_, hub_.config());
  stream_.expires_never();
  arm_read_deadline(hub_.config().idle_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  disarm_read_deadline();
  if (closed_) return;
  if (ec == net::error::operation_aborted && read_timed_out_) {
    // An idle keep-alive connection timing out is normal; a half-sent request is not.
    if (buffer_.size() == 0) return close();
    return fail_request(beast::error::timeout);
  }
  if (ec == net::error::operation_aborted) return;
  if (ec == http::error::end_of_stream) return close();
  if (ec) return fail_request(ec);
  // Before any of the body is read: a request whose framing is in doubt is answered and the
  // connection closed, so that no second request hidden in its body ever runs.
  if (auto refused = check_request_framing(parser_->get())) return refuse(std::move(*refused));

  busy_ = true;
  if (parser_->is_done()) return dispatch();
  const auto expect = parser_->get()[http::field::expect];
  if (iequals(expect, "100-continue")) {
    // curl and others wait for this before sending a body larger than 1 KiB.
    continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, parser_->get().version());
    stream_.expires_after(to_steady(hub_.config().write_timeout));
    http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code wec, size_t) {
      self->continue_.reset();
      if (wec) return self->close();
      self->read_body();
    });
    return;
  }
  read_body();
}

void Session::read_body() {
  stream_.expires_never();
  arm_read_deadline(hub_.config().read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
  disarm_read_deadline();
  if (closed_) return;
  if (ec == net::error::operation_aborted && read_timed_out_) return fail_request(beast::error::timeout);
  if (ec == net::error::operation_aborted) return;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
  if (ec) return fail_request(ec);
  dispatch();
}

void Session::fail_request(beast::error_code ec) {
  if (ec == beast::error::timeout) hub_.timeouts.inc();
  refuse(refusal_for_read_error(ec, hub_.config(), parser_ && parser_->is_header_done()));
}

void Session::refuse(ProtocolRefusal refusal) {
  request_unread_ = true;
  hub_.handler().note_protocol_error(refusal.status, remote_, refusal.why);
  busy_ = true;
  const bool header_read = parser_ && parser_->is_header_done();
  const unsigned version = header_read ? parser_->get().version() : 11;
  HttpResponse res = error_response(refusal.status, error_code_for(refusal.status), refusal.why, version, false);
  // An OTLP sender gets its dialect even for a body over the limit. Beast reports that at the
  // Content-Length field, before the header is "done"; the request line and the fields before
  // it are in the message already (a Content-Type sent after it is not: protobuf then).
  if (parser_) {
    speak_error_dialect(error_dialect(parser_->get()), res);
  }
  send(std::move(res));
}

void Session::dispatch() {
  auto self = shared_from_this();
  Request request{parser_->get(), {}, {}, {}, remote_};
  hub_.handler().handle(request, [self](HttpResponse&& res, SharedText tail) {
    // The handler answers from an executor's thread (or the log's): hop back onto this
    // session's strand.
    net::dispatch(self->stream_.get_executor(), [self, res = std::move(res), tail = std::move(tail)]() mutable {
      self->send(std::move(res), std::move(tail));
    });
  });
}

void Session::send(HttpResponse&& response, SharedText tail) {
  if (hub_.draining() || closing_) response.keep_alive(false);
  const bool close_after = response.need_eof();
  stream_.expires_after(to_steady(hub_.config().write_timeout));
  const auto done = [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
    self->on_write(close_after, ec);
  };
  if (!tail) {
    auto res = std::make_shared<HttpResponse>(std::move(response));
    response_ = res;
    http::async_write(stream_, *res, done);
    return;
  }
  auto res = std::make_shared<http::response<TailedBody>>(std::move(response.base()));
  res->body().head = std::move(response.body());
  res->body().tail = std::move(tail);
  res->prepare_payload();  // Content-Length: head and tail
  response_ = res;
  http::async_write(stream_, *res, done);
}

void Session::on_write(bool close_after, beast::error_code ec) {
  response_.reset();
  busy_ = false;
  if (ec == beast::error::timeout) hub_.timeouts.inc();
  if (ec || close_after || closing_ || hub_.draining()) return close();
  read_header();
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  read_deadline_.cancel();
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  // After a request read to its end nothing is left unread: the socket can simply close. Only
  // when we answered before reading it all (413, 408, malformed) may the client still be sending.
  if (ec || !request_unread_) return;
  linger_buffer_ = std::make_unique<std::array<char, 4096>>();
  // One deadline for the whole linger, not one per read: a client trickling bytes must not keep
  // the connection (and a max_connections slot) for longer than this.
  stream_.expires_after(std::chrono::seconds(2));
  linger();
}

void Session::linger() {
  // Read and discard what the client still sends (e.g. the rest of a body we answered 413 to)
  // until it closes: closing with unread data would make the kernel reset the connection, and
  // the client could lose our answer. Bounded in time and bytes.
  constexpr size_t kMaxLingerBytes = 1 << 20;
  stream_.async_read_some(net::buffer(*linger_buffer_), [self = shared_from_this()](beast::error_code ec, size_t n) {
    self->lingered_bytes_ += n;
    if (!ec && self->lingered_bytes_ < kMaxLingerBytes) self->linger();
  });
}

Listener::Listener(net::io_context& ioc, SessionHub& hub)
    : ioc_(ioc), strand_(net::make_strand(ioc)), acceptor_(strand_), retry_timer_(strand_), hub_(hub) {}

beast::error_code Listener::open(const tcp::endpoint& endpoint, std::string& what) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return what = "open", ec;
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return what = "set reuse_address", ec;
  acceptor_.bind(endpoint, ec);
  if (ec) return what = "bind", ec;
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return what = "listen", ec;
  port_ = acceptor_.local_endpoint(ec).port();
  return ec;
}

uint16_t Listener::port() const { return port_; }

void Listener::run() {
  net::dispatch(strand_, [self = shared_from_this()] { self->accept(); });
}

void Listener::stop() {
  net::post(strand_, [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void Listener::accept() {
  if (!acceptor_.is_open()) return;
  acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space || ec == net::error::no_memory ||
      ec.value() == ENFILE) {
    // Out of file descriptors: accepting again at once would spin. Pause, then retry; the
    // pending connections wait in the kernel's backlog. One line when an episode starts and one
    // when it ends, not one per retry: a long episode must not flood the log.
    if (!paused_since_) {
      paused_since_ = std::chrono::steady_clock::now();
      pause_retries_ = 0;
      hub_.accept_pauses.inc();
      hub_.accept_paused.set(1);
      log::warn("http: cannot accept connections; pausing accepts, retrying every 100ms")
          .field("error", ec.message())
          .field("open_connections", uint64_t{hub_.active()});
    } else {
      ++pause_retries_;
      hub_.accept_retries.inc();
    }
    retry_timer_.expires_after(kAcceptRetry);
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wec) {
      if (!wec) self->accept();
    });
    return;
  }
  if (paused_since_) {
    const auto paused = std::chrono::steady_clock::now() - *paused_since_;
    hub_.accept_paused.set(0);
    log::warn("http: accepting connections again")
        .field("paused_ms", std::chrono::duration<double, std::milli>(paused).count())
        .field("retries", pause_retries_)
        .field("open_connections", uint64_t{hub_.active()});
    paused_since_.reset();
  }
  if (ec) {
    log::warn("http: accept failed").field("error", ec.message());
  } else {
    beast::error_code opt_ec;
    socket.set_option(tcp::no_delay(true), opt_ec);
    auto session = std::make_shared<Session>(std::move(socket), hub_);
    if (hub_.admit(session))
      session->run();
    else
      session->run_overloaded();
  }
  accept();
}

}  // namespace budgetd::api
