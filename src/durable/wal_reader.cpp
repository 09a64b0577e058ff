#include "budgetd/durable/wal_reader.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "budgetd/core/log.h"

namespace budgetd::durable {
namespace {

struct Segment {
  uint64_t first_seq;
  std::string name;
};

// What follows damage at `from`: nothing that is a record (a torn tail), a valid record (the
// damage is in the middle of the log), or undecided.
enum class AfterDamage { kNoRecord, kValidRecord, kUndecided };

// CRC bytes the search may spend per byte it searches, beyond a fixed 1 MiB.
constexpr uint64_t kCrcBytesPerByteSearched = 4;

// Looks for a valid record at every offset after `from`, in time linear in the bytes after it:
// the checks that cost nothing come first (a torn record's payload practically never passes
// them), and the CRCs of candidates that do pass are bounded in total. Bytes that hold more
// record-like headers than that are no crash's torn write: undecided, and kept aside like data
// before valid records, never cut off.
AfterDamage search_after_damage(std::string_view data, size_t from) {
  uint64_t crc_budget = kCrcBytesPerByteSearched * (data.size() - from) + (uint64_t{1} << 20);
  for (size_t off = from + 1; off + kRecordHeaderBytes <= data.size(); ++off) {
    const std::string_view rest = data.substr(off);
    const std::optional<size_t> size = plausible_record_size(rest);
    if (!size) continue;
    if (*size > crc_budget) return AfterDamage::kUndecided;
    crc_budget -= *size;
    if (parse_record(rest)) return AfterDamage::kValidRecord;
  }
  return AfterDamage::kNoRecord;
}

}  // namespace

namespace {

// One replay of the log directory: the segments in order, the records in each, and what to do
// at damage (wal_reader.h says what counts as what).
class LogReplay {
 public:
  LogReplay(Env& env, const std::string& dir, uint64_t after_seq, Timestamp now,
            const std::function<Status(const FramedRecord&)>& apply)
      : env_(env), dir_(dir), after_seq_(after_seq), now_(now), apply_(apply) {
    report_.last_seq = after_seq;
  }

  Result<ReplayReport> run() {
    auto names = env_.list(dir_);
    if (!names.ok()) return report_;  // no log yet
    for (const auto& n : *names) {
      if (auto first = parse_segment_name(n)) segments_.push_back({*first, n});
    }
    std::sort(segments_.begin(), segments_.end(),
              [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });
    for (size_t i = 0; i < segments_.size() && !stopped_; ++i) {
      BUDGETD_ASSIGN_OR_RETURN(const std::string contents, env_.read_file(dir_ + "/" + segments_[i].name));
      ++report_.segments;
      report_.bytes += contents.size();
      BUDGETD_RETURN_IF_ERROR(replay_segment(i, contents));
    }
    return report_;
  }

 private:
  bool last(size_t i) const { return i + 1 == segments_.size(); }

  Status replay_segment(size_t i, std::string_view data) {
    const Segment& seg = segments_[i];
    // A segment may start past `expected_` only where the missing records are all covered by the
    // snapshot (a tail the kernel never wrote, under fsync interval/never, that the snapshot has).
    if (expected_ != 0 && seg.first_seq != expected_ &&
        !(seg.first_seq > expected_ && seg.first_seq <= after_seq_ + 1)) {
      return quarantine(i, 0, data,
                        fmt::format("segment {} starts at seq {}, but seq {} was expected: records are missing",
                                    seg.name, seg.first_seq, expected_));
    }
    if (expected_ == 0 && seg.first_seq > after_seq_ + 1) {
      return quarantine(
          i, 0, data,
          fmt::format("the log starts at seq {}, but the snapshot covers only up to seq {}: records are missing",
                      seg.first_seq, after_seq_));
    }
    if (data.size() < kSegmentMagic.size() || data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
      if (last(i) && data.size() < kSegmentMagic.size() && kSegmentMagic.substr(0, data.size()) == data) {
        // Created, then the crash came before its header was written.
        report_.torn = fmt::format("{}: an empty segment", seg.name);
        stopped_ = true;
        return env_.remove(dir_ + "/" + seg.name);
      }
      return quarantine(i, 0, data, fmt::format("{} does not start with the segment header", seg.name));
    }
    expected_ = seg.first_seq;
    for (size_t off = kSegmentMagic.size(); off < data.size() && !stopped_;) {
      const auto rec = parse_record(data.substr(off));
      if (rec && !last(i) && rec->seq >= segments_[i + 1].first_seq) {
        // The log started the next segment at this seq: these records were never acknowledged
        // (the log failed and could not cut them off), and the next segment has the real ones.
        report_.torn = fmt::format("{} at offset {} (seq {}): {} bytes the log abandoned when it failed", seg.name, off,
                                   rec->seq, data.size() - off);
        log::warn("wal: cut off records a failed log abandoned").field("detail", report_.torn);
        return env_.truncate(dir_ + "/" + seg.name, off);  // the next segment goes on from here
      }
      if (rec && rec->seq == expected_) {
        BUDGETD_RETURN_IF_ERROR(deliver(i, off, data, *rec));
        off += rec->size;
        continue;
      }
      return damage(i, off, data, rec);
    }
    return Status::Ok();
  }

