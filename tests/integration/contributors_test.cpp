// Who burned the budget, over HTTP on simulated time: exact contributors per label value, the
// "other" bucket past max_values, memory that does not grow with values, the 400s that say what
// can be asked, contributors in the status (budget window and each firing rule's long window),
// the top three in the incident webhook and in the gate's reasons once the budget is spent, and
// figures that survive a restart.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "http_receiver.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
slos:
  - name: pay
    service: pay
    objective: 99.9
    sli: {type: ratio}
    attribution: {labels: [endpoint, region], max_values: 3}
  - {name: plain, service: pay, objective: 99, sli: {type: ratio}}
)";

std::string counted(int64_t ts, const std::string& endpoint, const std::string& region, uint64_t good, uint64_t total) {
  return fmt::format(R"({{"service":"pay","ts":{},"good":{},"total":{},"labels":{{"endpoint":"{}","region":"{}"}}}})",
                     ts, good, total, endpoint, region);
}

void post(HttpClient& c, const std::vector<std::string>& events) {
  std::string body = R"({"events":[)";
  for (size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i];
  const HttpResult r = c.post("/v1/events", body + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["accepted"], events.size()) << r.body;
}

json get(HttpClient& c, const std::string& target) {
  const HttpResult r = c.get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return r.status == 200 ? r.json() : json::object();
}

// value -> [bad, total] of one label of an answer.
std::map<std::string, std::pair<uint64_t, uint64_t>> figures(const json& label) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> out;
  for (const json& v : label["values"]) {
    out[(v["other"].get<bool>() ? "(other)" : "") + v["value"].get<std::string>()] = {v["bad"].get<uint64_t>(),
                                                                                      v["total"].get<uint64_t>()};
  }
  return out;
}

void post_burn(HttpClient& c) {
  const int64_t t = kT0Ms - 10 * 60'000;
  post(c, {counted(t, "/pay", "eu", 9'000, 10'000), counted(t, "/cart", "eu", 9'900, 10'000),
           counted(t + 1000, "/search", "us", 9'990, 10'000), counted(t + 2000, "/login", "us", 1'000, 1'000),
           counted(t + 3000, "/admin", "ap", 990, 1'000)});
}

using Figures = std::map<std::string, std::pair<uint64_t, uint64_t>>;

TEST(Contributors, ExactPerValueWithOtherPastMaxValues) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  post_burn(c);
  const json a = get(c, "/v1/slos/pay/contributors?window=1h&label=endpoint");
  EXPECT_EQ(a["slo"], "pay");
  EXPECT_EQ(a["window"], "1h");
  EXPECT_EQ(a["resolution"], "1m");
  EXPECT_EQ(a["start"], "2026-11-24T09:00:00Z");
  EXPECT_EQ(a["end"], "2026-11-24T10:01:00Z");
  ASSERT_EQ(a["labels"].size(), 1u);
  const json& l = a["labels"][0];
  EXPECT_EQ(l["label"], "endpoint");
  EXPECT_EQ(l["bad"], 1'000 + 100 + 10 + 0 + 10);
  EXPECT_EQ(l["total"], 32'000);
  // /pay, /cart and /search came first; /login and /admin count as other.
  EXPECT_EQ(
      figures(l),
      (Figures{
          {"/pay", {1000, 10000}}, {"/cart", {100, 10000}}, {"/search", {10, 10000}}, {"(other)other", {10, 2000}}}));
  EXPECT_EQ(l["values"][0]["value"], "/pay");
  EXPECT_DOUBLE_EQ(l["values"][0]["share_of_bad"].get<double>(), 1000.0 / 1120.0);
  EXPECT_DOUBLE_EQ(l["values"][0]["error_ratio"].get<double>(), 0.1);
  EXPECT_EQ(a["top"],
            "endpoint=/pay: 89 % of bad events; endpoint=/cart: 9 % of bad events; "
            "endpoint=/search: 0.9 % of bad events");
  // Both labels add up to the SLO's own counts over the same span.
  const json both = get(c, "/v1/slos/pay/contributors?window=6h");
  ASSERT_EQ(both["labels"].size(), 2u);
  EXPECT_EQ(figures(both["labels"][1]), (Figures{{"eu", {1100, 20000}}, {"us", {10, 11000}}, {"ap", {10, 1000}}}));
  EXPECT_EQ(both["labels"][0]["bad"], both["labels"][1]["bad"]);
  const json status = get(c, "/v1/slos/pay");
  EXPECT_EQ(status["budget"]["bad"], 1120);
  EXPECT_EQ(status["contributors"]["window"], "30d");
  EXPECT_EQ(status["contributors"]["labels"][0]["bad"], 1120);
  EXPECT_EQ(status["contributors"]["labels"][0]["total"], status["budget"]["total"]);
  EXPECT_FALSE(get(c, "/v1/slos/plain").contains("contributors"));
}

TEST(Contributors, MemoryIsFixedWhateverTheValues) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const uint64_t before = get(c, "/v1/slos/pay")["memory_bytes"];
  // Three labels' worth of memory? Two here: 2 labels x 4 series x (126 + 302 + 723) slots x 16 B,
  // plus the value names and tables.
  EXPECT_GT(before, 2u * 4 * 1151 * 16);
  std::vector<std::string> many;
  for (int i = 0; i < 500; ++i)
    many.push_back(counted(kT0Ms - i * 1000, "/e" + std::to_string(i), "r" + std::to_string(i), 0, 1));
  post(c, many);
  EXPECT_EQ(get(c, "/v1/slos/pay")["memory_bytes"], before);
  const json l = get(c, "/v1/slos/pay/contributors?window=1h&label=region")["labels"][0];
  EXPECT_EQ(l["values"].size(), 4u);  // three named, the rest other
  EXPECT_EQ(figures(l).at("(other)other"), (std::pair<uint64_t, uint64_t>{497, 497}));
}

TEST(Contributors, BadRequestsSayWhatCanBeAsked) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  HttpResult r = c.get("/v1/slos/pay/contributors?label=version");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("does not attribute label 'version'; it attributes: endpoint, region"));
  r = c.get("/v1/slos/pay/contributors?window=7x");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("it attributes 1h, 6h, 1d, 3d, 30d"));
  r = c.get("/v1/slos/pay/contributors?window=90d");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("ask for one of the windows it attributes (1h, 6h, 1d, 3d, 30d)"));
  r = c.get("/v1/slos/plain/contributors");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("attributes no labels"));
  EXPECT_EQ(c.get("/v1/slos/nope/contributors").status, 404);
  EXPECT_EQ(c.get("/v1/slos/pay/contributors?windw=1h").status, 400);  // unknown parameter
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_contributors_refused_total 4"));
}

