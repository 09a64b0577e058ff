// budgetd: one binary, subcommands. main() only picks the subcommand.

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"

namespace {

constexpr const char* kUsage = R"(budgetd: SLO and error-budget evaluation daemon

usage:
  budgetd serve --config FILE     run the daemon (the default subcommand)
  budgetd check --config FILE     validate a config; every problem as file:line:column; exit 1 on error
  budgetd gate --url U --service S --change C [--slo N] [--fail-open] [--json] [--timeout 10s] [--token T]
                                  ask whether the error budget permits a deploy: exit 0 allowed, 1 denied,
                                  2 could not ask (--fail-open: 0), 3 the question was refused
  budgetd backtest --config FILE --events FILE.ndjson [--from T] [--to T] [--step 1m] [--reorder 1m] [--json]
                                  replay a history of events: the alerts that would have fired, pages and
                                  tickets per week, the budget, tier and gate answer over time
  budgetd export openslo [--config FILE]
                                  print the config's SLOs as OpenSLO v1 documents
  budgetd version
)";

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
  std::string command = "serve";
  int first = 1;
  if (argc > 1 && argv[1][0] != '-') {
    command = argv[1];
    first = 2;
  }
  budgetd::cli::Args args(argv + first, argv + argc);
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (command == "serve") return budgetd::cli::serve(args);
  if (command == "check") return budgetd::cli::check(args);
  if (command == "gate") return budgetd::cli::gate(args);
  if (command == "backtest") return budgetd::cli::backtest(args);
  if (command == "export") return budgetd::cli::export_config(args);
  if (command == "version" || command == "--version") {
    std::printf("budgetd %s\n", BUDGETD_VERSION);
    return 0;
  }
  std::fprintf(stderr, "budgetd: unknown subcommand '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
