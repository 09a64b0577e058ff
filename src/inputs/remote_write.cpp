#include "budgetd/inputs/remote_write.h"

#include <google/protobuf/arena.h>

#include "prometheus/remote.pb.h"

namespace budgetd::inputs {

std::optional<std::string> decode_remote_write(std::string_view body, const CounterRoutes& routes,
                                               std::vector<SeriesInput>& out, WriteTally& tally) {
  out.clear();
  tally = {};
  google::protobuf::Arena arena;
  auto* req = google::protobuf::Arena::CreateMessage<budgetd::prompb::WriteRequest>(&arena);
  if (!req->ParseFromArray(body.data(), static_cast<int>(body.size())))
    return std::string("the body is not a remote_write WriteRequest (snappy-compressed protobuf)");
  std::vector<SeriesLabel> labels;
  std::vector<CounterFeed> feeds;
  for (const auto& ts : req->timeseries()) {
    ++tally.series;
    tally.samples += static_cast<uint32_t>(ts.samples_size());
    labels.clear();
    std::string_view metric;
    for (const auto& l : ts.labels()) {
      if (l.name() == "__name__")
        metric = l.value();
      else
        labels.push_back({l.name(), l.value()});
    }
    feeds.clear();
    routes.match(config::SourceKind::kPrometheus, metric, labels, feeds);
    if (feeds.empty()) {
      ++tally.unmatched_series;
      continue;
    }
    SeriesInput s;
    // The series' identity: every label, in the order sent (Prometheus sends them sorted).
    for (const auto& l : ts.labels()) {
      s.key.append(l.name()).push_back('\x1f');
      s.key.append(l.value()).push_back('\x1e');
    }
    s.feeds = feeds;
    s.samples.reserve(ts.samples_size());
    for (const auto& smp : ts.samples()) s.samples.push_back({smp.timestamp(), smp.value(), 0});
    out.push_back(std::move(s));
  }
  return std::nullopt;
}

}  // namespace budgetd::inputs
