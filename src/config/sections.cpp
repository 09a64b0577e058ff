#include "sections.h"

#include <charconv>
#include <set>

#include <fmt/format.h>

namespace budgetd::config {

namespace {

// "allow", "deny", or {decision: allow|deny, requires: [...]}.
std::optional<ChangeRule> read_change_rule(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  ChangeRule r;
  const auto decision = [&](const YAML::Node& d) {
    const std::string v = d.IsScalar() ? d.Scalar() : "";
    if (v == "allow") return (r.allow = true), true;
    if (v == "deny") return (r.allow = false), true;
    diags.error(d, fmt::format("{} must be allow or deny, or {{decision: allow, requires: [canary]}}", what));
    return false;
  };
  if (n.IsScalar()) return decision(n) ? std::optional(r) : std::nullopt;
  MapReader m(n, diags, what);
  if (!m.valid()) return std::nullopt;
  const YAML::Node d = m.get("decision");
  if (!d.IsDefined()) {
    diags.error(n, fmt::format("{}: 'decision' is required (allow or deny)", what));
    return std::nullopt;
  }
  if (!decision(d)) return std::nullopt;
  if (const YAML::Node req = m.get("requires"); req.IsDefined()) {
    if (!req.IsSequence()) {
      diags.error(req, fmt::format("{}.requires must be a list such as [canary]", what));
      return std::nullopt;
    }
    for (const auto& x : req) {
      if (!x.IsScalar() || !is_slug(x.Scalar())) {
        diags.error(x, fmt::format("{}.requires: each requirement is a name of a-z, 0-9 and '-'", what));
        return std::nullopt;
      }
      r.requirements.push_back(x.Scalar());
    }
    if (!r.allow && !r.requirements.empty()) {
      diags.error(req, fmt::format("{}: a denied change has no requirements", what));
      return std::nullopt;
    }
  }
  return r;
}

}  // namespace

namespace {

std::optional<HttpTarget> read_target(const YAML::Node& n, Diagnostics& diags, const std::string& what) {
  MapReader m(n, diags, what);
  if (!m.valid()) return std::nullopt;
  HttpTarget t;
  const auto url = m.string("url", true);
  if (!url) return std::nullopt;
  auto parsed = parse_http_url(*url);
  if (!parsed.ok()) {
    diags.error(m.get("url"), fmt::format("{}.url: {}", what, parsed.status().message()));
    return std::nullopt;
  }
  t = std::move(*parsed);
  if (auto v = m.duration("timeout")) {
    if (*v > kMinute)
      diags.error(m.get("timeout"), fmt::format("{}.timeout must be at most 1m", what));
    else
      t.timeout = *v;
  }
  if (const YAML::Node h = m.get("headers"); h.IsDefined()) {
    if (!h.IsMap()) {
      diags.error(h, fmt::format("{}.headers must be a mapping of header to value", what));
      return std::nullopt;
    }
    for (const auto& kv : h) {
      if (!kv.second.IsScalar()) {
        diags.error(kv.second, fmt::format("{}.headers.{} must be a single value", what, kv.first.Scalar()));
        return std::nullopt;
      }
      t.headers[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  return t;
}

void read_targets(MapReader& m, std::string_view key, std::vector<HttpTarget>& out) {
  const YAML::Node list = m.get(key);
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) {
    m.diags().error(list, fmt::format("notify.{} must be a list of {{url: ...}}", key));
    return;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (auto t = read_target(list[i], m.diags(), fmt::format("notify.{}[{}]", key, i))) out.push_back(std::move(*t));
  }
}

}  // namespace

void read_policy(MapReader& m, PolicySpec& out) {
  const YAML::Node tiers = m.get("tiers");
  if (!tiers.IsDefined()) return;
  if (!tiers.IsSequence() || tiers.size() == 0) {
    m.diags().error(tiers.IsDefined() ? tiers : m.node(),
                    fmt::format("{}.tiers must be a non-empty list of tiers", m.what()));
    return;
  }
  PolicySpec p;
  bool ok = true;
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < tiers.size(); ++i) {
    MapReader t(tiers[i], m.diags(), fmt::format("{}.tiers[{}]", m.what(), i));
    if (!t.valid()) {
      ok = false;
      continue;
    }
    TierSpec tier;
    if (auto name = t.string("name", true)) {
      tier.name = *name;
      if (!is_slug(*name)) {
        m.diags().error(t.get("name"), fmt::format("{}: tier name '{}' must be a-z, 0-9 and '-'", t.what(), *name));
        ok = false;
      } else if (!names.insert(*name).second) {
        m.diags().error(t.get("name"), fmt::format("{}: tier name '{}' is used twice", t.what(), *name));
        ok = false;
      }
      t.set_what(fmt::format("{}.tiers '{}'", m.what(), *name));
    } else {
      ok = false;
    }
    const bool last = i + 1 == tiers.size();
    // -1000 %: a budget overspent ten times over; 100 % or more could never be exceeded.
    if (auto above = t.percent("above", -1000, 100)) {
      if (last) {
        m.diags().error(t.get("above"),
                        fmt::format("{}: the last tier takes whatever is left; it has no 'above'", t.what()));
        ok = false;
      } else if (!p.tiers.empty() && p.tiers.back().above && *above >= *p.tiers.back().above) {
        m.diags().error(t.get("above"), fmt::format("{}: 'above' must be lower than the previous tier's ({})", t.what(),
                                                    p.tiers.back().above_percent()));
        ok = false;
      }
      tier.above = *above;
    } else if (!last && !t.get("above").IsDefined()) {
      m.diags().error(tiers[i],
                      fmt::format("{}: 'above' (the remaining budget percent the tier needs) is required", t.what()));
      ok = false;
    }
    for (const ChangeType c : kChangeTypes) {
      const YAML::Node n = t.get(to_string(c));
      if (!n.IsDefined()) {
        m.diags().error(tiers[i], fmt::format("{}: the decision for '{}' changes is required (allow or deny)", t.what(),
                                              to_string(c)));
        ok = false;
        continue;
      }
      if (auto r = read_change_rule(n, m.diags(), fmt::format("{}.{}", t.what(), to_string(c)))) {
        tier.changes[static_cast<size_t>(c)] = std::move(*r);
      } else {
        ok = false;
      }
    }
    p.tiers.push_back(std::move(tier));
  }
  if (ok) out = std::move(p);
}

void read_notify(MapReader& m, NotifyConfig& out) {
  read_targets(m, "alertmanager", out.alertmanagers);
  read_targets(m, "webhooks", out.webhooks);
  if (auto v = m.duration("resend_interval")) {
    if (*v < 10 * kSecond || *v > kDay)
      m.diags().error(m.get("resend_interval"), "notify.resend_interval must be from 10s to 1d");
    else
      out.resend_interval = *v;
  }
  if (auto v = m.string("external_url")) out.external_url = *v;
}

}  // namespace budgetd::config
