#include "budgetd/api/raw_exchange.h"

#include <future>

#include <boost/asio/buffer.hpp>

#include "api.h"
#include "request_framing.h"

namespace budgetd::api {
namespace {

// Feeds bytes to the parser until its header (or, with `whole`, the whole request) is read, as
// Session's async_read_header and async_read do; consumes what the parser took. False: the bytes
// ended first.
bool feed(RequestParser& parser, std::string_view& bytes, bool whole, boost::beast::error_code& ec) {
  parser.eager(whole);
  for (;;) {
    if (whole ? parser.is_done() : parser.is_header_done()) return true;
    if (bytes.empty()) return false;
    const size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == http::error::need_more) {
      ec = {};
      if (used == 0) return false;  // it has every byte there is and needs more
      continue;
    }
    if (ec) return true;
  }
}

}  // namespace

struct RawExchange::Impl {
  Impl(const config::ServerConfig& c, Backend& backend, const Clock& clock, metrics::Registry& metrics)
      : config(c), api(c, backend, clock, metrics) {}

  // One request's answer, or nullopt when the connection would close without one.
  std::optional<HttpResponse> answer_one(std::string_view& bytes) {
    RequestParser parser;
    configure_request_parser(parser, config);
    boost::beast::error_code ec;
    if (!feed(parser, bytes, false, ec)) {
      parser.put_eof(ec);  // the client closed mid-header: Beast calls that a partial message
      if (!ec) return std::nullopt;
    }
    if (ec) return refuse(refusal_for_read_error(ec, config, parser.is_header_done()), parser);
    if (auto refused = check_request_framing(parser.get())) return refuse(std::move(*refused), parser);
    if (!feed(parser, bytes, true, ec)) return std::nullopt;  // closed mid-body: Session closes too
    if (ec) return refuse(refusal_for_read_error(ec, config, true), parser);

    std::promise<HttpResponse> answered;
    std::future<HttpResponse> answer = answered.get_future();
    Request request{parser.get(), {}, {}, {}, "raw"};
    // The handler may answer from another thread (the log's, after a group fsync).
    api.handle(request, [&answered](HttpResponse&& res) { answered.set_value(std::move(res)); });
    return answer.get();
  }

  HttpResponse refuse(ProtocolRefusal r, const RequestParser& parser) {
    api.note_protocol_error(r.status, "raw", r.why);
    const unsigned version = parser.is_header_done() ? parser.get().version() : 11;
    return error_response(r.status, error_code_for(r.status), r.why, version, false);
  }

  const config::ServerConfig config;
  Api api;
};

RawExchange::RawExchange(const config::ServerConfig& config, Backend& backend, const Clock& clock,
                         metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(config, backend, clock, metrics)) {}

RawExchange::~RawExchange() = default;

std::vector<RawAnswer> RawExchange::exchange(std::string_view bytes) {
  std::vector<RawAnswer> answers;
  while (!bytes.empty()) {
    std::optional<HttpResponse> res = impl_->answer_one(bytes);
    if (!res) break;
    const bool close = res->need_eof();
    answers.push_back({res->result_int(), std::move(res->body()), close});
    if (close) break;
  }
  return answers;
}

}  // namespace budgetd::api
