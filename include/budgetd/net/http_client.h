#pragma once
// One blocking HTTP/1.1 request with a deadline: the outbound side of budgetd (notifications to
// Alertmanager and webhooks, and the command line asking a server: `budgetd gate`). Plain http
// only. Its own module so that notify and cli both use it and neither depends on the other.
//
//   Result<HttpAnswer> a = http_request(target, "GET", "/v1/gate?service=checkout&change=feature", "");
//
// Thread safety: none needed; each call has its own connection.

#include <cstddef>
#include <string>

#include "budgetd/config/config.h"
#include "budgetd/core/status.h"

namespace budgetd::net {

struct HttpAnswer {
  unsigned status = 0;
  std::string body;
};

// Any answer the server gives (also 4xx/5xx); Unavailable when none came (resolve, connect,
// send or read failed, or target.timeout passed, or the body exceeded `body_limit`: a peer's
// snapshot for a cluster bootstrap is the one answer that needs more than the default).
inline constexpr size_t kDefaultBodyLimit = 8 << 20;
Result<HttpAnswer> http_request(const config::HttpTarget& target, const std::string& method, const std::string& path,
                                const std::string& body, size_t body_limit = kDefaultBodyLimit);

}  // namespace budgetd::net
