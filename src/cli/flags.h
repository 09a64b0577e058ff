#pragma once
// The command line of each subcommand, as one table: its flags, its operands, and the usage text
// made from them. Every subcommand parses its arguments through the same parse_flags, so an
// unknown flag, a stray argument or a missing value is refused the same way everywhere (exit 2,
// with that subcommand's usage) and never silently ignored:
//
//   constexpr Flag kCheckFlags[] = {{"--config", "FILE", "the config to validate (default ...)"}};
//   constexpr Command kCheck{"check", "validate a config", kCheckFlags};
//   Result<ParsedFlags> f = parse_flags(kCheck, {"--confg", "x.yaml"});
//   // !f.ok(): "unknown flag '--confg' (did you mean --config?)"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"

namespace budgetd::cli {

using Args = std::vector<std::string>;

// One flag: "--name VALUE" (also "--name=VALUE"), or a switch "--name" when `value` is empty.
struct Flag {
  std::string_view name;   // "--config"
  std::string_view value;  // what it takes, as the usage shows it: "FILE"; empty for a switch
  std::string_view help;   // one line
  bool required = false;
};

struct Command {
  std::string_view name;           // "check"
  std::string_view summary;        // what it does, in one line
  std::span<const Flag> flags;     //
  std::string_view operands = {};  // the operands as the usage shows them ("openslo"); none if empty
  size_t operand_count = 0;        // exactly this many
  std::string_view details = {};   // printed after the flags: exit codes, environment
};

// What parse_flags found: each flag given (a switch with an empty value) and the operands.
class ParsedFlags {
 public:
  std::optional<std::string> value(std::string_view name) const;
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }
  const std::vector<std::string>& operands() const { return operands_; }
  // --help or -h was given: print the usage, do nothing else.
  bool help() const { return help_; }

 private:
  friend Result<ParsedFlags> parse_flags(const Command& command, const Args& args);
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> operands_;
  bool help_ = false;
};

// The flags of `args` by the command's table, or an InvalidArgument naming what is wrong: an
// unknown flag (with the known one it is closest to), a flag without its value or given twice,
// a stray or missing operand, a required flag left out. --help anywhere wins over all of these.
Result<ParsedFlags> parse_flags(const Command& command, const Args& args);

// "usage: budgetd gate --url URL ... [--json]", then one line per flag, then the details.
std::string usage(const Command& command);
// "budgetd gate --url URL --service S ...": the command with its flags, wrapped to 100 columns
// for text that starts at `column`.
std::string synopsis(const Command& command, size_t column);

}  // namespace budgetd::cli
