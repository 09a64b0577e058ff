#pragma once
// Method + path pattern -> handler. Patterns are literal segments and {param} segments:
// "/v1/slos/{name}" matches "/v1/slos/checkout-availability" with params {"checkout-availability"}.
// A path that matches with another method gives the allowed methods, for a 405 with Allow.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http.h"

namespace budgetd::api {

using Handler = std::function<void(Request&, Respond)>;

// Where a route's handler runs (api.h, "Threads"): on the I/O thread that read the request, or
// on one of the executors. Routing, auth and error answers always happen on the I/O thread.
enum class Lane : uint8_t {
  kIo,      // answered at once where it was read: probes, static text
  kRead,    // status, list, gate, alerts, metrics
  kIngest,  // event batches: decode, route, log, apply
  kAdmin,   // reload, snapshot: slow and rare, never in a read's or a batch's way
};

class RouteTable {
 public:
  // `scope`: the config::Scope a bearer token needs when auth is on; 0 for open routes.
  // `lane`: where the handler runs. `params`: the query parameters the route takes; any other is a 400.
  void add(http::verb method, std::string pattern, uint8_t scope, Lane lane, std::vector<std::string> params,
           Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see allowed)
    const std::string* pattern = nullptr;
    uint8_t scope = 0;
    Lane lane = Lane::kIo;
    const std::vector<std::string>* query_params = nullptr;
    std::vector<std::string> params;
    std::vector<http::verb> allowed;  // methods the path does accept, when handler is null
  };
  Match match(http::verb method, std::string_view path) const;

  struct Entry {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    uint8_t scope;
    Lane lane;
    std::vector<std::string> query_params;
    Handler handler;
  };
  const std::vector<Entry>& entries() const { return routes_; }

 private:
  std::vector<Entry> routes_;
};

}  // namespace budgetd::api
