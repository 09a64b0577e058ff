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
#include "cli/args.h"
#include "cli/commands.h"

namespace budgetd::cli {
namespace {

constexpr int kBadUsage = 2;

int usage_error(const std::string& message) {
  std::cerr << "budgetd backtest: " << message
            << "\nusage: budgetd backtest --config F --events FILE.ndjson [--from T] [--to T] [--step 1m] "
               "[--reorder 1m] [--json]\n";
  return kBadUsage;
}

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

int backtest(const Args& args) {
  std::string error;
  backtest::BacktestOptions options;
  for (const auto& [name, into] : {std::pair{"--from", &options.from}, std::pair{"--to", &options.to}}) {
    if (const auto v = flag(args, name, &error)) {
      auto t = parse_timestamp(*v);
      if (!t.ok()) return usage_error(std::string(name) + ": " + t.status().message());
      *into = *t;
    }
  }
  for (const auto& [name, into] : {std::pair{"--step", &options.step}, std::pair{"--reorder", &options.reorder}}) {
    if (const auto v = flag(args, name, &error)) {
      auto d = parse_duration(*v);
      if (!d.ok()) return usage_error(std::string(name) + ": " + d.status().message());
      *into = *d;
    }
  }
  const auto events_path = flag(args, "--events", &error);
  if (!error.empty()) return usage_error(error);
  if (!events_path) return usage_error("--events is required (an NDJSON file of events, or - for stdin)");

  const auto config = load_config(args);
  if (!config) return 1;

  std::ifstream file;
  std::istream* in = &std::cin;
  uint64_t file_bytes = 0;
  if (*events_path != "-") {
    file.open(*events_path, std::ios::binary);
    if (!file) return usage_error("cannot open " + *events_path + ": " + std::strerror(errno));
    file.seekg(0, std::ios::end);
    file_bytes = static_cast<uint64_t>(std::max<std::streamoff>(0, file.tellg()));
    file.seekg(0);
    in = &file;
  }
  ProgressPrinter printer(file_bytes);
  const auto report = backtest::run_backtest(*config, *in, options, std::ref(printer));
  if (!report.ok()) return usage_error(report.status().message());
  std::cout << (has_flag(args, "--json") ? backtest::report_json(*report) : backtest::report_text(*report));
  std::cout.flush();
  if (!report->read_error.empty()) {
    std::cerr << "budgetd backtest: " << report->read_error << "\n";
    return kBadUsage;
  }
  return 0;
}

}  // namespace budgetd::cli
