#include "cli/commands.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "budgetd/config/loader.h"
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "budgetd/notify/alertmanager_config.h"

namespace budgetd::cli {
namespace {

constexpr Flag kConfigFlag{"--config", "FILE", "the config file (default config/budgetd.yaml)"};
constexpr Flag kConfigFlags[] = {kConfigFlag};

}  // namespace

const Command kServeCommand{
    "serve", "Run the daemon (the default subcommand). SIGHUP or POST /-/reload re-reads the config.", kConfigFlags};
const Command kCheckCommand{
    "check", "Validate a config without starting anything: every problem as file:line:column.", kConfigFlags, {},
    0,       "exit codes: 0 valid (warnings may be printed), 1 errors, 2 bad flags\n"};
constexpr Flag kExportFlags[] = {
    kConfigFlag,
    {"--receiver-url", "URL", "alertmanager: the webhook the receiver sends to (default: a receiver to fill in)"},
    {"--group-wait", "D", "alertmanager: how long a new group waits for more alerts (default 30s)"},
};
const Command kExportCommand{"export",
                             "Print the config's SLOs as OpenSLO v1 documents (what OpenSLO cannot hold: notes on "
                             "stderr), or the Alertmanager route and inhibit rules for budgetd's alerts.",
                             kExportFlags, "openslo|alertmanager", 1};

std::optional<config::Config> load_config(const ParsedFlags& flags) {
  const config::LoadResult r = config::load_config_file(flags.value("--config").value_or("config/budgetd.yaml"));
  for (const auto& d : r.diagnostics) std::cerr << d.to_string() << "\n";
  if (!r.ok()) return std::nullopt;
  return *r.config;
}

int usage_error(const Command& command, std::string_view message) {
  std::cerr << "budgetd " << command.name << ": " << message << "\n\n" << usage(command);
  return kBadUsage;
}

int check(const ParsedFlags& flags) {
  const auto config = load_config(flags);
  if (!config) return 1;
  size_t rules = 0;
  for (const auto& s : config->slos) rules += s.alert_rules.size();
  std::cout << config->source << ": OK (" << config->slos.size() << " SLOs, " << rules << " alert rules)\n";
  return 0;
}

namespace {

// budgetd export alertmanager: needs no config (the labels and severities are budgetd's own).
int export_alertmanager(const ParsedFlags& flags) {
  notify::AlertmanagerExport e;
  e.receiver_url = flags.value("--receiver-url").value_or("");
  if (const auto wait = flags.value("--group-wait")) {
    const Result<Millis> d = parse_duration(*wait);
    if (!d.ok() || *d < Millis{0}) return usage_error(kExportCommand, "--group-wait must be a duration such as 30s");
    e.group_wait = *d;
  }
  std::cout << notify::alertmanager_config(e);
  return 0;
}

}  // namespace

int export_config(const ParsedFlags& flags) {
  const std::string& what = flags.operands()[0];
  if (what == "alertmanager") return export_alertmanager(flags);
  if (what != "openslo") {
    return usage_error(kExportCommand, "say what to export: openslo or alertmanager, not '" + what + "'");
  }
  if (flags.has("--receiver-url") || flags.has("--group-wait"))
    return usage_error(kExportCommand, "--receiver-url and --group-wait are for export alertmanager");
  const auto config = load_config(flags);
  if (!config) return 1;
  std::vector<std::string> notes;
  std::cout << config::export_openslo(*config, notes);
  for (const auto& n : notes) std::cerr << "budgetd export: note: " << n << "\n";
  return 0;
}

int serve(const ParsedFlags& flags) {
  auto config = load_config(flags);
  if (!config) return 1;
  log::Level level = log::Level::info;
  log::parse_level(config->log.level, level);
  log::init(level);

  std::error_code ec;
  std::filesystem::create_directories(config->storage.dir, ec);
  if (ec) {
    log::error("budgetd: cannot create storage.dir").field("dir", config->storage.dir).field("error", ec.message());
    return 1;
  }

  // Block the signals we handle before any thread starts, so every thread inherits the mask and
  // they are delivered only to sigwait() below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  SystemClock clock;
  Daemon daemon(std::move(*config), clock);
  if (Status s = daemon.start(); !s.ok()) {
    log::error("budgetd: cannot start").field("error", s.message());
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log::info("budgetd: SIGHUP received, reloading the config");
      (void)daemon.reload();  // logs what changed, or why the new config was refused
      continue;
    }
    log::info("budgetd: draining").field("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon.stop();
    return 0;
  }
}

}  // namespace budgetd::cli
