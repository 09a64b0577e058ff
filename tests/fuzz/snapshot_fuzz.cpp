// libFuzzer: loading a snapshot at start-up: durable::recover over a storage dir (in memory,
// mem_env.h) that holds the input as its one snapshot, into the SLOs of a fixed config, then the
// snapshot's alert state into an eval::AlertTracker, as Daemon::start does. That covers
// decode_snapshot, restoring ring words (and migrating them when the ring layout differs),
// restoring Idempotency-Keys and reading the alert state.
//
// The input's first byte chooses: odd, each section of the rest gets the CRC its bytes have (so
// the fuzzer reaches what sections hold) and the file is named after the cut in its header;
// even, the bytes are used as they are (damaged CRCs, names that disagree). Checked besides
// crashes: whatever a snapshot loads is a state budgetd can snapshot again and load back, and
// alert state that loads saves and loads again.

#include <cstdio>
#include <cstdlib>
#include <string>

#include "budgetd/config/loader.h"
#include "budgetd/durable/crc32c.h"
#include "budgetd/durable/recovery.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/eval/alert_tracker.h"
#include "check.h"
#include "mem_env.h"
#include "snapshot_fuzz_config.h"

namespace {

using namespace budgetd;
using fuzz::check;

uint32_t get_u32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<size_t>(i)]);
  return v;
}
uint64_t get_u64(const std::string& s, size_t at) { return get_u32(s, at) | (uint64_t{get_u32(s, at + 4)} << 32); }

// docs/storage.md: magic, version, cut, taken, n_slos (32 bytes), then sections of
// u32 length | u32 crc32c | body.
constexpr size_t kHeaderBytes = 32;

void seal_sections(std::string& s) {
  if (s.size() < kHeaderBytes) return;
  for (size_t pos = kHeaderBytes; pos + 8 <= s.size();) {
    const uint32_t len = get_u32(s, pos);
    if (len > s.size() - pos - 8) return;
    const uint32_t crc = durable::crc32c::value(s.data() + pos + 8, len);
    for (int i = 0; i < 4; ++i) s[pos + 4 + static_cast<size_t>(i)] = static_cast<char>(crc >> (8 * i));
    pos += 8 + len;
  }
}

const config::Config& fuzz_config() {
  static const config::Config c = [] {
    auto r = config::load_config_string(fuzz::kSnapshotFuzzConfig, "snapshot_fuzz.yaml");
    if (!r.ok()) std::printf("%s", r.error_text().c_str());
    check(r.ok(), "the harness's config loads");
    return *r.config;
  }();
  return c;
}

const Timestamp kNow = from_unix_ms(1795514400000);

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  uint64_t cut = 1;
  if (data[0] & 1) {
    seal_sections(bytes);
    if (bytes.size() >= 20) cut = get_u64(bytes, 12);
  } else if (bytes.size() >= 1) {
    cut = static_cast<unsigned char>(bytes.back());
  }
  fuzz::MemEnv env;
  env.put("data/" + durable::snapshot_name(cut), bytes);
  const auto set = store::SloSet::build(fuzz_config(), nullptr);
  durable::IdempotencyTable keys(kDay, 1000);
  const auto rec = durable::recover(env, "data", *set, keys, kNow);
  check(rec.ok(), "recovery over a working Env succeeds");
  if (rec->snapshot.empty()) return 0;

  // What was loaded snapshots again, and that snapshot loads.
  const std::string again = durable::encode_snapshot(rec->snapshot_cut, kNow, *set, keys.live(kNow), rec->alerts);
  const auto view = durable::decode_snapshot(again);
  check(view.ok() && view->cut == rec->snapshot_cut && view->slos.size() == set->slos().size(),
        "a loaded store snapshots again");

  eval::AlertTracker alerts;
  if (alerts.load(rec->alerts).ok()) {
    eval::AlertTracker reloaded;
    check(reloaded.load(alerts.save()).ok(), "alert state that loads saves and loads again");
  }
  return 0;
}
