#pragma once
// Captures what the process writes to stderr (budgetd's JSON log lines) while it lives, for
// tests that check log lines.
//
//   StderrCapture capture;
//   ...                                   // the daemon logs
//   for (const std::string& line : capture.lines()) ...
//
// Thread safety: construct and destroy on one thread; the daemon's threads may log meanwhile.

#include <string>
#include <vector>

namespace budgetd::test {

class StderrCapture {
 public:
  StderrCapture();   // stderr goes to a temp file from here on
  ~StderrCapture();  // and back to where it went before
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // Everything written so far.
  std::string text() const;
  // The non-empty lines written so far.
  std::vector<std::string> lines() const;
  // The lines that contain `needle`.
  std::vector<std::string> lines_with(const std::string& needle) const;

 private:
  std::string path_;
  int saved_fd_ = -1;
};

}  // namespace budgetd::test
