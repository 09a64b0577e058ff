// `policy:` (at the top or in an SLO): the tiers, each change type's rule in them, what the
// gate does without data and how long an override may last.

#include <fmt/format.h>

#include "sections.h"

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

// policy.no_data and policy.max_override: apart from the tiers, so an SLO may set them alone.
void read_policy_choices(MapReader& m, PolicySpec& out) {
  if (auto no_data = m.string("no_data")) {
    bool known = false;
    for (const NoDataDecision d : {NoDataDecision::kAllow, NoDataDecision::kDeny, NoDataDecision::kRequireCanary}) {
      if (*no_data == to_string(d)) {
        out.no_data = d;
        known = true;
      }
    }
    if (!known) {
      m.diags().error(m.get("no_data"),
                      fmt::format("{}.no_data must be allow, deny or require_canary, not '{}'", m.what(), *no_data));
    }
  }
  if (auto max = m.duration("max_override")) {
    if (*max <= Millis{0} || *max > 30 * kDay) {
      m.diags().error(m.get("max_override"),
                      fmt::format("{}.max_override must be more than 0 and at most 30d", m.what()));
    } else {
      out.max_override = *max;
    }
  }
}

void read_policy(MapReader& m, PolicySpec& out) {
  read_policy_choices(m, out);
  const YAML::Node tiers = m.get("tiers");
  if (!tiers.IsDefined()) return;
  if (!tiers.IsSequence() || tiers.size() == 0) {
    m.diags().error(tiers.IsDefined() ? tiers : m.node(),
                    fmt::format("{}.tiers must be a non-empty list of tiers", m.what()));
    return;
  }
  PolicySpec p;
  p.no_data = out.no_data;
  p.max_override = out.max_override;
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

}  // namespace budgetd::config
