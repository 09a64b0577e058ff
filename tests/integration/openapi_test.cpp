// docs/openapi.yaml against the server: it is served at GET /openapi.yaml, and its paths and
// methods are exactly the routes the server registers.

#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "api/api.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using Route = std::pair<std::string, std::string>;  // method, path

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(OpenApi, TheSpecIsServedAndListsExactlyTheServersRoutes) {
  TestDaemon d("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]\n");
  HttpClient c(d.port());
  const HttpResult r = c.get("/openapi.yaml");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/yaml");
  const std::string file = read(std::string(BUDGETD_SOURCE_DIR) + "/docs/openapi.yaml");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(r.body, file) << "the binary serves an older docs/openapi.yaml: rebuild";

  const YAML::Node spec = YAML::Load(r.body);
  EXPECT_EQ(spec["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<Route> documented;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      documented.emplace(method, path.first.as<std::string>());
    }
  }

  metrics::Registry registry;
  const api::Api api(config::ServerConfig{}, d.daemon(), d.clock(), registry);
  std::set<Route> served;
  for (const auto& e : api.routes().entries())
    served.emplace(std::string(boost::beast::http::to_string(e.method)), e.pattern);

  for (const Route& route : served) {
    EXPECT_EQ(documented.count(route), 1u) << route.first << " " << route.second << " is served but not documented";
  }
  for (const Route& route : documented) {
    EXPECT_EQ(served.count(route), 1u) << route.first << " " << route.second << " is documented but not served";
  }
  EXPECT_GE(served.size(), 11u);
}

}  // namespace
}  // namespace budgetd::test
