#pragma once
// An Env that keeps files in memory, for the harnesses that replay logs and load snapshots:
// thousands of runs a second, no disk, nothing left behind. Paths are plain strings; a
// directory exists once something was created under it (create_dirs or a file).
//
//   MemEnv env;
//   env.put("wal/00000000000000000001.wal", bytes);
//   durable::replay_wal(env, "wal", 0, now, apply);
//
// Thread safety: one thread at a time.

#include <map>
#include <set>
#include <string>

#include "budgetd/durable/env.h"

namespace budgetd::fuzz {

class MemEnv final : public durable::Env {
 public:
  void put(const std::string& path, std::string data);
  const std::map<std::string, std::string>& files() const { return files_; }
  void clear();

  Result<std::unique_ptr<durable::WritableFile>> open_append(const std::string& path) override;
  Result<std::string> read_file(const std::string& path) override;
  Status write_file_atomically(const std::string& path, std::string_view data) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  Result<uint64_t> file_size(const std::string& path) override;
  Status create_dirs(const std::string& dir) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status truncate(const std::string& path, uint64_t size) override;
  Status sync_dir(const std::string& dir) override;

 private:
  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_;
};

}  // namespace budgetd::fuzz
