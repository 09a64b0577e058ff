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

// True if any valid record starts after `from`: then the damage at `from` is not a torn tail.
bool valid_record_after(std::string_view data, size_t from) {
  for (size_t off = from + 1; off + kRecordHeaderBytes <= data.size(); ++off) {
    if (parse_record(data.substr(off))) return true;
  }
  return false;
}

}  // namespace

Result<ReplayReport> replay_wal(Env& env, const std::string& dir, uint64_t after_seq, Timestamp now,
                                const std::function<Status(const FramedRecord&)>& apply) {
  ReplayReport report;
  report.last_seq = after_seq;
  auto names = env.list(dir);
  if (!names.ok()) return report;  // no log yet
  std::vector<Segment> segments;
  for (const auto& n : *names) {
    if (auto first = parse_segment_name(n)) segments.push_back({*first, n});
  }
  std::sort(segments.begin(), segments.end(),
            [](const Segment& a, const Segment& b) { return a.first_seq < b.first_seq; });

  // Moves segment i's bytes from `offset` on, and all later segments, aside.
  const auto quarantine = [&](size_t i, size_t offset, std::string_view data, const std::string& why) -> Status {
    const std::string qdir =
        std::filesystem::path(dir).parent_path().string() + "/corrupt-" + std::to_string(to_unix_ms(now));
    BUDGETD_RETURN_IF_ERROR(env.create_dirs(qdir));
    BUDGETD_RETURN_IF_ERROR(env.write_file_atomically(
        fmt::format("{}/{}.from-offset-{}", qdir, segments[i].name, offset), data.substr(offset)));
    BUDGETD_RETURN_IF_ERROR(env.truncate(dir + "/" + segments[i].name, offset));
    for (size_t j = i + 1; j < segments.size(); ++j) {
      BUDGETD_RETURN_IF_ERROR(env.rename(dir + "/" + segments[j].name, qdir + "/" + segments[j].name));
    }
    BUDGETD_RETURN_IF_ERROR(env.sync_dir(dir));
    report.corruption = why;
    report.quarantine = qdir;
    log::error(
        "wal: replay stopped at damaged data; counts after this point are NOT loaded. The rest of the log was moved "
        "aside for inspection")
        .field("reason", why)
        .field("moved_to", qdir)
        .field("last_good_seq", report.last_seq);
    return Status::Ok();
  };

  uint64_t expected = 0;  // seq of the next record; 0 until the first one is seen
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    const std::string path = dir + "/" + seg.name;
    auto contents = env.read_file(path);
    if (!contents.ok()) return contents.status();
    const std::string_view data = *contents;
    ++report.segments;
    report.bytes += data.size();
    const bool last_segment = i + 1 == segments.size();

    // A segment may start past `expected` only where the missing records are all covered by the
    // snapshot (a tail the kernel never wrote, under fsync interval/never, that the snapshot has).
    if (expected != 0 && seg.first_seq != expected && !(seg.first_seq > expected && seg.first_seq <= after_seq + 1)) {
      BUDGETD_RETURN_IF_ERROR(
          quarantine(i, 0, data,
                     fmt::format("segment {} starts at seq {}, but seq {} was expected: records are missing", seg.name,
                                 seg.first_seq, expected)));
      return report;
    }
    if (expected == 0 && seg.first_seq > after_seq + 1) {
      BUDGETD_RETURN_IF_ERROR(quarantine(
          i, 0, data,
          fmt::format("the log starts at seq {}, but the snapshot covers only up to seq {}: records are missing",
                      seg.first_seq, after_seq)));
      return report;
    }
    if (data.size() < kSegmentMagic.size() || data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
      if (last_segment && data.size() < kSegmentMagic.size() && kSegmentMagic.substr(0, data.size()) == data) {
        // Created, then the crash came before its header was written.
        report.torn = fmt::format("{}: an empty segment", seg.name);
        BUDGETD_RETURN_IF_ERROR(env.remove(path));
        break;
      }
      BUDGETD_RETURN_IF_ERROR(
          quarantine(i, 0, data, fmt::format("{} does not start with the segment header", seg.name)));
      return report;
    }
    expected = seg.first_seq;
    size_t off = kSegmentMagic.size();
    while (off < data.size()) {
      const auto rec = parse_record(data.substr(off));
      if (rec && !last_segment && rec->seq >= segments[i + 1].first_seq) {
        // The log started the next segment at this seq: these records were never acknowledged
        // (the log failed and could not cut them off), and the next segment has the real ones.
        report.torn = fmt::format("{} at offset {} (seq {}): {} bytes the log abandoned when it failed", seg.name, off,
                                  rec->seq, data.size() - off);
        log::warn("wal: cut off records a failed log abandoned").field("detail", report.torn);
        BUDGETD_RETURN_IF_ERROR(env.truncate(path, off));
        break;
      }
      if (rec && rec->seq == expected) {
        if (rec->seq > after_seq) {
          // A record whose CRC holds but whose contents do not decode is damage like any other.
          if (Status s = apply(*rec); s.code() == StatusCode::kDataLoss) {
            BUDGETD_RETURN_IF_ERROR(quarantine(
                i, off, data, fmt::format("{} at offset {} (seq {}): {}", seg.name, off, rec->seq, s.message())));
            return report;
          } else if (!s.ok()) {
            return s;
          }
          ++report.records;
        }
        report.last_seq = std::max(report.last_seq, rec->seq);
        ++expected;
        off += rec->size;
        continue;
      }
      // Damage at `off`. Decide what kind.
      const std::string where = fmt::format("{} at offset {} (seq {})", seg.name, off, expected);
      if (rec) {
        BUDGETD_RETURN_IF_ERROR(quarantine(i, off, data, fmt::format("{}: found seq {} instead", where, rec->seq)));
        return report;
      }
      if (valid_record_after(data, off)) {
        BUDGETD_RETURN_IF_ERROR(
            quarantine(i, off, data, where + ": a record fails its CRC check, and valid records follow it"));
        return report;
      }
      if (!last_segment && segments[i + 1].first_seq != expected) {
        BUDGETD_RETURN_IF_ERROR(
            quarantine(i, off, data, where + ": a record fails its CRC check in the middle of the log"));
        return report;
      }
      report.torn = fmt::format("{}: {} bytes of an incomplete record{}", where, data.size() - off,
                                last_segment ? " (crash mid-write)" : " (an append that failed and was abandoned)");
      log::warn("wal: cut off an incomplete record at the end of a segment").field("detail", report.torn);
      BUDGETD_RETURN_IF_ERROR(env.truncate(path, off));
      break;
    }
  }
  return report;
}

}  // namespace budgetd::durable
