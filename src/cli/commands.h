#pragma once
// The subcommands of the budgetd binary (DESIGN.md §5): each one's command-line table
// (flags.h) and what runs it, returning the process exit code. main() picks one by name.

#include <optional>
#include <string_view>

#include "budgetd/config/config.h"
#include "cli/flags.h"

namespace budgetd::cli {

// Exit code of every subcommand for a command line it cannot take (after printing its usage).
inline constexpr int kBadUsage = 2;

int serve(const ParsedFlags& flags);
int check(const ParsedFlags& flags);
int gate(const ParsedFlags& flags);
int deploy(const ParsedFlags& flags);
int postmortem(const ParsedFlags& flags);
int backtest(const ParsedFlags& flags);
int export_config(const ParsedFlags& flags);

extern const Command kServeCommand;
extern const Command kCheckCommand;
extern const Command kGateCommand;
extern const Command kDeployCommand;
extern const Command kPostmortemCommand;
extern const Command kBacktestCommand;
extern const Command kExportCommand;

// Loads the config named by --config (default config/budgetd.yaml), printing every diagnostic
// to stderr; nullopt if it has errors.
std::optional<config::Config> load_config(const ParsedFlags& flags);

// "budgetd NAME: MESSAGE" and the command's usage on stderr; returns kBadUsage.
int usage_error(const Command& command, std::string_view message);

}  // namespace budgetd::cli
