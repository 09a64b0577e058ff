// Deploys over HTTP (README "Deploys"): POST /v1/deploys, GET /v1/deploys with each deploy's
// impact checked against a brute-force count of the events sent, the gate's last deploy,
// restarts, and `budgetd deploy`.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/objective.h"
#include "budgetd/eval/budget_math.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
slos:
  - {name: checkout-availability, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: checkout-weekly, service: checkout, objective: 99.5, windows: ["7d"], sli: {type: ratio}}
  - {name: search-availability, service: search, objective: 99, windows: ["30d"], sli: {type: ratio}}
)";

constexpr int64_t kSecondMs = 1000, kMinuteMs = 60 * kSecondMs, kHourMs = 60 * kMinuteMs, kDayMs = 24 * kHourMs;

struct Event {
  int64_t ts;
  uint64_t good, total;
};

std::string events_json(const std::vector<Event>& events) {
  std::string out = R"({"events":[)";
  for (size_t i = 0; i < events.size(); ++i) {
    out += (i ? "," : "") + std::string(R"({"service":"checkout","ts":)") + std::to_string(events[i].ts) +
           R"(,"good":)" + std::to_string(events[i].good) + R"(,"total":)" + std::to_string(events[i].total) + "}";
  }
  return out + "]}";
}

HttpResult post_deploy(HttpClient& c, const json& body) { return c.post("/v1/deploys", body.dump()); }

int64_t ms(const json& rfc3339) {
  auto t = parse_timestamp(rfc3339.get<std::string>());
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? to_unix_ms(*t) : 0;
}

int64_t floor_to(int64_t t, int64_t r) { return (t >= 0 ? t : t - r + 1) / r * r; }

std::string error_of(const HttpResult& r) { return r.json()["error"]["message"].get<std::string>(); }

TEST(Deploys, PostAnswers201WithTheStoredDeploy) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  HttpResult r = post_deploy(c, {{"service", "checkout"},
                                 {"version", "v1.4.2"},
                                 {"change", "feature"},
                                 {"commit", "abc123"},
                                 {"ci_job", "build-42"},
                                 {"url", "https://ci.example/42"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"id":"d-1","service":"checkout","version":"v1.4.2","ts":"2026-11-24T10:00:00Z",
      "change":"feature","commit":"abc123","ci_job":"build-42","url":"https://ci.example/42"})"));
  // Absent fields are omitted; ts as unix ms, or as RFC 3339.
  r = post_deploy(c, {{"service", "search"}, {"version", "2"}, {"ts", kT0Ms - kHourMs}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json(), json::parse(R"({"id":"d-2","service":"search","version":"2","ts":"2026-11-24T09:00:00Z"})"));
  r = post_deploy(c, {{"service", "search"}, {"version", "3"}, {"ts", "2026-11-24T09:30:00Z"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["ts"], "2026-11-24T09:30:00Z");
  const json all = c.get("/v1/deploys").json()["deploys"];
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["id"], "d-1");  // newest first
  EXPECT_EQ(all[1]["id"], "d-3");
  EXPECT_EQ(all[2]["id"], "d-2");
  EXPECT_EQ(all[2]["impact"]["to"], "2026-11-24T09:30:00Z") << "up to the next deploy of search";
  EXPECT_EQ(all[2]["impact"]["ongoing"], false);
  EXPECT_EQ(all[1]["impact"]["ongoing"], true);
  EXPECT_EQ(c.get("/v1/deploys?service=search").json()["deploys"].size(), 2u);
  EXPECT_EQ(c.get("/v1/deploys?service=search&range=45m").json()["deploys"].size(), 1u);
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_deploys_total{result=\"recorded\"} 3\n"));
}

TEST(Deploys, ARetryWithTheSameIdempotencyKeyIsRecordedOnce) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const json body = {{"service", "checkout"}, {"version", "v7"}, {"ci_job", "deploy-7"}};
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "pipeline-7"}};
  HttpResult first = c.post("/v1/deploys", body.dump(), "application/json", key);
  ASSERT_EQ(first.status, 201) << first.body;
  d.clock().advance(std::chrono::seconds(30));  // a CI retry, later: no ts given, still the same deploy
  HttpResult retry = c.post("/v1/deploys", body.dump(), "application/json", key);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  EXPECT_EQ(retry.json(), first.json());
  // The same key for another deploy: 422 naming the first.
  json other = body;
  other["version"] = "v8";
  HttpResult clash = c.post("/v1/deploys", other.dump(), "application/json", key);
  EXPECT_EQ(clash.status, 422) << clash.body;
  EXPECT_THAT(error_of(clash), HasSubstr("Idempotency-Key 'pipeline-7' was already used for d-1"));
  EXPECT_EQ(c.post("/v1/deploys", body.dump(), "application/json", {{"Idempotency-Key", "bad key"}}).status, 400);
  EXPECT_EQ(c.get("/v1/deploys").json()["deploys"].size(), 1u);
  // Across a restart (the key is kept with the deploy, in the snapshot and the log).
  d.restart();
  HttpClient again(d.port());
  retry = again.post("/v1/deploys", body.dump(), "application/json", key);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["id"], "d-1");
  EXPECT_EQ(again.get("/v1/deploys").json()["deploys"].size(), 1u);
  EXPECT_THAT(again.get("/metrics").body, HasSubstr("budgetd_deploys_total{result=\"recorded\"} 0\n"));
}

