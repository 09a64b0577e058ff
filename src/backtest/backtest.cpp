// The replay loop of `budgetd backtest` (see backtest.h): read NDJSON lines, decode them with the
// ingest decoder, route each event to its SLOs, hold it in a reorder buffer of 10 s buckets,
// and release the buckets in time order into the store, evaluating at every step boundary that
// the released time passes.

#include <limits>
#include <map>

#include <fmt/format.h>

#include "budgetd/backtest/backtest.h"
#include "budgetd/ingest/batch_decoder.h"
#include "budgetd/ingest/router.h"
#include "budgetd/store/slo_set.h"
#include "line_reader.h"
#include "recorder.h"

namespace budgetd::backtest {
namespace {

constexpr size_t kErrorsListed = 20;
constexpr uint64_t kProgressEveryLines = 1 << 16;
constexpr uint64_t kProgressEveryEvaluations = 1 << 12;
constexpr Timestamp kNoClock = Timestamp::min();

Timestamp ceil_to(Timestamp t, Millis step) {
  return from_unix_ms(-floor_div(-to_unix_ms(t), step.count()) * step.count());
}

// A backtest reads one NDJSON line at a time and skips a malformed one.
std::string line_error(const ingest::MalformedBody& m) {
  if (m.kind == ingest::MalformedBody::Kind::kNotJson) {
    return fmt::format("not valid JSON{}: {}; the line was skipped",
                       m.byte ? fmt::format(" near byte {}", *m.byte) : "", m.detail);
  }
  // Every other kind of an NDJSON line is content after its JSON document.
  return fmt::format("the line has content after its JSON value{} (NDJSON is one event per line); the line was skipped",
                     m.byte ? fmt::format(", at byte {}", *m.byte) : "");
}

// One SLO's counts in one 10 s bucket, waiting in the reorder buffer.
struct Pending {
  uint64_t good = 0;
  uint64_t total = 0;
  Timestamp first_bad = Timestamp::max();
};

class Replayer final : public ingest::EventSink {
 public:
  Replayer(const config::Config& config, const BacktestOptions& options,
           const std::function<void(const Progress&)>& progress)
      : options_(options),
        progress_(progress),
        slos_(store::SloSet::build(config, nullptr)),
        router_(slos_),
        recorder_(slos_, config.storage.status_lookback) {
    for (const store::StoredSlo& s : slos_->slos()) {
      for (const config::WindowSpec& w : s.spec->windows) quiet_span_ = std::max(quiet_span_, w.span());
      for (const Millis w : s.windows) quiet_span_ = std::max(quiet_span_, w);
    }
    quiet_span_ += kHour;
  }

  BacktestReport run(std::istream& in) {
    LineReader reader(in, options_.max_line_bytes, ingest::required_padding());
    while (auto line = reader.next()) {
      line_ = line->number;
      if (line->too_long) {
        ++report_.input.lines;
        malformed(fmt::format("line is longer than {} bytes; the line was skipped", options_.max_line_bytes));
      } else if (!blank(*line)) {
        ++report_.input.lines;
        // An event without ts happens at the replay's clock; before there is one, at kNoClock.
        if (const auto bad = decoder_.decode(line->data, line->size, line->capacity, ingest::BodyFormat::kNdjson,
                                             clock_.value_or(kNoClock), *this)) {
          malformed(line_error(*bad));
        }
      }
      if (line_ % kProgressEveryLines == 0) report_progress(reader.bytes_read());
      if (done_reading()) break;
    }
    report_.input.bytes = reader.bytes_read();
    if (reader.failed()) {
      report_.read_error =
          fmt::format("reading stopped after {} bytes (line {}): the stream failed", reader.bytes_read(), line_);
    }
    // The end of the history: release every bucket, then evaluate up to the end of the range.
    release_before(std::numeric_limits<int64_t>::max());
    if (clock_) {
      const Timestamp end = options_.to ? *options_.to : ceil_to(*clock_ + Millis{1}, options_.step);
      evaluate_until(end);
    }
    recorder_.finish(report_);
    report_.step = options_.step;
    report_.reorder = options_.reorder;
    return std::move(report_);
  }

