#pragma once
// What the durable module's unit tests share: a temporary directory, file helpers, a two-SLO set,
// a log replay that collects what it delivers, and WAL options for tests.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/durable/crc32c.h"
#include "budgetd/durable/wal.h"
#include "budgetd/durable/wal_reader.h"
#include "budgetd/store/slo_set.h"
#include "durable/encoding.h"

namespace budgetd::durable::fixtures {

namespace fs = std::filesystem;
inline const Timestamp kNow = from_unix_ms(1795514400000);

// One counter for every test file of the binary (an inline function's static is one object), so
// two files never pick the same directory.
class TempDir {
 public:
  TempDir() {
    static int n = 0;
    path_ = fs::temp_directory_path() / ("budgetd-durable-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& p) const { return (path_ / p).string(); }

 private:
  fs::path path_;
};

inline std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
inline void write(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

inline std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

inline constexpr const char* kTwoSlos =
    "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}, {name: b, service: s, objective: 99, sli: "
    "{type: ratio}}]";

struct Replayed {
  std::vector<uint64_t> seqs;
  std::vector<std::string> payloads;
  std::vector<RecordType> types;
};

inline Result<ReplayReport> replay(Env& env, const std::string& dir, uint64_t after, Replayed& out) {
  return replay_wal(env, dir, after, kNow, [&](const FramedRecord& r) {
    out.seqs.push_back(r.seq);
    out.payloads.emplace_back(r.payload);
    out.types.push_back(r.type);
    return Status::Ok();
  });
}

// The log retries a fresh segment every recovery_retry (10 ms in options()): wait for a state it
// reaches by itself, for up to 5 s.
template <typename Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

inline WalOptions options(const std::string& dir, FsyncPolicy p = FsyncPolicy::kAlways) {
  WalOptions o;
  o.dir = dir;
  o.policy = p;
  o.fsync_interval = Millis{20};
  o.recovery_retry = std::chrono::milliseconds{10};
  return o;
}

// A snapshot as version 3 wrote it: SLO sections without the attribution count.
inline std::string as_version3(const std::string& v4) {
  std::string out = v4.substr(0, 32);
  out[8] = 3;
  const uint32_t n = get_u32(v4.data() + 28);
  size_t at = 32;
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t len = get_u32(v4.data() + at);
    const std::string body = v4.substr(at + 8, len);
    EXPECT_EQ(body.substr(len - 4), std::string(4, '\0')) << "an SLO without attribution";
    const std::string old = body.substr(0, len - 4);
    put_u32(out, static_cast<uint32_t>(old.size()));
    put_u32(out, crc32c::value(old));
    out += old;
    at += 8 + len;
  }
  return out + v4.substr(at);
}

}  // namespace budgetd::durable::fixtures
