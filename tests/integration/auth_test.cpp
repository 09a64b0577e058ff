// Bearer tokens guard each scope of the API (ingest, read, admin), probes stay open: through the
// real server over HTTP.

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "durability_fixtures.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;

TEST(Auth, TokensGuardEachScope) {
  // The SHA-256 of "ingest-token", "reader-token" and "admin-token" (printf %s TOKEN | sha256sum).
  TestDaemon d(std::string(R"(
auth:
  tokens:
    - {name: svc, sha256: "d6d21e6d4a9c969670e67b5ea4b746242a23ad9ec2e8eb78c8d36f577f00581e", scopes: [ingest]}
    - {name: dash, sha256: "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45", scopes: [read]}
    - {name: ops, sha256: "10a4c7c9fc5206d6f36dc6944a81bb6f4a3cb0e25014ae3b12e6c3e52712292a", scopes: [admin]}
)") + kSlos);
  HttpClient c(d.port());
  const auto bearer = [](const char* t) {
    return std::map<std::string, std::string>{{"Authorization", std::string("Bearer ") + t}};
  };
  HttpResult r = c.post("/v1/events", batch(1, kT0Ms));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("www-authenticate"), "Bearer");
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("'ingest' scope"));
  EXPECT_EQ(c.post("/v1/events", batch(1, kT0Ms), "application/json", bearer("wrong")).status, 401);
  r = c.post("/v1/events", batch(1, kT0Ms), "application/json", bearer("reader-token"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json()["error"]["code"], "forbidden");
  EXPECT_EQ(c.post("/v1/events", batch(1, kT0Ms), "application/json", bearer("ingest-token")).status, 200);
  EXPECT_EQ(c.request("GET", "/v1/slos/avail", "", bearer("ingest-token")).status, 403);
  EXPECT_EQ(c.request("GET", "/v1/slos/avail", "", bearer("reader-token")).json()["budget"]["total"], 1);
  EXPECT_EQ(c.request("GET", "/metrics", "", {}).status, 401);
  EXPECT_EQ(c.request("POST", "/-/reload", "", bearer("reader-token")).status, 403);
  EXPECT_EQ(c.request("POST", "/-/reload", "", bearer("admin-token")).status, 200);
  EXPECT_EQ(c.request("GET", "/v1/slos", "", bearer("admin-token")).status, 200);  // admin may do everything
  EXPECT_EQ(c.get("/healthz").status, 200);                                        // probes stay open
  EXPECT_EQ(c.get("/readyz").status, 200);
}

// Writers and readers at once over HTTP: every batch is all good, so a status answer that shows
// a bad event would be a torn read. Runs under ThreadSanitizer too.

}  // namespace
}  // namespace budgetd::test
