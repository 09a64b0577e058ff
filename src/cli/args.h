#pragma once
// Command-line flags and config loading shared by the subcommands.

#include <optional>
#include <string>
#include <string_view>

#include "budgetd/config/config.h"
#include "cli/commands.h"

namespace budgetd::cli {

// The value of --name (given as "--name value" or "--name=value"), or nullopt. A --name without
// a value sets *error when error is given.
std::optional<std::string> flag(const Args& args, std::string_view name, std::string* error = nullptr);

bool has_flag(const Args& args, std::string_view name);

// Loads the config named by --config (default config/budgetd.yaml), printing every diagnostic
// to stderr; nullopt if it has errors.
std::optional<config::Config> load_config(const Args& args);

}  // namespace budgetd::cli
