#include "faulty_env.h"

#include <chrono>
#include <thread>

namespace budgetd::test {
namespace {

Status fault(int err, std::string_view what) {
  return Status(StatusCode::kUnavailable, std::string(what) + ": " + durable::errno_text(err));
}

class FaultyFile final : public durable::WritableFile {
 public:
  FaultyFile(std::unique_ptr<durable::WritableFile> f, FaultyEnv& env) : f_(std::move(f)), env_(env) {}
  Status append(std::string_view data) override {
    if (const int err = env_.append_errno.load()) {
      const size_t part = std::min(env_.partial_bytes.load(), data.size());
      if (part > 0) (void)f_->append(data.substr(0, part));
      return fault(err, "write");
    }
    return f_->append(data);
  }
  Status sync() override {
    env_.syncs.fetch_add(1);
    if (const int ms = env_.sync_delay_ms.load()) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (const int err = env_.sync_errno.load()) return fault(err, "fdatasync");
    return f_->sync();
  }
  Status truncate(uint64_t size) override { return f_->truncate(size); }
  uint64_t size() const override { return f_->size(); }

 private:
  std::unique_ptr<durable::WritableFile> f_;
  FaultyEnv& env_;
};

}  // namespace

Result<std::unique_ptr<durable::WritableFile>> FaultyEnv::open_append(const std::string& path) {
  if (const int err = open_errno.load()) return fault(err, "open " + path);
  auto f = base().open_append(path);
  if (!f.ok()) return f.status();
  return std::unique_ptr<durable::WritableFile>(new FaultyFile(std::move(*f), *this));
}

Status FaultyEnv::write_file_atomically(const std::string& path, std::string_view data) {
  if (const int err = open_errno.load()) return fault(err, "open " + path);
  if (const int err = append_errno.load()) return fault(err, "write " + path);
  return base().write_file_atomically(path, data);
}

Status FaultyEnv::sync_dir(const std::string& dir) {
  if (const int err = sync_errno.load()) return fault(err, "fsync " + dir);
  return base().sync_dir(dir);
}

}  // namespace budgetd::test
