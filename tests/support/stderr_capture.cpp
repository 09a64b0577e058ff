#include "stderr_capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace budgetd::test {

StderrCapture::StderrCapture() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "budgetd-stderr-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) std::abort();
  path_ = tmpl;
  std::fflush(stderr);
  saved_fd_ = ::dup(STDERR_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
}

StderrCapture::~StderrCapture() {
  std::fflush(stderr);
  ::dup2(saved_fd_, STDERR_FILENO);
  ::close(saved_fd_);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

std::string StderrCapture::text() const {
  std::fflush(stderr);
  std::ifstream in(path_, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> StderrCapture::lines() const {
  std::vector<std::string> out;
  std::istringstream in(text());
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> StderrCapture::lines_with(const std::string& needle) const {
  std::vector<std::string> out;
  for (std::string& line : lines()) {
    if (line.find(needle) != std::string::npos) out.push_back(std::move(line));
  }
  return out;
}

}  // namespace budgetd::test
