#include "budgetd/deploys/deploy_log.h"

#include <algorithm>
#include <cstring>

#include "budgetd/config/config.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"

namespace budgetd::deploys {
namespace {

// Record: u8 format (2), u64 id, i64 ts (unix ms), then service, version, change, commit,
// ci_job, url, idempotency_key, origin, each a u32 length and its bytes; little-endian. Format 1
// (before Idempotency-Keys and clusters) lacks the last two and is still read. Saved state: u8 format (1), u64 next id,
// u32 count, then each record as a u32 length and its bytes.
constexpr uint8_t kFormat = 2;
constexpr uint8_t kFormatWithoutKey = 1;
constexpr uint8_t kSavedFormat = 1;

template <class T>
void put(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // the box and every target are little-endian (x86-64)
  out.append(bytes, sizeof(T));
}
void put_text(std::string& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads from the front of `in`; false once it runs short.
struct Reader {
  std::string_view in;
  template <class T>
  bool get(T& v) {
    if (in.size() < sizeof(T)) return false;
    std::memcpy(&v, in.data(), sizeof(T));
    in.remove_prefix(sizeof(T));
    return true;
  }
  bool get_text(std::string& s) {
    uint32_t n = 0;
    if (!get(n) || in.size() < n) return false;
    s.assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  }
};

// Well-formed UTF-8 without control characters: what a version, a commit or a link is.
bool printable_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++i;
      continue;
    }
    const size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90))
      return false;  // overlong, a surrogate, or past U+10FFFF
    i += len;
  }
  return true;
}

Status check_text(std::string_view field, std::string_view value, size_t max, bool required) {
  if (required && value.empty()) return InvalidArgument(std::string(field) + " is required (a non-empty string)");
  if (value.size() > max) {
    return InvalidArgument(std::string(field) + " is " + std::to_string(value.size()) + " bytes; at most " +
                           std::to_string(max) + " are kept: '" + bounded_echo(value) + "'");
  }
  if (!printable_text(value))
    return InvalidArgument(std::string(field) + " must be UTF-8 text without control characters");
  return Status::Ok();
}

// A total order: two replicas may record deploys with the same ts and id, never the same origin.
bool before(const Deploy& a, const Deploy& b) {
  if (a.ts != b.ts) return a.ts < b.ts;
  return a.id != b.id ? a.id < b.id : a.origin < b.origin;
}

}  // namespace

std::string format_id(const Deploy& d) {
  return d.origin.empty() ? "d-" + std::to_string(d.id) : "d-" + d.origin + "-" + std::to_string(d.id);
}

bool same_deploy(const Deploy& kept, const Deploy& retry, bool retry_gave_ts) {
  return kept.service == retry.service && kept.version == retry.version && kept.change == retry.change &&
         kept.commit == retry.commit && kept.ci_job == retry.ci_job && kept.url == retry.url &&
         (!retry_gave_ts || kept.ts == retry.ts);
}

std::string encode_deploy(const Deploy& d) {
  std::string out;
  out.reserve(64 + d.service.size() + d.version.size() + d.commit.size() + d.ci_job.size() + d.url.size());
  put<uint8_t>(out, kFormat);
  put<uint64_t>(out, d.id);
  put<int64_t>(out, to_unix_ms(d.ts));
  for (const std::string* s :
       {&d.service, &d.version, &d.change, &d.commit, &d.ci_job, &d.url, &d.idempotency_key, &d.origin})
    put_text(out, *s);
  return out;
}

Result<Deploy> decode_deploy(std::string_view record) {
  Reader r{record};
  uint8_t format = 0;
  int64_t ts = 0;
  Deploy d;
  if (!r.get(format) || (format != kFormat && format != kFormatWithoutKey))
    return DataLoss("a deploy record of an unknown format");
  if (!r.get(d.id) || !r.get(ts)) return DataLoss("a deploy record cut short");
  d.ts = from_unix_ms(ts);
  for (std::string* s : {&d.service, &d.version, &d.change, &d.commit, &d.ci_job, &d.url}) {
    if (!r.get_text(*s)) return DataLoss("a deploy record cut short");
  }
  if (format == kFormat && (!r.get_text(d.idempotency_key) || !r.get_text(d.origin)))
    return DataLoss("a deploy record cut short");
  if (!r.in.empty()) return DataLoss("a deploy record with trailing bytes");
  return d;
}

void DeployLog::set_retention(Millis retention) { retention_ms_.store(retention.count(), std::memory_order_relaxed); }

uint64_t DeployLog::reserve_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

void DeployLog::bump_next_id(uint64_t seen) {
  uint64_t next = next_id_.load(std::memory_order_relaxed);
  while (next <= seen && !next_id_.compare_exchange_weak(next, seen + 1, std::memory_order_relaxed)) {
  }
}

Status DeployLog::check_deploy(const Deploy& d, Timestamp now, Millis max_future) const {
  BUDGETD_RETURN_IF_ERROR(check_text("service", d.service, kMaxServiceBytes, true));
  BUDGETD_RETURN_IF_ERROR(check_text("version", d.version, kMaxVersionBytes, true));
  BUDGETD_RETURN_IF_ERROR(check_text("commit", d.commit, kMaxCommitBytes, false));
  BUDGETD_RETURN_IF_ERROR(check_text("ci_job", d.ci_job, kMaxCiJobBytes, false));
  BUDGETD_RETURN_IF_ERROR(check_text("url", d.url, kMaxUrlBytes, false));
  BUDGETD_RETURN_IF_ERROR(check_text("Idempotency-Key", d.idempotency_key, kMaxIdempotencyKeyBytes, false));
  if (!d.change.empty()) {
    const bool known = std::any_of(config::kChangeTypes.begin(), config::kChangeTypes.end(),
                                   [&](config::ChangeType c) { return d.change == config::to_string(c); });
    if (!known) {
      return InvalidArgument("change '" + bounded_echo(d.change) +
                             "' is not one of feature, risky, reliability, security");
    }
  }
  if (d.ts > now + max_future) {
    return InvalidArgument("ts " + format_rfc3339(d.ts) + " is more than " + format_duration(max_future) +
                           " ahead of budgetd's clock (" + format_rfc3339(now) + ")");
  }
  if (d.ts < now - retention()) {
    return InvalidArgument("ts " + format_rfc3339(d.ts) + " is older than the " + format_duration(retention()) +
                           " deploys are kept for (the longest budget window): the oldest accepted now is " +
                           format_rfc3339(now - retention()));
  }
  return Status::Ok();
}

