#pragma once
// A real third-party server (Alertmanager, Prometheus) started by a test on a loopback port:
// fork + exec with its stderr to a log file, SIGTERM and reaped on destruction.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace budgetd::test {

// Runs a shell command line to its end: its exit code (-1 if it did not exit) and its stdout
// (add 2>&1 to the command for stderr too).
struct CommandResult {
  int exit_code;
  std::string out;
};
CommandResult run_command(const std::string& command);

// A port that was free a moment ago on 127.0.0.1 (for servers that cannot be told to pick one).
uint16_t free_port();

class ExternalProcess {
 public:
  ExternalProcess(const std::string& binary, const std::vector<std::string>& args, const std::string& log_path);
  ~ExternalProcess();
  ExternalProcess(const ExternalProcess&) = delete;
  ExternalProcess& operator=(const ExternalProcess&) = delete;

  // Polls GET `path` on 127.0.0.1:port until it answers 200, for up to `seconds`.
  bool wait_http_ok(uint16_t port, const std::string& path, int seconds) const;
  // The process's log so far, for failure messages.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

}  // namespace budgetd::test