TEST(Deploys, BadInputIsA400NamingTheField) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const auto refused = [&](const std::string& body) {
    const HttpResult r = c.post("/v1/deploys", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    return r.status == 400 ? error_of(r) : r.body;
  };
  EXPECT_THAT(refused("{"), HasSubstr("the body is not JSON"));
  EXPECT_THAT(refused("[]"), HasSubstr("the body must be a JSON object"));
  EXPECT_THAT(refused(R"({"version":"v1"})"), HasSubstr("service is required"));
  EXPECT_THAT(refused(R"({"service":"checkout"})"), HasSubstr("version is required"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","verison":"x"})"),
              HasSubstr("unknown field 'verison' (valid: service, version, ts, change, commit, ci_job, url)"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":1.5})"), HasSubstr("version must be a string, not number"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","ts":true})"),
              HasSubstr("ts must be an RFC 3339 string or unix milliseconds, not boolean"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","ts":"yesterday"})"), HasSubstr("ts: "));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","change":"hotfix"})"),
              HasSubstr("change 'hotfix' is not one of feature, risky, reliability, security"));
  EXPECT_THAT(refused(R"({"service":"chekout","version":"v1"})"),
              HasSubstr("service 'chekout': no SLO covers it, so its deploys would cost nothing"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","ts":"2026-11-24T10:06:00Z"})"),
              HasSubstr("ts 2026-11-24T10:06:00Z is more than 5m ahead of budgetd's clock (2026-11-24T10:00:00Z)"));
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1","ts":"2026-10-25T09:59:59Z"})"),
              HasSubstr("older than the 30d deploys are kept for (the longest budget window): the oldest accepted "
                        "now is 2026-10-25T10:00:00Z"));
  const std::string huge(1 << 20, 'x');
  const std::string long_commit = refused(R"({"service":"checkout","version":"v1","commit":")" + huge + "\"}");
  EXPECT_THAT(long_commit, HasSubstr("commit is 1048576 bytes; at most 128 are kept"));
  EXPECT_LT(long_commit.size(), 300u) << "the echo is bounded";
  EXPECT_THAT(refused(R"({"service":"checkout","version":"v1\u0000"})"),
              HasSubstr("version must be UTF-8 text without control characters"));
  EXPECT_EQ(c.get("/v1/deploys").json()["deploys"].size(), 0u) << "nothing refused was kept";
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_deploys_total{result=\"refused\"} 14\n"));
  EXPECT_THAT(error_of(c.get("/v1/deploys?range=-1d")), HasSubstr("range '-1d' is not a positive duration"));
  EXPECT_THAT(error_of(c.get("/v1/deploys?sevice=checkout")), HasSubstr("unknown query parameter 'sevice'"));
}

