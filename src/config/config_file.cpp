#include "config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace budgetd::config {
namespace {

// What a path that is not a regular file is, in the words `ls -l` and an operator use.
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status not_a_file(mode_t mode) {
  return InvalidArgument(fmt::format("it is {}; config files must be regular files", kind_of(mode)));
}

Status too_large(uint64_t size, uint64_t max_bytes) {
  return OutOfRange(
      fmt::format("it is {}, more than the {} a config file may have", format_bytes(size), format_bytes(max_bytes)));
}

// A file whose size said it fits but that held more when read (it grew, or it is a /proc file).
Status grew_too_large(uint64_t max_bytes) {
  return OutOfRange(fmt::format("it holds more than the {} a config file may have", format_bytes(max_bytes)));
}

// Closes the descriptor on every way out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string format_bytes(uint64_t bytes) {
  // Exact, so that a size just over a limit never reads the same as the limit.
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

Result<std::string> read_config_file(const std::string& path, uint64_t max_bytes) {
  // stat() first, so that a device is never opened (opening one can have effects of its own).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return InvalidArgument(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return not_a_file(st.st_mode);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large(static_cast<uint64_t>(st.st_size), max_bytes);
  // O_NONBLOCK: should the path have become a FIFO since the stat(), opening it must not wait
  // for a writer; fstat() then refuses it.
  const Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (f.fd < 0) return InvalidArgument(std::strerror(errno));
  if (::fstat(f.fd, &st) != 0) return InvalidArgument(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return not_a_file(st.st_mode);
  // Read at most one byte past the limit: a file that grows while it is read (or a /proc file,
  // whose size says 0) is refused rather than followed.
  std::string text;
  text.resize(static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(st.st_size), max_bytes) + 1));
  size_t got = 0;
  for (;;) {
    if (got == text.size()) {
      if (got > max_bytes) return grew_too_large(max_bytes);
      text.resize(std::min<uint64_t>(max_bytes + 1, std::max<size_t>(2 * text.size(), 4096)));
    }
    const ssize_t n = ::read(f.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return InvalidArgument(std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) return grew_too_large(max_bytes);
  text.resize(got);
  return text;
}

}  // namespace budgetd::config
