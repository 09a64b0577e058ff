#pragma once
// A real budgetd process (`budgetd serve`) for the tests that SIGKILL a replica: its config file
// and log in the test's dir; killed with the test process too (PR_SET_PDEATHSIG).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

namespace budgetd::test {

class BudgetdProcess {
 public:
  BudgetdProcess(std::string config, std::string log) : config_(std::move(config)), log_(std::move(log)) {}
  ~BudgetdProcess() { kill_now(); }

  // Starts budgetd and waits for its port (0 if it did not come up within 15 s).
  uint16_t start() {
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(125);
      if (freopen(log_.c_str(), "a", stderr) == nullptr) _exit(126);
      execl(BUDGETD_BINARY, BUDGETD_BINARY, "serve", "--config", config_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex listening(R"re("msg":"http: listening".*"port":(\d+))re");
    for (int i = 0; i < 1500; ++i) {
      std::ifstream in(log_);
      std::string line, last_port;
      int lines = 0;
      std::smatch m;
      while (std::getline(in, line)) {
        if (std::regex_search(line, m, listening)) last_port = m[1], ++lines;
      }
      // The log is kept across restarts: this start's line is the one after those seen before.
      if (lines > starts_) {
        starts_ = lines;
        return port_ = static_cast<uint16_t>(std::stoi(last_port));
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  uint16_t port() const { return port_; }
  std::string log_text() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  std::string config_;
  std::string log_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int starts_ = 0;  // "listening" lines seen in the log so far
};

}  // namespace budgetd::test