TEST(Contributors, SurviveARestartAndAReloadThatDropsALabel) {
  TestDaemon d(kSlos);
  auto c = std::make_unique<HttpClient>(d.port());
  post_burn(*c);
  const json before = get(*c, "/v1/slos/pay/contributors?window=30d");
  c.reset();
  d.restart();
  c = std::make_unique<HttpClient>(d.port());
  EXPECT_EQ(get(*c, "/v1/slos/pay/contributors?window=30d"), before);
  // New values after the restart still find the slots the snapshot held: /admin stays other.
  post(*c, {counted(kT0Ms, "/admin", "ap", 0, 5)});
  const json l = get(*c, "/v1/slos/pay/contributors?window=30d&label=endpoint")["labels"][0];
  EXPECT_EQ(figures(l).at("(other)other"), (std::pair<uint64_t, uint64_t>{15, 2005}));
  // A reload that attributes only region keeps its values and counts.
  d.write_config(std::string(kSlos).replace(std::string(kSlos).find("[endpoint, region]"), 18, "[region]"));
  ASSERT_EQ(c->post("/-/reload", "").status, 200);
  const json r = get(*c, "/v1/slos/pay/contributors?window=30d");
  ASSERT_EQ(r["labels"].size(), 1u);
  EXPECT_EQ(figures(r["labels"][0]), (Figures{{"eu", {1100, 20000}}, {"us", {10, 11000}}, {"ap", {15, 1005}}}));
}

TEST(Contributors, FiringRulesIncidentsAndTheGateNameThem) {
  HttpReceiver hook;
  TestDaemon d("notify: {webhooks: [{url: \"" + hook.url() + "/hook\"}]}\n" + kSlos);
  HttpClient c(d.port());
  post_burn(c);
  d.daemon().evaluate_now();
  const json status = get(c, "/v1/slos/pay");
  const json& firing = status["contributors"]["firing"];
  ASSERT_FALSE(firing.empty()) << status["contributors"].dump();
  // The burn was ten minutes ago: page-1h's 5m short window has none of it; page-6h fires first.
  EXPECT_EQ(firing[0]["rule"], "page-6h");
  EXPECT_EQ(firing[0]["window"], "6h");
  EXPECT_EQ(firing[0]["resolution"], "5m");
  EXPECT_EQ(firing[0]["labels"][0]["values"][0]["value"], "/pay");

  ASSERT_TRUE(hook.wait_for(1, std::chrono::seconds(15)));
  const json incident = json::parse(hook.requests()[0].body)["incidents"][0];
  EXPECT_EQ(incident["top_contributors"],
            "region=eu: 98 % of bad events; endpoint=/pay: 89 % of bad events; "
            "endpoint=/cart: 9 % of bad events");
  EXPECT_THAT(incident["summary"].get<std::string>(), HasSubstr("; top contributors: region=eu: 98 %"));

  // 1,120 bad of 32,000 at 99.9 %: the 30d budget (32) is spent; the gate says who spent it.
  const json g = get(c, "/v1/gate?service=pay&change=feature&slo=pay");
  EXPECT_EQ(g["decision"], "deny");
  EXPECT_THAT(g["reasons"][0].get<std::string>(), HasSubstr("; spent mostly by region=eu: 98 % of bad events"));
}

}  // namespace
}  // namespace budgetd::test
