#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "budgetd/durable/env.h"

namespace budgetd::durable {
namespace {

Status io_error(const std::string& what, const std::string& path, int err) {
  // Out of space and I/O errors are worth retrying once the operator fixes the disk.
  const StatusCode code = (err == ENOSPC || err == EIO || err == EDQUOT || err == EROFS || err == EACCES)
                              ? StatusCode::kUnavailable
                              : StatusCode::kInternal;
  return Status(code, fmt::format("{} {}: {}", what, path, errno_text(err)));
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixWritableFile() override { ::close(fd_); }

  Status append(std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return io_error("write", path_, errno);
      }
      size_ += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status sync() override {
    if (::fdatasync(fd_) != 0) return io_error("fdatasync", path_, errno);
    return Status::Ok();
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return io_error("ftruncate", path_, errno);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0) return io_error("lseek", path_, errno);
    size_ = size;
    return Status::Ok();
  }

  uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> open_append(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("open", path, errno);
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
      const int err = errno;
      ::close(fd);
      return io_error("lseek", path, err);
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path, static_cast<uint64_t>(end)));
  }

  Result<std::string> read_file(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path, errno);
    std::string out;
    struct stat st {};
    if (::fstat(fd, &st) == 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        ::close(fd);
        return io_error("read", path, err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Status write_file_atomically(const std::string& path, std::string_view data) override {
    // temp file, fsync, rename, fsync the directory: a crash leaves the old file or the new one.
    const std::string tmp = path + ".tmp";
    auto f = open_append(tmp);
    if (!f.ok()) return f.status();
    Status s = (*f)->truncate(0);
    if (s.ok()) s = (*f)->append(data);
    if (s.ok()) s = (*f)->sync();
    f->reset();
    if (s.ok()) s = rename(tmp, path);
    if (!s.ok()) {
      // A half-written temp file on a full disk would only keep the disk full.
      (void)::unlink(tmp.c_str());
      return s;
    }
    return sync_dir(std::filesystem::path(path).parent_path().string());
  }

  Result<std::vector<std::string>> list(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return io_error("opendir", dir, errno);
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    return names;
  }

  Result<uint64_t> file_size(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return io_error("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status create_dirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return io_error("mkdir", dir, ec.value());
    return Status::Ok();
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename " + from + " to", to, errno);
    return Status::Ok();
  }

  Status remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("unlink", path, errno);
    return Status::Ok();
  }

  Status truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) return io_error("truncate", path, errno);
    return Status::Ok();
  }

  Status sync_dir(const std::string& dir) override {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return io_error("open", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return io_error("fsync", dir, err);
    return Status::Ok();
  }
};

}  // namespace

Env& Env::posix() {
  static PosixEnv env;
  return env;
}

std::string errno_text(int err) {
  const char* name = err == ENOSPC   ? "ENOSPC"
                     : err == EIO    ? "EIO"
                     : err == EROFS  ? "EROFS"
                     : err == EACCES ? "EACCES"
                     : err == EDQUOT ? "EDQUOT"
                     : err == ENOENT ? "ENOENT"
                                     : nullptr;
  if (name == nullptr) return std::strerror(err);
  return fmt::format("{} ({})", std::strerror(err), name);
}

}  // namespace budgetd::durable
