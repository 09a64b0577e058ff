#include "cli/commands.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "budgetd/config/loader.h"
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "cli/args.h"

namespace budgetd::cli {
int check(const Args& args) {
  const auto config = load_config(args);
  if (!config) return 1;
  size_t rules = 0;
  for (const auto& s : config->slos) rules += s.alert_rules.size();
  std::cout << config->source << ": OK (" << config->slos.size() << " SLOs, " << rules << " alert rules)\n";
  return 0;
}

int export_config(const Args& args) {
  if (args.empty() || args[0] != "openslo") {
    std::cerr << "budgetd export: say what to export: budgetd export openslo [--config FILE]\n";
    return 2;
  }
  const auto config = load_config(args);
  if (!config) return 1;
  std::vector<std::string> notes;
  std::cout << config::export_openslo(*config, notes);
  for (const auto& n : notes) std::cerr << "budgetd export: note: " << n << "\n";
  return 0;
}

int serve(const Args& args) {
  auto config = load_config(args);
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
