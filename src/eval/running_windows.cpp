#include "running_windows.h"

#include <algorithm>

#include "budgetd/eval/running_status.h"

namespace budgetd::eval {

namespace {

store::BucketSum operator+(store::BucketSum a, const store::BucketSum& b) {
  a.counts.good += b.counts.good;
  a.counts.total += b.counts.total;
  a.nonempty_buckets += b.nonempty_buckets;
  a.expired_buckets += b.expired_buckets;
  a.saturated_buckets += b.saturated_buckets;
  return a;
}

// REQUIRES: b was summed into a (every part is at least b's).
store::BucketSum operator-(store::BucketSum a, const store::BucketSum& b) {
  a.counts.good -= b.counts.good;
  a.counts.total -= b.counts.total;
  a.nonempty_buckets -= b.nonempty_buckets;
  a.expired_buckets -= b.expired_buckets;
  a.saturated_buckets -= b.saturated_buckets;
  return a;
}

bool damaged(const store::BucketSum& s) { return s.expired_buckets != 0; }

CoveredMinutes operator+(CoveredMinutes a, const CoveredMinutes& b) {
  return {a.covered + b.covered, a.expired + b.expired};
}
CoveredMinutes operator-(CoveredMinutes a, const CoveredMinutes& b) {
  return {a.covered - b.covered, a.expired - b.expired};
}
bool damaged(const CoveredMinutes& m) { return m.expired != 0; }

// The written-since floor (10 s buckets) as a bucket of resolution r: every bucket of r at or
// after it may have been written.
int64_t floor_at(int64_t written_since, Millis r) {
  if (written_since == store::SloSeries::kNothingWritten) return written_since;
  return floor_div(written_since * kFinestResolution.count(), r.count());
}

}  // namespace

template <class Sum>
template <class Read>
Sum RunningWindows::Running<Sum>::advance(int64_t first1, int64_t end1, int64_t tail, int64_t written_since,
                                          Read&& read, Stats& stats) {
  const int64_t s1 = std::max(first1, end1 - tail);
  // The held part may be moved only forward, over buckets it holds, and only if nothing was
  // written to it since it was read.
  bool keep = valid && written_since >= settled_end && first1 >= first && first1 <= settled_end && s1 >= settled_end;
  if (keep) {
    const Sum leaving = read(first, first1);
    const Sum settling = read(settled_end, s1);
    // A recycled bucket reads as empty: what it held when it was summed is not known any more.
    keep = !damaged(leaving) && !damaged(settling);
    if (keep) settled = settled - leaving + settling;
  }
  if (!keep) settled = read(first1, s1);
  ++(keep ? stats.kept : stats.rebuilt);
  first = first1;
  settled_end = s1;
  valid = !damaged(settled);
  return settled + read(s1, end1);
}

void RunningWindows::advance(const store::StoredSlo& slo, Timestamp at) {
  if (series_ != slo.series.get()) {
    series_ = slo.series.get();
    sums_.clear();
    coverage_.clear();
  }
  stats_ = {};
  // Before any read (see the header): a write this floor misses is one the reads below see.
  const int64_t written = series_->take_written_since();
  const StatusWindows need = status_windows(slo, at);

  sums_.resize(need.sums.size());
  for (size_t i = 0; i < need.sums.size(); ++i) {
    SumWindow& w = sums_[i];
    w.bounds = need.sums[i];
    const store::BucketRing* ring = series_->ring(w.bounds.resolution);
    w.tracked = ring != nullptr;
    if (!w.tracked) continue;
    const Millis r = w.bounds.resolution;
    const auto read = [ring](int64_t first, int64_t end) {
      return first < end ? ring->sum(first, end) : store::BucketSum{};
    };
    w.answer = w.running.advance(w.bounds.first_bucket(), w.bounds.end_bucket(), tail_buckets(r), floor_at(written, r),
                                 read, stats_);
  }

  coverage_.resize(need.coverage.size());
  const int64_t written_minute = floor_at(written, kMinute);
  for (size_t i = 0; i < need.coverage.size(); ++i) {
    CoverageWindow& c = coverage_[i];
    c.bounds = need.coverage[i];
    const store::SloSeries& series = *series_;
    const auto read = [&series](int64_t first, int64_t end) {
      if (first >= end) return CoveredMinutes{};
      bool expired = false;
      const uint32_t n =
          series.covered_minutes(from_unix_ms(first * kMinute.count()), from_unix_ms(end * kMinute.count()), expired);
      return CoveredMinutes{n, expired ? 1u : 0u};
    };
    c.answer = c.running.advance(c.bounds.first_bucket(), c.bounds.end_bucket(), 3, written_minute, read, stats_);
  }
}

store::BucketSum RunningWindows::sum(const WindowBounds& bounds) const {
  for (const SumWindow& w : sums_) {
    if (w.tracked && w.bounds.start == bounds.start && w.bounds.end == bounds.end &&
        w.bounds.resolution == bounds.resolution)
      return w.answer;
  }
  return series_->sum(bounds);
}

uint32_t RunningWindows::covered_minutes(Timestamp start, Timestamp end, bool& expired) const {
  for (const CoverageWindow& c : coverage_) {
    if (c.bounds.start == start && c.bounds.end == end) {
      expired = c.answer.expired != 0;
      return c.answer.covered;
    }
  }
  return series_->covered_minutes(start, end, expired);
}

}  // namespace budgetd::eval

namespace budgetd::eval {

RunningStatus::RunningStatus() : windows_(std::make_unique<RunningWindows>()) {}
RunningStatus::~RunningStatus() = default;
RunningStatus::RunningStatus(RunningStatus&&) noexcept = default;
RunningStatus& RunningStatus::operator=(RunningStatus&&) noexcept = default;

Result<SloStatus> RunningStatus::evaluate(const store::StoredSlo& slo, Timestamp now) {
  windows_->advance(slo, now);
  return status_from(slo, now, *windows_);
}

uint32_t RunningStatus::kept_windows() const { return windows_->last_advance().kept; }
uint32_t RunningStatus::rebuilt_windows() const { return windows_->last_advance().rebuilt; }

}  // namespace budgetd::eval
