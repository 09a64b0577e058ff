// The budgetd binary itself: exit codes, diagnostics, and serve + SIGTERM.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "external_process.h"
#include "http_client.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

CommandResult run(const std::string& args) { return run_command(std::string(BUDGETD_BINARY) + " " + args + " 2>&1"); }

fs::path write_temp(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / ("budgetd-cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path p = dir / name;
  std::ofstream(p) << text;
  return p;
}

TEST(Cli, CheckAcceptsTheExampleConfig) {
  const CommandResult r = run("check --config " + std::string(BUDGETD_SOURCE_DIR) + "/config/budgetd.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd.yaml: OK (3 SLOs, 12 alert rules)"));
}

TEST(Cli, CheckPrintsEveryErrorWithItsPositionAndExits1) {
  const fs::path p =
      write_temp("bad.yaml",
                 "slos:\n  - name: a\n    service: s\n    objective: 100\n    sli: {type: ratio}\n    windws: [30d]\n");
  const CommandResult r = run("check --config " + p.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(p.string() + ":4:16: error: SLO 'a': objective '100' must be above 0 and below 100"));
  EXPECT_THAT(r.out, HasSubstr(p.string() + ":6:5: error: SLO 'a': unknown key 'windws'"));
}

TEST(Cli, ServeRefusesABadConfigTheSameWay) {
  const fs::path p = write_temp("bad2.yaml", "slos: 5\n");
  const CommandResult r = run("serve --config " + p.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(p.string() + ":1:7: error: slos must be a list of SLOs"));
}

