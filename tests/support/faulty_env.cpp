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
    env_.pass_append_latch();
    if (const int err = env_.append_errno.load()) {
      const size_t part = std::min(env_.partial_bytes.load(), data.size());
      if (part > 0) (void)f_->append(data.substr(0, part));
      return fault(err, "write");
    }
    return f_->append(data);
  }
  Status sync() override {
    env_.syncs.fetch_add(1);
    env_.pass_sync_latch();
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
  if (const int err = write_file_errno.load()) return fault(err, "write " + path);
  return base().write_file_atomically(path, data);
}

void FaultyEnv::hold_syncs() {
  std::lock_guard lock(latch_mu_);
  holding_ = true;
}

void FaultyEnv::wait_until_a_sync_is_held() {
  std::unique_lock lock(latch_mu_);
  latch_cv_.wait(lock, [&] { return held_ > 0; });
}

void FaultyEnv::release_syncs() {
  {
    std::lock_guard lock(latch_mu_);
    holding_ = false;
  }
  latch_cv_.notify_all();
}

void FaultyEnv::pass_sync_latch() {
  std::unique_lock lock(latch_mu_);
  if (!holding_) return;
  ++held_;
  latch_cv_.notify_all();
  latch_cv_.wait(lock, [&] { return !holding_; });
  --held_;
}

void FaultyEnv::hold_appends() {
  std::lock_guard lock(latch_mu_);
  holding_appends_ = true;
}

void FaultyEnv::wait_until_an_append_is_held() {
  std::unique_lock lock(latch_mu_);
  latch_cv_.wait(lock, [&] { return held_appends_ > 0; });
}

void FaultyEnv::release_appends() {
  {
    std::lock_guard lock(latch_mu_);
    holding_appends_ = false;
  }
  latch_cv_.notify_all();
}

void FaultyEnv::pass_append_latch() {
  std::unique_lock lock(latch_mu_);
  if (!holding_appends_) return;
  ++held_appends_;
  latch_cv_.notify_all();
  latch_cv_.wait(lock, [&] { return !holding_appends_; });
  --held_appends_;
}

Status FaultyEnv::sync_dir(const std::string& dir) {
  if (const int err = sync_errno.load()) return fault(err, "fsync " + dir);
  return base().sync_dir(dir);
}

}  // namespace budgetd::test