TEST(Deploys, PostNeedsTheGateScopeAndGetTheReadScope) {
  // The SHA-256 of "gate-token" and "reader-token" (printf %s TOKEN | sha256sum).
  TestDaemon d(std::string(R"(
auth:
  tokens:
    - {name: ci, sha256: "5b0aad348a4c3afe11a6926a265cdc32a801c5c709bbd483ff1ce78d64e009ca", scopes: [gate]}
    - {name: dash, sha256: "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45", scopes: [read]}
)") + kSlos);
  HttpClient c(d.port());
  const std::string body = R"({"service":"checkout","version":"v1"})";
  const auto bearer = [](const char* t) {
    return std::map<std::string, std::string>{{"Authorization", std::string("Bearer ") + t}};
  };
  EXPECT_EQ(c.post("/v1/deploys", body).status, 401);
  EXPECT_EQ(c.post("/v1/deploys", body, "application/json", bearer("reader-token")).status, 403);
  EXPECT_EQ(c.post("/v1/deploys", body, "application/json", bearer("gate-token")).status, 201);
  EXPECT_EQ(c.request("GET", "/v1/deploys", "", bearer("reader-token")).status, 200);
}

// Events over the last three weeks, dense in the last two days; deploys of checkout at ages
// that each SLO's rings read at another resolution, with search deploys between them.
struct History {
  std::vector<Event> events;
  std::vector<int64_t> checkout_deploys;  // oldest first
};

History random_history(uint32_t seed) {
  std::mt19937_64 rng(seed);
  History h;
  const auto add = [&](int64_t ts) {
    const uint64_t total = 1 + rng() % 500;
    const uint64_t bad = rng() % 4 == 0 ? rng() % (total / 5 + 1) : 0;
    h.events.push_back({ts, total - bad, total});
  };
  for (int i = 0; i < 300; ++i) add(kT0Ms - 21 * kDayMs + static_cast<int64_t>(rng() % (21 * kDayMs)));
  for (int i = 0; i < 3000; ++i) add(kT0Ms - 2 * kDayMs + static_cast<int64_t>(rng() % (2 * kDayMs)));
  const auto jitter = [&] { return static_cast<int64_t>(rng() % (10 * kMinuteMs)); };
  h.checkout_deploys = {kT0Ms - 20 * kDayMs + jitter(), kT0Ms - 40 * kHourMs + jitter(), kT0Ms - 5 * kHourMs + jitter(),
                        kT0Ms - 40 * kMinuteMs + jitter()};
  return h;
}

struct Brute {
  uint64_t good = 0, total = 0;
  store::Counts counts() const { return {good, total}; }
};
Brute brute(const std::vector<Event>& events, int64_t from, int64_t to) {
  Brute b;
  for (const Event& e : events) {
    if (e.ts >= from && e.ts < to) {
      b.good += e.good;
      b.total += e.total;
    }
  }
  return b;
}

TEST(DeployImpact, IsExactAgainstABruteForceCount) {
  for (const uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    TestDaemon d(kSlos);
    HttpClient c(d.port());
    const History h = random_history(seed);
    for (size_t i = 0; i < h.events.size(); i += 1000) {
      const std::vector<Event> part(
          h.events.begin() + static_cast<std::ptrdiff_t>(i),
          h.events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 1000, h.events.size())));
      ASSERT_EQ(c.post("/v1/events", events_json(part)).status, 200);
    }
    for (size_t i = 0; i < h.checkout_deploys.size(); ++i) {
      const int64_t ts = h.checkout_deploys[i];
      ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "v" + std::to_string(i)}, {"ts", ts}}).status,
                201);
      ASSERT_EQ(post_deploy(c, {{"service", "search"}, {"version", "s"}, {"ts", ts + kMinuteMs}}).status, 201);
    }
    d.clock().advance(std::chrono::seconds(17));  // now is mid-bucket
    const int64_t now = kT0Ms + 17 * kSecondMs;
    const json listed = c.get("/v1/deploys?service=checkout&range=30d").json()["deploys"];
    ASSERT_EQ(listed.size(), h.checkout_deploys.size());
    // The resolution each deploy is read at, by its age: 10 s, 1 m, 5 m, 1 h.
    const int64_t resolution[] = {kHourMs, 5 * kMinuteMs, kMinuteMs, 10 * kSecondMs};
    for (size_t k = 0; k < listed.size(); ++k) {
      const size_t i = h.checkout_deploys.size() - 1 - k;  // newest first
      const json& impact = listed[k]["impact"];
      EXPECT_EQ(ms(impact["from"]), h.checkout_deploys[i]);
      const bool ongoing = i + 1 == h.checkout_deploys.size();
      EXPECT_EQ(impact["ongoing"], ongoing);
      EXPECT_EQ(ms(impact["to"]), ongoing ? now : h.checkout_deploys[i + 1]);
      ASSERT_EQ(impact["slos"].size(), 2u);
      for (const json& s : impact["slos"]) {
        SCOPED_TRACE(s.dump());
        const bool weekly = s["slo"] == "checkout-weekly";
        if (weekly && i == 0) {  // 20 days old: no ring of a 7d SLO holds it
          EXPECT_EQ(s["retained"], false);
          EXPECT_FALSE(s.contains("bad"));
          continue;
        }
        ASSERT_EQ(s["retained"], true);
        const int64_t r = resolution[i];
        const int64_t from = ms(s["counted_from"]), to = ms(s["counted_to"]);
        EXPECT_EQ(from, floor_to(h.checkout_deploys[i], r));
        EXPECT_EQ(to, ongoing ? floor_to(now, r) + r : floor_to(h.checkout_deploys[i + 1], r));
        const auto objective = *config::Objective::parse(weekly ? "99.5" : "99.9");
        const Brute span = brute(h.events, from, to);
        EXPECT_EQ(s["bad"], span.total - span.good);
        EXPECT_EQ(s["total"], span.total);
        const int64_t window = weekly ? 7 * kDayMs : 30 * kDayMs;
        const int64_t window_end = floor_to(now, kHourMs) + kHourMs;
        const Brute budget = brute(h.events, window_end - window, window_end);
        EXPECT_DOUBLE_EQ(s["consumed"].get<double>(),
                         static_cast<double>(span.total - span.good) / eval::allowed_bad(budget.counts(), objective));
        EXPECT_DOUBLE_EQ(s["burn_rate_1h_before"].get<double>(),
                         eval::burn_rate(brute(h.events, from - kHourMs, from).counts(), objective));
        EXPECT_DOUBLE_EQ(s["burn_rate_1h_after"].get<double>(),
                         eval::burn_rate(brute(h.events, from, std::min(from + kHourMs, to)).counts(), objective));
      }
    }
  }
}