TEST(Cli, UnknownSubcommandIsAnError) {
  const CommandResult r = run("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("unknown subcommand 'frobnicate'"));
}

TEST(Cli, BacktestPrintsAReportAndExitCodesSayWhatWentWrong) {
  const fs::path config = write_temp("bt.yaml",
                                     "slos:\n  - name: api\n    service: api\n    objective: 99\n"
                                     "    windows: [7d]\n    sli: {type: ratio}\n");
  std::string lines;
  for (int i = 0; i < 360; ++i) {
    // An hour of traffic, the last 10 minutes of it failing.
    lines += "{\"service\":\"api\",\"ts\":" + std::to_string(1795514400000 + i * 10'000) +
             ",\"good\":" + (i >= 300 ? "0" : "10") + ",\"total\":10}\n";
  }
  const fs::path events = write_temp("bt.ndjson", lines);
  const CommandResult text = run("backtest --config " + config.string() + " --events " + events.string());
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("budgetd backtest: 360 events on 360 lines"));
  EXPECT_THAT(text.out, HasSubstr("page   page-1h    fired 2026-11-24T10:5"));

  const CommandResult j = run("backtest --config " + config.string() + " --events " + events.string() +
                              " --json --step 10s --from 2026-11-24T10:00:00Z 2>/dev/null");
  ASSERT_EQ(j.exit_code, 0) << j.out;
  const auto report = nlohmann::json::parse(j.out);
  EXPECT_EQ(report["from"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(report["step"], "10s");
  EXPECT_EQ(report["input"]["applied"], 360);
  EXPECT_EQ(report["slos"][0]["alerts"][0]["severity"], "page");
  EXPECT_EQ(report["slos"][0]["alerts"][0]["onset"], "2026-11-24T10:50:00Z");

  const CommandResult missing = run("backtest --config " + config.string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.out, HasSubstr("budgetd backtest: --events FILE is required"));
  const CommandResult unreadable = run("backtest --config " + config.string() + " --events /nonexistent.ndjson");
  EXPECT_EQ(unreadable.exit_code, 2);
  EXPECT_THAT(unreadable.out, HasSubstr("cannot open /nonexistent.ndjson: No such file or directory"));
  const CommandResult bad_step =
      run("backtest --config " + config.string() + " --events " + events.string() + " --step 15s");
  EXPECT_EQ(bad_step.exit_code, 2);
  EXPECT_THAT(bad_step.out, HasSubstr("--step must be a positive multiple of 10s, not 15s"));
  const CommandResult bad_config = run("backtest --config /nonexistent.yaml --events " + events.string());
  EXPECT_EQ(bad_config.exit_code, 1);
}

TEST(Cli, ExportOpensloPrintsDocumentsThatCheckAccepts) {
  const CommandResult r = run("export openslo --config " + std::string(BUDGETD_SOURCE_DIR) + "/config/budgetd.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("apiVersion: openslo/v1\nkind: SLO\n"));
  // run() merges stderr, where the notes go: the example's attribution: has no OpenSLO field.
  EXPECT_THAT(r.out, HasSubstr("budgetd export: note: SLO 'search-availability-eu': attribution (labels endpoint, "
                               "version) has no OpenSLO field and is not exported\n"));
  std::string documents;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("budgetd export: note:", 0) != 0) documents += line + "\n";
  }
  const fs::path exported = write_temp("exported.yaml", documents);
  const CommandResult again = run("check --config " + exported.string());
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("OK (3 SLOs, 12 alert rules)"));
  EXPECT_EQ(run("export yaml").exit_code, 2);
}

// Issue 11: every subcommand parses its command line by its own table, so an unknown flag, a
// stray argument, a flag without its value or given twice is exit 2 with that command's usage.
TEST(Cli, EverySubcommandRefusesUnknownFlagsAndStrayArgumentsWithItsUsage) {
  for (const std::string cmd : {"serve", "check", "gate", "deploy", "backtest", "export openslo", "version"}) {
    const std::string name = cmd.substr(0, cmd.find(' '));
    CommandResult r = run(cmd + " --bogus");
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("budgetd " + name + ": unknown flag '--bogus'")) << cmd;
    EXPECT_THAT(r.out, HasSubstr("usage: budgetd " + name)) << cmd;
    r = run(cmd + " stray");
    EXPECT_EQ(r.exit_code, 2) << cmd << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("budgetd " + name + ": unexpected argument 'stray'")) << cmd;
  }
  CommandResult r = run("check --config");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("budgetd check: --config needs a value (--config FILE)"));
  r = run("check --config a.yaml --config=b.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("budgetd check: --config is given more than once"));
  r = run("backtest --json=yes --events x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("budgetd backtest: --json takes no value"));
  r = run("export");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("budgetd export: missing openslo|alertmanager"));
  r = run("--bogus");  // no subcommand: serve's flags
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.out, HasSubstr("budgetd serve: unknown flag '--bogus'"));
  // The value of --config=FILE form is taken whole, "=" and all.
  r = run("check --config=" + std::string(BUDGETD_SOURCE_DIR) + "/config/budgetd.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST(CliRegression, GateIgnoredAMisspeltCommitAndLoggedAnEmptyOne) {
  for (const std::string extra : {"", " --fail-open"}) {
    const CommandResult r =
        run("gate --url http://127.0.0.1:9 --service checkout --change feature --comit abc" + extra);
    EXPECT_EQ(r.exit_code, 2) << "a typo is a bad command line, never an allowed deploy: " << r.out;
    EXPECT_THAT(r.out, HasSubstr("budgetd gate: unknown flag '--comit' (did you mean --commit?)"));
    EXPECT_THAT(r.out, HasSubstr("usage: budgetd gate --url URL --service S --change C"));
  }
  const CommandResult r = run("gate --url http://127.0.0.1:9 --change feature");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd gate: --service S is required"));
}

TEST(CliRegression, BacktestRanWithTheDefaultStepWhenToldStepp) {
  const CommandResult r = run("backtest --events /nonexistent.ndjson --stepp 1m");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd backtest: unknown flag '--stepp' (did you mean --step?)"));
}

TEST(CliRegression, CheckFellBackToTheDefaultConfigWhenToldConfg) {
  const CommandResult r = run("check --confg " + std::string(BUDGETD_SOURCE_DIR) + "/config/budgetd.yaml");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("budgetd check: unknown flag '--confg' (did you mean --config?)"));
  EXPECT_THAT(r.out, Not(HasSubstr("OK (")));
}

