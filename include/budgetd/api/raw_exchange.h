#pragma once
// Answers HTTP/1.1 requests given as raw bytes, synchronously, the way one connection of the
// server answers them: the parser limits and framing checks of a Session (the same function
// configures both), then the same routing, auth and handlers. No socket and no thread of its own:
// the way in for the HTTP fuzzer (tests/fuzz) and for tests that need budgetd's answer to bytes
// no client library would send. Beast stays inside src/api: this header does not include it.
//
//   Daemon daemon(config, clock);  daemon.start();
//   RawExchange http(config.server, daemon, clock, daemon.metrics());
//   std::vector<RawAnswer> a = http.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
//   // a.size() == 1, a[0].status == 200
//
// Thread safety: exchange() may run on several threads at once (each call is one connection).
// REQUIRES: the backend is started (its committer exists) for as long as exchange() may run.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/api/server.h"

namespace budgetd::api {

struct RawAnswer {
  unsigned status = 0;
  std::string body;
  bool close = false;  // the connection closes after this answer
};

class RawExchange {
 public:
  RawExchange(const config::ServerConfig& config, Backend& backend, const Clock& clock, metrics::Registry& metrics);
  ~RawExchange();
  RawExchange(const RawExchange&) = delete;
  RawExchange& operator=(const RawExchange&) = delete;

  // Every answer the bytes get, in order: requests are read one after another, as pipelined on
  // one connection, until the bytes end (the client closed its side), or an answer closes the
  // connection. A request cut off in its header is answered 400, as at end of stream; one cut
  // off in its body gets no answer, as a connection that closes then.
  std::vector<RawAnswer> exchange(std::string_view bytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetd::api
