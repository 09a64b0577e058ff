// libFuzzer: whole HTTP requests through the server's parser and router. The input is the bytes
// a client sends on one connection; api::RawExchange reads them with exactly the parser limits
// and framing checks of a Session and hands each complete request to the API, which answers
// from a real, started Daemon: its own storage dir under /tmp, a ManualClock, auth tokens, SLOs.
// Nothing is mocked; events that are accepted go through the write-ahead log into the store.
//
// Checked besides crashes and sanitizer reports:
// - every answer has a status a client can act on (never 0, never 500), and an error answer's
//   body is JSON of the form {"error": {"code", "message"}};
// - a connection stops at an answer that closes it: no request after a refused one runs.
//
// Tokens (auth.tokens): "Bearer test" has ingest, read and gate; "Bearer admin" has admin.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "budgetd/api/raw_exchange.h"
#include "budgetd/config/loader.h"
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "check.h"

namespace {

using namespace budgetd;
using fuzz::check;

constexpr const char* kConfig = R"(
server: {listen: "127.0.0.1:0", threads: 1, max_body_bytes: 65536, max_header_bytes: 4096}
auth:
  tokens:
    - {name: fuzz, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", scopes: [ingest, read, gate]}
    - {name: fuzz-admin, sha256: "8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918", scopes: [admin]}
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    windows: ["30d", "7d"]
    sli: {type: ratio}
  - name: checkout-latency
    service: checkout
    objective: 99
    sli: {type: latency, threshold_ms: 300}
    match: {region: eu}
  - name: search-slices
    service: search
    objective: 99.5
    budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}
    sli: {type: ratio}
)";

// One budgetd for the whole run, stopped and its directory removed at exit.
struct Budgetd {
  Budgetd() : clock(from_unix_ms(1795514400000)) {
    log::init(log::Level::warn);  // error answers are logged, so the log's escaping is fuzzed too
    char dir_template[] = "/tmp/budgetd-fuzz-http-XXXXXX";
    check(mkdtemp(dir_template) != nullptr, "a temp dir");
    dir = dir_template;
    const std::string path = dir + "/budgetd.yaml";
    std::ofstream(path) << "storage: {dir: \"" << dir << "/data\", fsync: never}\n" << kConfig;
    config::LoadResult r = config::load_config_file(path);
    if (!r.ok()) std::printf("%s", r.error_text().c_str());
    check(r.ok(), "the harness's config loads");
    const config::ServerConfig server = r.config->server;
    daemon = std::make_unique<Daemon>(std::move(*r.config), clock);
    check(daemon->start().ok(), "the daemon starts");
    http = std::make_unique<api::RawExchange>(server, *daemon, clock, daemon->metrics());
  }
  ~Budgetd() {
    http.reset();
    daemon.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  ManualClock clock;
  std::string dir;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<api::RawExchange> http;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Budgetd budgetd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::vector<api::RawAnswer> answers = budgetd.http->exchange(bytes);
  for (size_t i = 0; i < answers.size(); ++i) {
    const api::RawAnswer& a = answers[i];
    check(a.status >= 200 && a.status < 600 && a.status != 500, "every answer has a status a client can act on");
    check(!a.close || i + 1 == answers.size(), "nothing is answered after an answer that closes the connection");
    if (a.status >= 400) {
      const auto body = nlohmann::json::parse(a.body, nullptr, false);
      check(!body.is_discarded() && body.contains("error") && body["error"].contains("code") &&
                body["error"].contains("message"),
            "an error answer is {\"error\": {\"code\", \"message\"}}");
    }
  }
  return 0;
}
