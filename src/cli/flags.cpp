#include "cli/flags.h"

#include <algorithm>

#include <fmt/format.h>

namespace budgetd::cli {
namespace {

// Edits (insert, delete, substitute, swap two neighbours) from a to b: how a typo is told from a
// different word.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

Status unknown_flag(const Command& command, std::string_view name) {
  const Flag* closest = nullptr;
  size_t best = 3;  // at most two edits away counts as a typo
  for (const Flag& f : command.flags) {
    const size_t d = edit_distance(name, f.name);
    if (d < best) best = d, closest = &f;
  }
  if (closest != nullptr)
    return InvalidArgument(fmt::format("unknown flag '{}' (did you mean {}?)", name, closest->name));
  if (command.flags.empty())
    return InvalidArgument(fmt::format("unknown flag '{}': budgetd {} takes no flags", name, command.name));
  return InvalidArgument(fmt::format("unknown flag '{}'", name));
}

const Flag* find_flag(const Command& command, std::string_view name) {
  const auto it =
      std::find_if(command.flags.begin(), command.flags.end(), [&](const Flag& f) { return f.name == name; });
  return it == command.flags.end() ? nullptr : &*it;
}

std::string flag_text(const Flag& f) {
  return f.value.empty() ? std::string(f.name) : fmt::format("{} {}", f.name, f.value);
}

bool is_help(std::string_view a) { return a == "--help" || a == "-h"; }

}  // namespace

std::optional<std::string> ParsedFlags::value(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<ParsedFlags> parse_flags(const Command& command, const Args& args) {
  ParsedFlags out;
  std::optional<Status> error;  // the first problem; --help later in the line still wins
  const auto fail = [&](Status s) {
    if (!error) error = std::move(s);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (is_help(a)) {
      out.help_ = true;
      return out;
    }
    // "-" alone is an operand (stdin, by convention); so is everything after "--".
    if (a.size() < 2 || a[0] != '-') {
      out.operands_.push_back(a);
      continue;
    }
    if (a == "--") {
      out.operands_.insert(out.operands_.end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      break;
    }
    const size_t eq = a.find('=');
    const std::string_view name = std::string_view(a).substr(0, eq);
    const Flag* f = find_flag(command, name);
    if (f == nullptr) {
      fail(unknown_flag(command, name));
      continue;
    }
    std::string value;
    if (f->value.empty()) {
      if (eq != std::string::npos) fail(InvalidArgument(fmt::format("{} takes no value", f->name)));
    } else if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else if (i + 1 < args.size() && !(args[i + 1].size() > 1 && args[i + 1].starts_with("--"))) {
      value = args[++i];
    } else {
      fail(InvalidArgument(fmt::format("{} needs a value ({})", f->name, flag_text(*f))));
      continue;
    }
    if (!out.values_.emplace(std::string(f->name), std::move(value)).second) {
      fail(InvalidArgument(fmt::format("{} is given more than once", f->name)));
    }
  }
  if (error) return *error;
  if (out.operands_.size() > command.operand_count) {
    return InvalidArgument(fmt::format("unexpected argument '{}'", out.operands_[command.operand_count]));
  }
  if (out.operands_.size() < command.operand_count) {
    return InvalidArgument(fmt::format("missing {}", command.operands));
  }
  for (const Flag& f : command.flags) {
    if (f.required && !out.has(f.name)) return InvalidArgument(fmt::format("{} is required", flag_text(f)));
  }
  return out;
}

std::string synopsis(const Command& command, size_t column) {
  // Wrapped at 100 columns, continuation lines under the first flag.
  constexpr size_t kWidth = 100;
  std::string out = fmt::format("budgetd {}", command.name);
  if (!command.operands.empty()) out += fmt::format(" {}", command.operands);
  const size_t indent = column + out.size() + 1;
  size_t line = column + out.size();
  for (const Flag& f : command.flags) {
    const std::string word = f.required ? flag_text(f) : "[" + flag_text(f) + "]";
    if (line + 1 + word.size() > kWidth) {
      out += "\n" + std::string(indent - 1, ' ');
      line = indent - 1;
    }
    out += " " + word;
    line += 1 + word.size();
  }
  return out;
}

std::string usage(const Command& command) {
  std::string out = fmt::format("usage: {}\n\n{}\n", synopsis(command, 7), command.summary);
  if (!command.flags.empty()) {
    size_t width = 0;
    for (const Flag& f : command.flags) width = std::max(width, flag_text(f).size());
    out += "\nflags:\n";
    for (const Flag& f : command.flags) out += fmt::format("  {:<{}}  {}\n", flag_text(f), width, f.help);
  }
  if (!command.details.empty()) out += fmt::format("\n{}", command.details);
  return out;
}

}  // namespace budgetd::cli
