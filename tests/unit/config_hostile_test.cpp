// Config input that is hostile or just wrong in a way that used to crash, hang, or pass in
// silence: `include:` of things that are not files, a main config that is not one, a YAML line
// that made yaml-cpp allocate without end, duplicate token hashes, and the warnings `check`
// gives (or must not give) about what it was shown.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bounded_child.h"
#include "budgetd/config/loader.h"
#include "test_daemon.h"

namespace budgetd::config {
namespace {

using test::ChildOutcome;
using test::run_bounded;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kChildMemory = uint64_t{1} << 30;  // yaml-cpp's runaway passes this in a second
constexpr std::chrono::seconds kChildTimeout{20};

std::vector<std::string> lines(const LoadResult& r, Diagnostic::Severity severity) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) {
    if (d.severity == severity) out.push_back(d.to_string());
  }
  return out;
}
std::vector<std::string> errors(const LoadResult& r) { return lines(r, Diagnostic::Severity::kError); }
std::vector<std::string> warnings(const LoadResult& r) { return lines(r, Diagnostic::Severity::kWarning); }

// Everything `budgetd check` would print for the file, computed in a child bounded in memory and
// time: a regression fails the test instead of taking the machine or the suite with it.
ChildOutcome check_bounded(const std::string& path) {
  return run_bounded(
      [&] {
        std::string out;
        for (const auto& d : load_config_file(path).diagnostics) out += d.to_string() + "\n";
        return out;
      },
      kChildMemory, kChildTimeout);
}

