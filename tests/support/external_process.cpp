#include "external_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http_client.h"

namespace budgetd::test {

CommandResult run_command(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return {-1, ""};
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

ExternalProcess::ExternalProcess(const std::string& binary, const std::vector<std::string>& args,
                                 const std::string& log_path)
    : log_path_(log_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    if (freopen(log_path.c_str(), "w", stderr) == nullptr) _exit(126);
    if (freopen(log_path.c_str(), "a", stdout) == nullptr) _exit(126);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

ExternalProcess::~ExternalProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

bool ExternalProcess::wait_http_ok(uint16_t port, const std::string& path, int seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (http_get(port, path).status == 200) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) return false;  // it exited
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string ExternalProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace budgetd::test