  Status deliver(size_t i, size_t off, std::string_view data, const FramedRecord& rec) {
    // A dictionary at or below the cut still names the SLOs of the records after it.
    if (rec.seq > after_seq_ || rec.type == RecordType::kDictionary) {
      // A record whose CRC holds but whose contents do not decode is damage like any other.
      if (Status s = apply_(rec); s.code() == StatusCode::kDataLoss) {
        return quarantine(i, off, data,
                          fmt::format("{} at offset {} (seq {}): {}", segments_[i].name, off, rec.seq, s.message()));
      } else if (!s.ok()) {
        return s;
      }
      if (rec.seq > after_seq_) ++report_.records;
    }
    report_.last_seq = std::max(report_.last_seq, rec.seq);
    ++expected_;
    return Status::Ok();
  }

  // Damage at `off` of segment i: `rec` is a valid record with the wrong seq, or nullopt for
  // bytes that are no record. A torn tail is cut off; anything else stops the replay there.
  Status damage(size_t i, size_t off, std::string_view data, const std::optional<FramedRecord>& rec) {
    const Segment& seg = segments_[i];
    const std::string where = fmt::format("{} at offset {} (seq {})", seg.name, off, expected_);
    if (rec) return quarantine(i, off, data, fmt::format("{}: found seq {} instead", where, rec->seq));
    switch (search_after_damage(data, off)) {
      case AfterDamage::kValidRecord:
        return quarantine(i, off, data, where + ": a record fails its CRC check, and valid records follow it");
      case AfterDamage::kUndecided:
        return quarantine(i, off, data,
                          where +
                              ": a record fails its CRC check, and too much of what follows looks like records "
                              "to rule out valid ones");
      case AfterDamage::kNoRecord:
        break;
    }
    if (!last(i) && segments_[i + 1].first_seq != expected_) {
      return quarantine(i, off, data, where + ": a record fails its CRC check in the middle of the log");
    }
    report_.torn = fmt::format("{}: {} bytes of an incomplete record{}", where, data.size() - off,
                               last(i) ? " (crash mid-write)" : " (an append that failed and was abandoned)");
    log::warn("wal: cut off an incomplete record at the end of a segment").field("detail", report_.torn);
    stopped_ = last(i);  // a failed append's leftovers: the next segment goes on from here
    return env_.truncate(dir_ + "/" + seg.name, off);
  }

  // Moves segment i's bytes from `offset` on, and all later segments, aside, and stops.
  Status quarantine(size_t i, size_t offset, std::string_view data, const std::string& why) {
    stopped_ = true;
    const std::string qdir =
        std::filesystem::path(dir_).parent_path().string() + "/corrupt-" + std::to_string(to_unix_ms(now_));
    BUDGETD_RETURN_IF_ERROR(env_.create_dirs(qdir));
    if (offset == 0) {
      // The whole segment goes, as later ones do: an empty file left behind would be damage
      // again at the next start (a segment starting past the snapshot's cut, or an empty one).
      BUDGETD_RETURN_IF_ERROR(env_.rename(dir_ + "/" + segments_[i].name, qdir + "/" + segments_[i].name));
    } else {
      BUDGETD_RETURN_IF_ERROR(env_.write_file_atomically(
          fmt::format("{}/{}.from-offset-{}", qdir, segments_[i].name, offset), data.substr(offset)));
      BUDGETD_RETURN_IF_ERROR(env_.truncate(dir_ + "/" + segments_[i].name, offset));
    }
    for (size_t j = i + 1; j < segments_.size(); ++j) {
      BUDGETD_RETURN_IF_ERROR(env_.rename(dir_ + "/" + segments_[j].name, qdir + "/" + segments_[j].name));
    }
    BUDGETD_RETURN_IF_ERROR(env_.sync_dir(dir_));
    report_.corruption = why;
    report_.quarantine = qdir;
    log::error(
        "wal: replay stopped at damaged data; counts after this point are NOT loaded. The rest of the log was moved "
        "aside for inspection")
        .field("reason", why)
        .field("moved_to", qdir)
        .field("last_good_seq", report_.last_seq);
    return Status::Ok();
  }

  Env& env_;
  const std::string& dir_;
  const uint64_t after_seq_;
  const Timestamp now_;
  const std::function<Status(const FramedRecord&)>& apply_;
  std::vector<Segment> segments_;
  ReplayReport report_;
  uint64_t expected_ = 0;  // seq of the next record; 0 until the first one is seen
  bool stopped_ = false;   // replay ended early (torn tail of the last segment, or quarantine)
};

}  // namespace

Result<ReplayReport> replay_wal(Env& env, const std::string& dir, uint64_t after_seq, Timestamp now,
                                const std::function<Status(const FramedRecord&)>& apply) {
  return LogReplay(env, dir, after_seq, now, apply).run();
}

}  // namespace budgetd::durable
