#include "budgetd/config/diagnostic.h"

#include <fmt/format.h>

namespace budgetd::config {

std::string Diagnostic::to_string() const {
  // Errors as file:line:column: message (the format, and what editors jump to);
  // warnings say so.
  const std::string text = severity == Severity::kError ? message : "warning: " + message;
  if (line <= 0) return fmt::format("{}: {}", file, text);
  return fmt::format("{}:{}:{}: {}", file, line, column, text);
}

}  // namespace budgetd::config
