#include "replication_state.h"

#include <cassert>
#include <cstring>

namespace budgetd::cluster {
namespace {

constexpr std::string_view kMagic = "budgetd-replication-1";

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_str(std::string& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(s);
}

// Reads what put_u64/put_str wrote; any short read turns `ok` false and yields zeros.
struct Reader {
  std::string_view in;
  bool ok = true;
  uint64_t u64() {
    if (in.size() < 8) return ok = false, 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(in[static_cast<size_t>(i)])} << (8 * i);
    in.remove_prefix(8);
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    if (!ok || n > in.size()) return ok = false, std::string();
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

}  // namespace

ReplicationState::ReplicationState(std::string node, int shards)
    : node_(std::move(node)), positions_(static_cast<size_t>(shards), "0-0"), snapshot_positions_(positions_) {}

Status ReplicationState::check(std::string_view) const {
  return InvalidArgument("the replication state changes only through the replication log's threads");
}

Status ReplicationState::apply(std::string_view, Timestamp) {
  return DataLoss("a log record names the replication state, which has no records");
}

std::string ReplicationState::save() const {
  std::lock_guard lock(mu_);
  std::string out(kMagic);
  put_str(out, node_);
  put_u64(out, positions_.size());
  for (const auto& p : positions_) put_str(out, p);
  put_u64(out, marks_.size());
  for (const auto& [origin, seq] : marks_) {
    put_str(out, origin.first);
    put_u64(out, origin.second);
    put_u64(out, seq);
  }
  put_u64(out, uncertain_.size());
  for (const auto& [epoch, seq] : uncertain_) {
    put_u64(out, epoch);
    put_u64(out, seq);
  }
  put_u64(out, backlog_.size());
  for (const auto& [seq, r] : backlog_) {
    put_u64(out, r.epoch);
    put_u64(out, seq);
    put_u64(out, static_cast<uint64_t>(r.type));
    put_str(out, r.payload);
  }
  // What a restart from this snapshot resumes from (membership trims below it).
  snapshot_positions_ = positions_;
  return out;
}

Status ReplicationState::load(std::string_view saved, Timestamp) {
  if (saved.substr(0, kMagic.size()) != kMagic) return DataLoss("replication state: unknown format");
  Reader r{saved.substr(kMagic.size())};
  const std::string saved_by = r.str();
  std::vector<std::string> positions;
  const uint64_t shards = r.u64();
  for (uint64_t i = 0; r.ok && i < shards; ++i) positions.push_back(r.str());
  std::map<std::pair<std::string, uint64_t>, uint64_t> marks;
  const uint64_t n_marks = r.u64();
  for (uint64_t i = 0; r.ok && i < n_marks; ++i) {
    std::string node = r.str();
    const uint64_t epoch = r.u64();
    marks[{std::move(node), epoch}] = r.u64();
  }
  std::set<std::pair<uint64_t, uint64_t>> uncertain;
  const uint64_t n_uncertain = r.u64();
  for (uint64_t i = 0; r.ok && i < n_uncertain; ++i) {
    const uint64_t epoch = r.u64();
    uncertain.insert({epoch, r.u64()});
  }
  std::map<uint64_t, StreamRecord> backlog;
  const uint64_t n_backlog = r.u64();
  for (uint64_t i = 0; r.ok && i < n_backlog; ++i) {
    StreamRecord rec;
    rec.origin = node_;
    rec.epoch = r.u64();
    rec.seq = r.u64();
    rec.type = static_cast<durable::RecordType>(r.u64());
    rec.payload = r.str();
    backlog[rec.seq] = std::move(rec);
  }
  if (!r.ok || !r.in.empty()) return DataLoss("replication state: truncated or damaged");
  if (saved_by != node_) {
    // A peer's snapshot (bootstrap): its positions and marks are as good as ours would be; its
    // backlog and its uncertain records are its own, never ours to publish or to judge by.
    uncertain.clear();
    backlog.clear();
  }
  std::lock_guard lock(mu_);
  // A changed redis.shards keeps the positions of the shards both configs have; new shards are
  // read from their start.
  for (size_t i = 0; i < positions_.size() && i < positions.size(); ++i) positions_[i] = positions[i];
  snapshot_positions_ = positions_;
  marks_ = std::move(marks);
  uncertain_ = std::move(uncertain);
  backlog_ = std::move(backlog);
  return Status::Ok();
}

ReplicationState::Verdict ReplicationState::judge(const StreamRecord& r, uint64_t epoch) const {
  std::lock_guard lock(mu_);
  const auto mark = marks_.find({r.origin, r.epoch});
  const bool seen = mark != marks_.end() && r.seq <= mark->second;
  if (r.origin != node_) return seen ? Verdict::kSkip : Verdict::kApply;
  if (uncertain_.contains({r.epoch, r.seq})) return Verdict::kApply;
  if (seen) return Verdict::kSkip;
  // Its publisher has written it and not yet decided: acknowledged (the committer counts it)
  // or uncertain (then the stream's copy counts). A record of an earlier life was neither
  // (the process died first), or one of this data dir's WAL that the snapshot does not have
  // (lost with an unsynced WAL tail, its copy made it to the stream): the stream's copy counts.
  return r.epoch == epoch ? Verdict::kWait : Verdict::kApply;
}

void ReplicationState::advance(int shard, const StreamRecord& r) {
  std::lock_guard lock(mu_);
  positions_[static_cast<size_t>(shard)] = r.id;
  uint64_t& mark = marks_[{r.origin, r.epoch}];
  mark = std::max(mark, r.seq);
  if (r.origin == node_) {
    // One publisher writes this node's records in seq order: an uncertain one below this seq
    // that was not read before it never reached the stream.
    uncertain_.erase(uncertain_.lower_bound({r.epoch, 0}), uncertain_.upper_bound({r.epoch, r.seq}));
  }
}

std::string ReplicationState::position(int shard) const {
  std::lock_guard lock(mu_);
  return positions_[static_cast<size_t>(shard)];
}

std::vector<std::string> ReplicationState::positions() const {
  std::lock_guard lock(mu_);
  return positions_;
}

std::vector<std::string> ReplicationState::snapshot_positions() const {
  std::lock_guard lock(mu_);
  return snapshot_positions_;
}

void ReplicationState::acknowledged(uint64_t epoch, uint64_t seq) {
  std::lock_guard lock(mu_);
  uint64_t& mark = marks_[{node_, epoch}];
  mark = std::max(mark, seq);
}

void ReplicationState::uncertain(uint64_t epoch, uint64_t seq) {
  std::lock_guard lock(mu_);
  uncertain_.insert({epoch, seq});
}

void ReplicationState::push_backlog(StreamRecord r) {
  std::lock_guard lock(mu_);
  const uint64_t seq = r.seq;
  backlog_[seq] = std::move(r);
}

std::vector<StreamRecord> ReplicationState::backlog_from(uint64_t from, size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<StreamRecord> out;
  for (auto it = backlog_.lower_bound(from); it != backlog_.end() && out.size() < max; ++it) out.push_back(it->second);
  return out;
}

void ReplicationState::published_through(uint64_t seq) {
  std::lock_guard lock(mu_);
  backlog_.erase(backlog_.begin(), backlog_.upper_bound(seq));
}

size_t ReplicationState::backlog_size() const {
  std::lock_guard lock(mu_);
  return backlog_.size();
}

uint64_t ReplicationState::backlog_first_seq() const {
  std::lock_guard lock(mu_);
  return backlog_.empty() ? 0 : backlog_.begin()->first;
}

uint64_t ReplicationState::mark(const std::string& node, uint64_t epoch) const {
  std::lock_guard lock(mu_);
  const auto it = marks_.find({node, epoch});
  return it == marks_.end() ? 0 : it->second;
}

}  // namespace budgetd::cluster
