#include "budgetd/config/diagnostic.h"

#include <fmt/format.h>

namespace budgetd::config {

std::string Diagnostic::to_string() const {
  // file:line:column: error|warning: message, as compilers print them (editors jump to each).
  const std::string text = (severity == Severity::kError ? "error: " : "warning: ") + message;
  if (line <= 0) return fmt::format("{}: {}", file, text);
  return fmt::format("{}:{}:{}: {}", file, line, column, text);
}

}  // namespace budgetd::config