TEST(Cli, EverySubcommandPrintsItsOwnUsageAndFlagsOnHelp) {
  const std::map<std::string, std::vector<std::string>> flags = {
      {"serve", {"--config FILE"}},
      {"check", {"--config FILE"}},
      {"gate",
       {"--url URL", "--service S", "--change C", "--slo NAME", "--fail-open", "--json", "--timeout D", "--token T",
        "--ci-job J", "--commit C", "--dry-run"}},
      {"deploy",
       {"--url URL", "--service S", "--version V", "--commit C", "--ci-job J", "--change T", "--link URL", "--ts T",
        "--fail-open", "--json", "--timeout D", "--token T"}},
      {"backtest", {"--config FILE", "--events FILE", "--from T", "--to T", "--step D", "--reorder D", "--json"}},
      {"export", {"--config FILE", "--receiver-url URL", "--group-wait D"}},
  };
  for (const auto& [cmd, names] : flags) {
    for (const char* help : {" --help", " -h"}) {
      // stdout only: the usage asked for is the answer, not an error.
      const CommandResult r = run_command(std::string(BUDGETD_BINARY) + " " + cmd + help + " 2>/dev/null");
      EXPECT_EQ(r.exit_code, 0) << cmd;
      EXPECT_THAT(r.out, ::testing::StartsWith("usage: budgetd " + cmd)) << cmd;
      for (const auto& f : names) EXPECT_THAT(r.out, HasSubstr("\n  " + f + " ")) << cmd << " lacks " << f;
    }
  }
  // --help wins over anything wrong beside it.
  EXPECT_EQ(run("gate --comit x --help").exit_code, 0);
  const CommandResult all = run_command(std::string(BUDGETD_BINARY) + " --help 2>/dev/null");
  EXPECT_EQ(all.exit_code, 0);
  for (const char* cmd : {"serve", "check", "gate", "deploy", "backtest", "export", "version"}) {
    EXPECT_THAT(all.out, HasSubstr("\n  budgetd " + std::string(cmd))) << cmd;
  }
}

// Starts `budgetd serve`, finds its port in the log, talks to it, then SIGTERM: exit 0.
TEST(Cli, ServeAnswersAndDrainsOnSigterm) {
  const fs::path data = fs::temp_directory_path() / ("budgetd-cli-data-" + std::to_string(getpid()));
  const fs::path cfg =
      write_temp("serve.yaml", "server: {listen: \"127.0.0.1:0\"}\nstorage: {dir: \"" + data.string() +
                                   "\"}\nslos:\n  - {name: a, service: s, objective: 99.9, sli: {type: ratio}}\n");
  const fs::path log = cfg.parent_path() / "serve.log";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    execl(BUDGETD_BINARY, BUDGETD_BINARY, "serve", "--config", cfg.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  const std::regex listening(R"re("msg":"http: listening".*"port":(\d+))re");
  for (int i = 0; i < 500 && port == 0; ++i) {  // wait for the log line, up to 10 s
    std::ifstream in(log);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, listening)) port = std::stoi(m[1]);
    }
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(port, 0) << "no 'http: listening' line in the log";
  EXPECT_TRUE(fs::is_directory(data));
  HttpClient c(static_cast<uint16_t>(port));
  EXPECT_EQ(c.get("/healthz").status, 200);
  const HttpResult r = c.post("/v1/events", R"({"events":[{"service":"s","good":true}]})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["accepted"], 1);
  c.close();
  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(WIFEXITED(status)) << "budgetd did not exit after SIGTERM";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(log);
  const std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_THAT(all, HasSubstr(R"("msg":"budgetd: draining","signal":"SIGTERM")"));
  EXPECT_THAT(all, HasSubstr(R"("msg":"budgetd: stopped")"));
  fs::remove_all(data);
}

}  // namespace
}  // namespace budgetd::test