TEST(DeployImpact, TheGateNamesTheLastDeployAndWhatItCost) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  // 60,000 events in the 30d window, 6 of them bad, all after the 08:02 deploy: 10 % of a
  // 99.9 % budget of 60 bad events.
  ASSERT_EQ(c.post("/v1/events", events_json({{kT0Ms - 3 * kHourMs, 50'000, 50'000}, {kT0Ms - kHourMs, 9'994, 10'000}}))
                .status,
            200);
  const HttpResult before = c.get("/v1/gate?service=checkout&change=feature");
  EXPECT_FALSE(before.json().contains("last_deploy")) << "no deploy yet: no last_deploy";
  ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "v1.4.2"}, {"ts", "2026-11-24T08:02:00Z"}}).status,
            201);
  const json g = c.get("/v1/gate?service=checkout&change=feature").json();
  ASSERT_TRUE(g.contains("last_deploy")) << g.dump();
  EXPECT_EQ(g["last_deploy"]["id"], "d-1");
  EXPECT_EQ(g["last_deploy"]["impact"]["slos"][0]["bad"], 6);
  EXPECT_EQ(g["last_deploy"]["impact"]["slos"][0]["total"], 10'000);
  EXPECT_DOUBLE_EQ(g["last_deploy"]["impact"]["slos"][0]["consumed"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(g["last_deploy"]["impact"]["slos"][0]["burn_rate_1h_before"].get<double>(), 0.0);
  EXPECT_EQ(g["reasons"].back(),
            "v1.4.2, deployed 08:02, has consumed 10.0 % of checkout-availability's 30d budget since");
  // A deploy of another day carries its date.
  d.clock().advance(std::chrono::hours(24));
  const json later = c.get("/v1/gate?service=checkout&change=feature").json();
  EXPECT_THAT(later["reasons"].back().get<std::string>(), HasSubstr("v1.4.2, deployed 2026-11-24 08:02, has consumed"));
  EXPECT_FALSE(c.get("/v1/gate?service=search&change=feature").json().contains("last_deploy"));
}

// What a crash leaves of a running daemon's storage dir: the snapshot and the log.
void copy_dir(const std::string& from, const fs::path& to) {
  for (const auto& e : fs::directory_iterator(from)) {
    if (e.path().filename() == "LOCK" || e.path().filename() == "budgetd.yaml") continue;
    fs::copy(e.path(), to / e.path().filename(), fs::copy_options::recursive);
  }
}

TEST(Deploys, SurviveARestartThroughTheSnapshotAndTheLog) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "v1"}, {"commit", "a"}}).status, 201);
  ASSERT_TRUE(d.daemon().take_snapshot().ok());
  ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "v2"}, {"ts", kT0Ms - kMinuteMs}}).status, 201);
  ASSERT_EQ(post_deploy(c, {{"service", "search"}, {"version", "v3"}}).status, 201);
  const json listed = c.get("/v1/deploys").json();
  ASSERT_EQ(listed["deploys"].size(), 3u);

  // A crash: the snapshot holds d-1, the log d-2 and d-3.
  TempDir crashed;
  copy_dir(d.dir(), crashed.path());
  {
    ManualClock clock(t0());
    Daemon second(parse_config(kSlos, crashed.path()), clock);
    ASSERT_TRUE(second.start().ok());
    EXPECT_EQ(second.recovery().states_restored, 4u);  // deploys, gate_overrides, gate_decisions, episodes
    EXPECT_EQ(second.recovery().state_records_applied, 2u);
    EXPECT_EQ(http_get(second.port(), "/v1/deploys").json(), listed);
    second.stop();
  }
  // A clean stop: the final snapshot holds all three; ids go on after the highest.
  d.restart();
  HttpClient again(d.port());
  EXPECT_EQ(again.get("/v1/deploys").json(), listed);
  EXPECT_EQ(d.daemon().recovery().state_records_applied, 0u);
  EXPECT_EQ(post_deploy(again, {{"service", "search"}, {"version", "v4"}}).json()["id"], "d-4");
}

