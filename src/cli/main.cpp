// budgetd: one binary, subcommands. main() only picks the subcommand and parses its command
// line by the subcommand's table (flags.h).

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.h"

namespace {

using budgetd::cli::Command;
using budgetd::cli::ParsedFlags;

int version(const ParsedFlags&) {
  std::printf("budgetd %s\n", BUDGETD_VERSION);
  return 0;
}

const Command kVersionCommand{"version", "Print budgetd's version.", {}};

struct Subcommand {
  const Command* command;
  int (*run)(const ParsedFlags& flags);
};

// In the order the usage lists them; the first is the default.
const Subcommand kSubcommands[] = {
    {&budgetd::cli::kServeCommand, budgetd::cli::serve},
    {&budgetd::cli::kCheckCommand, budgetd::cli::check},
    {&budgetd::cli::kGateCommand, budgetd::cli::gate},
    {&budgetd::cli::kDeployCommand, budgetd::cli::deploy},
    {&budgetd::cli::kPostmortemCommand, budgetd::cli::postmortem},
    {&budgetd::cli::kBacktestCommand, budgetd::cli::backtest},
    {&budgetd::cli::kExportCommand, budgetd::cli::export_config},
    {&kVersionCommand, version},
};

std::string global_usage() {
  std::string out = "budgetd: SLO and error-budget evaluation daemon\n\nusage:\n";
  for (const Subcommand& s : kSubcommands) out += "  " + budgetd::cli::synopsis(*s.command, 2) + "\n";
  out += "\n'budgetd SUBCOMMAND --help' describes each one and its flags.\n";
  return out;
}

bool cpu_supported() {
#if defined(BUDGETD_REQUIRES_AVX2)
  // Built for x86-64-v3: say so plainly instead of dying on an illegal instruction.
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi2")) {
    std::fputs("budgetd: this build needs an x86-64-v3 CPU (AVX2, BMI2); rebuild with -DBUDGETD_X86_64_V3=OFF\n",
               stderr);
    return false;
  }
#endif
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!cpu_supported()) return 2;
  const budgetd::cli::Args all(argv + 1, argv + argc);
  if (!all.empty() && (all[0] == "--help" || all[0] == "-h" || all[0] == "help")) {
    std::fputs(global_usage().c_str(), stdout);
    return 0;
  }
  if (!all.empty() && all[0] == "--version") return version(ParsedFlags());
  // No subcommand, or flags first: serve.
  const Subcommand* chosen = &kSubcommands[0];
  auto first = all.begin();
  if (!all.empty() && all[0][0] != '-') {
    chosen = nullptr;
    for (const Subcommand& s : kSubcommands) {
      if (s.command->name == all[0]) chosen = &s;
    }
    if (chosen == nullptr) {
      std::fprintf(stderr, "budgetd: unknown subcommand '%s'\n\n%s", all[0].c_str(), global_usage().c_str());
      return budgetd::cli::kBadUsage;
    }
    ++first;
  }
  const auto flags = budgetd::cli::parse_flags(*chosen->command, budgetd::cli::Args(first, all.end()));
  if (!flags.ok()) return budgetd::cli::usage_error(*chosen->command, flags.status().message());
  if (flags->help()) {
    std::fputs(budgetd::cli::usage(*chosen->command).c_str(), stdout);
    return 0;
  }
  return chosen->run(*flags);
}
