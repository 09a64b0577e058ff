#include "budgetd/inputs/counter_routes.h"

#include <re2/re2.h>

namespace budgetd::inputs {

struct CounterRoutes::Selector {
  struct Matcher {
    std::string name;
    config::MatchOp op;
    std::string value;
    std::unique_ptr<RE2> re;  // =~ and !~, anchored as Prometheus anchors them
  };
  std::vector<Matcher> matchers;

  explicit Selector(const config::CounterSelector& s) {
    for (const auto& m : s.matchers) {
      Matcher c{m.name, m.op, m.value, nullptr};
      if (m.op == config::MatchOp::kRegex || m.op == config::MatchOp::kNotRegex)
        c.re = std::make_unique<RE2>("^(?:" + m.value + ")$", RE2::Quiet);  // checked at load
      matchers.push_back(std::move(c));
    }
  }

  bool matches(std::span<const SeriesLabel> labels) const {
    for (const Matcher& m : matchers) {
      std::string_view v;
      for (const SeriesLabel& l : labels)
        if (l.name == m.name) v = l.value;
      bool ok = false;
      switch (m.op) {
        case config::MatchOp::kEqual:
          ok = v == m.value;
          break;
        case config::MatchOp::kNotEqual:
          ok = v != m.value;
          break;
        case config::MatchOp::kRegex:
          ok = RE2::FullMatch(v, *m.re);
          break;
        case config::MatchOp::kNotRegex:
          ok = !RE2::FullMatch(v, *m.re);
          break;
      }
      if (!ok) return false;
    }
    return true;
  }
};

struct CounterRoutes::Entry {
  CounterFeed feed;
  std::unique_ptr<Selector> selector;
};

CounterRoutes::CounterRoutes(std::shared_ptr<const store::SloSet> slos) : slos_(std::move(slos)) {
  const auto& all = slos_->slos();
  for (size_t i = 0; i < all.size(); ++i) {
    const config::CountSource& src = all[i].spec->source;
    if (!src.from_counters()) continue;
    auto& by_metric = src.kind == config::SourceKind::kPrometheus ? prometheus_ : otlp_;
    const auto slo = static_cast<uint32_t>(i);
    by_metric[src.total.metric].push_back({{slo, CounterSide::kTotal}, std::make_unique<Selector>(src.total)});
    if (!src.otlp_histogram)
      by_metric[src.part.metric].push_back({{slo, CounterSide::kPart}, std::make_unique<Selector>(src.part)});
  }
}

CounterRoutes::~CounterRoutes() = default;

void CounterRoutes::match(config::SourceKind kind, std::string_view metric, std::span<const SeriesLabel> labels,
                          std::vector<CounterFeed>& out) const {
  const auto& by_metric = kind == config::SourceKind::kPrometheus ? prometheus_ : otlp_;
  const auto it = by_metric.find(std::string(metric));
  if (it == by_metric.end()) return;
  for (const Entry& e : it->second)
    if (e.selector->matches(labels)) out.push_back(e.feed);
}

bool CounterRoutes::any(config::SourceKind kind) const {
  return !(kind == config::SourceKind::kPrometheus ? prometheus_ : otlp_).empty();
}

}  // namespace budgetd::inputs
