// budgetd backtest: replays a history of events through the SLOs of a config (backtest.h).
//
//   budgetd backtest --config F --events FILE.ndjson [--from T] [--to T] [--step 1m] [--reorder 1m] [--json]
//
// Exit codes: 0 the report was printed, 1 the config has errors, 2 bad flags or an unreadable file.
// Progress goes to stderr every 2 s once a run takes longer than that.

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "budgetd/backtest/backtest.h"
#include "cli/commands.h"

namespace budgetd::cli {
namespace {

constexpr Flag kBacktestFlags[] = {
    {"--config", "FILE", "the config whose SLOs to replay (default config/budgetd.yaml)"},
    {"--events", "FILE", "NDJSON events as POST /v1/events takes them, each with its ts; - for stdin", true},
    {"--from", "T", "report from this time on (default: the first event); earlier events fill the windows"},
    {"--to", "T", "stop here (default: the step after the last event)"},
    {"--step", "D", "evaluate every D, a multiple of 10s (default 1m)"},
    {"--reorder", "D", "replay events up to D out of time order in order (default 1m)"},
    {"--json", "", "the report as JSON"},
};

int usage_error(const std::string& message) { return cli::usage_error(kBacktestCommand, message); }

// Reports progress on stderr every 2 s of wall time.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(uint64_t file_bytes) : file_bytes_(file_bytes) {}

  void operator()(const backtest::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_) return;
    next_ = now + std::chrono::seconds(2);
    std::string line = fmt::format("budgetd backtest: line {}", p.lines);
    if (file_bytes_ > 0) {
      line += fmt::format(" ({:.1f} % of the file)",
                          100.0 * static_cast<double>(p.bytes_read) / static_cast<double>(file_bytes_));
    }
    if (p.simulated) line += ", simulated time " + format_rfc3339(*p.simulated);
    std::cerr << line << "\n";
  }

 private:
  uint64_t file_bytes_;
  std::chrono::steady_clock::time_point next_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
};

}  // namespace

const Command kBacktestCommand{
    "backtest",
    "Replay a history of events through the SLOs of a config: the alerts that would have fired, pages and tickets\n"
    "per week, the budget, tier and gate answer over time.",
    kBacktestFlags,
    {},
    0,
    "exit codes: 0 the report was printed, 1 the config has errors, 2 bad flags or an "
    "unreadable file\n"};

int backtest(const ParsedFlags& flags) {
  backtest::BacktestOptions options;
  for (const auto& [name, into] : {std::pair{"--from", &options.from}, std::pair{"--to", &options.to}}) {
    if (const auto v = flags.value(name)) {
      auto t = parse_timestamp(*v);
      if (!t.ok()) return usage_error(std::string(name) + ": " + t.status().message());
      *into = *t;
    }
  }
  for (const auto& [name, into] : {std::pair{"--step", &options.step}, std::pair{"--reorder", &options.reorder}}) {
    if (const auto v = flags.value(name)) {
      auto d = parse_duration(*v);
      if (!d.ok()) return usage_error(std::string(name) + ": " + d.status().message());
      *into = *d;
    }
  }
  const std::string events_path = *flags.value("--events");
  const auto config = load_config(flags);
  if (!config) return 1;

  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t file_bytes = 0;
  if (events_path != "-") {
    file.open(events_path, std::ios::binary);
    if (!file) return usage_error("cannot open " + events_path + ": " + std::strerror(errno));
    file.seekg(0, std::ios::end);
    file_bytes = static_cast<uint64_t>(std::max<std::streamoff>(0, file.tellg()));
    file.seekg(0);
    in = &file;
  }
  ProgressPrinter printer(file_bytes);
  const auto report = backtest::run_backtest(*config, *in, options, std::ref(printer));
  if (!report.ok()) return usage_error(report.status().message());
  std::cout << (flags.has("--json") ? backtest::report_json(*report) : backtest::report_text(*report));
  std::cout.flush();
  if (!report->read_error.empty()) {
    std::cerr << "budgetd backtest: " << report->read_error << "\n";
    return kBadUsage;
  }
  return 0;
}

}  // namespace budgetd::cli