Status DeployLog::check(std::string_view record) const {
  // Only whether apply() takes it: the time checks belong to the request, not to a replay
  // whose `now` is later (apply drops a record that expired meanwhile).
  const Result<Deploy> d = decode_deploy(record);
  return d.ok() ? Status::Ok() : d.status();
}

Status DeployLog::apply(std::string_view record, Timestamp now) {
  BUDGETD_ASSIGN_OR_RETURN(Deploy d, decode_deploy(record));
  bump_next_id(d.id);
  std::lock_guard lock(mu_);
  if (!d.idempotency_key.empty()) {
    const auto same_key = std::find_if(deploys_.begin(), deploys_.end(),
                                       [&](const Deploy& k) { return k.idempotency_key == d.idempotency_key; });
    if (same_key != deploys_.end()) {
      if (!before(d, *same_key)) return Status::Ok();  // the kept one sorts first: this is its retry
      deploys_.erase(same_key);
    }
  }
  insert(std::move(d));
  prune(now);
  return Status::Ok();
}

void DeployLog::insert(Deploy d) {
  const auto at = std::upper_bound(deploys_.begin(), deploys_.end(), d, before);
  deploys_.insert(at, std::move(d));
}

void DeployLog::prune(Timestamp now) {
  const Timestamp oldest = now - retention();
  const auto kept = std::find_if(deploys_.begin(), deploys_.end(), [&](const Deploy& d) { return d.ts >= oldest; });
  size_t drop = static_cast<size_t>(kept - deploys_.begin());
  if (deploys_.size() - drop > kMaxDeploys) {
    log::warn("deploys: more than the cap are recorded; the oldest is dropped")
        .field("cap", uint64_t{kMaxDeploys})
        .field("dropped", format_id(deploys_[drop]));
    drop = deploys_.size() - kMaxDeploys;
  }
  deploys_.erase(deploys_.begin(), deploys_.begin() + static_cast<std::ptrdiff_t>(drop));
}

std::string DeployLog::save() const {
  std::string out;
  put<uint8_t>(out, kSavedFormat);
  put<uint64_t>(out, next_id_.load(std::memory_order_relaxed));
  std::lock_guard lock(mu_);
  put<uint32_t>(out, static_cast<uint32_t>(deploys_.size()));
  for (const Deploy& d : deploys_) put_text(out, encode_deploy(d));
  return out;
}

Status DeployLog::load(std::string_view saved, Timestamp now) {
  Reader r{saved};
  uint8_t format = 0;
  uint64_t next_id = 0;
  uint32_t count = 0;
  if (!r.get(format) || format != kSavedFormat) return DataLoss("the deploys section has an unknown format");
  if (!r.get(next_id) || !r.get(count)) return DataLoss("the deploys section is cut short");
  std::vector<Deploy> loaded;
  for (uint32_t i = 0; i < count; ++i) {
    std::string record;
    if (!r.get_text(record)) return DataLoss("the deploys section is cut short");
    BUDGETD_ASSIGN_OR_RETURN(Deploy d, decode_deploy(record));
    next_id = std::max(next_id, d.id + 1);
    loaded.push_back(std::move(d));
  }
  if (!r.in.empty()) return DataLoss("the deploys section has trailing bytes");
  std::sort(loaded.begin(), loaded.end(), before);
  bump_next_id(next_id - 1);
  std::lock_guard lock(mu_);
  deploys_ = std::move(loaded);
  prune(now);
  return Status::Ok();
}

std::vector<Deploy> DeployLog::list(std::string_view service, Timestamp since) const {
  std::vector<Deploy> out;
  std::lock_guard lock(mu_);
  for (auto it = deploys_.rbegin(); it != deploys_.rend() && it->ts >= since; ++it) {
    if (service.empty() || it->service == service) out.push_back(*it);
  }
  return out;
}

std::optional<Deploy> DeployLog::last(std::string_view service, Timestamp now) const {
  std::lock_guard lock(mu_);
  for (auto it = deploys_.rbegin(); it != deploys_.rend(); ++it) {
    if (it->service == service && it->ts <= now) return *it;
  }
  return std::nullopt;
}

std::optional<Deploy> DeployLog::by_key(std::string_view key) const {
  std::lock_guard lock(mu_);
  for (const Deploy& d : deploys_) {
    if (d.idempotency_key == key) return d;
  }
  return std::nullopt;
}

std::optional<Deploy> DeployLog::next_after(const Deploy& d) const {
  std::lock_guard lock(mu_);
  for (auto it = std::upper_bound(deploys_.begin(), deploys_.end(), d, before); it != deploys_.end(); ++it) {
    if (it->service == d.service) return *it;
  }
  return std::nullopt;
}

size_t DeployLog::size() const {
  std::lock_guard lock(mu_);
  return deploys_.size();
}

}  // namespace budgetd::deploys
