#include "window_sums.h"

#include "block_cache.h"

#include <algorithm>

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
  // Between two edges the range is read as one piece: through the kept blocks when given
  // (SeriesBlocks::sum, which reads the rest now), else from the ring. Each piece counts what
  // sum() of the whole range counts of it (expired buckets at or after bucket 0, saturated and
  // non-empty ones), so the totals at an edge are those of the pieces before it.
  for (size_t i = 0; i + 1 < edges.size(); ++i) {
    run.bucket = edges[i];
    l.edges.push_back(run);
    const store::BucketSum s = blocks != nullptr ? blocks->sum(ring, resolution, edges[i], edges[i + 1], end - first)
                                                 : ring.sum(edges[i], edges[i + 1]);
    run.good += s.counts.good;
    run.total += s.counts.total;
    run.nonempty += s.nonempty_buckets;
    run.expired += s.expired_buckets;
    run.saturated += s.saturated_buckets;
  }
  run.bucket = end;
  l.edges.push_back(run);
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