 private:
  static bool blank(const LineReader::Line& l) {
    for (size_t i = 0; i < l.size; ++i) {
      const char c = l.data[i];
      if (c != ' ' && c != '\t' && c != '\r') return false;
    }
    return true;
  }

  bool done_reading() const {
    // Past --to by more than the reorder buffer: nothing later can fall inside the range.
    return options_.to && clock_ && *clock_ >= *options_.to + options_.reorder;
  }

  void on_event(uint32_t, const ingest::Event& e) override {
    ++report_.input.events;
    if (e.ts == kNoClock) {
      ++report_.input.rejected;
      reject("the event has no ts, and no event before it had one: a backtest needs the time of each event");
      return;
    }
    if (options_.to && e.ts >= *options_.to) {
      ++report_.input.after_to;
      advance_clock(e.ts);
      return;
    }
    const int64_t bucket = bucket_index(e.ts, kFinestResolution);
    // A late event's bucket was replayed already: it is applied now, as the daemon applies a
    // late event, and must still be retained at the replay's point. Any other waits in the
    // reorder buffer and is applied at its own time, where it is always retained.
    const bool late = bucket < released_;
    const Timestamp now = late ? from_unix_ms(released_ * kFinestResolution.count()) : e.ts;
    const ingest::Routed routed = ingest::route_event(router_.routes_for(e.service), e, now,
                                                      [&](const ingest::Route& r, ingest::EventCounts counts) {
                                                        if (late) {
                                                          apply(r.slo, bucket, counts.good, counts.total, e.ts, now);
                                                          return;
                                                        }
                                                        Pending& p = pending_[{bucket, r.slo}];
                                                        p.good += counts.good;
                                                        p.total += counts.total;
                                                        if (counts.good < counts.total)
                                                          p.first_bad = std::min(p.first_bad, e.ts);
                                                      });
    switch (routed) {
      case ingest::Routed::kFed:
        ++report_.input.applied;
        if (late) ++report_.input.late;
        break;
      case ingest::Routed::kTooOld:
        ++report_.input.rejected;
        ++report_.input.too_old;
        reject(fmt::format(
            "ts {} is before every window budgetd retains for the SLOs it matches (the replay had reached {})",
            format_rfc3339(e.ts), format_rfc3339(now)));  // only a late event can be too old
        break;
      case ingest::Routed::kUnmatched:
        ++report_.input.unmatched;
        break;
    }
    advance_clock(e.ts);
  }

  // The simulated clock is the latest event time: buckets more than `reorder` behind it are due.
  void advance_clock(Timestamp ts) {
    if (clock_ && ts <= *clock_) return;
    clock_ = ts;
    release_before(bucket_index(ts - options_.reorder, kFinestResolution));
  }

  void on_reject(uint32_t, uint32_t, std::string_view reason) override {
    ++report_.input.events;
    ++report_.input.rejected;
    reject(std::string(reason));
  }

  void reject(std::string reason) {
    if (report_.input.errors.size() < kErrorsListed) report_.input.errors.push_back({line_, std::move(reason)});
  }

  void malformed(std::string reason) {
    ++report_.input.malformed;
    reject(std::move(reason));
  }

  // Replays every buffered bucket before `limit`, in time order, evaluating on the way.
  void release_before(int64_t limit) {
    while (!pending_.empty() && pending_.begin()->first.first < limit) {
      const auto node = pending_.extract(pending_.begin());
      const auto [bucket, slo] = node.key();
      const Timestamp start = from_unix_ms(bucket * kFinestResolution.count());
      if (!next_eval_ && !options_.from) next_eval_ = ceil_to(start, options_.step);  // the first data
      evaluate_until(start);
      released_ = std::max(released_, bucket);
      const Pending& p = node.mapped();
      apply(slo, bucket, p.good, p.total, p.first_bad, start);
      last_data_ = std::max(last_data_.value_or(start), start + kFinestResolution);
    }
    if (limit != std::numeric_limits<int64_t>::max() && limit > released_) {
      released_ = limit;
      evaluate_until(from_unix_ms(released_ * kFinestResolution.count()));
    }
  }

