#include "window_sums.h"

#include "block_cache.h"

#include <algorithm>

#include "budgetd/store/tagged_word.h"

namespace budgetd::eval {

namespace {

// The edges the windows at `resolution` start and end on, sorted, each once.
std::vector<int64_t> edges_at(Millis resolution, const std::vector<WindowBounds>& wanted) {
  std::vector<int64_t> edges;
  for (const WindowBounds& w : wanted) {
    if (w.resolution != resolution) continue;
    edges.push_back(w.first_bucket());
    edges.push_back(w.end_bucket());
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return edges;
}

// Whether an edge lies strictly inside (b, end), looking from edges[from] on (every edge before
// `from` is at most b).
bool edge_within(const std::vector<int64_t>& edges, size_t from, int64_t b, int64_t end) {
  for (size_t i = from; i < edges.size() && edges[i] < end; ++i) {
    if (edges[i] > b) return true;
  }
  return false;
}

}  // namespace

WindowSums::WindowSums(const store::SloSeries& series, const std::vector<WindowBounds>& wanted, SeriesBlocks* blocks)
    : series_(series) {
  for (const Millis resolution : kResolutions) {
    const store::BucketRing* ring = series.ring(resolution);
    if (ring == nullptr) continue;
    const std::vector<int64_t> edges = edges_at(resolution, wanted);
    if (edges.empty()) continue;
    // A range longer than the ring would count slots twice: leave such windows to sum().
    if (edges.back() - edges.front() > static_cast<int64_t>(ring->slots())) continue;
    loaded_.push_back(load(*ring, resolution, edges, blocks));
  }
}

WindowSums::Loaded WindowSums::load(const store::BucketRing& ring, Millis resolution, const std::vector<int64_t>& edges,
                                    SeriesBlocks* blocks) {
  const int64_t first = edges.front();
  const int64_t end = edges.back();
  Loaded l;
  l.resolution = resolution;
  l.edges.reserve(edges.size());
  Run run;
  size_t next_edge = 0;
  int64_t next = first;  // the next bucket to account for
  // Records the totals before bucket `b` at each edge there is at b.
  const auto mark = [&](int64_t b) {
    for (; next_edge < edges.size() && edges[next_edge] == b; ++next_edge) {
      run.bucket = b;
      l.edges.push_back(run);
    }
  };
  // scan() skips expired buckets (and those before bucket 0, which sum() does not count as
  // expired): the gaps say which.
  const auto skip_to = [&](int64_t b) {
    for (; next < b; ++next) {
      mark(next);
      if (next >= 0) ++run.expired;
    }
  };
  const auto add = [&](const store::BucketSum& s) {
    run.good += s.counts.good;
    run.total += s.counts.total;
    run.nonempty += s.nonempty_buckets;
    run.expired += s.expired_buckets;
    run.saturated += s.saturated_buckets;
  };
  const auto read = [&](int64_t from, int64_t to) {
    ring.scan(from, to, [&](int64_t b, store::Counts c) {
      skip_to(b);
      mark(b);
      run.good += c.good;
      run.total += c.total;
      run.nonempty += c.total != 0 ? 1 : 0;
      run.saturated += (c.total == store::tagged::kPayloadMax || c.good == store::tagged::kPayloadMax) ? 1 : 0;
      ++next;
    });
  };
  // Whole blocks before the sealed edge with no window edge inside come from `blocks`; the rest,
  // up to each block boundary, is read now.
  // (A ring too short to hold a few blocks gains nothing from them.)
  const bool use_blocks = blocks != nullptr && ring.slots() >= 4 * kBlockBuckets;
  RingBlocks* kept = use_blocks ? &blocks->ring(resolution) : nullptr;
  const int64_t sealed = use_blocks ? std::min(end, blocks->sealed_end(resolution)) : 0;
  for (int64_t b = first; b < end;) {
    const int64_t k = floor_div(b, kBlockBuckets);
    const int64_t block_end = (k + 1) * kBlockBuckets;
    if (kept != nullptr && k >= 0 && b == k * kBlockBuckets && block_end <= sealed &&
        !edge_within(edges, next_edge, b, block_end)) {
      skip_to(b);
      mark(b);
      add(kept->block(ring, k, end - first));
      next = block_end;
    } else {
      read(b, std::min(end, block_end));
    }
    b = std::min(end, block_end);
  }
  skip_to(end);
  mark(end);
  return l;
}

const WindowSums::Run* WindowSums::edge(const Loaded& l, int64_t bucket) const {
  for (const Run& r : l.edges) {
    if (r.bucket == bucket) return &r;
  }
  return nullptr;
}

store::BucketSum WindowSums::sum(const WindowBounds& bounds) const {
  for (const Loaded& l : loaded_) {
    if (l.resolution != bounds.resolution) continue;
    const Run* a = edge(l, bounds.first_bucket());
    const Run* b = edge(l, bounds.end_bucket());
    if (a == nullptr || b == nullptr || a->bucket > b->bucket) break;
    store::BucketSum s;
    s.counts = {b->good - a->good, b->total - a->total};
    s.nonempty_buckets = b->nonempty - a->nonempty;
    s.expired_buckets = b->expired - a->expired;
    s.saturated_buckets = b->saturated - a->saturated;
    return s;
  }
  return series_.sum(bounds);
}

}  // namespace budgetd::eval
