#pragma once
// The file layer under the write-ahead log and snapshots, as an interface so tests can inject
// the failures a production disk produces (full, read-only, fsync errors) without root.
//
//   Env& env = Env::posix();
//   auto f = env.open_append("data/wal/00000000000000000001.wal");
//   f.value()->append(bytes);  f.value()->sync();
//
// Thread safety: Env methods may be called from any thread; a WritableFile is used by one
// thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"

namespace budgetd::durable {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // All of `data` or an error; after an error the file may hold part of it (see truncate).
  virtual Status append(std::string_view data) = 0;
  virtual Status sync() = 0;  // fdatasync
  virtual Status truncate(uint64_t size) = 0;
  virtual uint64_t size() const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env& posix();

  // Creates the file (or opens it to append at its end).
  virtual Result<std::unique_ptr<WritableFile>> open_append(const std::string& path) = 0;
  // The whole file.
  virtual Result<std::string> read_file(const std::string& path) = 0;
  virtual Status write_file_atomically(const std::string& path, std::string_view data) = 0;
  virtual Result<std::vector<std::string>> list(const std::string& dir) = 0;  // file names
  virtual Result<uint64_t> file_size(const std::string& path) = 0;
  virtual Status create_dirs(const std::string& dir) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;
  virtual Status truncate(const std::string& path, uint64_t size) = 0;
  virtual Status sync_dir(const std::string& dir) = 0;
};

// "No space left on device (ENOSPC)"-style text for an errno.
std::string errno_text(int err);

}  // namespace budgetd::durable