  void apply(uint32_t slo, int64_t bucket, uint64_t good, uint64_t total, Timestamp first_bad, Timestamp now) {
    store::WriteStats st;
    slos_->slos()[slo].series->add(now, bucket, good, total, st);
    recorder_.on_counts(slo, good, total, first_bad);
  }

  // Evaluates at every step boundary up to and including `t` that is inside the range.
  void evaluate_until(Timestamp t) {
    if (!next_eval_) {
      if (!options_.from) return;  // no data yet: the range starts with the first
      next_eval_ = ceil_to(*options_.from, options_.step);
    }
    const Timestamp last = options_.to ? std::min(t, *options_.to) : t;
    while (*next_eval_ <= last) {
      // Long after the last data every window is empty and every evaluation the same: jump to
      // the last boundary before `t` instead of evaluating each step of a gap in the history.
      if (!last_data_ || *next_eval_ > *last_data_ + quiet_span_) {
        const Timestamp jump = from_unix_ms(floor_div(to_unix_ms(last), options_.step.count()) * options_.step.count());
        if (jump > *next_eval_) {
          report_.skipped_evaluations += static_cast<uint64_t>((jump - *next_eval_) / options_.step);
          next_eval_ = jump;
        }
      }
      if (!report_.from) report_.from = *next_eval_;
      report_.to = *next_eval_;
      recorder_.evaluate(*next_eval_);
      *next_eval_ += options_.step;
      if (recorder_.evaluations() % kProgressEveryEvaluations == 0) report_progress(std::nullopt);
    }
  }

  void report_progress(std::optional<uint64_t> bytes) {
    if (!progress_) return;
    if (bytes) bytes_ = *bytes;
    progress_({bytes_, line_, clock_});
  }

  const BacktestOptions& options_;
  const std::function<void(const Progress&)>& progress_;
  std::shared_ptr<const store::SloSet> slos_;
  ingest::Router router_;
  Recorder recorder_;
  ingest::BatchDecoder decoder_;
  BacktestReport report_;
  std::map<std::pair<int64_t, uint32_t>, Pending> pending_;  // by (bucket, SLO): time order
  int64_t released_ = std::numeric_limits<int64_t>::min();   // buckets before this were replayed
  std::optional<Timestamp> clock_;                           // the latest event time seen
  std::optional<Timestamp> next_eval_;
  std::optional<Timestamp> last_data_;  // the end of the latest bucket replayed
  Millis quiet_span_{0};
  uint64_t line_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace

double BacktestReport::per_week(uint64_t count) const {
  if (!from || !to || *to <= *from) return 0;
  return static_cast<double>(count) * static_cast<double>((7 * kDay).count()) /
         static_cast<double>((*to - *from).count());
}

Result<BacktestReport> run_backtest(const config::Config& config, std::istream& events, const BacktestOptions& options,
                                    const std::function<void(const Progress&)>& progress) {
  if (options.step <= Millis{0} || options.step.count() % kFinestResolution.count() != 0) {
    return InvalidArgument(
        fmt::format("--step must be a positive multiple of 10s, not {}", format_duration(options.step)));
  }
  if (options.reorder < Millis{0} || options.reorder > kDay) {
    return InvalidArgument(
        fmt::format("--reorder must be between 0s and 1d, not {}", format_duration(options.reorder)));
  }
  if (options.from && options.to && *options.to <= *options.from) {
    return InvalidArgument(
        fmt::format("--to ({}) must be after --from ({})", format_rfc3339(*options.to), format_rfc3339(*options.from)));
  }
  if (config.slos.empty()) return InvalidArgument("the config has no SLOs to backtest");
  Replayer replayer(config, options, progress);
  return replayer.run(events);
}

}  // namespace budgetd::backtest
