#include "mem_env.h"

namespace budgetd::fuzz {
namespace {

Status not_found(const std::string& what) { return Status{StatusCode::kNotFound, "no such " + what}; }

std::string parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

class MemFile final : public durable::WritableFile {
 public:
  explicit MemFile(std::string& data) : data_(data) {}
  Status append(std::string_view data) override {
    data_.append(data);
    return Status::Ok();
  }
  Status sync() override { return Status::Ok(); }
  Status truncate(uint64_t size) override {
    if (size < data_.size()) data_.resize(size);
    return Status::Ok();
  }
  uint64_t size() const override { return data_.size(); }

 private:
  std::string& data_;
};

}  // namespace

void MemEnv::put(const std::string& path, std::string data) {
  files_[path] = std::move(data);
  dirs_.insert(parent(path));
}

void MemEnv::clear() {
  files_.clear();
  dirs_.clear();
}

Result<std::unique_ptr<durable::WritableFile>> MemEnv::open_append(const std::string& path) {
  dirs_.insert(parent(path));
  return std::unique_ptr<durable::WritableFile>(std::make_unique<MemFile>(files_[path]));
}

Result<std::string> MemEnv::read_file(const std::string& path) {
  const auto it = files_.find(path);
  if (it == files_.end()) return not_found("file: " + path);
  return it->second;
}

Status MemEnv::write_file_atomically(const std::string& path, std::string_view data) {
  put(path, std::string(data));
  return Status::Ok();
}

Result<std::vector<std::string>> MemEnv::list(const std::string& dir) {
  if (dirs_.count(dir) == 0) return not_found("directory: " + dir);
  std::vector<std::string> names;
  for (const auto& [path, data] : files_) {
    if (parent(path) == dir) names.push_back(path.substr(dir.size() + 1));
  }
  return names;
}

Result<uint64_t> MemEnv::file_size(const std::string& path) {
  const auto it = files_.find(path);
  if (it == files_.end()) return not_found("file: " + path);
  return uint64_t{it->second.size()};
}

Status MemEnv::create_dirs(const std::string& dir) {
  dirs_.insert(dir);
  return Status::Ok();
}

Status MemEnv::rename(const std::string& from, const std::string& to) {
  auto node = files_.extract(from);
  if (node.empty()) return not_found("file: " + from);
  node.key() = to;
  files_.insert_or_assign(to, std::move(node.mapped()));
  dirs_.insert(parent(to));
  return Status::Ok();
}

Status MemEnv::remove(const std::string& path) {
  return files_.erase(path) != 0 ? Status::Ok() : not_found("file: " + path);
}

Status MemEnv::truncate(const std::string& path, uint64_t size) {
  const auto it = files_.find(path);
  if (it == files_.end()) return not_found("file: " + path);
  if (size < it->second.size()) it->second.resize(size);
  return Status::Ok();
}

Status MemEnv::sync_dir(const std::string&) { return Status::Ok(); }

}  // namespace budgetd::fuzz
