#include "budgetd/eval/contributors.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "budgetd/core/window.h"

namespace budgetd::eval {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

std::string attributed_labels(const store::Attribution& a) {
  std::string out;
  for (size_t i = 0; i < a.label_count(); ++i) out += (i == 0 ? "" : ", ") + a.label(i);
  return out;
}

Contributor contributor(std::string value, const store::BucketSum& s, bool other) {
  Contributor c;
  c.value = std::move(value);
  c.bad = s.counts.bad();
  c.total = s.counts.total;
  c.error_ratio = c.total == 0 ? 0.0 : static_cast<double>(c.bad) / static_cast<double>(c.total);
  c.other = other;
  return c;
}

// One label over [first, end) buckets of `resolution`: each value with events, ranked.
LabelContributors label_contributors(const store::Attribution& a, size_t label, Millis resolution, int64_t first,
                                     int64_t end) {
  LabelContributors out;
  out.label = a.label(label);
  const uint32_t n = a.assigned(label);  // acquire: the values below it are readable
  const auto read = [&](uint32_t slot) { return a.series(label, slot).ring(resolution)->sum(first, end); };
  for (uint32_t s = 0; s < n; ++s) {
    const store::BucketSum sum = read(s);
    if (sum.counts.total != 0) out.values.push_back(contributor(std::string(a.value(label, s)), sum, false));
  }
  const store::BucketSum other = read(a.other_slot());
  if (other.counts.total != 0) out.values.push_back(contributor(std::string(store::kOtherValue), other, true));
  for (const Contributor& c : out.values) {
    out.bad += c.bad;
    out.total += c.total;
  }
  for (Contributor& c : out.values) {
    c.share_of_bad = out.bad == 0 ? 0.0 : static_cast<double>(c.bad) / static_cast<double>(out.bad);
  }
  std::sort(out.values.begin(), out.values.end(), [](const Contributor& x, const Contributor& y) {
    if (x.bad != y.bad) return x.bad > y.bad;
    if (x.value != y.value) return x.value < y.value;
    return !x.other && y.other;
  });
  return out;
}

}  // namespace

std::string askable_windows(const store::StoredSlo& slo) {
  std::set<Millis> spans;
  for (const auto& w : slo.spec->windows) spans.insert(w.span());
  for (const auto& r : slo.spec->alert_rules) spans.insert(r.long_window.length);
  std::string out;
  for (const Millis m : spans) out += (out.empty() ? "" : ", ") + format_duration(m);
  return out;
}

Result<ContributorsSpan> contributors_span(const store::StoredSlo& slo, Timestamp start, Timestamp end, Timestamp now) {
  if (!slo.attribution) return InvalidArgument(fmt::format("SLO '{}' has no attribution: configured", slo.spec->name));
  if (end <= start) return InvalidArgument("the span to attribute is empty");
  const store::SloSeries& any = slo.attribution->series(0, slo.attribution->other_slot());
  const store::SeriesPlan& plan = slo.attribution->plan();
  for (size_t i = 0; i < kResolutions.size(); ++i) {
    if (plan.slots[i] == 0) continue;
    const Millis r = kResolutions[i];
    const int64_t first = floor_div(to_unix_ms(start), r.count());
    const int64_t last = ceil_div(to_unix_ms(end), r.count());
    // Retained at `now` and no longer than the ring, so no slot is read twice.
    if (first < any.oldest_retained_bucket(r, now) || last - first > static_cast<int64_t>(plan.slots[i])) continue;
    return ContributorsSpan{from_unix_ms(first * r.count()), from_unix_ms(last * r.count()), r};
  }
  return InvalidArgument(
      fmt::format("SLO '{}' does not keep counts per label value from {} to {}; ask for one of the windows it "
                  "attributes ({}) or a shorter one, ending about now",
                  slo.spec->name, format_rfc3339(start), format_rfc3339(end), askable_windows(slo)));
}

Result<std::vector<LabelContributors>> contributors(const store::StoredSlo& slo, Timestamp start, Timestamp end,
                                                    std::string_view label, Timestamp now, ContributorsSpan* span) {
  std::vector<LabelContributors> out;
  if (!slo.attribution) {
    if (label.empty()) return out;
    return InvalidArgument(
        fmt::format("SLO '{}' attributes no labels (it has no attribution: in its config)", slo.spec->name));
  }
  const store::Attribution& a = *slo.attribution;
  int only = -1;
  if (!label.empty()) {
    only = a.label_index(label);
    if (only < 0)
      return InvalidArgument(fmt::format("SLO '{}' does not attribute label '{}'; it attributes: {}", slo.spec->name,
                                         label, attributed_labels(a)));
  }
  BUDGETD_ASSIGN_OR_RETURN(const ContributorsSpan s, contributors_span(slo, start, end, now));
  if (span != nullptr) *span = s;
  const int64_t first = bucket_index(s.start, s.resolution);
  const int64_t last = bucket_index(s.end, s.resolution);
  for (size_t l = 0; l < a.label_count(); ++l) {
    if (only < 0 || static_cast<size_t>(only) == l) out.push_back(label_contributors(a, l, s.resolution, first, last));
  }
  return out;
}

Result<std::vector<LabelContributors>> contributors(const store::StoredSlo& slo, Timestamp start, Timestamp end,
                                                    std::string_view label) {
  return contributors(slo, start, end, label, end, nullptr);
}

std::string top_contributors_text(const std::vector<LabelContributors>& c, size_t n) {
  struct Entry {
    const std::string* label;
    const Contributor* value;
  };
  std::vector<Entry> all;
  for (const LabelContributors& l : c) {
    for (const Contributor& v : l.values) {
      if (v.bad != 0) all.push_back({&l.label, &v});
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Entry& x, const Entry& y) { return x.value->share_of_bad > y.value->share_of_bad; });
  std::string out;
  for (size_t i = 0; i < all.size() && i < n; ++i) {
    const double pct = 100 * all[i].value->share_of_bad;
    const std::string shown = pct >= 1 || pct == 0 ? fmt::format("{:.0f}", pct) : fmt::format("{:.1f}", pct);
    out += fmt::format("{}{}={}: {} % of bad events", i == 0 ? "" : "; ", *all[i].label, all[i].value->value, shown);
  }
  return out;
}

}  // namespace budgetd::eval
