#pragma once
// One problem found in a config, with the place it is at, so that `budgetd check` can list every
// problem of a run the way compilers do and editors can jump to each:
//
//   Diagnostic d{Diagnostic::Severity::kError, "budgetd.yaml", 12, 5, "objective '100' must be ..."};
//   d.to_string();   // "budgetd.yaml:12:5: error: objective '100' must be ..."
//
// The loader (loader.h) returns them; the readers of the config module produce them.

#include <string>

namespace budgetd::config {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string file;
  int line = 0;    // 1-based; 0 when the problem is not at one place
  int column = 0;  // 1-based
  std::string message;

  // "config/budgetd.yaml:12:5: error: objective '100' must be above 0 and below 100" (or "warning: ");
  // "file: error: ..." when the problem is not at one place.
  std::string to_string() const;
};

}  // namespace budgetd::config