std::string write(const test::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

constexpr const char* kSlo = "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]\n";

TEST(ConfigRegression, IncludeOfDevZeroAbortedCheckOnAnUncaughtBadAlloc) {
  test::TempDir dir;
  const std::string main = write(dir, "c.yaml", std::string(kSlo) + "include: [\"/dev/zero\"]\n");
  const ChildOutcome r = check_bounded(main);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(r.output, main +
                          ":2:11: error: include: cannot read /dev/zero: it is a character device; config files "
                          "must be regular files\n");
}

TEST(ConfigRegression, IncludeOfAFifoHungCheck) {
  test::TempDir dir;
  ASSERT_EQ(mkfifo((dir.path() + "/slos.yaml").c_str(), 0600), 0);
  const std::string main = write(dir, "c.yaml", std::string(kSlo) + "include:\n  - slos.yaml\n");
  const ChildOutcome r = check_bounded(main);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_THAT(r.output, HasSubstr(main + ":3:5: error: include: cannot read " + dir.path() +
                                  "/slos.yaml: it is a FIFO (named pipe); config files must be regular files"));
}

TEST(ConfigRegression, IncludeOfADirectoryWasSilentlyOk) {
  test::TempDir dir;
  std::filesystem::create_directories(dir.path() + "/slos.d/nested");
  write(dir, "slos.d/a.yaml", "");
  const std::string main = write(dir, "c.yaml", std::string(kSlo) + "include: [\"slos.d\", \"slos.d/*\"]\n");
  const LoadResult r = load_config_file(main);
  EXPECT_FALSE(r.ok());
  // The directory named itself, and the one the glob matched beside a file, each at its entry.
  EXPECT_THAT(errors(r), ElementsAre(main + ":2:11: error: include: cannot read " + dir.path() +
                                         "/slos.d: it is a directory; config files must be regular files",
                                     main + ":2:21: error: include: cannot read " + dir.path() +
                                         "/slos.d/nested: it is a directory; config files must be regular files"));
}

TEST(Config, AnIncludedFileLargerThanIncludeMaxBytesIsRefusedAtItsEntry) {
  test::TempDir dir;
  write(dir, "big.yaml", "# " + std::string(2000, 'x') + "\n");
  write(dir, "small.yaml", "# fits\n");
  const std::string main =
      write(dir, "c.yaml", std::string(kSlo) + "include_max_bytes: 1024\ninclude: [big.yaml, small.yaml]\n");
  const LoadResult r = load_config_file(main);
  EXPECT_THAT(errors(r), ElementsAre(main + ":3:11: error: include: cannot read " + dir.path() +
                                     "/big.yaml: it is 2003 bytes, more than the 1 KiB a config file may have"));
  EXPECT_TRUE(load_config_string(std::string(kSlo) + "include_max_bytes: 4194304\n", "c.yaml").ok());
  EXPECT_THAT(errors(load_config_string(std::string(kSlo) + "include_max_bytes: 1\n", "c.yaml")),
              ElementsAre(HasSubstr("config.include_max_bytes must be a whole number from 1024 to 268435456")));
}

// More SLOs than the main file's 4 MiB holds are split over included files of `slos:` lists,
// read after the main file's, under its alerting defaults and policy, one name space for all.
TEST(Config, IncludedFilesHoldSloListsUnderTheMainFilesDefaults) {
  test::TempDir dir;
  std::filesystem::create_directory(dir.path() + "/slos");
  write(dir, "slos/1.yaml", "slos:\n  - {name: b, service: s, objective: 99.9, sli: {type: ratio}}\n");
  write(dir, "slos/2.yaml",
        "slos:\n  - {name: c, service: s, objective: 99, sli: {type: ratio}}\n"
        "  - {name: d, service: t, objective: 99, sli: {type: ratio}}\n");
  const std::string main = write(dir, "c.yaml",
                                 "alerting: {min_events: 77}\npolicy: {max_override: 2h}\ninclude: [\"slos/*.yaml\"]\n"
                                 "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]\n");
  const LoadResult r = load_config_file(main);
  ASSERT_TRUE(r.ok()) << r.error_text();
  std::vector<std::string> names;
  for (const SloSpec& slo : r.config->slos) {
    names.push_back(slo.name);
    ASSERT_FALSE(slo.alert_rules.empty());
    EXPECT_EQ(slo.alert_rules[0].min_events, 77u) << slo.name << ": the main file's alerting defaults apply";
    EXPECT_EQ(slo.policy.max_override, 2 * kHour) << slo.name << ": the main file's policy applies";
  }
  EXPECT_THAT(names, ElementsAre("a", "b", "c", "d"));

  // A name taken in another file is an error where it is taken again; other settings stay in
  // the main file.
  write(dir, "slos/3.yaml", "slos:\n  - {name: a, service: s, objective: 99.9, sli: {type: ratio}}\n");
  write(dir, "slos/4.yaml", "server: {listen: \"127.0.0.1:1\"}\nslos: []\n");
  EXPECT_THAT(errors(load_config_file(main)),
              ElementsAre(dir.path() + "/slos/3.yaml:2:12: error: SLO name 'a' is used more than once",
                          HasSubstr(dir.path() + "/slos/4.yaml:1:1: error: an included file holds OpenSLO documents "
                                                 "(apiVersion: openslo/v1) or budgetd SLOs (a document whose only key "
                                                 "is slos:); budgetd's other settings belong in the main config")));
}

// The main file is read the same way, under its own fixed limit (it is read before any setting).
TEST(ConfigRegression, AMainConfigThatIsNotARegularFileIsRefusedNotRead) {
  test::TempDir dir;
  ASSERT_EQ(mkfifo((dir.path() + "/fifo.yaml").c_str(), 0600), 0);
  const ChildOutcome fifo = check_bounded(dir.path() + "/fifo.yaml");
  ASSERT_TRUE(fifo.exited()) << fifo.describe();
  EXPECT_EQ(fifo.output, dir.path() +
                             "/fifo.yaml: error: cannot read the config file: it is a FIFO (named pipe); "
                             "config files must be regular files\n");
  const ChildOutcome zero = check_bounded("/dev/zero");
  ASSERT_TRUE(zero.exited()) << zero.describe();
  EXPECT_THAT(zero.output, HasSubstr("/dev/zero: error: cannot read the config file: it is a character device"));
  EXPECT_THAT(errors(load_config_file(dir.path())),
              ElementsAre(dir.path() + ": error: cannot read the config file: it is a directory; config files must "
                                       "be regular files"));
  const std::string big = write(dir, "big.yaml", std::string(kSlo) + "# " + std::string(kMaxConfigFileBytes, 'x'));
  EXPECT_THAT(errors(load_config_file(big)),
              ElementsAre(AllOf(HasSubstr("more than the 4 MiB a config file may have"),
                                HasSubstr("put SLOs into files under include:, each up to include_max_bytes"))));
}

// yaml-cpp 0.7's LoadAll never ends on a document that starts with a token no node can start
// with: it adds an empty document without consuming the token, forever (8 GB and more).
TEST(ConfigRegression, AStrayCommaMadeYamlCppAllocateWithoutEnd) {
  if (!test::address_space_limit_works()) GTEST_SKIP() << "no memory limit under a sanitizer";
  test::TempDir dir;
  const std::string comma = write(dir, "comma.yaml", ",\"total\":10}\n");
  ChildOutcome r = check_bounded(comma);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(r.output, comma +
                          ":1:1: error: YAML syntax: a value cannot start with ',' (a ',' separates the items "
                          "of a [list] or a {mapping})\n");
  // After a document start, a second document, an anchor or a tag: the same stall, at the ','.
  for (const auto& [text, at] : std::vector<std::pair<std::string, std::string>>{{"--- ,\n", "c.yaml:1:5:"},
                                                                                 {"slos: []\n---\n,\n", "c.yaml:3:1:"},
                                                                                 {"&a ,\n", "c.yaml:1:4:"},
                                                                                 {"!!str , x\n", "c.yaml:1:7:"}}) {
    r = run_bounded([&] { return load_config_string(text, "c.yaml").error_text(); }, kChildMemory, kChildTimeout);
    ASSERT_TRUE(r.exited()) << text << ": " << r.describe();
    EXPECT_THAT(r.output, HasSubstr(at + " error: YAML syntax: a value cannot start with ','")) << text;
  }
  // The same in an included file: the error is that file's.
  write(dir, "bad.yaml", ",\n");
  const std::string main = write(dir, "c.yaml", std::string(kSlo) + "include: [bad.yaml]\n");
  r = check_bounded(main);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_THAT(r.output, HasSubstr(dir.path() + "/bad.yaml:1:1: error: YAML syntax: a value cannot start with ','"));
}

TEST(ConfigRegression, DuplicateTokenHashesWithDifferentScopesPassedAndTheFirstSilentlyWon) {
  const LoadResult r = load_config_string(R"(auth:
  tokens:
    - {name: ci, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", scopes: [gate]}
    - {name: ops, sha256: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", scopes: [admin]}
slos: []
)",
                                          "c.yaml");
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(errors(r), ElementsAre(HasSubstr("c.yaml:4:27: error: auth.tokens[1].sha256 is the same as token 'ci''s: "
                                               "one token cannot have two entries")));
}

TEST(Config, DiagnosticsAreLabelledErrorOrWarningAfterTheirPosition) {
  EXPECT_EQ((Diagnostic{Diagnostic::Severity::kError, "b.yaml", 12, 5, "m"}).to_string(), "b.yaml:12:5: error: m");
  EXPECT_EQ((Diagnostic{Diagnostic::Severity::kWarning, "b.yaml", 1, 2, "m"}).to_string(), "b.yaml:1:2: warning: m");
  EXPECT_EQ((Diagnostic{Diagnostic::Severity::kError, "b.yaml", 0, 0, "m"}).to_string(), "b.yaml: error: m");
}

TEST(ConfigRegression, AnInvalidOnlySloGotANoSlosWarningAboveItsRealError) {
  const LoadResult r =
      load_config_string("slos:\n  - {name: a, service: s, objective: 100, sli: {type: ratio}}\n", "c.yaml");
  EXPECT_THAT(errors(r), ElementsAre(HasSubstr("objective '100' must be above 0 and below 100")));
  EXPECT_THAT(warnings(r), ElementsAre());
  // With none written, the warning is still given.
  for (const char* none : {"slos: []\n", "server: {threads: 2}\n"}) {
    EXPECT_THAT(warnings(load_config_string(none, "c.yaml")), ElementsAre(HasSubstr("no SLOs are configured"))) << none;
  }
}

TEST(Config, DefaultRulesOnABudgetWindowShorterThanTheirLongWindowsAreWarnedAbout) {
  const LoadResult r = load_config_string(
      "slos:\n  - {name: a, service: s, objective: 99.9, windows: [\"2h\"], sli: {type: ratio}}\n", "c.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_THAT(warnings(r),
              ElementsAre("c.yaml:2:5: warning: SLO 'a': its primary budget window 2h is shorter than the long windows "
                          "of the default alert rules page-6h (6h), ticket-1d (1d), ticket-3d (3d): scaled to it, the "
                          "default factors are 0.04, 0.0167, 0.00833, 0.00278, far below the burn rate of 1 the budget "
                          "affords, so they would alert on a healthy SLO; give this SLO its own alerting.rules with "
                          "long windows of at most 2h and factors of 1 or more, or a budget window of at least 3d"));
  // A calendar day counts as its nominal length; 3d and longer windows, and own rules, are fine.
  EXPECT_THAT(
      warnings(load_config_string("slos:\n  - {name: a, service: s, objective: 99.9, windows: [{calendar: day}], "
                                  "sli: {type: ratio}}\n",
                                  "c.yaml")),
      ElementsAre(HasSubstr("primary budget window day:UTC is shorter than the long windows of the default "
                            "alert rules ticket-3d (3d)")));
  for (const char* fine : {"[\"3d\"]", "[\"7d\"]", "[\"28d\"]"}) {
    EXPECT_THAT(warnings(load_config_string(std::string("slos:\n  - {name: a, service: s, objective: 99.9, windows: ") +
                                                fine + ", sli: {type: ratio}}\n",
                                            "c.yaml")),
                ElementsAre())
        << fine;
  }
  EXPECT_THAT(warnings(load_config_string("slos:\n  - {name: a, service: s, objective: 99.9, windows: [\"2h\"], sli: "
                                          "{type: ratio}, alerting: {rules: [{name: p, severity: page, long: 1h, "
                                          "short: 5m, factor: 2}]}}\n",
                                          "c.yaml")),
              Not(Contains(HasSubstr("default alert rules"))));
}

}  // namespace
}  // namespace budgetd::config
