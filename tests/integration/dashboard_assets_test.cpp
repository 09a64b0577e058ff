// The web dashboard's files as the server serves them: the page and every file it loads, with
// their content types and caching headers, nothing fetched from anywhere but budgetd, and open
// routes even with auth on (the page asks for the token the data routes need).

#include <regex>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const char* const kSlo = "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]\n";

// The /ui/ files a text names: src="/ui/x", href="/ui/x" and ES module imports from './x.js'.
std::set<std::string> referenced_assets(const std::string& text) {
  std::set<std::string> out;
  static const std::regex ref(R"re((?:src|href)="/ui/([^"]+)"|from '\./([^']+)')re");
  for (std::sregex_iterator it(text.begin(), text.end(), ref), end; it != end; ++it) {
    out.insert((*it)[1].matched ? (*it)[1].str() : (*it)[2].str());
  }
  return out;
}

TEST(Dashboard, ThePageAndEveryFileItLoadsAreServedWithTheirTypes) {
  TestDaemon d(kSlo);
  HttpClient c(d.port());
  const HttpResult page = c.get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_THAT(page.header("content-security-policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(page.header("content-security-policy"), HasSubstr("connect-src 'self'"));
  EXPECT_THAT(page.body, HasSubstr(R"(<script type="module" src="/ui/app.js">)"));

  // Follow the page's references and the modules' imports until every file is seen.
  std::set<std::string> todo = referenced_assets(page.body), seen;
  while (!todo.empty()) {
    const std::string name = *todo.begin();
    todo.erase(todo.begin());
    if (!seen.insert(name).second) continue;
    const HttpResult r = c.get("/ui/" + name);
    ASSERT_EQ(r.status, 200) << name;
    const std::string type = name.ends_with(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
    EXPECT_EQ(r.header("content-type"), type) << name;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << name;
    if (name == "chart.min.js") {
      EXPECT_THAT(r.body, StartsWith("/*!\n * Chart.js v3.9.1")) << "Debian's libjs-chart.js";
      EXPECT_THAT(r.body, ::testing::Not(HasSubstr("sourceMappingURL")));
      continue;
    }
    // The dashboard's own code names no other host: every URL is budgetd's.
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("http://"))) << name;
    EXPECT_THAT(r.body, ::testing::Not(HasSubstr("https://"))) << name;
    for (const std::string& more : referenced_assets(r.body)) todo.insert(more);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"app.css", "chart.min.js", "app.js", "api.js", "format.js", "list.js",
                                         "slo.js", "gate.js", "charts.js", "contributors.js", "episodes.js"}));
}

TEST(Dashboard, AMatchingETagIsABodiless304) {
  TestDaemon d(kSlo);
  HttpClient c(d.port());
  for (const std::string target : {"/", "/ui/chart.min.js"}) {
    const HttpResult first = c.get(target);
    ASSERT_EQ(first.status, 200);
    const std::string etag = first.header("etag");
    ASSERT_THAT(etag, StartsWith("\"")) << target;
    EXPECT_EQ(first.header("cache-control"), "no-cache") << "revalidated, so an upgrade is seen at once";
    const HttpResult again = c.request("GET", target, "", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304) << target;
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(again.header("etag"), etag);
    EXPECT_EQ(c.request("GET", target, "", {{"If-None-Match", "\"other\""}}).status, 200) << target;
  }
  // The connection is still good after a 304 (no body was promised or sent).
  EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST(Dashboard, AnUnknownAssetIsA404NamingThoseThereAre) {
  TestDaemon d(kSlo);
  const HttpResult r = http_get(d.port(), "/ui/nope.js");
  ASSERT_EQ(r.status, 404);
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("no dashboard asset 'nope.js'"));
  EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("chart.min.js"));
  EXPECT_EQ(http_get(d.port(), "/ui/index.html").status, 404) << "the page is GET /";
}

TEST(Dashboard, ThePageLoadsWithAuthOnAndTheDataNeedsTheToken) {
  // The SHA-256 of "reader-token".
  TestDaemon d(std::string(R"(
auth:
  tokens:
    - {name: dash, sha256: "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45", scopes: [read]}
)") + kSlo);
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/ui/app.js").status, 200);
  EXPECT_EQ(c.get("/v1/slos").status, 401);
  EXPECT_EQ(c.request("GET", "/v1/slos", "", {{"Authorization", "Bearer reader-token"}}).status, 200);
}

}  // namespace
}  // namespace budgetd::test
