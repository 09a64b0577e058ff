#include "cli/args.h"

#include <iostream>

#include "budgetd/config/loader.h"

namespace budgetd::cli {

std::optional<std::string> flag(const Args& args, std::string_view name, std::string* error) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      if (i + 1 < args.size()) return args[i + 1];
      if (error != nullptr) *error = std::string(name) + " needs a value";
      return std::nullopt;
    }
    if (args[i].size() > name.size() && args[i].compare(0, name.size(), name) == 0 && args[i][name.size()] == '=') {
      return args[i].substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

bool has_flag(const Args& args, std::string_view name) {
  for (const auto& a : args) {
    if (a == name) return true;
  }
  return false;
}

std::optional<config::Config> load_config(const Args& args) {
  std::string error;
  const auto path = flag(args, "--config", &error);
  if (!error.empty()) {
    std::cerr << "budgetd: " << error << "\n";
    return std::nullopt;
  }
  const config::LoadResult r = config::load_config_file(path.value_or("config/budgetd.yaml"));
  for (const auto& d : r.diagnostics) std::cerr << d.to_string() << "\n";
  if (!r.ok()) return std::nullopt;
  return *r.config;
}

}  // namespace budgetd::cli
