#pragma once
// The subcommands of the budgetd binary (DESIGN.md §5). Each returns the process exit code.

#include <string>
#include <vector>

namespace budgetd::cli {

using Args = std::vector<std::string>;

int serve(const Args& args);
int check(const Args& args);
int gate(const Args& args);
int backtest(const Args& args);
int export_config(const Args& args);

}  // namespace budgetd::cli