TEST(Deploys, AreDroppedOnceOlderThanTheLongestBudgetWindow) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "old"}}).status, 201);
  d.clock().advance(std::chrono::hours(24 * 29));
  ASSERT_EQ(post_deploy(c, {{"service", "checkout"}, {"version", "new"}}).status, 201);
  EXPECT_EQ(c.get("/v1/deploys?range=30d").json()["deploys"].size(), 2u);
  d.clock().advance(std::chrono::hours(25));  // "old" is 30d 1h old: past every budget window
  EXPECT_EQ(c.get("/v1/deploys?range=60d").json()["deploys"].size(), 1u);
  d.restart();
  HttpClient again(d.port());
  const json left = again.get("/v1/deploys?range=60d").json()["deploys"];
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0]["version"], "new");
}

// `budgetd deploy` against a live server: the gate CLI's exit codes.
struct Cli {
  int exit_code;
  std::string out;
};
Cli deploy_cli(const std::string& args) {
  FILE* p = popen((std::string(BUDGETD_BINARY) + " deploy " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(DeployCli, RecordsADeployWithTheGateCliExitCodes) {
  TestDaemon d(kSlos);
  const std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  Cli r = deploy_cli(url +
                     " --service checkout --version v1.4.2 --commit abc --ci-job 42 --change feature"
                     " --link https://ci.example/42 --ts 2026-11-24T09:58:00Z");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "budgetd deploy: recorded d-1: checkout v1.4.2 at 2026-11-24T09:58:00Z\n");
  const json stored = http_get(d.port(), "/v1/deploys").json()["deploys"][0];
  EXPECT_EQ(stored["commit"], "abc");
  EXPECT_EQ(stored["ci_job"], "42");
  EXPECT_EQ(stored["change"], "feature");
  EXPECT_EQ(stored["url"], "https://ci.example/42");
  r = deploy_cli(url + " --service checkout --version v2 --json --idempotency-key job-2");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out)["id"], "d-2");
  r = deploy_cli(url + " --service checkout --version v2 --idempotency-key job-2");  // the job retried
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "budgetd deploy: already recorded d-2: checkout v2 at 2026-11-24T10:00:00Z\n");
  // Refused: exit 3, and --fail-open does not hide it.
  r = deploy_cli(url + " --service chekout --version v2 --fail-open");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd deploy: the server refused the deploy (400): service 'chekout': no SLO"));
  r = deploy_cli(url + " --service checkout --version v2 --change hotfix");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  // Nothing listens on port 9 (discard): could not ask; --fail-open goes on, loudly.
  r = deploy_cli("--url http://127.0.0.1:9 --service checkout --version v2 --timeout 2s");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd deploy: could not record the deploy"));
  r = deploy_cli("--url http://127.0.0.1:9 --service checkout --version v2 --fail-open");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("WARNING: --fail-open is set, so the pipeline goes on WITHOUT the deploy recorded"));
  // A command line it cannot take: exit 2 with the usage, never 0.
  r = deploy_cli(url + " --service checkout --verison v2 --fail-open");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown flag '--verison' (did you mean --version?)"));
  r = deploy_cli(url + " --service checkout");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--version V is required"));
  EXPECT_EQ(http_get(d.port(), "/v1/deploys").json()["deploys"].size(), 2u);
}

TEST(DeployCli, SendsTheTokenAndPrintsItsHelp) {
  TestDaemon d(std::string(R"(
auth:
  tokens:
    - {name: ci, sha256: "5b0aad348a4c3afe11a6926a265cdc32a801c5c709bbd483ff1ce78d64e009ca", scopes: [gate]}
)") + kSlos);
  const std::string ask = "--url http://127.0.0.1:" + std::to_string(d.port()) + " --service checkout --version v1";
  Cli r = deploy_cli(ask);
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("(401)"));
  EXPECT_EQ(deploy_cli(ask + " --token gate-token").exit_code, 0);
  setenv("BUDGETD_TOKEN", "gate-token", 1);  // the child inherits it
  r = deploy_cli(ask);
  unsetenv("BUDGETD_TOKEN");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  r = deploy_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, ::testing::StartsWith("usage: budgetd deploy --url URL --service S --version V"));
  EXPECT_THAT(r.out, HasSubstr("exit codes: 0 recorded"));
}

}  // namespace
}  // namespace budgetd::test
